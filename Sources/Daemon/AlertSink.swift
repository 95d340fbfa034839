import Foundation
import RunStore

/// Somewhere events go: the journal, a command, a webhook. The dispatcher decides what to send and
/// when; a sink delivers one event and says how it went.
package protocol AlertSink: Sendable {
    /// The sink's name in `event_deliveries` and in logs.
    var name: String { get }
    /// How many events (of different tasks) it may be handed at once.
    var maxConcurrent: Int { get }
    /// Whether the sink's filters let `event` through.
    func takes(_ event: StoredEvent) -> Bool
    /// Delivers one event with its JSON payload.
    func deliver(_ event: StoredEvent, payload: String) async -> DeliveryOutcome
    /// When to try again after `attempts` failed attempts, the first made at `firstAttempt`; nil:
    /// give up.
    func retryDate(afterAttempts attempts: Int, firstAttempt: Date, now: Date) -> Date?
}

/// How a delivery went.
package enum DeliveryOutcome: Sendable, Equatable {
    case delivered
    /// Not taken: why, in one line without secrets.
    case failed(String)
}

/// Exponential backoff from 10 s, doubling, at most an hour apart.
package func alertBackoff(afterAttempts attempts: Int, now: Date) -> Date {
    let seconds = min(10 * pow(2, Double(max(0, attempts - 1))), 3600)
    return now.addingTimeInterval(seconds)
}
