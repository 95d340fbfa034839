import ArgumentParser
import AsyncHTTPClient
import Daemon
import Foundation
import RunModel

/// `apify-runs-sync test-alert`: a synthetic `run_failed` through every configured sink.
struct TestAlert: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test-alert",
        abstract: "Send a test run_failed alert through every configured sink: 0 if each took it, 1 otherwise.",
        discussion: """
            The event (run ID TEST-ALERT, event ID 0) goes to the journal and to each sink of \
            "alerts.sinks" once, whatever the sink's filters, without retries; nothing is written to \
            the database and the Apify API is not called.
            """
    )

    @OptionGroup var options: CommonOptions

    func run() async throws {
        let logger = options.bootstrapLogging()
        let configuration = try options.loadConfiguration(logger: logger)
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        let sinks: [any AlertSink]
        do {
            sinks = try configuration.makeSinks(http: http, logger: logger)
        } catch {
            try? await http.shutdown()
            logger.critical("invalid configuration", metadata: ["event": "config_error", "error": "\(error)"])
            throw ExitCode(ExitStatus.configuration)
        }
        let task = configuration.tasks.first?.id
        let results = await AlertDispatcher.sendTest(to: sinks, task: task, at: Date())
        try? await http.shutdown()
        var failed = false
        for (sink, outcome) in results {
            switch outcome {
            case .delivered: print("\(sink): delivered")
            case .failed(let reason):
                print("\(sink): FAILED: \(reason)")
                failed = true
            }
        }
        if failed { throw ExitCode(ExitStatus.failure) }
    }
}
