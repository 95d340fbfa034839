/// How many pages the forward read fetches ahead of its verified cursor.
///
/// Enough to keep a list at its request rate across the measured latency (Little's law: requests in
/// flight = rate × latency), at least 1 and at most `maximumWindow`: over loopback one page at a
/// time, at 250 ms from the API about a dozen. A 429 halves the ceiling, which then grows back by one
/// every `regrowAfter` answers.
struct ReadAheadWindow {
    let settings: ReadAhead
    /// Mean seconds per request, weighted towards the recent ones.
    private var latency: Double?
    private var ceiling: Int
    private var throttledSeen: Int
    private var answersSinceThrottle = 0

    static let regrowAfter = 8

    init(settings: ReadAhead, throttled: Int) {
        self.settings = settings
        ceiling = settings.maximumWindow
        throttledSeen = throttled
    }

    var size: Int {
        let wanted = latency.map { Int(($0 * settings.requestsPerSecond).rounded(.up)) } ?? 1
        return max(settings.minimumWindow, min(max(1, wanted), ceiling))
    }

    mutating func observe(latency duration: Duration) {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        latency = latency.map { 0.7 * $0 + 0.3 * seconds } ?? seconds
        answersSinceThrottle += 1
        if answersSinceThrottle >= Self.regrowAfter, ceiling < settings.maximumWindow {
            ceiling += 1
            answersSinceThrottle = 0
        }
    }

    /// Takes the client's count of 429 answers; a new one halves the ceiling.
    mutating func observe(throttled: Int) {
        guard throttled > throttledSeen else { return }
        throttledSeen = throttled
        ceiling = max(1, ceiling / 2)
        answersSinceThrottle = 0
    }
}
