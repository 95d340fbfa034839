import ApifyAPI
import Foundation
import Logging
import RunStore
import RunSync

/// The ID of each configured task, whatever the configuration calls it.
///
/// A `username~task-name` is resolved with `GET /v2/actor-tasks/:ref` before its first pass (once per
/// start, and again after the API answers 404 for the ID, since the task may have been replaced), and
/// what was stored under that spelling moves to the ID. The cursor, the stored runs and the
/// unfinished set are then keyed by the ID: renaming a task upstream, or switching the configuration
/// between the ID and the name, loses nothing. Two entries that resolve to one task poll it once.
package actor TaskDirectory {
    private let client: ApifyClient
    private let store: RunStore
    private let logger: Logger
    private var ids: [String: String] = [:]
    /// The entry that polls each task ID: the first one resolved to it.
    private var owners: [String: String] = [:]
    private var warnedDuplicates: Set<String> = []

    package init(client: ApifyClient, store: RunStore, logger: Logger) {
        self.client = client
        self.store = store
        self.logger = logger
    }

    /// A configured task's ID, or nil when another entry names the same task (which then polls it).
    package func id(of reference: String) async throws -> String? {
        let id: String
        if let known = ids[reference] {
            id = known
        } else if reference.contains("~") {
            id = try await client.taskID(of: reference)
            let moved = try await store.adoptTask(
                spelling: reference,
                as: id,
                at: Timestamp.string(from: Date())
            )
            ids[reference] = id
            logger.info(
                "task name resolved",
                metadata: [
                    "event": "task_resolved", "task": "\(id)", "task_ref": "\(reference)",
                    "runs_moved": "\(moved)",
                ]
            )
        } else {
            id = reference
            ids[reference] = id
        }
        let owner = owners[id, default: reference]
        owners[id] = owner
        guard owner == reference else {
            if warnedDuplicates.insert(reference).inserted {
                logger.warning(
                    "two configured tasks are one task; polling it once",
                    metadata: [
                        "event": "task_duplicate", "task": "\(id)", "task_ref": "\(reference)", "polled_as": "\(owner)",
                    ]
                )
            }
            return nil
        }
        return id
    }

    /// Forgets what `reference` resolved to, after the API answered 404 for it.
    package func forget(_ reference: String) {
        guard let id = ids.removeValue(forKey: reference), reference != id else { return }
        if owners[id] == reference { owners[id] = nil }
    }
}
