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
    /// A SUCCEEDED run of a source with `minItems` whose default dataset holds fewer items.
    case emptyResult = "empty_result"
    /// Health checks (README, "Health checks"), each with its recovery: a run unfinished past its
    /// time, no new run of a task or Actor for longer than expected, too many failures lately.
    case runStuck = "run_stuck"
    case runStuckRecovered = "run_stuck_recovered"
    case taskSilent = "task_silent"
    case taskSilentRecovered = "task_silent_recovered"
    case failureRate = "failure_rate"
    case failureRateRecovered = "failure_rate_recovered"

    /// The event of a run newly in `status`, when that status is a failure.
    package static func failure(_ status: String) -> EventKind? {
        switch status {
        case RunStatus.failed: .runFailed
        case RunStatus.timedOut: .runTimedOut
        case RunStatus.aborted: .runAborted
        default: nil
        }
    }

    /// The event that closes a health problem opened by this one.
    package var recovery: EventKind? {
        switch self {
        case .runStuck: .runStuckRecovered
        case .taskSilent: .taskSilentRecovered
        case .failureRate: .failureRateRecovered
        default: nil
        }
    }

    /// Whether the event is about one run (it has a run ID, a task or Actor and statuses).
    package var isAboutARun: Bool {
        switch self {
        case .runFailed, .runTimedOut, .runAborted, .runSucceededAfterFailure, .emptyResult, .runStuck,
            .runStuckRecovered:
            true
        case .syncError, .syncRecovered, .taskSilent, .taskSilentRecovered, .failureRate, .failureRateRecovered:
            false
        }
    }
}
