import Synchronization

/// Spaces the client's requests: at most `perResource` a second to one path (the API limits each
/// resource, e.g. one task's run list, to 60 a second) and `total` a second in all, so that several
/// pages in flight for one list, or many sources polled at once, do not burst into 429s.
///
/// Each request reserves the next free slot of its path and of the whole client, and waits until
/// then; slots are not queued per caller, so a request never waits for more than the spacing the
/// requests before it took.
package final class RequestPacer: Sendable {
    private struct State {
        var nextFree: ContinuousClock.Instant
        var nextFreeByPath: [String: ContinuousClock.Instant] = [:]
    }

    private let perResource: Duration
    private let total: Duration
    private let state: Mutex<State>

    /// Requests per second, per path and in all.
    package init(perResource: Double, total: Double) {
        self.perResource = .seconds(1 / max(perResource, 0.001))
        self.total = .seconds(1 / max(total, 0.001))
        state = Mutex(State(nextFree: .now))
    }

    /// Reserves a slot for a request to `path`; returns how long to wait for it.
    package func reserve(_ path: String) -> Duration {
        let now = ContinuousClock.now
        return state.withLock { state in
            if state.nextFreeByPath.count > 4096 {
                // Paths not used for a while no longer constrain anything.
                state.nextFreeByPath = state.nextFreeByPath.filter { $0.value > now }
            }
            let slot = max(now, state.nextFree, state.nextFreeByPath[path] ?? now)
            state.nextFree = slot + total
            state.nextFreeByPath[path] = slot + perResource
            return slot - now
        }
    }
}
