import ApifyAPI
import ArgumentParser
import AsyncHTTPClient
import Foundation
import Logging
import RunsSyncService

/// `apify-runs-sync check-config`: the configuration, the token and every task, checked.
struct CheckConfig: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate the configuration, the token and that every task exists (one request each)."
    )

    @OptionGroup var options: CommonOptions

    func run() async throws {
        let logger = options.bootstrapLogging()
        let (configuration, token) = try options.loadConfigurationAndToken(logger: logger)
        print(
            "configuration \(configuration.path): valid, \(configuration.tasks.count) task(s), token from \(token.source)"
        )
        var ok = checkDatabaseDirectory(configuration.database)
        // A check answers quickly: at most two retries, whatever the daemon's own setting.
        let (http, client) = configuration.makeClient(
            token: token,
            logger: logger,
            maxRetries: min(configuration.maxRetries, 2)
        )
        for task in configuration.tasks {
            do {
                let id = try await client.taskID(of: task.id)
                print("task \(task.id): ok" + (id == task.id ? "" : " (ID \(id))"))
            } catch {
                print("task \(task.id): FAILED: \(error)")
                ok = false
                if case ApifyError.unauthorized = error { break }
            }
        }
        try? await http.shutdown()
        if !ok { throw ExitCode(ExitStatus.failure) }
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
