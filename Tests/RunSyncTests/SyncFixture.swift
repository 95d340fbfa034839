import ApifyAPI
import ApifySimulator
import Foundation
import Logging
import RunModel
import RunStore
import RunSync
import SQLiteCore
import TestSupport
import Testing

/// A simulated API served in-process (no socket: the transport hands each request to the world), a
/// store in a fresh directory and an engine between them.
final class SyncFixture: Sendable {
    static let token = "apify_api_SYNCtestSECRET000000000000"
    let directory: TemporaryDirectory
    let transport: InProcessTransport
    let client: ApifyClient
    let store: RunStore
    let engine: SyncEngine
    let task: String

    init(seed: UInt64 = 1, maxRetries: Int = 3) async throws {
        directory = try TemporaryDirectory()
        transport = InProcessTransport(token: Self.token, seed: seed)
        client = ApifyClient.inProcess(transport, maxRetries: maxRetries)
        // Transactions commit when a pass ends or when asked, never by age: tests that hold one open
        // across a failure must not see it committed early on a loaded machine.
        store = try RunStore.open(
            path: directory.path("runs.db"),
            busyTimeoutMilliseconds: 300,
            transactionMaximumAge: .seconds(3600)
        )
        var logger = Logger(label: "sync")
        logger.logLevel = .warning
        // One page at a time unless a test asks: in-process, the measured latency is the machine's load.
        engine = SyncEngine(client: client, store: store, logger: logger, readAhead: .none)
        task = transport.withWorld { $0.addTask() }
    }

    @discardableResult
    func world<T>(_ body: (inout SimulatedWorld) -> T) -> T { transport.withWorld(body) }

    /// An engine on the same client and store that reads `pageSize` runs per request.
    func engine(pageSize: Int, readAhead: ReadAhead = .none) -> SyncEngine {
        SyncEngine(client: client, store: store, logger: engine.logger, pageSize: pageSize, readAhead: readAhead)
    }

    /// Runs one pass and returns its report together with the requests the simulator saw.
    func pass() async throws -> (report: TaskPassReport, requests: Int) {
        let before = world { $0.requestCount }
        let report = try await engine.sync(.task(task))
        return (report, world { $0.requestCount } - before)
    }

    func rows(_ sql: String, _ values: [SQLiteValue] = []) async throws -> [[SQLiteValue]] {
        try await store.perform { try $0.rows(sql, values) }
    }

    /// Asserts that every live run is stored with its current status and fields, and that runs gone
    /// upstream are still stored.
    func expectMatchesTruth(sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let truth = world { $0.tasks[task]!.runs }
        let stored = try await rows("SELECT id, status, finished_at, usage_total_usd, started_at FROM runs")
        var byId: [String: [SQLiteValue]] = [:]
        for row in stored { byId[row[0].text!] = row }
        for run in truth {
            guard let row = byId[run.id] else {
                Issue.record("run \(run.id) (\(run.status)) is missing", sourceLocation: sourceLocation)
                continue
            }
            #expect(row[1] == .text(run.status), "status of \(run.id)", sourceLocation: sourceLocation)
            #expect(
                row[2] == SQLiteValue(run.finishedAtMs.map { ISOTimestamp.string(milliseconds: $0) }),
                "finishedAt of \(run.id)",
                sourceLocation: sourceLocation
            )
            #expect(row[3] == .real(run.usageTotalUsd), "usage of \(run.id)", sourceLocation: sourceLocation)
            #expect(
                row[4] == SQLiteValue(run.startedAtMs.map { ISOTimestamp.string(milliseconds: $0) }),
                "startedAt of \(run.id)",
                sourceLocation: sourceLocation
            )
        }
        try await expectConsistentHistory(sourceLocation: sourceLocation)
    }

    /// One first sighting per run, every change row continuing the previous one, no transition twice,
    /// the cursor's anchor stored: `DatabaseInvariants`, through a connection of its own.
    func expectConsistentHistory(sourceLocation: SourceLocation = #_sourceLocation) async throws {
        try await store.flush()
        let violations = try DatabaseInvariants.violations(in: directory.path("runs.db"))
        #expect(violations.isEmpty, "\(violations)", sourceLocation: sourceLocation)
    }

    func shutdown() async throws {
        try await store.close()
    }
}
