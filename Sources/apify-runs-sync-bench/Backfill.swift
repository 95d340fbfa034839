import ApifyAPI
import AsyncHTTPClient
import Foundation
import Logging
import RunModel
import RunStore
import RunSync

/// The real code path: client, engine and store, as `apify-runs-sync once` runs them, except that
/// requests are not paced: over loopback the API's rate limit (which the daemon keeps to, 50
/// requests per second per list) would hide the engine's own speed, which this measures.
enum Backfill {
    static func measure(runs: Int, baseURL: String, taskId: String, database: String) async throws -> Measurement {
        let store = try RunStore.open(path: database)
        let http = HTTPClient.makeForApify()
        let client = ApifyClient(
            configuration: .init(
                baseURL: baseURL,
                token: APIToken(secret: SimulatorProcess.token, source: "bench"),
                maxRequestsPerSecond: 100_000,
                maxRequestsPerSecondTotal: 100_000
            ),
            http: http,
            logger: Logger(label: "bench")
        )
        var logger = Logger(label: "bench")
        logger.logLevel = .warning
        let engine = SyncEngine(client: client, store: store, logger: logger)

        let start = ContinuousClock.now
        let cpuBefore = ResourceUsage.now().cpuSeconds
        let report = try await engine.sync(.task(taskId))
        let wall = (ContinuousClock.now - start).seconds
        let afterBackfill = ResourceUsage.now()
        guard report.inserted == runs else { throw BenchError("stored \(report.inserted) of \(runs) runs") }

        // Idle passes: nothing changed upstream. The first one after a backfill also pays for the
        // checkpoint of the backfill's last WAL frames, so it settles things and is not counted; the
        // figure is the mean of the next ten, the steady state of a daemon polling a quiet task.
        _ = try await engine.sync(.task(taskId))
        let idlePasses = 10
        let idleStart = ContinuousClock.now
        let idleCPUBefore = ResourceUsage.now().cpuSeconds
        var idle = report
        for _ in 0..<idlePasses { idle = try await engine.sync(.task(taskId)) }
        let idleWall = (ContinuousClock.now - idleStart).seconds / Double(idlePasses)
        let idleCPU = (ResourceUsage.now().cpuSeconds - idleCPUBefore) / Double(idlePasses)

        try await http.shutdown()
        try await store.close()
        return Measurement(
            runs: runs,
            kind: "apify-runs-sync",
            wallSeconds: wall,
            cpuSeconds: afterBackfill.cpuSeconds - cpuBefore,
            requests: report.requests,
            itemsRead: report.itemsRead,
            peakResidentBytes: ResourceUsage.now().peakResidentBytes,
            idleWallMilliseconds: idleWall * 1000,
            idleCPUMilliseconds: idleCPU * 1000,
            idleRequests: idle.requests,
            idleItemsRead: idle.itemsRead
        )
    }
}
