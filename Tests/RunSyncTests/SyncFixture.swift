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
final class SyncFixture: SyncedFromSimulator, Sendable {
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

    var listedRuns: [SimulatedRun] { world { $0.tasks[task]!.runs } }
    var databasePath: String { directory.path("runs.db") }
    var checksRunFields: Bool { true }
    func flush() async throws { try await store.flush() }

    func shutdown() async throws {
        try await store.close()
    }
}
