import Synchronization

/// When the count check reads the head of a task's list even though the counts agree.
///
/// Retention deleting k runs and k runs missed below the forward read (late inserts) leave the API's
/// `total` and the stored count equal: only the oldest listed run tells the deletions apart. Reading
/// it on every pass would make an idle pass cost three requests instead of two, so it is read on the
/// first pass of each task after a start, on the pass after a check that found deletions (retention
/// tends to go on: the runs it deletes after this pass's check are marked by the next), and otherwise
/// every `period` passes; any pass whose counts differ reads it anyway. A missed run masked that way
/// is found within `period` passes of the last deletion.
package final class HeadCheckSchedule: Sendable {
    package static let period = 10

    private let passesSinceCheck = Mutex<[String: Int]>([:])

    /// Counts a pass of `taskId`; true when its head is due to be read.
    func due(_ taskId: String) -> Bool {
        passesSinceCheck.withLock { passes in
            let count = passes[taskId] ?? Self.period
            passes[taskId] = count + 1
            return count >= Self.period
        }
    }

    /// Records that the head of `taskId` was just read, and whether stored runs were found deleted.
    func checked(_ taskId: String, foundDeletions: Bool) {
        passesSinceCheck.withLock { $0[taskId] = foundDeletions ? Self.period : 1 }
    }
}
