/// The API's per-resource rate limit, as the simulator enforces it when asked: at most `perSecond`
/// requests to one path in any one-second window of the wall clock, the rest answered 429
/// `rate-limit-exceeded` (the real API allows 60 per resource by default). It also keeps the
/// highest rate one resource reached, for the benchmark.
package struct SimulatedRateLimit: Sendable {
    package var perSecond: Int
    /// Per path: the second (of the wall clock, in milliseconds since some start) and the requests
    /// counted in it.
    private var windows: [String: (second: Int64, count: Int)] = [:]
    /// The most requests one path received in one second, answered or not.
    package private(set) var peakPerSecond = 0
    /// Requests refused with 429.
    package private(set) var refused = 0

    package init(perSecond: Int) {
        self.perSecond = perSecond
    }

    /// Counts a request to `path` at `nowMs`; false when it goes over the limit.
    package mutating func admit(path: String, nowMs: Int64) -> Bool {
        let second = nowMs / 1000
        var window: (second: Int64, count: Int) = (second, 0)
        if let current = windows[path], current.second == second { window = current }
        window.count += 1
        windows[path] = window
        peakPerSecond = max(peakPerSecond, window.count)
        if windows.count > 10_000 { windows = windows.filter { $0.value.second == second } }
        guard window.count > perSecond else { return true }
        refused += 1
        return false
    }
}
