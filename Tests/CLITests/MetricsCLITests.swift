import ApifySimulator
import Foundation
import RunModel
import SQLiteCore
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The real binary with `metricsListen`: the endpoint it serves while it runs, how it stops, and an
/// address it cannot use.
@Suite(.serialized) struct MetricsCLITests {
    static let token = "apify_api_CLImetricsTOKEN1234567890"
    let directory: TemporaryDirectory
    let simulator: ApifySimulator
    let task: String

    init() async throws {
        directory = try TemporaryDirectory()
        simulator = try await ApifySimulator.start(token: Self.token)
        task = simulator.withWorld { world in
            let task = world.addTask(username: "jane", name: "news")
            world.createRuns(task: task, count: 1200)
            world.createRuns(task: task, count: 10, status: "RUNNING")
            return task
        }
    }

    var database: String { directory.path("runs.db") }

    private func configFile(metricsListen: String, pollIntervalSeconds: Int = 1) throws -> String {
        try directory.writeConfig(
            apiBaseURL: simulator.baseURL,
            database: database,
            tasks: ["jane~news"],
            token: Self.token,
            more: #","pollIntervalSeconds":\#(pollIntervalSeconds),"metricsListen":"\#(metricsListen)""#
        )
    }

    /// A port that was free a moment ago (the kernel's choice for port 0).
    private static func freePort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0
            }
        }
        guard bound else { throw RawHTTPConnection.Failure(description: "no free port: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private static func scrape(port: Int) throws -> PrometheusText {
        let connection = try RawHTTPConnection(port: port)
        try connection.send("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        let response = try #require(try connection.readResponse())
        #expect(response.status == 200)
        return try PrometheusText(parsing: response.body)
    }

    private func count(_ sql: String) throws -> Int64 {
        let db = try Database(path: database, readOnly: true)
        defer { try? db.close(optimize: false) }
        return try db.scalar(sql).integer ?? -1
    }

    /// The daemon with its metrics on a port chosen free. Should another program take the port before
    /// the daemon binds it, the daemon says so (exit 78) and another port is tried.
    private func startDaemon(pollIntervalSeconds: Int = 1) async throws -> (daemon: ProgramRun, port: Int) {
        for _ in 0..<3 {
            let port = try Self.freePort()
            let config = try configFile(metricsListen: "127.0.0.1:\(port)", pollIntervalSeconds: pollIntervalSeconds)
            let daemon = try ProgramRun(["run", "--config", config])
            try await waitUntil { daemon.stderr.contains("event=metrics_listening") || !daemon.isRunning }
            if daemon.stderr.contains("event=metrics_listening") { return (daemon, port) }
            if daemon.isRunning { daemon.signal(SIGKILL) }
            #expect(daemon.stderr.contains("another program listens"), "\(daemon.stderr)")
        }
        throw RawHTTPConnection.Failure(description: "no port could be bound")
    }

    @Test func theDaemonServesMetricsWhileItRunsAndStopsCleanlyOnSIGTERM() async throws {
        let (daemon, port) = try await startDaemon()
        // A failed expectation must not leave the daemon running.
        defer { if daemon.isRunning { daemon.signal(SIGKILL) } }
        #expect(daemon.stderr.contains("url=http://127.0.0.1:\(port)/metrics"), "\(daemon.stderr)")
        try await waitUntil { (try? self.count("SELECT count(*) FROM runs")) == 1210 }
        // The counters follow the database: the pass that stored the runs is counted when it ends.
        try await waitUntil { (try? Self.scrape(port: port).sum("apify_runs_sync_runs_stored_total")) == 1210 }
        let metrics = try Self.scrape(port: port)
        let taskLabels = ["source_kind": "task", "source_id": task]
        #expect(metrics.value("apify_runs_sync_runs_stored_total", taskLabels) == 1210)
        #expect(
            metrics.sum("apify_runs_sync_status_changes_total")
                == Double(try count("SELECT count(*) FROM run_status_changes"))
        )
        #expect(metrics.value("apify_runs_sync_passes_total", taskLabels.merging(["result": "ok"]) { $1 }) ?? 0 >= 1)
        #expect(metrics.value("apify_runs_sync_last_success_timestamp_seconds", taskLabels) ?? 0 > 1.7e9)
        #expect(metrics.value("apify_runs_sync_api_requests_total", ["outcome": "2xx"]) ?? 0 >= 3)
        #expect(metrics.value("apify_runs_sync_database_size_bytes") ?? 0 > 0)

        // A new address is for the next start: the endpoint stays where it is.
        _ = try configFile(metricsListen: "127.0.0.1:1")
        daemon.signal(SIGHUP)
        try await waitUntil { daemon.stderr.contains("event=config_reloaded") }
        #expect(daemon.stderr.contains("at_next_start=metricsListen"), "\(daemon.stderr)")
        #expect(try Self.scrape(port: port).sum("apify_runs_sync_runs_stored_total") == 1210)

        // SIGTERM with a connection kept open: the daemon still stops at once, and the port is free.
        let idle = try RawHTTPConnection(port: port)
        try idle.send("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        #expect(try idle.readResponse()?.headers["connection"] == "keep-alive")
        daemon.signal(SIGTERM)
        #expect(await daemon.wait(timeout: .seconds(25)) == 0, "\(daemon.stderr)")
        #expect(try idle.isClosedByServer())
        #expect(throws: RawHTTPConnection.Failure.self) { try RawHTTPConnection(port: port) }
        #expect(daemon.stderr.contains("event=daemon_stopping"))
        #expect(!daemon.stderr.contains(Self.token))

        // Started again with the API gone, so that no pass can succeed: the last success is there
        // from the start, as the database has it.
        let db = try Database(path: database, readOnly: true)
        let lastSuccess = try db.scalar("SELECT last_success_at FROM sync_state").text
        try db.close(optimize: false)
        let recorded = try #require(lastSuccess.flatMap(ISOTimestamp.milliseconds))
        try await simulator.stop()
        let (again, newPort) = try await startDaemon(pollIntervalSeconds: 60)
        defer { if again.isRunning { again.signal(SIGKILL) } }
        let seeded = try Self.scrape(port: newPort).value("apify_runs_sync_last_success_timestamp_seconds", taskLabels)
        again.signal(SIGTERM)
        #expect(await again.wait(timeout: .seconds(25)) == 0, "\(again.stderr)")
        #expect(abs(try #require(seeded) - Double(recorded) / 1000) < 0.002)
    }

    @Test func anAddressInUseExits78NamingMetricsListen() async throws {
        // The simulator's own port: taken.
        let config = try configFile(metricsListen: "127.0.0.1:\(simulator.port)")
        let check = try await ProgramRun.run(["check-config", "--config", config])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        #expect(check.stdout.contains("metrics: served at http://127.0.0.1:\(simulator.port)/metrics"))
        let result = try await ProgramRun.run(["run", "--config", config])
        #expect(result.status == 78, "\(result.stderr)")
        #expect(result.stderr.contains("metricsListen"), "\(result.stderr)")
        #expect(result.stderr.contains("127.0.0.1:\(simulator.port): cannot listen there"), "\(result.stderr)")
        #expect(result.stderr.contains("another program listens on that port"), "\(result.stderr)")
        #expect(!result.stderr.contains(Self.token))
    }

    private func waitUntil(timeout: Duration = .seconds(30), _ condition: @escaping () -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while !condition() {
            if ContinuousClock.now > deadline {
                Issue.record("condition not met within \(timeout)")
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }
}
