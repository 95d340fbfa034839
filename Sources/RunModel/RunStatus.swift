/// Apify's run statuses: the one place they are spelled, for the client, the store's SQL, the engine,
/// the alerts and the simulator.
///
/// Statuses are open strings: Apify adds values over time, and an unknown one is stored as given and
/// treated as not final, so the run keeps being refreshed until it reaches a status we know ends it.
package enum RunStatus {
    package static let succeeded = "SUCCEEDED"
    package static let failed = "FAILED"
    package static let timedOut = "TIMED-OUT"
    package static let aborted = "ABORTED"

    /// The statuses that end a run (unless it is resurrected), in the order SQL conditions list them.
    package static let final: [String] = [succeeded, failed, timedOut, aborted]

    /// The final statuses that are failures (alerted as `run_failed`, `run_timed_out`, `run_aborted`).
    package static let failures: [String] = [failed, timedOut, aborted]

    /// The known statuses of a run still in progress, as the API's `status` filter takes them.
    package static let unfinished: [String] = ["READY", "RUNNING", "TIMING-OUT", "ABORTING"]

    package static func isFinal(_ status: String) -> Bool { final.contains(status) }

    /// `'A', 'B'`: statuses as an SQL list, for `status IN (…)`.
    package static func sqlList(_ statuses: [String]) -> String {
        statuses.map { "'\($0)'" }.joined(separator: ", ")
    }
}
