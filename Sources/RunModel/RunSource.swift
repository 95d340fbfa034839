/// A list of runs on the Apify API that the daemon keeps a copy of: one task's runs, one Actor's
/// (whether started through a task or directly), or every run of the account.
///
/// A source is known by its resolved ID, never by the spelling a configuration used
/// (`username~task-name` is resolved to the task's ID before a source is made). Sources overlap:
/// a task's run is also its Actor's and the account's. The store keeps each run once, whichever
/// source listed it, and each source keeps its own cursor and sync state (docs/sync.md, "Sources").
package enum RunSource: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// `GET /v2/actor-tasks/:id/runs`.
    case task(String)
    /// `GET /v2/actors/:id/runs`.
    case actor(String)
    /// `GET /v2/actor-runs`.
    case account

    /// The kinds, as `sync_state.source_kind` spells them.
    package enum Kind: String, Sendable, CaseIterable {
        case task, actor, account

        /// Which runs a list of this kind holds.
        package var membership: Membership {
            switch self {
            case .task: .task
            case .actor: .actor
            case .account: .all
            }
        }
    }

    package var kind: Kind {
        switch self {
        case .task: .task
        case .actor: .actor
        case .account: .account
        }
    }

    /// The task's or Actor's ID; empty for the account.
    package var id: String {
        switch self {
        case .task(let id), .actor(let id): id
        case .account: ""
        }
    }

    package init?(kind: String, id: String) {
        switch Kind(rawValue: kind) {
        case .task?: self = .task(id)
        case .actor?: self = .actor(id)
        case .account?: self = .account
        case nil: return nil
        }
    }

    /// Which runs a list holds, told by the runs' own fields: what the store counts, refreshes and
    /// marks as this source's runs.
    package enum Membership: Sendable {
        /// Runs whose task (`actorTaskId`) is the source's ID.
        case task
        /// Runs whose Actor (`actId`) is the source's ID.
        case actor
        /// Every run.
        case all
    }

    package var membership: Membership { kind.membership }

    /// Whether the list takes `startedAfter`, which the daemon's keyset cursor reads it by
    /// (docs/sync.md, "Two cursors"). The task list's documented parameters have no time filter.
    package var acceptsStartedAfter: Bool { kind != .task }

    /// `task XYZ`, `actor XYZ` or `account`, for messages.
    package var description: String {
        switch self {
        case .task(let id): "task \(id)"
        case .actor(let id): "actor \(id)"
        case .account: "account"
        }
    }

    /// The log metadata key naming the source, and its value: `task=…`, `actor=…` or `source=account`.
    package var logField: (key: String, value: String) {
        switch self {
        case .task(let id): ("task", id)
        case .actor(let id): ("actor", id)
        case .account: ("source", "account")
        }
    }

    package static func < (left: RunSource, right: RunSource) -> Bool {
        (left.kindOrder, left.id) < (right.kindOrder, right.id)
    }

    private var kindOrder: Int {
        switch self {
        case .task: 0
        case .actor: 1
        case .account: 2
        }
    }
}
