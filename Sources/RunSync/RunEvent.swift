import RunModel
import RunStore

/// A run newly in a failure status, as a pass report lists it: the same rule that writes the
/// store's `run_failed`, `run_timed_out` and `run_aborted` events.
package struct RunEvent: Sendable, Equatable {
    package var kind: EventKind
    package var change: StatusChange

    /// The run's page in the Apify Console.
    package var consoleURL: String { ConsoleURL.run(change.runId) }

    /// The event a recorded change stands for, if it is a new failure.
    package init?(_ change: StatusChange) {
        guard change.from != change.to, let kind = EventKind.failure(change.to) else { return nil }
        self.kind = kind
        self.change = change
    }
}
