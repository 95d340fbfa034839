import Foundation
import RunModel
import RunStore
import SQLiteCore
import TestSupport
import Testing

/// Schema v4: a task is its ID whatever it was called, and each task's live runs are counted.
@Suite struct TaskIdentityAndCountTests {
    let directory: TemporaryDirectory
    var path: String { directory.path("runs.db") }

    init() throws {
        directory = try TemporaryDirectory()
    }

    static func run(_ id: String, _ status: String, task: String? = nil, startedAt: String) -> RunRecord {
        let taskField = task.map { #","actorTaskId":"\#($0)""# } ?? ""
        let json = #"{"id":"\#(id)","status":"\#(status)","startedAt":"\#(startedAt)"\#(taskField)}"#
        var run = RunRecord(id: id, status: status, startedAt: startedAt, rawJSON: ArraySlice(json.utf8))
        run.actorTaskId = task
        return run
    }

    private func rows(_ sql: String) throws -> [[SQLiteValue]] {
        let database = try Database(path: path)
        defer { try? database.close(optimize: false) }
        return try database.rows(sql)
    }

    @Test func aVersion3FileMovesRunsStoredUnderATaskNameToTheTaskID() async throws {
        let store = try RunStore.open(path: path)
        _ = try await store.apply(
            RunBatch(
                source: .task("jane~news"),
                runs: [
                    Self.run("a", "RUNNING", task: "TASK1", startedAt: "2025-01-01T00:00:01.000Z"),
                    Self.run("b", "FAILED", task: "TASK1", startedAt: "2025-01-01T00:00:02.000Z"),
                ],
                cursor: TaskCursor(nextOffset: 2, anchorRunId: "b", anchorStartedAt: "2025-01-01T00:00:02.000Z"),
                observedAt: "T1"
            )
        )
        _ = try await store.apply(
            RunBatch(
                source: .task("OTHER"),
                runs: [Self.run("c", "SUCCEEDED", startedAt: "2025-01-01T00:00:03.000Z")],
                observedAt: "T1"
            )
        )
        try await store.close()
        let database = try Database(path: path)
        try database.execute(OlderSchemas.downgradeToVersion3)
        try database.close(optimize: false)

        let migrated = try RunStore.open(path: path)
        #expect(migrated.upgrade.map { [$0.fromVersion, $0.toVersion] } == [3, 6])
        #expect(try await migrated.unfinishedRuns(of: .task("TASK1")).map(\.id) == ["a"], "found by the task's ID")
        #expect(try await migrated.cursor(for: .task("TASK1")).nextOffset == 2, "the cursor moved with its runs")
        #expect(try await migrated.liveCount(of: .task("TASK1")).liveRuns == 2)
        #expect(try await migrated.liveCount(of: .task("OTHER")).liveRuns == 1, "a run without actorTaskId stays")
        try await migrated.close()
        #expect(try rows("SELECT DISTINCT task_id FROM run_status_changes ORDER BY 1") == [["OTHER"], ["TASK1"]])
        #expect(try rows("SELECT source_id FROM sync_state ORDER BY 1") == [["OTHER"], ["TASK1"]])
        #expect(try DatabaseInvariants.violations(in: path).isEmpty)
    }

    @Test func adoptingASpellingMovesItsRunsCountsAndCursorToTheID() async throws {
        let store = try RunStore.open(path: path)
        _ = try await store.apply(
            RunBatch(
                source: .task("jane~news"),
                runs: [Self.run("a", "RUNNING", startedAt: "2025-01-01T00:00:01.000Z")],
                cursor: TaskCursor(nextOffset: 1, anchorRunId: "a", anchorStartedAt: "2025-01-01T00:00:01.000Z"),
                observedAt: "T1"
            )
        )
        #expect(try await store.adoptTask(spelling: "jane~news", as: "TASK1", at: "T2") == 1)
        #expect(try await store.unfinishedRuns(of: .task("TASK1")).map(\.id) == ["a"])
        #expect(try await store.unfinishedRuns(of: .task("jane~news")).isEmpty)
        #expect(try await store.cursor(for: .task("TASK1")).anchorRunId == "a")
        #expect(try await store.liveCount(of: .task("TASK1")).liveRuns == 1)
        #expect(try await store.liveCount(of: .task("jane~news")).liveRuns == 0)
        try await store.close()
        #expect(try DatabaseInvariants.violations(in: path).isEmpty)
    }

    @Test func theLiveCountFollowsInsertsDeletionsRevivalsAndMoves() async throws {
        let store = try RunStore.open(path: path)
        let runs = (0..<4).map { Self.run("r\($0)", "SUCCEEDED", startedAt: "2025-01-01T00:00:0\($0).000Z") }
        _ = try await store.apply(RunBatch(source: .task("t"), runs: runs, observedAt: "T1"))
        #expect(try await store.liveCount(of: .task("t")).liveRuns == 4)
        _ = try await store.apply(
            RunBatch(source: .task("t"), runs: [], deletedRunIds: ["r0", "r0", "zz"], observedAt: "T2")
        )
        #expect(try await store.liveCount(of: .task("t")).liveRuns == 3)
        _ = try await store.apply(RunBatch(source: .task("t"), runs: [runs[0]], observedAt: "T3"))
        #expect(try await store.liveCount(of: .task("t")).liveRuns == 4, "a run seen again is live again")
        _ = try await store.apply(RunBatch(source: .task("u"), runs: [runs[1]], observedAt: "T4"))
        #expect(try await store.liveCount(of: .task("t")).liveRuns == 3)
        #expect(try await store.liveCount(of: .task("u")).liveRuns == 1)
        try await store.close()
        #expect(try DatabaseInvariants.violations(in: path).isEmpty)
    }

    @Test func aPageSweepsStoredRunsItProvesGoneInsideItsSpan() async throws {
        let store = try RunStore.open(path: path)
        let runs = (1...5).map { Self.run("r\($0)", "SUCCEEDED", startedAt: "2025-01-01T00:00:0\($0).000Z") }
        _ = try await store.apply(RunBatch(source: .task("t"), runs: runs, observedAt: "T1"))
        // The page holds r1, r2 and r5 and spans r1 to r5: r3 and r4 are gone; r1 and r5, the span's
        // ends (ties may continue beyond them), are not judged.
        var page = RunBatch(source: .task("t"), runs: [runs[0], runs[1], runs[4]], observedAt: "T2")
        page.sweeps = [(first: "2025-01-01T00:00:01.000Z", last: "2025-01-01T00:00:05.000Z")]
        let applied = try await store.apply(page)
        #expect(applied.markedDeleted == 2)
        #expect(try await store.liveCount(of: .task("t")).liveRuns == 3)
        try await store.close()
        #expect(try rows("SELECT id FROM runs WHERE deleted_at IS NOT NULL ORDER BY id") == [["r3"], ["r4"]])
        #expect(try DatabaseInvariants.violations(in: path).isEmpty)
    }

    @Test func retentionComparesInstantsNotText() async throws {
        let store = try RunStore.open(path: path)
        _ = try await store.apply(
            RunBatch(
                source: .task("t"),
                runs: [
                    Self.run("old", "SUCCEEDED", startedAt: "2025-01-01T00:00:04.999Z"),
                    Self.run("head", "SUCCEEDED", startedAt: "2025-01-01T00:00:05Z"),
                    // As text this sorts before the head ('.' < 'Z'); as an instant it is after it.
                    Self.run("live", "SUCCEEDED", startedAt: "2025-01-01T00:00:05.500Z"),
                    Self.run("fine", "SUCCEEDED", startedAt: "2025-01-01T00:00:04.99999Z"),
                    Self.run("undated", "SUCCEEDED", startedAt: "yesterday"),
                ],
                observedAt: "T1"
            )
        )
        let marked = try await store.markRetentionDeleted(
            source: .task("t"),
            oldestLive: "2025-01-01T00:00:05Z",
            at: "T2"
        )
        #expect(marked == 2, "the runs 4.999 s and 4.99999 s in")
        try await store.close()
        #expect(
            try rows("SELECT id FROM runs WHERE deleted_at IS NOT NULL ORDER BY id") == [["fine"], ["old"]]
        )
        #expect(try DatabaseInvariants.violations(in: path).isEmpty)
    }
}
