import ArgumentParser
import Daemon
import Foundation
import Logging
import RunModel

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
        // The health checks on what the passes stored; then every event, to every sink, tried once
        // (retries wait for the next run).
        await context.health.check()
        await context.alerts.drain()
        await context.close()
        withExtendedLifetime(lock) {}
        // The closing summary: plain lines for a person, or log events when the output is JSON lines
        // (nothing else may be written then).
        var summary: [(text: String, metadata: Logger.Metadata)] = []
        if let discoveryError {
            summary.append(
                (
                    "discovering the account's tasks failed: \(discoveryError)",
                    ["event": "discovery_error", "error": "\(discoveryError)"]
                )
            )
        }
        for failure in failures {
            let (key, value) = failure.source.logField
            summary.append(
                ("\(failure.source) failed: \(failure.underlying)", ["event": "pass_failed", key: "\(value)"])
            )
        }
        for line in summary {
            if options.logFormat == .json {
                logger.error(
                    "pass failed",
                    metadata: line.metadata.merging(["summary": "\(line.text)"]) { old, _ in old }
                )
            } else {
                FileHandle.standardError.write(Data("apify-runs-sync: \(line.text)\n".utf8))
            }
        }
        if !failures.isEmpty || discoveryError != nil { throw ExitCode(ExitStatus.failure) }
    }
}
