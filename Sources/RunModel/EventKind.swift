/// What the daemon tells people about: the `event` column of the `events` table (README, "Alerts").
package enum EventKind: String, Sendable, CaseIterable {
    case runFailed = "run_failed"
    case runTimedOut = "run_timed_out"
    case runAborted = "run_aborted"
    /// A task's (or a directly run Actor's) first successful run after one or more failed ones.
    case runSucceededAfterFailure = "run_succeeded_after_failure"
    /// A source whose passes started failing, and the pass that succeeded again after them.
    case syncError = "sync_error"
    case syncRecovered = "sync_recovered"

    /// The event of a run newly in `status`, when that status is a failure.
    package static func failure(_ status: String) -> EventKind? {
        switch status {
        case "FAILED": .runFailed
        case "TIMED-OUT": .runTimedOut
        case "ABORTED": .runAborted
        default: nil
        }
    }

    /// Whether the event is about one run (it has a run ID, a task or Actor and statuses).
    package var isAboutARun: Bool {
        switch self {
        case .runFailed, .runTimedOut, .runAborted, .runSucceededAfterFailure: true
        case .syncError, .syncRecovered: false
        }
    }
}
