/// Where an event stands with one sink: the `state` column of `event_deliveries`.
package enum DeliveryState: String, Sendable {
    /// The sink took it.
    case delivered
    /// An attempt failed; another is due at `next_attempt_at`.
    case pending
    /// Given up after the sink's retries; logged once.
    case failed
    /// The sink's filters leave it out.
    case skipped
}
