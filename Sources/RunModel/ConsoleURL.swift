/// Links into the Apify Console. The views `recent_failures` and `recent_events` build the same
/// link in SQL (released migrations keep their text).
package enum ConsoleURL {
    /// The page of one run.
    package static func run(_ runId: String) -> String { "https://console.apify.com/view/runs/\(runId)" }
}
