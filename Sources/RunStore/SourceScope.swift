import RunModel
import SQLiteCore

/// Which stored runs a source lists, as SQL: a task's runs (`task_id`), an Actor's (`act_id`), or
/// all of them for the account. Conditions use `?1` for the source's ID, so that a query adds its
/// own parameters from `?2` on, and each kind's text is fixed (the statement cache keys on it).
enum SourceScope {
    /// The condition on `runs` (unqualified columns).
    static func condition(_ source: RunSource) -> String {
        switch source {
        case .task: "task_id = ?1"
        case .actor: "act_id = ?1"
        // Always true: the account's list holds every run of the account.
        case .account: "?1 = ''"
        }
    }

    /// The partial index of the source's unfinished runs, to pin with `INDEXED BY`.
    static func unfinishedIndex(_ source: RunSource) -> String {
        switch source {
        case .task, .account: "runs_unfinished"
        case .actor: "runs_unfinished_actor"
        }
    }

    /// `?1`'s value.
    static func parameter(_ source: RunSource) -> SQLiteValue { .text(source.id) }

    /// The sources a run with this task and Actor is listed by: the account, its task, its Actor.
    static func sources(taskId: String?, actId: String?) -> [RunSource] {
        var sources: [RunSource] = [.account]
        if let taskId, !taskId.isEmpty { sources.append(.task(taskId)) }
        if let actId, !actId.isEmpty { sources.append(.actor(actId)) }
        return sources
    }
}
