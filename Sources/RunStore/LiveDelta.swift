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

    /// Adds the changes to the sources' `live_runs`: each kind of source by what its lists hold
    /// (`RunSource.Membership`), so that a new kind of list needs no change here.
    func apply(in db: Database) throws(SQLiteError) {
        var all = 0
        var byTask: [String: Int] = [:]
        var byActor: [String: Int] = [:]
        for (owner, count) in counts where count != 0 {
            all += count
            if !owner.taskId.isEmpty { byTask[owner.taskId, default: 0] += count }
            if let actId = owner.actId, !actId.isEmpty { byActor[actId, default: 0] += count }
        }
        let one = try db.cachedStatement(
            "UPDATE sync_state SET live_runs = live_runs + ?3 WHERE source_kind = ?1 AND source_id = ?2"
        )
        let every = try db.cachedStatement("UPDATE sync_state SET live_runs = live_runs + ?2 WHERE source_kind = ?1")
        for kind in RunSource.Kind.allCases {
            switch kind.membership {
            case .all where all != 0:
                try every.reset()
                try every.bind([.text(kind.rawValue), .integer(Int64(all))])
                try every.run()
            case .all: break
            case .task, .actor:
                for (id, count) in kind.membership == .task ? byTask : byActor where count != 0 {
                    try one.reset()
                    try one.bind([.text(kind.rawValue), .text(id), .integer(Int64(count))])
                    try one.run()
                }
            }
        }
        try one.reset()
        try every.reset()
    }
}
