import RunModel

/// Runs read from one source to store atomically, with the cursor they move the source to.
package struct RunBatch: Sendable {
    package var source: RunSource
    package var runs: [RunRecord]
    /// The source's new cursor, written atomically with the runs; nil leaves the stored cursor as it is.
    package var cursor: TaskCursor?
    /// Runs that answered 404: marked deleted (never removed).
    package var deletedRunIds: [String]
    /// `startedAt` spans of pages read whole (first and last dated run): the source's stored live runs
    /// that started strictly inside a span but are not in the batch were deleted upstream.
    package var sweeps: [(first: String, last: String)] = []
    /// The time of the read these runs came from, as ISO-8601 text.
    package var observedAt: String
    /// When the earliest read these runs came from was asked for, as ISO-8601 text. A stored run
    /// whose row changed at or after that instant (to the millisecond) keeps its row when this batch holds it in another
    /// status: the two reads overlapped in time, this copy may be the older, and a later read settles
    /// it (docs/sync.md, "The order of reads"). nil: no such guard.
    package var readSince: String?

    package init(
        source: RunSource,
        runs: [RunRecord],
        cursor: TaskCursor? = nil,
        deletedRunIds: [String] = [],
        observedAt: String
    ) {
        self.source = source
        self.runs = runs
        self.cursor = cursor
        self.deletedRunIds = deletedRunIds
        self.observedAt = observedAt
    }

    /// The task a listed run without `actorTaskId` belongs to: the task whose list it came from, or
    /// none (empty) when it came from an Actor's or the account's list.
    var listedTaskId: String {
        if case .task(let id) = source { return id }
        return ""
    }
}
