import Synchronization

/// Keeps the client's requests under their limits: at most `perResource` in any one second to one
/// path (the API limits each resource, e.g. one task's run list, to 60 a second) and `total` in any
/// one second in all, so that several pages in flight for one list, or many sources polled at once,
/// do not run into 429s.
///
/// A limit is a sliding window, not a spacing: requests under it go at once, together (an idle
/// pass's two requests to one list, its overlap and its unfinished runs, share a round trip instead
/// of the second waiting 20 ms on a timer), and a request past it waits until the oldest of the
/// window's requests is a second old. Each request reserves the earliest slot both windows allow;
/// slots are not queued per caller, so a request never waits for more than the window calls for.
package final class RequestPacer: Sendable {
    private struct State {
        var all: SendWindow
        var byPath: [String: SendWindow] = [:]
    }

    private let perResource: SendWindow
    private let state: Mutex<State>

    /// Requests per second, per path and in all.
    package init(perResource: Double, total: Double) {
        self.perResource = SendWindow(perSecond: perResource)
        state = Mutex(State(all: SendWindow(perSecond: total)))
    }

    /// Reserves a slot for a request to `path`; returns how long to wait for it.
    package func reserve(_ path: String) -> Duration {
        let now = ContinuousClock.now
        return reserve(path, at: now) - now
    }

    /// Reserves the earliest slot at or after `now` for a request to `path`, and returns it.
    package func reserve(_ path: String, at now: ContinuousClock.Instant) -> ContinuousClock.Instant {
        state.withLock { state in
            if state.byPath.count > 4096 {
                // Paths not used for a while no longer constrain anything.
                state.byPath = state.byPath.filter { !$0.value.isIdle(at: now) }
            }
            var window = state.byPath[path] ?? perResource
            let slot = max(state.all.earliest(from: now), window.earliest(from: now))
            window.record(slot)
            state.all.record(slot)
            state.byPath[path] = window
            return slot
        }
    }
}
