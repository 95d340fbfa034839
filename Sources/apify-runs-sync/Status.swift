import ArgumentParser
import Foundation
import RunStore
import RunsSyncService

/// `apify-runs-sync status`: per-task figures from the database alone (read-only).
struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show each task's sync state, from the database alone.")

    @OptionGroup var options: CommonOptions

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func run() async throws {
        let logger = options.bootstrapLogging()
        let configuration = try options.loadConfiguration(logger: logger)
        let stored: [TaskSyncStatus]
        do {
            stored = try RunStore.readStatuses(path: configuration.database)
        } catch {
            logger.critical("cannot read the database", metadata: ["event": "database_error", "error": "\(error)"])
            // A file that is not ours or not a database is the configuration's fault (EX_CONFIG).
            throw ExitCode(error is RunStoreError ? ExitStatus.configuration : ExitStatus.failure)
        }
        // A task named `username~task-name` is stored under its ID, with the name kept beside it.
        var byTask = Dictionary(stored.map { ($0.taskId, $0) }, uniquingKeysWith: { first, _ in first })
        for status in stored { if let name = status.taskName { byTask[name] = byTask[name] ?? status } }
        let configured = configuration.tasks.map(\.id)
        let shown = Set(configured.compactMap { byTask[$0]?.taskId })
        let rows: [(task: String, state: TaskSyncStatus?)] =
            configured.map { ($0, byTask[$0]) }
            + stored.filter { !shown.contains($0.taskId) }.map { ($0.taskId, $0) }
        if json {
            let entries = rows.map {
                StatusEntry(task: $0.task, configured: configured.contains($0.task), state: $0.state)
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(entries), as: UTF8.self))
            return
        }
        print("database: \(configuration.database)")
        for (taskId, status) in rows {
            guard let status else {
                print("\(taskId): never synced")
                continue
            }
            var line =
                "\(taskId): \(status.runsStored) runs (\(status.unfinishedRuns) unfinished, \(status.deletedRuns) deleted upstream)"
            line += ", cursor at offset \(status.cursor.nextOffset)"
            if let anchor = status.cursor.anchorRunId { line += " after run \(anchor)" }
            line += ", last success \(status.lastSuccessAt ?? "never")"
            if let error = status.lastError {
                line +=
                    ", failing for \(status.consecutiveFailures) pass(es) since \(status.lastErrorAt ?? "?"): \(error)"
            }
            if taskId != status.taskId { line += " (task \(status.taskId))" }
            if !shown.contains(status.taskId) { line += " (no longer configured)" }
            print(line)
        }
    }
}

/// One task in `status --json`.
struct StatusEntry: Encodable {
    var task: String
    var configured: Bool
    var state: TaskSyncStatus?
}
