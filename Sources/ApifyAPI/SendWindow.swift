/// One limit of `RequestPacer`: at most `capacity` requests in any `span`.
///
/// A rate of `r` a second allows its whole part (at least one) in any one second, so that no second
/// ever holds more than `r`; a rate under one a second allows one in `1 / r` seconds. A burst limit
/// `b` allows `b` requests in any `b / r` seconds instead: the same rate, in smaller groups (the
/// pacer keeps the second's window beside it, which bounds a fractional rate's pairs). Rates above
/// `unpacedAbove` (tests that do not pace; the configuration allows 4,000 at most) have no window.
///
/// The window keeps the latest `capacity` slots taken, in order. A new slot no earlier than the
/// oldest of them plus `span` keeps the limit in every span that holds it: the slots after the
/// oldest kept are fewer than `capacity`, and every other slot is a span or more before it. Slots
/// may be taken out of order (a request to another path may go before one that waits), which is why
/// the window keeps the latest slots, not the last taken.
struct SendWindow: Sendable {
    /// Rates above this many requests a second are not paced.
    static let unpacedAbove = 100_000.0

    let capacity: Int
    let span: Duration
    /// The latest slots taken, oldest first; at most `capacity`.
    private var slots: [ContinuousClock.Instant] = []

    /// `rate` a second, or in bursts of up to `burst` requests; nil when the rate is not paced.
    init?(perSecond rate: Double, burst: Int? = nil) {
        guard rate.isFinite, rate <= Self.unpacedAbove else { return nil }
        let rate = max(rate, 0.001)
        let whole = max(1, Int(rate.rounded(.down)))
        if let burst {
            capacity = min(burst, whole)
            span = .seconds(Double(capacity) / rate)
        } else {
            capacity = whole
            span = .seconds(max(1, 1 / rate))
        }
    }

    /// The earliest slot at or after `now` that keeps the limit.
    func earliest(from now: ContinuousClock.Instant) -> ContinuousClock.Instant {
        guard slots.count == capacity, let oldest = slots.first else { return now }
        return max(now, oldest + span)
    }

    /// Takes `slot`, which must be no earlier than `earliest(from:)` allowed.
    mutating func record(_ slot: ContinuousClock.Instant) {
        // Nearly always the latest: found from the end.
        var index = slots.endIndex
        while index > slots.startIndex && slots[index - 1] > slot { index -= 1 }
        slots.insert(slot, at: index)
        if slots.count > capacity { slots.removeFirst() }
    }

    /// Whether the slots taken no longer constrain a request at `now` or later.
    func isIdle(at now: ContinuousClock.Instant) -> Bool {
        guard let newest = slots.last else { return true }
        return newest + span <= now
    }
}
