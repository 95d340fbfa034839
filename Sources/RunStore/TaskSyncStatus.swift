/// One task's line in `apify-runs-sync status`.
package struct TaskSyncStatus: Sendable, Equatable, Codable {
    package var taskId: String
    package var cursor: TaskCursor
    package var lastSuccessAt: String?
    package var lastError: String?
    package var lastErrorAt: String?
    package var consecutiveFailures: Int
    package var backfillCompletedAt: String?
    package var runsStored: Int
    package var unfinishedRuns: Int
    package var deletedRuns: Int
    /// The `username~task-name` the configuration last named the task by, if it used one.
    package var taskName: String?
}
