import RunModel

/// What reading sources of runs needs of the API: a page of a run list, one run, a task or an Actor
/// by ID or name, the account's tasks, and how the API has been answering. `ApifyClient` implements
/// it over HTTP; the engine and the source directory depend on this alone, so that a test can put
/// any API behind them.
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

    /// A task, by ID or `username~task-name` (`ApifyError.taskNotFound` when there is none).
    func task(_ reference: String) async throws -> ResourceSummary

    /// An Actor, by ID or `username~actor-name` (`ApifyError.actorNotFound` when there is none).
    func actor(_ reference: String) async throws -> ResourceSummary

    /// A page of the account's tasks.
    func tasks(offset: Int, limit: Int) async throws -> TaskListPage

    /// How many 429 answers there have been so far.
    var throttledResponses: Int { get }

    /// How long the last request took on the wire, if one was made.
    var lastRoundTrip: Duration? { get }
}

extension ApifyClient: RunListing {}
