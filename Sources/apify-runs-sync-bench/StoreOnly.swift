import ApifyAPI
import ApifySimulator
import Foundation
import RunModel
import RunStore

/// The store alone: realistic pages (rendered by the simulator, decoded by the client's decoder)
/// applied one 1,000-run batch at a time, timing only `RunStore.apply` and the final commit.
enum StoreOnly {
    static func measure(runs: Int, database: String) async throws -> Measurement {
        var world = SimulatedWorld(token: "t", seed: 1)
        let task = world.addTask()
        world.createRuns(task: task, count: runs)
        let store = try RunStore.open(path: database)
        var applying = Duration.zero
        var slowest = Duration.zero
        var batches = 0
        var offset = 0
        let cpuBefore = ResourceUsage.now().cpuSeconds
        while offset < runs {
            let response = world.respond(
                path: "/v2/actor-tasks/\(task)/runs",
                query: ["offset": "\(offset)", "limit": "1000"],
                authorization: "Bearer t"
            )
            let page = try ResponseDecoder.runListPage(from: response.body)
            let cursor = TaskCursor(
                nextOffset: offset + page.items.count,
                anchorRunId: page.items.last?.id,
                anchorStartedAt: page.items.last?.startedAt
            )
            let batch = RunBatch(
                source: .task(task),
                runs: page.items,
                cursor: cursor,
                observedAt: "2026-01-01T00:00:00.000Z"
            )
            let start = ContinuousClock.now
            let applied = try await store.apply(batch)
            let elapsed = ContinuousClock.now - start
            guard applied.inserted == page.items.count else {
                throw BenchError("a batch stored \(applied.inserted) runs")
            }
            applying += elapsed
            slowest = max(slowest, elapsed)
            batches += 1
            offset += page.items.count
        }
        let start = ContinuousClock.now
        try await store.flush()
        applying += ContinuousClock.now - start
        try await store.close()
        return Measurement(
            runs: runs,
            kind: "RunStore.apply only",
            wallSeconds: applying.seconds,
            cpuSeconds: ResourceUsage.now().cpuSeconds - cpuBefore,
            requests: batches,
            itemsRead: runs,
            peakResidentBytes: ResourceUsage.now().peakResidentBytes,
            batchMilliseconds: applying.seconds * 1000 / Double(batches),
            slowestBatchMilliseconds: slowest.seconds * 1000
        )
    }
}
