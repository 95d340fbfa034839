import Synchronization

/// Keeps the client's requests under their limits: at most `perResource` in any one second to one
/// path (the API limits each resource, e.g. one task's run list, to 60 a second) and `total` in any
/// one second in all, so that several pages in flight for one list, or many sources polled at once,
/// do not run into 429s.
///
/// A limit is a sliding window, not a spacing: at 2 a second or more, two requests to one path go at
/// once, together (an idle pass's overlap read and its unfinished runs share a round trip, where the
/// second used to wait 20 ms on a timer), then pairs follow at the rate (at 50 a second, a pair every
/// 40 ms, so that pages read ahead arrive spread as before and are not all held at once); a request
/// past the second's limit waits until the oldest of its second is a second old. Each request
/// reserves the earliest slot every window allows; slots are not queued per caller, so a request
/// never waits for more than the windows call for.
///
/// The windows count slots, the moments requests are handed to the connection pool, not when they
/// reach the wire: a pool still connecting sends its first requests late, and jitter can bring two
/// requests closer (docs/sync.md, "Reading ahead"), which the default's margin under the API's
/// limit absorbs.
package final class RequestPacer: Sendable {
    private struct State {
        var all: SendWindow?
        /// Per path, its second's window and its pairs'.
        var byPath: [String: [SendWindow]] = [:]
    }

    /// Requests to one path that may go together.
    static let burst = 2

    private let perResource: [SendWindow]
    private let state: Mutex<State>

    /// Requests per second, per path and in all.
    package init(perResource: Double, total: Double) {
        self.perResource = [
            SendWindow(perSecond: perResource), SendWindow(perSecond: perResource, burst: Self.burst),
        ].compactMap { $0 }
        state = Mutex(State(all: SendWindow(perSecond: total)))
    }

    /// Reserves a slot for a request to `path`; returns how long to wait for it.
    package func reserve(_ path: String) -> Duration {
        state.withLock { state in
            // Read under the lock: a slot is never taken against windows another caller saw later.
            let now = ContinuousClock.now
            return reserve(path, at: now, in: &state) - now
        }
    }

    /// Reserves the earliest slot at or after `now` for a request to `path`, and returns it.
    package func reserve(_ path: String, at now: ContinuousClock.Instant) -> ContinuousClock.Instant {
        state.withLock { reserve(path, at: now, in: &$0) }
    }

    private func reserve(
        _ path: String,
        at now: ContinuousClock.Instant,
        in state: inout State
    ) -> ContinuousClock.Instant {
        if state.byPath.count > 4096 {
            // Paths not used for a while no longer constrain anything.
            state.byPath = state.byPath.filter { !$0.value.allSatisfy { $0.isIdle(at: now) } }
        }
        var windows = state.byPath[path] ?? perResource
        let slot = windows.reduce(state.all?.earliest(from: now) ?? now) { max($0, $1.earliest(from: now)) }
        for index in windows.indices { windows[index].record(slot) }
        state.all?.record(slot)
        if !windows.isEmpty { state.byPath[path] = windows }
        return slot
    }
}
