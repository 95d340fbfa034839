/// An event not yet final for a sink, with the sink's attempts so far.
package struct PendingDelivery: Sendable, Equatable {
    package var event: StoredEvent
    package var attempts = 0
    package var firstAttemptAt: String?
    /// When the next attempt is due; nil: now.
    package var nextAttemptAt: String?

    package init(event: StoredEvent, attempts: Int = 0, firstAttemptAt: String? = nil, nextAttemptAt: String? = nil) {
        self.event = event
        self.attempts = attempts
        self.firstAttemptAt = firstAttemptAt
        self.nextAttemptAt = nextAttemptAt
    }
}
