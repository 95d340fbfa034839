/// Where the incremental read of one task's ascending run list stands.
///
/// Every run at an offset below `nextOffset` has been stored; the run at `nextOffset - 1` is the
/// anchor, by which the engine verifies on the next read that offsets have not shifted.
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
