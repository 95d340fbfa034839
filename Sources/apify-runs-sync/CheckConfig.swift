import ApifyAPI
import ArgumentParser
import AsyncHTTPClient
import Foundation
import Logging
import RunsSyncService

/// `apify-runs-sync check-config`: the configuration, the token and every source, checked.
struct CheckConfig: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate the configuration, the token and that every source exists (one request each)."
    )

    @OptionGroup var options: CommonOptions

    func run() async throws {
        let logger = options.bootstrapLogging()
        let (configuration, token) = try options.loadConfigurationAndToken(logger: logger)
        print(
            "configuration \(configuration.path): valid, \(configuration.sourceSummary), token from \(token.source)"
        )
        print("metrics: " + (configuration.metricsListen.map { "served at http://\($0)/metrics" } ?? "off"))
        var ok = checkDatabaseDirectory(configuration.database)
        // A check answers quickly: at most two retries, whatever the daemon's own setting.
        let (http, client) = configuration.makeClient(
            token: token,
            logger: logger,
            maxRetries: min(configuration.maxRetries, 2)
        )
        var checks: [(name: String, check: () async throws -> String?)] = []
        for task in configuration.tasks {
            checks.append(("task \(task.id)", { Self.idNote(try await client.task(task.id).id, for: task.id) }))
        }
        for actor in configuration.actors {
            checks.append(("actor \(actor.id)", { Self.idNote(try await client.actor(actor.id).id, for: actor.id) }))
        }
        if configuration.allTasks {
            checks.append(("allTasks", { "\(try await client.tasks(offset: 0, limit: 1).total ?? 0) task(s) listed" }))
        }
        if configuration.account {
            checks.append(
                ("account", { "\(try await client.listRuns(.account, offset: 0, limit: 1).total ?? 0) run(s) listed" })
            )
        }
        for (name, check) in checks {
            do {
                let detail = try await check()
                print("\(name): ok" + (detail.map { " (\($0))" } ?? ""))
            } catch {
                print("\(name): FAILED: \(error)")
                ok = false
                if case ApifyError.unauthorized = error { break }
            }
        }
        try? await http.shutdown()
        if !ok { throw ExitCode(ExitStatus.failure) }
    }

    /// `ID …` when a reference was a name.
    private static func idNote(_ id: String, for reference: String) -> String? {
        id == reference ? nil : "ID \(id)"
    }

    private func checkDatabaseDirectory(_ database: String) -> Bool {
        let directory = (database as NSString).deletingLastPathComponent
        let target = directory.isEmpty ? "." : directory
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: target, isDirectory: &isDirectory), isDirectory.boolValue else {
            print("database \(database): FAILED: the directory \(target) does not exist")
            return false
        }
        guard FileManager.default.isWritableFile(atPath: target) else {
            print("database \(database): FAILED: the directory \(target) is not writable by this user")
            return false
        }
        print("database \(database): directory writable")
        return true
    }
}
