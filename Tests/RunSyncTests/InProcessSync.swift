import ApifyAPI
import ApifySimulator
import Logging
import RunStore
import RunSync
import SQLiteCore
import TestSupport
import Testing

/// The real engine against a simulated API served in-process (no socket), a store in a fresh directory.
final class InProcessSync: SyncedFromSimulator, Sendable {
    static let token = "apify_api_IMPERFECTtestSECRET00000000"
    let directory: TemporaryDirectory
    let transport: InProcessTransport
    let store: RunStore
    let engine: SyncEngine
    let task: String

    init(
        seed: UInt64 = 1,
        pageSize: Int = ApifyClient.maximumPageSize,
        maximumBodyBytes: Int = 32 * 1024 * 1024
    ) throws {
        directory = try TemporaryDirectory()
        transport = InProcessTransport(token: Self.token, seed: seed)
        store = try RunStore.open(path: directory.path("runs.db"))
        engine = SyncEngine(
            client: ApifyClient.inProcess(transport, maximumBodyBytes: maximumBodyBytes),
            store: store,
            logger: Logger(label: "sync") { _ in SwiftLogNoOpLogHandler() },
            pageSize: pageSize,
            // Request counts are pinned: one page at a time, whatever the machine's load.
            readAhead: .none
        )
        task = transport.withWorld { $0.addTask() }
    }

    @discardableResult
    func world<T>(_ body: (inout SimulatedWorld) throws -> T) rethrows -> T { try transport.withWorld(body) }

    /// One pass, with the requests the world counted during it.
    func pass() async throws -> (report: TaskPassReport, requests: Int) {
        let before = world { $0.requestCount }
        let report = try await engine.sync(.task(task))
        return (report, world { $0.requestCount } - before)
    }

    func rows(_ sql: String, _ values: [SQLiteValue] = []) async throws -> [[SQLiteValue]] {
        try await store.perform { try $0.rows(sql, values) }
    }

    func count(_ sql: String, _ values: [SQLiteValue] = []) async throws -> Int {
        Int(try await rows(sql, values).first?.first?.integer ?? -1)
    }

    /// The runs the API lists now (a run hidden while unfinished is not listed).
    var listedRuns: [SimulatedRun] {
        world { world in world.tasks[task]!.runs.filter { !($0.hiddenWhileUnfinished && !$0.isFinal) } }
    }

    var databasePath: String { directory.path("runs.db") }
    var checksRunFields: Bool { false }
    func flush() async throws { try await store.flush() }

    func close() async throws {
        try await store.close()
    }
}
