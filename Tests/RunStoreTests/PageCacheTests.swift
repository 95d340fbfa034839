import Foundation
import RunModel
import RunStore
import SQLiteCore
import TestSupport
import Testing

/// The connection's page cache and its budget.
@Suite struct PageCacheTests: RunStoreTestCase {
    let directory: TemporaryDirectory

    init() throws {
        directory = try TemporaryDirectory()
    }

    @Test func thePageCacheKeepsToItsBudgetInANewFileAndAReopenedOne() async throws {
        // About 7 MiB of runs per round, several times the cache's budget.
        let padding = String(repeating: "x", count: 1400)
        func runs(_ round: Int) -> [RunRecord] {
            (0..<5000).map { Self.run("r\(round)-\($0)", "SUCCEEDED", extra: #","padding":"\#(padding)""#) }
        }
        // Four pages of slack: the budget is in KiB, the cache counts whole pages with their headers,
        // and may hold a few more while they are in use. Without the fix it held 9 MiB here.
        let budget = RunStore.pageCacheKiB * 1024 + 4 * 32 * 1024
        for round in 0..<2 {
            let store = try RunStore.open(path: path)
            _ = try await store.apply(RunBatch(source: .task("t"), runs: runs(round), observedAt: "T\(round)"))
            let used = try await store.perform { try $0.pageCacheBytes() }
            #expect(used > budget / 2, "round \(round): the cache is used")
            #expect(used <= budget, "round \(round): \(used) bytes")
            try await store.close()
        }
    }
}
