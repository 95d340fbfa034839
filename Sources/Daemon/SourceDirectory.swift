import ApifyAPI
import Foundation
import Logging
import RunModel
import RunStore
import RunSync

/// The ID of each configured source, whatever the configuration calls it, and the account's tasks
/// when `allTasks` is on.
///
/// A `username~name` is resolved with `GET /v2/actor-tasks/:ref` or `GET /v2/actors/:ref` before its
/// first pass (once per start, and again after the API answers 404 for the ID, since the task may
/// have been replaced); for a task, what older releases stored under that spelling moves to the ID.
/// Cursors, stored runs and unfinished sets are keyed by the ID: renaming a task or an Actor
/// upstream, or switching the configuration between the ID and the name, loses nothing. Entries that
/// resolve to one source, a listed task that discovery also finds among them, poll it once.
package actor SourceDirectory {
    private let client: any RunListing
    private let store: RunStore
    private let logger: Logger
    private let now: @Sendable () -> Date
    private var ids: [RunSource: RunSource] = [:]
    /// The entry that polls each source: the first one resolved to it.
    private var owners: [RunSource: RunSource] = [:]
    private var warnedDuplicates: Set<RunSource> = []

    package init(
        client: any RunListing,
        store: RunStore,
        logger: Logger,
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.client = client
        self.store = store
        self.logger = logger
        self.now = now
    }

    /// The source a configured reference names, or nil when another entry names the same source
    /// (which then polls it).
    package func resolve(_ reference: RunSource) async throws -> RunSource? {
        let source: RunSource
        if let known = ids[reference] {
            source = known
        } else {
            source = try await lookUp(reference)
            ids[reference] = source
        }
        let owner = owners[source, default: reference]
        owners[source] = owner
        guard owner == reference else {
            if warnedDuplicates.insert(reference).inserted {
                let kind = source.kind.rawValue
                logger.warning(
                    "two configured \(kind)s are one \(kind); polling it once",
                    metadata: [
                        "event": "\(kind)_duplicate", "\(kind)": "\(source.id)", "\(kind)_ref": "\(reference.id)",
                        "polled_as": "\(owner.id)",
                    ]
                )
            }
            return nil
        }
        return source
    }

    /// Starts a new set of poll loops (at start, and after a reload): who polls which source is
    /// decided again, in the order the loops first ask, so that a source no longer configured under
    /// one spelling can be polled under another.
    package func beginGeneration() {
        owners = [:]
        warnedDuplicates = []
    }

    /// A loop over `reference` has ended: another entry naming the same source may poll it now.
    package func release(_ reference: RunSource) {
        for (source, owner) in owners where owner == reference { owners[source] = nil }
    }

    /// Forgets what `reference` resolved to, after the API answered 404 for it.
    package func forget(_ reference: RunSource) {
        guard let source = ids.removeValue(forKey: reference), reference != source else { return }
        if owners[source] == reference { owners[source] = nil }
    }

    private func lookUp(_ reference: RunSource) async throws -> RunSource {
        let time = ISOTimestamp.string(from: now())
        switch reference {
        case .account:
            return .account
        case .task(let spelling) where spelling.contains("~"):
            let task = try await client.task(spelling)
            let moved = try await store.adoptTask(spelling: spelling, as: task.id, at: time)
            if let name = task.qualifiedName { try await store.setName(name, of: .task(task.id), at: time) }
            logger.info(
                "task name resolved",
                metadata: [
                    "event": "task_resolved", "task": "\(task.id)", "task_ref": "\(spelling)",
                    "runs_moved": .stringConvertible(moved),
                ]
            )
            return .task(task.id)
        case .actor(let spelling) where spelling.contains("~"):
            let actor = try await client.actor(spelling)
            try await store.setName(actor.qualifiedName ?? spelling, of: .actor(actor.id), at: time)
            logger.info(
                "actor name resolved",
                metadata: ["event": "actor_resolved", "actor": "\(actor.id)", "actor_ref": "\(spelling)"]
            )
            return .actor(actor.id)
        case .task, .actor:
            return reference
        }
    }

    // MARK: Discovery

    /// Lists the account's tasks (`GET /v2/actor-tasks`, every page) and records what changed: a task
    /// seen for the first time, or again after it was gone, is logged `task_discovered`; a task the
    /// store knows that is no longer listed is marked gone and logged `task_gone`. Each is logged
    /// once, across restarts (the store remembers). Returns the tasks listed now, oldest first,
    /// but those a configured entry polls already (`configured`, resolved here if need be).
    package func discoverTasks(besides configured: [RunSource]) async throws -> [String] {
        let time = ISOTimestamp.string(from: now())
        var listed: [ResourceSummary] = []
        var offset = 0
        var seen = Set<String>()
        while true {
            let page = try await client.tasks(offset: offset, limit: ApifyClient.maximumPageSize)
            let fresh = page.items.filter { seen.insert($0.id).inserted }
            listed += fresh
            offset += page.items.count
            // Ends on an empty page or a page that reaches the total; a page of runs already listed
            // (an API ignoring the offset) must not loop.
            if page.items.isEmpty || fresh.isEmpty || page.total.map({ offset >= $0 }) == true { break }
        }
        let known = Dictionary(try await store.discoveredTasks().map { ($0.taskId, $0.removed) }) { first, _ in first }
        for task in listed {
            if let name = task.qualifiedName { try await store.setName(name, of: .task(task.id), at: time) }
            guard known[task.id] != false else { continue }
            try await store.setRemoved(nil, task: task.id, at: time)
            logger.info(
                "task discovered",
                metadata: [
                    "event": "task_discovered", "task": "\(task.id)", "task_name": "\(task.qualifiedName ?? "")",
                ]
            )
        }
        for (taskId, removed) in known.sorted(by: { $0.key < $1.key }) where !removed && !seen.contains(taskId) {
            guard try await store.setRemoved(time, task: taskId, at: time) else { continue }
            logger.notice(
                "task gone upstream; no longer polled, its runs stay",
                metadata: ["event": "task_gone", "task": "\(taskId)"]
            )
        }
        var polled = Set<RunSource>()
        for reference in configured {
            // An entry that cannot be resolved now polls nothing; its own pass reports why.
            var source = ids[reference]
            if source == nil { source = try? await lookUp(reference) }
            if let source {
                ids[reference] = source
                polled.insert(source)
            }
        }
        return listed.map(\.id).filter { !polled.contains(.task($0)) }
    }

    // MARK: Names

    /// Looks up, at most `limit` at a time, the `username~name` of the tasks and Actors stored runs
    /// belong to whose name is unknown or a day old (`GET /v2/actor-tasks/:id`, `GET /v2/actors/:id`),
    /// for `status` and the views. A task or Actor the API no longer knows (404) is recorded without a
    /// name, and asked again a day later. Returns how many were looked up.
    @discardableResult
    package func refreshNames(limit: Int = 100) async throws -> Int {
        let date = now()
        let time = ISOTimestamp.string(from: date)
        let dayAgo = ISOTimestamp.string(from: date.addingTimeInterval(-86_400))
        let due = try await store.unnamed(refreshedBefore: dayAgo, limit: limit)
        for source in due {
            let name: String
            do {
                switch source {
                case .task(let id): name = try await client.task(id).qualifiedName ?? ""
                case .actor(let id): name = try await client.actor(id).qualifiedName ?? ""
                case .account: continue
                }
            } catch ApifyError.taskNotFound, ApifyError.actorNotFound, ApifyError.forbidden {
                name = ""
            }
            try await store.setName(name, of: source, at: time)
        }
        return due.count
    }
}
