import Foundation
import RunModel
import RunStore
import SQLiteCore
import TestSupport
import Testing

/// The views over the runs that answer everyday questions (`task_health` has a suite of its own).
@Suite struct ViewTests: RunStoreTestCase {
    let directory: TemporaryDirectory

    init() throws {
        directory = try TemporaryDirectory()
    }

    @Test func viewsAnswerEverydayQuestions() async throws {
        let store = try RunStore.open(path: path)
        let runs = [
            Self.run("a", "SUCCEEDED", startedAt: "2025-01-01T10:00:00.000Z"),
            Self.run("b", "FAILED", startedAt: "2025-01-01T11:00:00.000Z"),
            Self.run("c", "TIMED-OUT", startedAt: "2025-01-02T11:00:00.000Z"),
        ]
        _ = try await store.apply(RunBatch(source: .task("t"), runs: runs, observedAt: "T1"))
        let (failures, latest, daily) = try await store.perform { db in
            (
                try db.rows("SELECT run_id FROM recent_failures"),
                try db.rows("SELECT task_id, run_id FROM latest_runs"),
                try db.rows("SELECT day, status, runs FROM daily_run_counts ORDER BY day, status")
            )
        }
        #expect(failures == [["c"], ["b"]])
        #expect(latest == [["t", "c"]])
        #expect(
            daily == [["2025-01-01", "FAILED", 1], ["2025-01-01", "SUCCEEDED", 1], ["2025-01-02", "TIMED-OUT", 1]]
        )
    }
}
