import Foundation
import RunModel
import RunStore
import SQLiteCore
import TestSupport
import Testing

/// Schema v5: runs read through several sources (a task, its Actor, the account) are one row with one
/// history, and every source's count of live runs stays right whichever source wrote.
@Suite struct SourcesStoreTests {
    let directory: TemporaryDirectory
    var path: String { directory.path("runs.db") }

    init() throws {
        directory = try TemporaryDirectory()
    }

    static func run(
        _ id: String,
        _ status: String,
        task: String?,
        actor: String?,
        startedAt: String = "2025-01-01T00:00:01.000Z"
    ) -> RunRecord {
        let taskField = task.map { #","actorTaskId":"\#($0)""# } ?? #","actorTaskId":null"#
        let actorField = actor.map { #","actId":"\#($0)""# } ?? ""
        let json = #"{"id":"\#(id)","status":"\#(status)","startedAt":"\#(startedAt)"\#(taskField)\#(actorField)}"#
        var run = RunRecord(id: id, status: status, startedAt: startedAt, rawJSON: ArraySlice(json.utf8))
        run.actorTaskId = task
        run.actId = actor
        return run
    }

    private func rows(_ sql: String) throws -> [[SQLiteValue]] {
        let database = try Database(path: path)
        defer { try? database.close(optimize: false) }
        return try database.rows(sql)
    }

    private func apply(
        _ store: RunStore,
        _ source: RunSource,
        _ runs: [RunRecord],
        at time: String
    ) async throws
        -> AppliedBatch
    {
        let applied = try await store.apply(RunBatch(source: source, runs: runs, observedAt: time))
        #expect(try await store.commit(epochs: [applied.epoch]).isEmpty)
        return applied
    }

    @Test func aRunListedByThreeSourcesIsOneRowWithOneHistory() async throws {
        let store = try RunStore.open(path: path)
        for source in [RunSource.task("T"), .actor("A"), .account] { try await store.register(source, at: "T0") }
        let first = try await apply(store, .task("T"), [Self.run("r", "RUNNING", task: "T", actor: "A")], at: "T1")
        let again = try await apply(store, .account, [Self.run("r", "RUNNING", task: "T", actor: "A")], at: "T2")
        let finished = try await apply(store, .actor("A"), [Self.run("r", "FAILED", task: "T", actor: "A")], at: "T3")
        #expect(first.changes.map(\.to) == ["RUNNING"])
        #expect(first.changes.first?.taskId == "T" && first.changes.first?.actId == "A")
        #expect(again.unchanged == 1 && again.changes.isEmpty, "seen by a second source: nothing new")
        #expect(finished.changes.map { "\($0.from ?? "-")>\($0.to)" } == ["RUNNING>FAILED"])
        for source in [RunSource.task("T"), .actor("A"), .account] {
            #expect(try await store.liveCount(of: source).liveRuns == 1, "\(source)")
        }
        try await store.close()
        #expect(try rows("SELECT id, task_id, act_id, status FROM runs") == [["r", "T", "A", "FAILED"]])
        #expect(try rows("SELECT count(*) FROM run_status_changes") == [[2]])
        #expect(try DatabaseInvariants.violations(in: path).isEmpty)
    }

    @Test func anActorsDirectRunBelongsToNoTaskAndKeepsATaskItIsGivenLater() async throws {
        let store = try RunStore.open(path: path)
        for source in [RunSource.task("T"), .actor("A"), .account] { try await store.register(source, at: "T0") }
        _ = try await apply(store, .actor("A"), [Self.run("direct", "SUCCEEDED", task: nil, actor: "A")], at: "T1")
        // Listed by the account without `actorTaskId` first, then by its task: it moves to the task.
        _ = try await apply(store, .account, [Self.run("late", "RUNNING", task: nil, actor: "A")], at: "T1")
        _ = try await apply(store, .task("T"), [Self.run("late", "RUNNING", task: nil, actor: "A")], at: "T2")
        // The account's list, without the field, does not take it away again.
        _ = try await apply(store, .account, [Self.run("late", "RUNNING", task: nil, actor: "A")], at: "T3")
        #expect(try await store.liveCount(of: .task("T")).liveRuns == 1)
        #expect(try await store.liveCount(of: .actor("A")).liveRuns == 2)
        #expect(try await store.liveCount(of: .account).liveRuns == 2)
        #expect(try await store.unfinishedRuns(of: .actor("A")).map(\.id) == ["late"])
        #expect(try await store.unfinishedRuns(of: .account).map(\.id) == ["late"])
        try await store.close()
        #expect(try rows("SELECT id, task_id FROM runs ORDER BY id") == [["direct", ""], ["late", "T"]])
        #expect(try DatabaseInvariants.violations(in: path).isEmpty)
    }

    @Test func aSourceAddedToAFilledDatabaseStartsWithTheRunsItListsCounted() async throws {
        let store = try RunStore.open(path: path)
        _ = try await apply(
            store,
            .task("T"),
            [
                Self.run("a", "SUCCEEDED", task: "T", actor: "A"),
                Self.run("b", "RUNNING", task: "T", actor: "A"),
            ],
            at: "T1"
        )
        _ = try await apply(store, .task("U"), [Self.run("c", "SUCCEEDED", task: "U", actor: "B")], at: "T1")
        try await store.register(.account, at: "T2")
        try await store.register(.actor("A"), at: "T2")
        #expect(try await store.liveCount(of: .account).liveRuns == 3)
        #expect(try await store.liveCount(of: .actor("A")).liveRuns == 2)
        #expect(try await store.liveCount(of: .actor("B")).liveRuns == 0, "no state row: nothing counted yet")
        try await store.close()
        #expect(try DatabaseInvariants.violations(in: path).isEmpty)
    }

    @Test func retentionMarkedThroughOneSourceLowersEveryCount() async throws {
        let store = try RunStore.open(path: path)
        for source in [RunSource.task("T"), .actor("A"), .account] { try await store.register(source, at: "T0") }
        _ = try await apply(
            store,
            .account,
            [
                Self.run("old", "SUCCEEDED", task: "T", actor: "A", startedAt: "2025-01-01T00:00:01.000Z"),
                Self.run("new", "SUCCEEDED", task: "T", actor: "A", startedAt: "2025-01-01T00:00:09.000Z"),
            ],
            at: "T1"
        )
        #expect(
            try await store.markRetentionDeleted(source: .account, oldestLive: "2025-01-01T00:00:09.000Z", at: "T2")
                == 1
        )
        for source in [RunSource.task("T"), .actor("A"), .account] {
            #expect(try await store.liveCount(of: source).liveRuns == 1, "\(source)")
        }
        try await store.close()
        #expect(try DatabaseInvariants.violations(in: path).isEmpty)
    }

    @Test func aVersion4FileKeepsEveryRowCursorAndTaskName() async throws {
        let store = try RunStore.open(path: path)
        let cursor = TaskCursor(nextOffset: 1, anchorRunId: "a", anchorStartedAt: "2025-01-01T00:00:01.000Z")
        _ = try await store.apply(
            RunBatch(
                source: .task("T"),
                runs: [Self.run("a", "FAILED", task: "T", actor: "A")],
                cursor: cursor,
                observedAt: "T1"
            )
        )
        let beforeThePass = try await store.passStart(for: .task("T"))
        #expect(beforeThePass.cursor == cursor && !beforeThePass.backfillCompleted)
        #expect(try await store.passStart(for: .task("never read")) == (.start, false))
        try await store.recordPass(source: .task("T"), at: "T1", error: nil, backfillCompleted: true)
        try await store.setName("jane~news", of: .task("T"), at: "T1")
        try await store.close()
        let database = try Database(path: path)
        try database.execute(OlderSchemas.downgradeToVersion4)
        #expect(try database.rows("SELECT task_id, task_name, live_runs FROM sync_state") == [["T", "jane~news", 1]])
        try database.close(optimize: false)

        let migrated = try RunStore.open(path: path)
        #expect(migrated.upgrade.map { [$0.fromVersion, $0.toVersion] } == [4, 6])
        #expect(try await migrated.passStart(for: .task("T")) == (cursor, true))
        #expect(try await migrated.liveCount(of: .task("T")).liveRuns == 1)
        let statuses = try await migrated.sourceStatuses()
        #expect(statuses.map(\.source) == [.task("T")])
        #expect(statuses.first?.name == "jane~news")
        try await migrated.close()
        #expect(try rows("SELECT kind, id, name FROM names") == [["task", "T", "jane~news"]])
        #expect(
            try rows("SELECT run_id, task_id, task_name, actor_id FROM recent_failures") == [
                ["a", "T", "jane~news", "A"]
            ]
        )
        #expect(try DatabaseInvariants.violations(in: path).isEmpty)
    }

    @Test func theViewsShowTasksAndDirectActorRunsByName() async throws {
        let store = try RunStore.open(path: path)
        _ = try await apply(
            store,
            .account,
            [
                Self.run("t1", "SUCCEEDED", task: "T", actor: "A", startedAt: "2025-01-01T00:00:01.000Z"),
                Self.run("t2", "FAILED", task: "T", actor: "A", startedAt: "2025-01-01T00:00:02.000Z"),
                Self.run("d1", "SUCCEEDED", task: nil, actor: "A", startedAt: "2025-01-01T00:00:03.000Z"),
                Self.run("d2", "SUCCEEDED", task: nil, actor: "B", startedAt: "2025-01-01T00:00:04.000Z"),
                Self.run("d3", "ABORTED", task: nil, actor: "B", startedAt: "2025-01-01T00:00:05.000Z"),
            ],
            at: "T1"
        )
        try await store.setName("jane~news", of: .task("T"), at: "T1")
        try await store.setName("jane~crawler", of: .actor("A"), at: "T1")
        try await store.setName("jane~monitor", of: .actor("B"), at: "T1")
        #expect(try await store.unnamed(refreshedBefore: "T0", limit: 10).isEmpty)
        #expect(try await store.unnamed(refreshedBefore: "T2", limit: 10) == [.actor("A"), .actor("B"), .task("T")])
        try await store.close()
        #expect(
            try rows("SELECT run_id, task_id, task_name, actor_id, actor_name FROM latest_runs ORDER BY run_id") == [
                ["d1", "", .null, "A", "jane~crawler"],
                ["d3", "", .null, "B", "jane~monitor"],
                ["t2", "T", "jane~news", "A", "jane~crawler"],
            ]
        )
        #expect(
            try rows("SELECT run_id, actor_name FROM recent_failures") == [
                ["d3", "jane~monitor"], ["t2", "jane~crawler"],
            ]
        )
        #expect(
            try rows("SELECT task_id, actor_id, status, runs FROM daily_run_counts ORDER BY 1, 2, 3") == [
                ["", "A", "SUCCEEDED", 1], ["", "B", "ABORTED", 1], ["", "B", "SUCCEEDED", 1], ["T", "A", "FAILED", 1],
                ["T", "A", "SUCCEEDED", 1],
            ]
        )
    }

    @Test func aCopyFromAReadAskedForBeforeTheRowChangedDoesNotMoveItsStatusBack() async throws {
        let store = try RunStore.open(path: path)
        let session = store.session()
        // The task's read saw the run finish and was written at :10.
        _ = try await session.apply(
            RunBatch(
                source: .task("T"),
                runs: [Self.run("r", "RUNNING", task: "T", actor: "A")],
                observedAt: "2025-01-01T00:00:01.000Z"
            )
        )
        _ = try await session.apply(
            RunBatch(
                source: .task("T"),
                runs: [Self.run("r", "SUCCEEDED", task: "T", actor: "A")],
                observedAt: "2025-01-01T00:00:10.000Z"
            )
        )
        // The account's read, asked for at :09 and written after, still had it running.
        var older = RunBatch(
            source: .account,
            runs: [Self.run("r", "RUNNING", task: "T", actor: "A")],
            observedAt: "2025-01-01T00:00:11.000Z"
        )
        older.readSince = "2025-01-01T00:00:09.000Z"
        let kept = try await session.apply(older)
        #expect(kept.deferred == 1 && kept.changes.isEmpty)
        // Asked for in the very millisecond the row changed: which came first is unknown, too.
        older.readSince = "2025-01-01T00:00:10.000Z"
        let tied = try await session.apply(older)
        #expect(tied.deferred == 1 && tied.changes.isEmpty)
        // A read asked for after the change is believed, a resurrection included.
        var newer = older
        newer.readSince = "2025-01-01T00:00:12.000Z"
        newer.observedAt = "2025-01-01T00:00:13.000Z"
        let resurrected = try await session.apply(newer)
        #expect(resurrected.changes.map { "\($0.from ?? "-")>\($0.to)" } == ["SUCCEEDED>RUNNING"])
        #expect(try await session.settle().failure == nil)
        try await store.close()
        #expect(try rows("SELECT from_status, to_status FROM run_status_changes ORDER BY id").count == 3)
        #expect(try DatabaseInvariants.violations(in: path).isEmpty)
    }
}
