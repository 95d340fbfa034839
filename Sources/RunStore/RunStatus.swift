/// What the store and the engine need to know about Apify's run statuses.
///
/// Statuses are open strings: Apify adds values over time, and an unknown one is stored as given and
/// treated as not final, so the run keeps being refreshed until it reaches a status we know ends it.
package enum RunStatus {
    package static let succeeded = "SUCCEEDED"
    package static let failed = "FAILED"
    package static let timedOut = "TIMED-OUT"
    package static let aborted = "ABORTED"

    /// The statuses that end a run (unless it is resurrected).
    package static let final: Set<String> = [succeeded, failed, timedOut, aborted]

    /// The known statuses of a run still in progress, as the API's `status` filter takes them.
    package static let unfinished: [String] = ["READY", "RUNNING", "TIMING-OUT", "ABORTING"]

    package static func isFinal(_ status: String) -> Bool { final.contains(status) }
}
