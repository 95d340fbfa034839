/// Where the incremental read of one task's ascending run list stands (docs/sync.md, "State").
///
/// `anchorStartedAt` is the watermark: every run listed with an earlier `startedAt` has been stored.
/// `nextOffset` is where the runs started at that instant began in the last page read (every run at
/// a lower offset had been stored), and `anchorRunId` one of them.
package struct TaskCursor: Sendable, Equatable, Codable {
    package var nextOffset: Int
    package var anchorRunId: String?
    package var anchorStartedAt: String?

    package init(nextOffset: Int, anchorRunId: String?, anchorStartedAt: String?) {
        self.nextOffset = nextOffset
        self.anchorRunId = anchorRunId
        self.anchorStartedAt = anchorStartedAt
    }

    /// The cursor of a task never read.
    package static let start = TaskCursor(nextOffset: 0, anchorRunId: nil, anchorStartedAt: nil)
}
