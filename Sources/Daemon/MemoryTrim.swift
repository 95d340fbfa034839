import ApifyRunsCMalloc
import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// Gives the kernel back memory the running daemon no longer needs (docs/performance.md, "Memory").
///
/// Two kinds stay resident after the work that used them:
/// - **freed heap**: glibc returns free memory to the kernel only from the top of each arena; what a
///   backfill freed in the middle (pages read ahead, batches) stays resident until `malloc_trim`.
/// - **the executable's start-up pages**: argument parsing, the configuration, the migrations,
///   the dynamic linker's relocations and symbol tables are read once, but their file-backed pages
///   stay mapped (and counted in RSS, and in the service's cgroup) until the kernel needs the memory.
///   `MADV_PAGEOUT` asks it to reclaim them now; pages still in use come back at their next use.
///   Only read-only mappings of the executable are advised: the kernel never discards data, it only
///   drops clean copies of the file (a page another process maps is left alone).
package enum MemoryTrim {
    /// The daemon's first trim: once the start-up and the first passes are behind it.
    static let firstTrimAfter: Duration = .seconds(60)
    /// Freed heap is given back this often afterwards (a few milliseconds each time).
    static let heapTrimInterval: Duration = .seconds(600)

    /// Trims now and again until cancelled: the executable's pages once, the heap every time.
    static func run(logger: Logger) async {
        var first = true
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: first ? firstTrimAfter : heapTrimInterval)
            } catch {
                return
            }
            let before = residentBytes()
            releaseFreeHeap()
            let pagedOut = first ? pageOutExecutable() : 0
            first = false
            logger.debug(
                "memory trimmed",
                metadata: [
                    "event": "memory_trimmed", "rss_before_kib": .stringConvertible((before ?? 0) / 1024),
                    "rss_after_kib": .stringConvertible((residentBytes() ?? 0) / 1024),
                    "advised_kib": .stringConvertible(pagedOut / 1024),
                ]
            )
        }
    }

    /// Returns the free pages of every malloc arena to the kernel.
    static func releaseFreeHeap() {
        _ = apify_release_free_heap()
    }

    /// Asks the kernel to reclaim the executable's read-only pages; returns the bytes advised (0 when
    /// the maps cannot be read or the kernel does not know the advice: nothing else happens then).
    @discardableResult
    static func pageOutExecutable() -> Int {
        guard let executable = executablePath(),
            let maps = try? String(contentsOfFile: "/proc/self/maps", encoding: .utf8)
        else { return 0 }
        var advised = 0
        for range in readOnlyRanges(in: maps, of: executable)
        where madvise(UnsafeMutableRawPointer(bitPattern: range.lowerBound), range.count, MADV_PAGEOUT) == 0 {
            advised += range.count
        }
        return advised
    }

    /// The address ranges of `path`'s mappings that are not writable. Its relocated read-only data
    /// is among them: those pages are the process's own copies, which the advice cannot discard
    /// (without swap the kernel keeps them), only the clean pages of the file.
    static func readOnlyRanges(in maps: String, of path: String) -> [Range<UInt>] {
        maps.split(separator: "\n").compactMap { line in
            // "start-end perms offset device inode path"
            let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
            guard fields.count == 6, fields[5].trimmingCharacters(in: .whitespaces) == path,
                fields[1].first == "r", !fields[1].contains("w")
            else { return nil }
            let bounds = fields[0].split(separator: "-")
            guard bounds.count == 2, let start = UInt(bounds[0], radix: 16), let end = UInt(bounds[1], radix: 16),
                start < end
            else { return nil }
            return start..<end
        }
    }

    private static func executablePath() -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The process's resident memory, from `/proc/self/statm`.
    static func residentBytes() -> Int? {
        guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = statm.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
