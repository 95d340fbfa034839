import Foundation
import RunModel
import RunStore
import SQLiteCore
import TestSupport
import Testing

/// The `task_health` view, against runs placed in the last day and week of the real clock.
@Suite struct TaskHealthViewTests {
    let directory: TemporaryDirectory
    var path: String { directory.path("runs.db") }

    init() throws {
        directory = try TemporaryDirectory()
    }

    /// A finished run of `task` (nil: started without one, by Actor A) that started `hoursAgo` and
    /// lasted `seconds`, with its cost.
    private func run(
        _ id: String,
        _ status: String,
        task: String?,
        hoursAgo: Double,
        seconds: Double,
        cost: Double
    )
        -> RunRecord
    {
        let start = Date().addingTimeInterval(-hoursAgo * 3600)
        let started = ISOTimestamp.string(from: start)
        let finished = ISOTimestamp.string(from: start.addingTimeInterval(seconds))
        var record = SourcesStoreTests.run(id, status, task: task, actor: "A", startedAt: started)
        record.finishedAt = finished
        record.usageTotalUsd = cost
        return record
    }

    @Test func perTaskAndPerActorFiguresOverADayAndAWeek() async throws {
        let store = try RunStore.open(path: path)
        let runs = [
            run("t1", "SUCCEEDED", task: "T", hoursAgo: 100, seconds: 10, cost: 0.5),
            run("t2", "FAILED", task: "T", hoursAgo: 50, seconds: 20, cost: 0.5),
            run("t3", "SUCCEEDED", task: "T", hoursAgo: 10, seconds: 30, cost: 0.5),
            run("t4", "TIMED-OUT", task: "T", hoursAgo: 2, seconds: 40, cost: 0.5),
            run("t0", "SUCCEEDED", task: "T", hoursAgo: 24 * 30, seconds: 99, cost: 9),
            run("a1", "SUCCEEDED", task: nil, hoursAgo: 1, seconds: 5, cost: 0.25),
        ]
        _ = try await store.apply(RunBatch(source: .account, runs: runs, observedAt: "T1"))
        try await store.setName("jane~news", of: .task("T"), at: "T1")
        try await store.close()
        let database = try Database(path: path, readOnly: true)
        defer { try? database.close(optimize: false) }
        let rows = try database.rows(
            """
            SELECT kind, id, name, last_run_status, last_success_at IS NOT NULL, runs_24h, failed_24h, failure_rate_24h,
                runs_7d, failed_7d, failure_rate_7d, p50_duration_seconds_7d, p95_duration_seconds_7d, cost_usd_7d
            FROM task_health ORDER BY kind DESC, id
            """
        )
        #expect(
            rows == [
                [
                    "task", "T", "jane~news", "TIMED-OUT", 1, 2, 1, .real(0.5), 4, 2, .real(0.5), .real(20), .real(40),
                    .real(2),
                ],
                ["actor", "A", nil, "SUCCEEDED", 1, 1, 0, .real(0), 1, 0, .real(0), .real(5), .real(5), .real(0.25)],
            ]
        )
        let lastRun = try database.scalar("SELECT last_run_started_at FROM task_health WHERE id = 'T'").text
        #expect(lastRun == runs[3].startedAt)
        let lastSuccess = try database.scalar("SELECT last_success_at FROM task_health WHERE id = 'T'").text
        #expect(lastSuccess == runs[2].finishedAt)
    }
}
