import ApifyAPI
import ApifySimulator
import ArgumentParser
import Daemon
import Foundation
import Logging
import ServiceLifecycle

/// `apify-runs-sync demo`: the daemon against the built-in simulator; no Apify account needed.
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the daemon against a built-in simulated Apify API, writing ./demo.db. No account needed."
    )

    @Option(help: "The database to write.") var database = "demo.db"
    @Option(help: "Seconds between passes.") var interval: Double = 2
    @Option(help: "Stop after this many seconds (default: run until Ctrl-C).") var duration: Double?
    @Option(help: "How many simulated tasks.") var tasks = 3
    @Option(help: "trace, debug, info, notice, warning, error or critical.") var logLevel: Logger.Level = .info
    @Option(help: "text (key=value) or json.") var logFormat: LineLogHandler.Format = .text
    @Option(help: "Serve Prometheus metrics at http://HOST:PORT/metrics, e.g. 127.0.0.1:9464.")
    var metricsListen: String?

    func validate() throws {
        do {
            _ = try metricsListen.map(ListenAddress.parse)
        } catch {
            throw ValidationError("--metrics-listen \(error.message)")
        }
    }

    func run() async throws {
        let journal = LineLogHandler.stderrIsJournal()
        let (format, level) = (logFormat, logLevel)
        LoggingSystem.bootstrap { _ in LineLogHandler(format: format, level: level, toJournal: journal) }
        let logger = Logger(label: "apify-runs-sync")
        let token = "demo-\(UUID().uuidString)"
        let simulator = try await ApifySimulator.start(token: token, seed: UInt64(Date().timeIntervalSince1970))
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let (taskNames, actorName) = simulator.withWorld { world in
            let actor = world.seedDemo(taskCount: tasks, historyPerTask: 40, nowMs: now)
            return (world.tasks.values.map(\.qualifiedName).sorted(), world.actors[actor]!.qualifiedName)
        }
        let path = (database as NSString).expandingTildeInPath
        var configuration = Configuration(
            path: "(demo)",
            apiBaseUrl: simulator.baseURL,
            database: path,
            pollIntervalSeconds: interval,
            tasks: taskNames.map { Configuration.SourceEntry(id: $0) }
        )
        // The three kinds of source together: the tasks by name, an Actor run without a task, and
        // the whole account (which lists both again: each run is still stored once).
        configuration.actors = [Configuration.SourceEntry(id: actorName)]
        configuration.account = true
        configuration.metricsListen = try metricsListen.map(ListenAddress.parse)
        let banner = """
            apify-runs-sync demo: a simulated Apify API at \(simulator.baseURL) with \(tasks) tasks and an Actor run
            without a task (\(actorName)), whose runs start, finish, fail and time out as time passes; the daemon
            polls the tasks, the Actor and the whole account every \(interval) s and writes \(path).
            Failures are logged at error level as they happen. Query the database while it runs:
              sqlite3 \(path) 'SELECT run_id, coalesce(task_name, actor_name), status, finished_at FROM recent_failures LIMIT 10'
              sqlite3 \(path) 'SELECT * FROM daily_run_counts'
            Stop with Ctrl-C.

            """
        FileHandle.standardError.write(Data(banner.utf8))
        let metrics = makeMetricsEndpoint(configuration)
        let (lock, context) = try openContext(
            configuration,
            token: APIToken(secret: token, source: "the demo"),
            logger: logger,
            metrics: metrics?.metrics
        )
        var companions: [any Service] = [
            DemoWorldTicker(simulator: simulator, stopAfter: duration.map { .milliseconds(Int64($0 * 1000)) })
        ]
        if let metrics, let address = configuration.metricsListen {
            companions.append(try await serveMetrics(metrics, on: address, context: context, logger: logger))
        }
        try await runDaemon(context: context, logger: logger, companions: companions)
        try await simulator.stop()
        withExtendedLifetime(lock) {}
        FileHandle.standardError.write(Data("demo stopped; the database \(path) stays for you to query.\n".utf8))
    }
}
