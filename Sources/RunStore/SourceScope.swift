import RunModel
import SQLiteCore

/// Which stored runs a source lists (`RunSource.membership`), as SQL: a task's runs (`task_id`), an
/// Actor's (`act_id`), or all of them. Conditions use `?1` for the source's ID, so that a query adds its
/// own parameters from `?2` on, and each kind's text is fixed (the statement cache keys on it).
enum SourceScope {
    /// The condition on `runs` (unqualified columns).
    static func condition(_ source: RunSource) -> String {
        switch source.membership {
        case .task: "task_id = ?1"
        case .actor: "act_id = ?1"
        // Always true: the list holds every run (the account's).
        case .all: "?1 = ''"
        }
    }

    /// The partial index of the source's unfinished runs, to pin with `INDEXED BY`.
    static func unfinishedIndex(_ source: RunSource) -> String {
        switch source.membership {
        case .task, .all: "runs_unfinished"
        case .actor: "runs_unfinished_actor"
        }
    }

    /// `?1`'s value.
    static func parameter(_ source: RunSource) -> SQLiteValue { .text(source.id) }
}
