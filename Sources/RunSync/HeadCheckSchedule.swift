import RunModel
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

    private let passesSinceCheck = Mutex<[RunSource: Int]>([:])

    /// Counts a pass of `source`; true when its head is due to be read.
    func due(_ source: RunSource) -> Bool {
        passesSinceCheck.withLock { passes in
            let count = passes[source] ?? Self.period
            passes[source] = count + 1
            return count >= Self.period
        }
    }

    /// Records that the head of `source` was just read, and whether stored runs were found deleted.
    func checked(_ source: RunSource, foundDeletions: Bool) {
        passesSinceCheck.withLock { $0[source] = foundDeletions ? Self.period : 1 }
    }
}
