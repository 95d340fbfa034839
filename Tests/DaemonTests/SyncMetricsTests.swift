import ApifyAPI
import ApifySimulator
import AsyncHTTPClient
import Daemon
import Foundation
import Logging
import NIOCore
import RunModel
import RunStore
import RunSync
import SQLiteCore
import Synchronization
import TestSupport
import Testing

/// The daemon's metrics against the database they describe: the sync engine driven in-process through
/// a simulated hour, `/metrics` scraped over a real connection and read by a strict parser.
@Suite struct SyncMetricsTests {
    static let token = "apify_api_METRICStestSECRET00000000"

    /// The engine's clock: the simulated world's, moved by the test.
    private final class SimulatedClock: Sendable {
        private let milliseconds = Atomic<Int64>(0)

        var now: Date { Date(timeIntervalSince1970: Double(milliseconds.load(ordering: .relaxed)) / 1000) }

        func set(_ value: Int64) { milliseconds.store(value, ordering: .relaxed) }
    }

    private static let quiet = Logger(label: "metrics-test") { _ in SwiftLogNoOpLogHandler() }

    /// A client over `transport` that retries at once and is not paced, and tells `observer`.
    private static func client(_ transport: any APITransport, observer: SyncMetrics) -> ApifyClient {
        let oneMillisecond = Duration.milliseconds(1)
        return ApifyClient(
            configuration: .init(
                baseURL: "http://in-process.invalid",
                token: APIToken(secret: token, source: "the test"),
                retry: RetryPolicy(
                    maxRetries: 8,
                    baseDelay: oneMillisecond,
                    maximumDelay: oneMillisecond,
                    maximumRetryAfter: oneMillisecond
                ),
                maxRequestsPerSecond: 1e9,
                maxRequestsPerSecondTotal: 1e9
            ),
            transport: transport,
            logger: quiet,
            sleep: { _ in },
            observer: observer
        )
    }

    /// The faults of one tick of the hour (of 120): every transient kind, retried, and two that fail a
    /// pass's unfinished-runs query after its forward read stored what it read: 429s past the retries,
    /// and a 400. At tick 71 the account is not polled and new runs of the Actor are stored by its
    /// failing pass alone.
    private static func injectFaults(atTick tick: Int, into world: inout SimulatedWorld, actor: String) {
        if tick % 10 == 0 { world.inject(.status(429), for: .runList) }
        if tick % 15 == 0 { world.inject(.status(503), for: .accountRunList) }
        if tick % 20 == 0 { world.inject(.reset, for: .actorRunList) }
        // Longer than the client's timeout (30 s): the in-process transport times out at once.
        if tick % 25 == 0 { world.inject(.delay(.seconds(60)), for: .runList) }
        // The last pass over the account fails: its last success stays the one before.
        if tick == 120 { world.inject(.status(400), for: .filteredAccountRunList) }
        if tick == 71 {
            world.createActorRuns(actor: actor, count: 2, status: "RUNNING")
            world.inject(.status(429), for: .filteredActorRunList, times: 9)
        }
    }

    private static func scrape(_ http: HTTPClient, _ server: MetricsServer) async throws -> String {
        let response = try await http.execute(
            HTTPClientRequest(url: "http://\(server.address)/metrics"),
            timeout: .seconds(30)
        )
        #expect(response.status == .ok)
        #expect(response.headers.first(name: "Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
        let body = try await response.body.collect(upTo: 4 << 20)
        return String(decoding: body.readableBytesView, as: UTF8.self)
    }

    private static func fileSize(_ path: String) -> Double {
        ((try? FileManager.default.attributesOfItem(atPath: path)[.size]) as? NSNumber)?.doubleValue ?? 0
    }

    @Test func anHourOfPassesLeavesMetricsThatMatchTheDatabase() async throws {
        let directory = try TemporaryDirectory()
        let transport = TallyingTransport(InProcessTransport(token: Self.token, seed: 14))
        let clock = SimulatedClock()
        let startMs: Int64 = 1_767_225_600_000
        // The demo's world: three tasks, an Actor run without a task, runs that start, finish, fail,
        // time out and are deleted by retention as the ticks go.
        let (taskNames, actor, actorName) = transport.inner.withWorld { world in
            let actor = world.seedDemo(taskCount: 3, historyPerTask: 40, nowMs: startMs)
            return (world.tasks.values.map(\.qualifiedName).sorted(), actor, world.actors[actor]!.qualifiedName)
        }
        let databasePath = directory.path("runs.db")
        let endpoint = MetricsEndpoint(databasePath: databasePath)
        let store = try RunStore.open(path: databasePath)
        let client = Self.client(transport, observer: endpoint.metrics)
        let runner = SourcePassRunner(
            engine: SyncEngine(client: client, store: store, logger: Self.quiet, now: { clock.now }, readAhead: .none),
            reporter: PassReporter(logger: Self.quiet),
            directory: SourceDirectory(client: client, store: store, logger: Self.quiet),
            metrics: endpoint.metrics
        )
        // The outbox delivered after each tick: the journal, and a command that takes only timeouts
        // (the other events are skipped for it); the health checks on the first task.
        let alerts = AlertDispatcher(
            store: store,
            sinks: [
                JournalSink(logger: Self.quiet),
                ExecSink(
                    AlertSinkConfiguration(
                        name: "timeouts",
                        kind: .exec(command: ["/bin/true"], timeoutSeconds: 10, maxConcurrent: 2, maxAttempts: 3),
                        events: [.runTimedOut]
                    )
                ),
            ],
            client: client,
            logger: Self.quiet,
            metrics: endpoint.metrics,
            now: { clock.now }
        )
        var checked = Configuration.SourceEntry(id: taskNames[0])
        checked.failureRate = FailureRateRule(threshold: 0.1, windowSeconds: 600, minRuns: 2)
        checked.expectEverySeconds = 60
        let health = HealthMonitor(
            configuration: Configuration(path: "test.json", database: databasePath, tasks: [checked]),
            store: store,
            client: client,
            directory: runner.directory,
            alerts: alerts,
            logger: Self.quiet,
            metrics: endpoint.metrics,
            now: { clock.now }
        )
        let server = try await endpoint.serve(on: ListenAddress(host: "127.0.0.1", port: 0))
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        try await http.shuttingDown {
            // An hour: a pass over every task and the Actor every 30 simulated seconds, over the account
            // every minute (at even ticks), as the daemon would.
            let ticks = 120
            let accountTicks = Set(stride(from: 2, through: ticks, by: 2))
            func references(atTick tick: Int) -> [RunSource] {
                taskNames.map(RunSource.task) + [.actor(actorName)] + (accountTicks.contains(tick) ? [.account] : [])
            }
            var failures: [SyncError] = []
            var failedAtTick: [Set<RunSource>] = []
            var tickTimes: [Int64] = []
            var earlier: PrometheusText?
            for tick in 1...ticks {
                let now = transport.inner.withWorld { world in
                    world.advanceDemo(nowMs: startMs + Int64(tick) * 30_000)
                    Self.injectFaults(atTick: tick, into: &world, actor: actor)
                    return world.nowMs
                }
                clock.set(now)
                tickTimes.append(now)
                let failed = await runner.passOverAll(references(atTick: tick), concurrency: 4)
                failures += failed
                failedAtTick.append(Set(failed.map(\.source)))
                await health.check()
                await alerts.drain()
                if tick % 30 == 0 {
                    // Every scrape parses, and no counter goes back.
                    let scraped = try PrometheusText(parsing: try await Self.scrape(http, server))
                    for family in earlier?.families.values ?? [:].values where family.type != .gauge {
                        for sample in family.samples {
                            let now = try #require(scraped.value(sample.name, sample.labels), "\(sample.name)")
                            #expect(now >= sample.value, "\(sample.name)\(sample.labels) went back")
                        }
                    }
                    earlier = scraped
                }
            }

            let text = try await Self.scrape(http, server)
            let metrics = try PrometheusText(parsing: text)
            #expect(!text.contains(Self.token) && !text.contains("http"))
            func rows(_ sql: String) async throws -> [[SQLiteValue]] {
                try await store.perform { try $0.rows(sql) }
            }

            // Every metric is there, with its type and its help.
            for (name, description) in SyncMetrics.descriptions {
                let family = try #require(metrics.families[name], "\(name) is missing")
                #expect(family.help == description.help)
                let type: PrometheusText.MetricType =
                    name.hasSuffix("_total") ? .counter : name == SyncMetrics.passDuration ? .histogram : .gauge
                #expect(family.type == type, "\(name)")
            }

            // Runs stored and status changes, against the tables.
            let runs = try await rows("SELECT count(*) FROM runs")[0][0].integer
            #expect(runs ?? 0 > 160)
            #expect(metrics.sum(SyncMetrics.runsStored) == Double(runs ?? -1))
            let changes = try await rows("SELECT to_status, count(*) FROM run_status_changes GROUP BY to_status")
            #expect(changes.count >= 6, "the hour saw runs start, run, succeed, fail, time out and abort: \(changes)")
            for row in changes {
                let status = try #require(row[0].text)
                #expect(
                    metrics.sum(SyncMetrics.statusChanges, matching: ["to_status": status]) == Double(row[1].integer!),
                    "\(status)"
                )
            }
            let changeRows = try await rows("SELECT count(*) FROM run_status_changes")[0][0].integer
            #expect(metrics.sum(SyncMetrics.statusChanges) == Double(changeRows ?? -1))

            // Events by kind, deliveries by sink and result, open problems: as the outbox has them.
            let events = try await rows("SELECT event, count(*) FROM events WHERE payload IS NOT NULL GROUP BY event")
            #expect(events.count >= 3, "\(events)")
            for row in events {
                let kind = try #require(row[0].text)
                #expect(metrics.value(SyncMetrics.events, ["event": kind]) == Double(row[1].integer!), "\(kind)")
            }
            let deliveries = try await rows(
                "SELECT e.event, d.sink, d.state, count(*) FROM event_deliveries d JOIN events e ON e.id = d.event_id GROUP BY 1, 2, 3"
            )
            #expect(Set(deliveries.compactMap { $0[2].text }) == ["delivered", "skipped"], "\(deliveries)")
            for row in deliveries {
                let labels = ["event": row[0].text!, "sink": row[1].text!, "result": row[2].text!]
                #expect(metrics.value(SyncMetrics.deliveries, labels) == Double(row[3].integer!), "\(labels)")
            }
            let open = try await rows(
                "SELECT problem, count(*) FROM health_problems WHERE closed_at IS NULL GROUP BY 1"
            )
            for problem in ["run_stuck", "task_silent", "failure_rate"] {
                let count = open.first { $0[0].text == problem }?[1].integer ?? 0
                #expect(metrics.value(SyncMetrics.openProblems, ["problem": problem]) == Double(count), "\(problem)")
            }
            #expect(try await rows("SELECT count(*) FROM health_problems")[0][0].integer ?? 0 > 0)

            // Passes by source and result, their durations by kind, and each source's last success: the
            // instant of the last tick it synced at, as sync_state has it.
            let statuses = try await store.sourceStatuses()
            #expect(Set(statuses.map(\.source.kind)) == [.task, .actor, .account] && statuses.count == 5)
            #expect(failures.count == 2, "\(failures.map { "\($0)" })")
            for status in statuses {
                let source = ["source_kind": status.source.kind.rawValue, "source_id": status.source.id]
                let polled = (1...ticks).filter { status.source != .account || accountTicks.contains($0) }
                let failed = failures.filter { $0.source == status.source }.count
                #expect(
                    metrics.value(SyncMetrics.passes, source.merging(["result": "failed"]) { $1 }) ?? 0
                        == Double(failed)
                )
                #expect(
                    metrics.value(SyncMetrics.passes, source.merging(["result": "ok"]) { $1 })
                        == Double(polled.count - failed)
                )
                let lastTick = try #require(polled.last { !failedAtTick[$0 - 1].contains(status.source) })
                let gauge = metrics.value(SyncMetrics.lastSuccess, source)
                #expect(gauge == Double(tickTimes[lastTick - 1]) / 1000, "\(status.source)")
                let recorded = try #require(status.lastSuccessAt.flatMap(ISOTimestamp.milliseconds))
                #expect(gauge == Double(recorded) / 1000, "\(status.source): sync_state says \(status.lastSuccessAt!)")
            }
            #expect(Set(failures.map(\.source.kind)) == [.actor, .account])
            // The Actor's failed pass stored runs no other source lists before it failed: counted, or the
            // totals above would differ.
            let failedActorPass = try #require(failures.first { $0.source.kind == .actor })
            #expect(failedActorPass.report.inserted >= 2 && failedActorPass.report.statusChangeCount >= 2)
            let perKind: [String: Int] = ["task": 3 * ticks, "actor": ticks, "account": accountTicks.count]
            for (kind, passes) in perKind {
                #expect(metrics.value(SyncMetrics.passDuration + "_count", ["source_kind": kind]) == Double(passes))
                let bounds = metrics.samples(SyncMetrics.passDuration + "_bucket")
                    .filter { $0.labels["source_kind"] == kind }.compactMap { $0.labels["le"] }
                #expect(
                    bounds == SyncMetrics.passDurationBuckets.map { "\($0.components.seconds).\(Self.fraction($0))" }
                        + [
                            "+Inf"
                        ]
                )
            }

            // API requests: by outcome as the transport gave them, retried unless they were the last
            // of the retries (the 429s that failed the Actor's pass).
            let tally = transport.tally
            for outcome in ["2xx", "4xx", "429", "5xx", "network_error", "timeout"] {
                #expect(tally[outcome, default: 0] > 0, "the hour had no \(outcome)")
            }
            #expect(metrics.sum(SyncMetrics.apiRequests) == Double(transport.inner.withWorld { $0.requestCount }))
            for outcome in APIRequestOutcome.allCases {
                let count = Double(tally[outcome.rawValue, default: 0])
                #expect(metrics.value(SyncMetrics.apiRequests, ["outcome": outcome.rawValue]) == count, "\(outcome)")
                // Only what is retried has a series of retries.
                let retried: Double? = outcome == .rateLimited ? count - 1 : outcome.isRetried ? count : nil
                #expect(metrics.value(SyncMetrics.apiRetries, ["outcome": outcome.rawValue]) == retried, "\(outcome)")
            }

            // The database's size, main file and log, read when scraped: stable once the store is closed.
            try await store.close()
            let closed = try PrometheusText(parsing: try await Self.scrape(http, server))
            let size = Self.fileSize(databasePath) + Self.fileSize(databasePath + "-wal")
            #expect(size > 0 && closed.value(SyncMetrics.databaseSize) == size)

            // After a restart, the last successes come from the database before any pass.
            let restarted = MetricsEndpoint(databasePath: databasePath)
            restarted.metrics.recordLastSuccesses(statuses)
            let seeded = try PrometheusText(parsing: String(decoding: restarted.backend.exposition(), as: UTF8.self))
            #expect(seeded.samples(SyncMetrics.lastSuccess).count == 5)
            for sample in seeded.samples(SyncMetrics.lastSuccess) {
                #expect(metrics.value(SyncMetrics.lastSuccess, sample.labels) == sample.value)
            }
        }
        try await server.close()
    }

    /// `500000000000000000` attoseconds as the exposition writes it: `5`.
    private static func fraction(_ duration: Duration) -> String {
        let digits = String(duration.components.attoseconds)
        let padded = String(repeating: "0", count: 18 - digits.count) + digits
        let trimmed = padded.reversed().drop { $0 == "0" }.reversed()
        return trimmed.isEmpty ? "0" : String(trimmed)
    }

    @Test func theDatabaseSizeIsTheMainFileAndItsLogReadWhenAsked() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("runs.db")
        let backend = PrometheusMetricsBackend(descriptions: SyncMetrics.descriptions)
        let metrics = SyncMetrics(factory: backend, databasePath: path)
        func size() throws -> Double? {
            try PrometheusText(parsing: String(decoding: backend.exposition(), as: UTF8.self))
                .value(SyncMetrics.databaseSize)
        }
        metrics.refreshDatabaseSize()
        #expect(try size() == 0, "no file yet")
        try Data(count: 32_768).write(to: URL(fileURLWithPath: path))
        try Data(count: 4_120).write(to: URL(fileURLWithPath: path + "-wal"))
        try Data(count: 999).write(to: URL(fileURLWithPath: path + "-shm"))
        #expect(try size() == 0, "read when asked, not before")
        metrics.refreshDatabaseSize()
        #expect(try size() == 32_768 + 4_120)
    }

    @Test func aStatusTheAPIDoesNotDocumentIsCountedAsOther() async throws {
        let directory = try TemporaryDirectory()
        let transport = InProcessTransport(token: Self.token, seed: 3)
        let task = transport.withWorld { world in
            let task = world.addTask()
            world.createRuns(task: task, count: 3, status: "TELEPORTING")
            world.createRuns(task: task, count: 2, status: "SUCCEEDED")
            return task
        }
        let backend = PrometheusMetricsBackend(descriptions: SyncMetrics.descriptions)
        let metrics = SyncMetrics(factory: backend, databasePath: nil)
        let store = try RunStore.open(path: directory.path("runs.db"))
        let client = ApifyClient.inProcess(transport, observer: metrics)
        let runner = SourcePassRunner(
            engine: SyncEngine(client: client, store: store, logger: Self.quiet, readAhead: .none),
            reporter: PassReporter(logger: Self.quiet),
            directory: SourceDirectory(client: client, store: store, logger: Self.quiet),
            metrics: metrics
        )
        #expect(await runner.pass(.task(task)) == nil)
        let parsed = try PrometheusText(parsing: String(decoding: backend.exposition(), as: UTF8.self))
        let labels = ["source_kind": "task", "source_id": task]
        #expect(parsed.value(SyncMetrics.statusChanges, labels.merging(["to_status": "other"]) { $1 }) == 3)
        #expect(parsed.value(SyncMetrics.statusChanges, labels.merging(["to_status": "SUCCEEDED"]) { $1 }) == 2)
        #expect(parsed.samples(SyncMetrics.statusChanges).count == 2)
        #expect(parsed.value(SyncMetrics.runsStored, labels) == 5)
        try await store.close()
    }
}
