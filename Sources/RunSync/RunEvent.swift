import RunStore

/// A run newly in a failure status: what the daemon logs at error (or warning) level, once.
package struct RunEvent: Sendable, Equatable {
    package enum Kind: String, Sendable {
        case failed = "run_failed"
        case timedOut = "run_timed_out"
        case aborted = "run_aborted"
    }

    package var kind: Kind
    package var change: StatusChange

    /// The run's page in the Apify Console.
    package var consoleURL: String { "https://console.apify.com/view/runs/\(change.runId)" }

    /// The event a recorded change stands for, if it is a new failure.
    package init?(_ change: StatusChange) {
        guard change.from != change.to else { return nil }
        switch change.to {
        case RunStatus.failed: kind = .failed
        case RunStatus.timedOut: kind = .timedOut
        case RunStatus.aborted: kind = .aborted
        default: return nil
        }
        self.change = change
    }
}
