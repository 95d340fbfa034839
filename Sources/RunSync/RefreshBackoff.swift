import RunModel
import RunStore
import Synchronization

/// How often a tracked run in a status the daemon does not know is asked for by itself.
///
/// Such a run never shows in the unfinished-runs query (its filter names the known statuses), so
/// without a backoff it would cost a request on every pass for as long as it keeps that status. A
/// run whose unknown status did not move when last asked is skipped for twice as many passes as
/// before, up to `maximumSkippedPasses`; any move starts over. Runs in a known unfinished status
/// that left the query have most likely finished: they are always asked for. Kept in memory: a
/// restart asks for each once more.
final class RefreshBackoff: Sendable {
    static let maximumSkippedPasses = 16
    private static let known = Set(RunStatus.unfinished)

    private struct Entry {
        var status: String
        var skip: Int
        var wait: Int
    }

    private let entries = Mutex<[RunSource: [String: Entry]]>([:])

    /// The runs to ask for in this pass.
    func due(_ runs: [UnfinishedRun], of source: RunSource) -> [UnfinishedRun] {
        entries.withLock { all in
            var task = all[source] ?? [:]
            defer { all[source] = task.isEmpty ? nil : task }
            let tracked = Set(runs.map(\.id))
            task = task.filter { tracked.contains($0.key) }
            return runs.filter { run in
                guard !Self.known.contains(run.status), var entry = task[run.id], entry.status == run.status,
                    entry.skip > 0
                else { return true }
                entry.skip -= 1
                task[run.id] = entry
                return false
            }
        }
    }

    /// Records what asking for `run` found: its status now, or nil when it is gone.
    func refreshed(_ run: UnfinishedRun, now status: String?, of source: RunSource) {
        entries.withLock { all in
            guard let status, status == run.status, !Self.known.contains(status) else {
                all[source]?[run.id] = nil
                return
            }
            let wait = min(Self.maximumSkippedPasses, max(1, (all[source]?[run.id]?.wait ?? 0) * 2))
            all[source, default: [:]][run.id] = Entry(status: status, skip: wait, wait: wait)
        }
    }
}
