import RunModel

/// Runs of one task to store atomically, with the cursor they move the task to.
package struct RunBatch: Sendable {
    package var taskId: String
    package var runs: [RunRecord]
    /// The task's new cursor, written atomically with the runs; nil leaves the stored cursor as it is.
    package var cursor: TaskCursor?
    /// Runs that answered 404: marked deleted (never removed).
    package var deletedRunIds: [String]
    /// `startedAt` spans of pages read whole (first and last dated run): the task's stored live runs
    /// that started strictly inside a span but are not in the batch were deleted upstream.
    package var sweeps: [(first: String, last: String)] = []
    /// The time of the read these runs came from, as ISO-8601 text.
    package var observedAt: String

    package init(
        taskId: String,
        runs: [RunRecord],
        cursor: TaskCursor? = nil,
        deletedRunIds: [String] = [],
        observedAt: String
    ) {
        self.taskId = taskId
        self.runs = runs
        self.cursor = cursor
        self.deletedRunIds = deletedRunIds
        self.observedAt = observedAt
    }
}
