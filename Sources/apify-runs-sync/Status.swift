import ArgumentParser
import Daemon
import Foundation
import RunModel
import RunStore

/// `apify-runs-sync status`: per-source figures and open health problems from the database alone
/// (read-only); exits 1 when a source is failing or was never synced, or a problem is open
/// (the Nagios and cron convention), 0 otherwise.
struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show each source's sync state and the open health problems, from the database alone.",
        discussion: """
            Exits 0 when every source syncs and no health problem is open, 1 otherwise: usable as a \
            monitoring check. With --database, reads that file without a configuration.
            """
    )

    @OptionGroup var options: CommonOptions

    @Option(help: "Read this database file instead of the configuration's (no configuration needed).")
    var database: String?

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func run() async throws {
        let logger = options.bootstrapLogging()
        let configuration: Configuration? =
            database == nil ? try options.loadConfiguration(logger: logger) : nil
        let path = database ?? configuration?.database ?? ""
        let stored: [SourceSyncStatus]
        let problems: [HealthProblem]
        do {
            stored = try RunStore.readStatuses(path: path)
            problems = try RunStore.readProblems(path: path)
        } catch {
            logger.critical("cannot read the database", metadata: ["event": "database_error", "error": "\(error)"])
            // A file that is not ours or not a database is the configuration's fault (EX_CONFIG).
            throw ExitCode(error is RunStoreError ? ExitStatus.configuration : ExitStatus.failure)
        }
        // A source named `username~name` is stored under its ID, with the name kept beside it.
        var byReference: [RunSource: SourceSyncStatus] = [:]
        for status in stored {
            byReference[status.source] = status
            if let name = status.name {
                let named: RunSource = status.source.kind == .actor ? .actor(name) : .task(name)
                byReference[named] = byReference[named] ?? status
            }
        }
        let configured = configuration?.polledSources.map(\.reference) ?? []
        let shown = Set(configured.compactMap { byReference[$0]?.source })
        let rows: [Row] =
            configured.map { Row(reference: $0, configured: true, state: byReference[$0]) }
            + stored.filter { !shown.contains($0.source) }.map {
                Row(reference: $0.source, configured: false, state: $0)
            }
        // What the monitoring exit status judges: the configured sources (with --database, every
        // source not gone upstream), synced and not failing, and no open problem.
        let judged = rows.filter { configuration == nil ? $0.state?.removedAt == nil : $0.configured }
        let healthy = judged.allSatisfy { $0.state.map { $0.lastError == nil } ?? false } && problems.isEmpty
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let entries = rows.map { StatusEntry($0, problems: problems) }
            print(String(decoding: try encoder.encode(entries), as: UTF8.self))
        } else {
            print("database: \(path)")
            for row in rows { print(row.line(allTasks: configuration?.allTasks ?? false)) }
            print(problems.isEmpty ? "health: no open problem" : "health: \(problems.count) open problem(s)")
            for problem in problems { print("  " + Self.line(problem)) }
        }
        if !healthy { throw ExitCode(ExitStatus.failure) }
    }

    /// `run_stuck run X (task T, actor A) since …: detail`.
    static func line(_ problem: HealthProblem) -> String {
        let finding = problem.finding
        var about: [String] = []
        if let run = finding.runId { about.append("run \(run)") }
        if let task = finding.taskId, !task.isEmpty { about.append("task \(task)") }
        if let actor = finding.actorId, finding.runId == nil || finding.taskId?.isEmpty != false {
            about.append("actor \(actor)")
        }
        return "\(problem.kind.rawValue) \(about.joined(separator: ", ")) since \(problem.openedAt): \(finding.detail)"
    }

    /// A configured source, or one the database holds state for.
    struct Row {
        var reference: RunSource
        var configured: Bool
        var state: SourceSyncStatus?

        func line(allTasks: Bool) -> String {
            guard let status = state else { return "\(reference): never synced" }
            var line =
                "\(reference): \(status.runsStored) runs (\(status.unfinishedRuns) unfinished, "
                + "\(status.deletedRuns) deleted upstream)"
            if let name = status.name, "\(reference)" != "\(status.source.kind.rawValue) \(name)" {
                line += " [\(name)]"
            }
            line += ", cursor at offset \(status.cursor.nextOffset)"
            if let anchor = status.cursor.anchorRunId { line += " after run \(anchor)" }
            line += ", last success \(status.lastSuccessAt ?? "never")"
            if let error = status.lastError {
                line +=
                    ", failing for \(status.consecutiveFailures) pass(es) since \(status.lastErrorAt ?? "?"): \(error)"
            }
            if reference != status.source { line += " (\(status.source))" }
            if let removed = status.removedAt {
                line += " (gone upstream since \(removed))"
            } else if !configured && !(allTasks && status.source.kind == .task) {
                line += " (no longer configured)"
            }
            return line
        }
    }
}
