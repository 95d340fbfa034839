import RunModel
import SQLiteCore

/// How a write changed the number of live stored runs of each source, applied to
/// `sync_state.live_runs` in the same transaction (docs/sync.md, "The count check").
///
/// A run counts for every source that lists it: the account, its task and its Actor. Counted per
/// (task, Actor) pair while the batch is written, which costs one hash per run, and spread over the
/// sources at the end. Only sources with a state row are kept: a source's row is created with a
/// count of the runs already stored (`RunStore.ensureState`), and kept from then on.
struct LiveDelta {
    private struct Owner: Hashable {
        var taskId: String
        var actId: String?
    }

    private var counts: [Owner: Int] = [:]

    mutating func add(_ count: Int, taskId: String, actId: String?) {
        counts[Owner(taskId: taskId, actId: actId), default: 0] += count
    }

    /// Adds the changes to the sources' `live_runs`.
    func apply(in db: Database) throws {
        var perSource: [RunSource: Int] = [:]
        for (owner, count) in counts where count != 0 {
            for source in SourceScope.sources(taskId: owner.taskId, actId: owner.actId) {
                perSource[source, default: 0] += count
            }
        }
        guard !perSource.isEmpty else { return }
        let update = try db.cachedStatement(
            "UPDATE sync_state SET live_runs = live_runs + ?3 WHERE source_kind = ?1 AND source_id = ?2"
        )
        for (source, count) in perSource where count != 0 {
            try update.reset()
            try update.bind([.text(source.kind.rawValue), .text(source.id), .integer(Int64(count))])
            try update.run()
        }
        try update.reset()
    }
}
