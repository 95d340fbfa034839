import Foundation
import RunModel
import RunStore
import SQLiteCore
import TestSupport
import Testing

/// `DatabaseInvariants` (TestSupport), which the other suites trust to find a broken history.
@Suite struct DatabaseInvariantsTests: RunStoreTestCase {
    let directory: TemporaryDirectory

    init() throws {
        directory = try TemporaryDirectory()
    }

    @Test func theInvariantCheckerCatchesABrokenHistory() async throws {
        let store = try RunStore.open(path: path)
        _ = try await store.apply(RunBatch(source: .task("t"), runs: [Self.run("a", "RUNNING")], observedAt: "T1"))
        _ = try await store.apply(RunBatch(source: .task("t"), runs: [Self.run("a", "FAILED")], observedAt: "T2"))
        try await store.close()
        #expect(try DatabaseInvariants.violations(in: path).isEmpty)
        let database = try Database(path: path)
        try database.execute(
            "INSERT INTO run_status_changes (run_id, task_id, from_status, to_status, observed_at) VALUES ('a', 't', 'RUNNING', 'FAILED', 'T3')"
        )
        try database.close(optimize: false)
        let violations = try DatabaseInvariants.violations(in: path)
        #expect(violations.contains { $0.hasPrefix("a change that does not continue the previous one") })
    }
}
