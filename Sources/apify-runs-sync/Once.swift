import ArgumentParser
import Foundation
import RunsSyncService

/// `apify-runs-sync once`: one pass over every task.
struct Once: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Sync every task once, then exit: 0 if every task synced, 1 otherwise."
    )

    @OptionGroup var options: CommonOptions

    func run() async throws {
        let logger = options.bootstrapLogging()
        let (configuration, token) = try options.loadConfigurationAndToken(logger: logger)
        let (lock, context) = try openContext(configuration, token: token, logger: logger)
        let failures = await context.runner.passOverAll(
            configuration.tasks.map(\.id),
            concurrency: configuration.maxConcurrentTasks
        )
        await context.close()
        withExtendedLifetime(lock) {}
        for failure in failures {
            FileHandle.standardError.write(
                Data("apify-runs-sync: task \(failure.taskId) failed: \(failure.underlying)\n".utf8)
            )
        }
        if !failures.isEmpty { throw ExitCode(ExitStatus.failure) }
    }
}
