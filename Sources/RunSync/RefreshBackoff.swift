import RunStore
import Synchronization

/// How often a tracked run that the unfinished-runs query does not list is asked for by itself.
///
/// Such a run has finished (and is then refreshed once), or it carries a status the daemon does not
/// know, or the API leaves it out of filtered lists. A run whose status did not move when last asked
/// is skipped for twice as many passes as before, up to `maximumSkippedPasses`; any move starts
/// over. Kept in memory: a restart asks for each once more.
final class RefreshBackoff: Sendable {
    static let maximumSkippedPasses = 16

    private struct Entry {
        var status: String
        var skip: Int
        var wait: Int
    }

    private let entries = Mutex<[String: [String: Entry]]>([:])

    /// The runs to ask for in this pass.
    func due(_ runs: [UnfinishedRun], of taskId: String) -> [UnfinishedRun] {
        entries.withLock { all in
            var task = all[taskId] ?? [:]
            defer { all[taskId] = task.isEmpty ? nil : task }
            let tracked = Set(runs.map(\.id))
            task = task.filter { tracked.contains($0.key) }
            return runs.filter { run in
                guard var entry = task[run.id], entry.status == run.status, entry.skip > 0 else { return true }
                entry.skip -= 1
                task[run.id] = entry
                return false
            }
        }
    }

    /// Records what asking for `run` found: its status now, or nil when it is gone.
    func refreshed(_ run: UnfinishedRun, now status: String?, of taskId: String) {
        entries.withLock { all in
            guard let status, status == run.status else {
                all[taskId]?[run.id] = nil
                return
            }
            let wait = min(Self.maximumSkippedPasses, max(1, (all[taskId]?[run.id]?.wait ?? 0) * 2))
            all[taskId, default: [:]][run.id] = Entry(status: status, skip: wait, wait: wait)
        }
    }
}
