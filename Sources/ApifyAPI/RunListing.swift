import RunModel

/// What reading a source of runs needs of the API: a page of a run list, one run, and how often the
/// API has said to slow down. `ApifyClient` implements it over HTTP; the engine depends on this
/// alone, so that a test can put any list behind it.
package protocol RunListing: Sendable {
    /// A page of `source`'s run list (`ApifyClient.listRuns`).
    func listRuns(
        _ source: RunSource,
        offset: Int,
        limit: Int,
        desc: Bool,
        statuses: [String],
        startedAfter: String?
    ) async throws -> RunListPage

    /// The run, or nil when it no longer exists.
    func run(id runId: String) async throws -> RunRecord?

    /// How many 429 answers there have been so far.
    var throttledResponses: Int { get }

    /// How long the last request took on the wire, if one was made.
    var lastRoundTrip: Duration? { get }
}

extension ApifyClient: RunListing {}
