import ApifyRunsCMalloc

/// glibc's malloc arenas, limited for this process.
///
/// glibc gives a thread that allocates while another holds the lock an arena of its own, up to eight
/// per core, and keeps what is freed in each arena for that arena. The daemon's threads (the event
/// loop, the concurrency pool, the database queue) pass buffers to one another, so memory freed on
/// one thread sat unused in its arena while another grew its own. Two arenas, one per core of the
/// machine it was measured on (docs/performance.md, "Memory").
package enum MallocArenas {
    static let limit: Int32 = 2

    /// Applies the limit; call it first thing in `main`, before other threads allocate. Returns
    /// whether glibc took it; if not, it keeps its default, which only costs memory.
    @discardableResult
    package static func apply() -> Bool {
        apify_limit_malloc_arenas(limit) == 1
    }
}
