import RunModel

/// One source's line in `apify-runs-sync status`.
package struct SourceSyncStatus: Sendable, Equatable {
    package var source: RunSource
    package var cursor: TaskCursor
    package var lastSuccessAt: String?
    package var lastError: String?
    package var lastErrorAt: String?
    package var consecutiveFailures: Int
    package var backfillCompletedAt: String?
    package var runsStored: Int
    package var unfinishedRuns: Int
    package var deletedRuns: Int
    /// The task's or Actor's `username~name`, when known.
    package var name: String?
    /// When a discovery found the task gone upstream (it is no longer polled; its runs stay).
    package var removedAt: String?
}
