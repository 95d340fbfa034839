import ArgumentParser
import Foundation
import RunModel
import RunsSyncService

/// `apify-runs-sync once`: one pass over every source (the account's tasks discovered first, when
/// `allTasks` is on).
struct Once: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Sync every source once, then exit: 0 if every source synced, 1 otherwise."
    )

    @OptionGroup var options: CommonOptions

    func run() async throws {
        let logger = options.bootstrapLogging()
        let (configuration, token) = try options.loadConfigurationAndToken(logger: logger)
        let (lock, context) = try openContext(configuration, token: token, logger: logger)
        var references = configuration.polledSources.map(\.reference)
        var discoveryError: (any Error)?
        if configuration.allTasks {
            do {
                references += try await context.runner.directory.discoverTasks(besides: references).map(
                    RunSource.task
                )
            } catch {
                discoveryError = error
            }
        }
        let failures = await context.runner.passOverAll(references, concurrency: configuration.maxConcurrentTasks)
        do {
            try await context.runner.directory.refreshNames()
        } catch {
            // Names are for reading the database; a failed lookup fails nothing.
            logger.warning(
                "looking up task and Actor names failed",
                metadata: ["event": "names_error", "error": "\(error)"]
            )
        }
        await context.close()
        withExtendedLifetime(lock) {}
        if let discoveryError {
            FileHandle.standardError.write(
                Data("apify-runs-sync: discovering the account's tasks failed: \(discoveryError)\n".utf8)
            )
        }
        for failure in failures {
            FileHandle.standardError.write(
                Data("apify-runs-sync: \(failure.source) failed: \(failure.underlying)\n".utf8)
            )
        }
        if !failures.isEmpty || discoveryError != nil { throw ExitCode(ExitStatus.failure) }
    }
}
