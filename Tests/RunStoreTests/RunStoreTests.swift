import Foundation
import RunModel
import RunStore
import SQLiteCore
import TestSupport
import Testing

@Suite struct RunStoreTests {
    let directory: TemporaryDirectory
    var path: String { directory.path("runs.db") }

    init() throws {
        directory = try TemporaryDirectory()
    }

    static func run(
        _ id: String,
        _ status: String,
        startedAt: String = "2025-01-01T00:00:00.000Z",
        extra: String = ""
    )
        -> RunRecord
    {
        let json = #"{"id":"\#(id)","status":"\#(status)","startedAt":"\#(startedAt)"\#(extra)}"#
        return RunRecord(id: id, status: status, startedAt: startedAt, rawJSON: ArraySlice(json.utf8))
    }

    /// Makes the store's connection fail any insert of a run with the ID "boom".
    static func failInsertsOfRunBoom(in store: RunStore) async throws {
        try await store.perform { db in
            try db.execute(
                "CREATE TEMP TRIGGER boom BEFORE INSERT ON runs WHEN NEW.id = 'boom' BEGIN SELECT RAISE(ABORT, 'boom'); END"
            )
        }
    }

    private func inspect<T>(_ body: (Database) throws -> T) throws -> T {
        let database = try Database(path: path)
        defer { try? database.close(optimize: false) }
        return try body(database)
    }

    @Test func migratesAnEmptyFile() async throws {
        let store = try RunStore.open(path: path)
        #expect(store.upgrade == nil, "a new file is created, not upgraded")
        try await store.close()
        try inspect { db in
            #expect(try db.scalar("PRAGMA user_version") == .integer(6))
            #expect(try db.scalar("PRAGMA application_id") == .integer(0x4152_5353))
            #expect(try db.scalar("PRAGMA journal_mode") == .text("wal"))
            #expect(try db.scalar("PRAGMA page_size") == .integer(32768))
            let names = try db.rows(
                "SELECT name FROM sqlite_schema WHERE type IN ('table','view') AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
            .compactMap { $0[0].text }
            #expect(
                names == [
                    "alert_sinks", "daily_run_counts", "event_deliveries", "events", "health_problems",
                    "health_watches",
                    "latest_runs", "names",
                    "recent_events", "recent_failures", "run_status_changes", "runs", "sync_state", "task_health",
                ]
            )
        }
    }

    @Test func migratesAVersion1FileAndReadsItsStatusBeforeThat() async throws {
        let store = try RunStore.open(path: path)
        let runs = [Self.run("a", "RUNNING"), Self.run("b", "SUCCEEDED")]
        _ = try await store.apply(RunBatch(source: .task("t"), runs: runs, observedAt: "T1"))
        try await store.recordPass(source: .task("t"), at: "T1", error: nil, backfillCompleted: true)
        try await store.close()
        // Version 1 as released: its partial index had an IN list.
        try inspect { db in
            try db.execute(OlderSchemas.downgradeToVersion2)
            try db.execute(
                """
                DROP INDEX runs_unfinished;
                CREATE INDEX runs_unfinished ON runs(task_id)
                    WHERE status NOT IN ('SUCCEEDED','FAILED','TIMED-OUT','ABORTED') AND deleted_at IS NULL;
                PRAGMA user_version = 1;
                """
            )
        }
        #expect(try RunStore.readStatuses(path: path).map(\.unfinishedRuns) == [1])
        #expect(try inspect { try $0.scalar("PRAGMA user_version") } == 1, "reading status does not migrate")
        let migrated = try RunStore.open(path: path)
        #expect(migrated.upgrade.map { [$0.fromVersion, $0.toVersion] } == [1, 6])
        #expect(try await migrated.unfinishedRuns(of: .task("t")).map(\.id) == ["a"])
        #expect(try await migrated.sourceStatuses().map(\.unfinishedRuns) == [1])
        try await migrated.close()
        try inspect { db in
            #expect(try db.scalar("PRAGMA user_version") == 6)
            let index = try db.scalar("SELECT sql FROM sqlite_schema WHERE name = 'runs_unfinished'").text ?? ""
            #expect(!index.contains(" IN "), "\(index)")
            // The text version 2 wrote, which the store's queries repeat (generated from RunStatus).
            #expect(
                index.hasSuffix(
                    "WHERE status <> 'SUCCEEDED' AND status <> 'FAILED' AND status <> 'TIMED-OUT' "
                        + "AND status <> 'ABORTED' AND deleted_at IS NULL"
                ),
                "\(index)"
            )
            let plan = try db.rows(
                "EXPLAIN QUERY PLAN SELECT id FROM runs WHERE task_id = 't' AND status <> 'SUCCEEDED' "
                    + "AND status <> 'FAILED' AND status <> 'TIMED-OUT' AND status <> 'ABORTED' AND deleted_at IS NULL"
            )
            #expect(plan.contains { $0.last?.text?.contains("runs_unfinished") == true }, "\(plan)")
            #expect(try db.scalar("SELECT count(*) FROM runs") == 2)
        }
    }

    /// Start and finish times that SQLite's julianday() and the store both read.
    static let durationCases: [(startedAt: String, finishedAt: String?)] = [
        ("2025-01-01T00:00:00.000Z", "2025-01-01T00:00:12.345Z"),
        ("2024-02-28T23:59:59.999Z", "2024-03-01T00:00:00.001Z"),
        ("2025-06-30T22:10:00.500+02:00", "2025-06-30T20:10:01.250Z"),
        ("2025-01-01 08:00:00Z", "2025-01-01T07:59:58.766-00:00"),
        ("2019-11-30T07:34:24.202Z", "2026-11-29T07:34:24.201Z"),
        ("2025-01-01T00:00:00.000Z", nil),
    ]

    @Test func aVersion2FileKeepsItsDurationsAndTheStoreWritesThemFromThen() async throws {
        func runs(_ prefix: String, status: String) -> [RunRecord] {
            Self.durationCases.enumerated().map { index, times in
                var run = Self.run("\(prefix)\(index)", status, startedAt: times.startedAt)
                run.finishedAt = times.finishedAt
                return run
            }
        }
        let store = try RunStore.open(path: path)
        _ = try await store.apply(
            RunBatch(source: .task("t"), runs: runs("old", status: "SUCCEEDED"), observedAt: "T1")
        )
        try await store.close()
        try inspect { try $0.execute(OlderSchemas.downgradeToVersion2) }
        let generated = try inspect { try $0.rows("SELECT id, duration_seconds FROM runs ORDER BY id") }
        #expect(generated.count == Self.durationCases.count)
        #expect(generated[0] == [.text("old0"), .real(12.345)])

        let migrated = try RunStore.open(path: path)
        #expect(migrated.upgrade.map { [$0.fromVersion, $0.toVersion] } == [2, 6])
        try inspect { db in
            #expect(try db.scalar("PRAGMA user_version") == 6)
            #expect(try db.rows("SELECT id, duration_seconds FROM runs ORDER BY id") == generated)
            let hidden = try db.scalar("SELECT hidden FROM pragma_table_xinfo('runs') WHERE name = 'duration_seconds'")
            #expect(hidden == 0, "a plain column, no longer generated")
        }
        // New runs, and a run that finishes: the store writes what SQLite's expression gave.
        _ = try await migrated.apply(
            RunBatch(source: .task("t"), runs: runs("new", status: "RUNNING"), observedAt: "T2")
        )
        var finishing = Self.run("late", "RUNNING", startedAt: "2025-01-01T00:00:00.000Z")
        _ = try await migrated.apply(RunBatch(source: .task("t"), runs: [finishing], observedAt: "T2"))
        finishing.status = "SUCCEEDED"
        finishing.finishedAt = "2025-01-01T01:00:00.010Z"
        finishing.rawJSON = ArraySlice(#"{"id":"late","status":"SUCCEEDED"}"#.utf8)
        _ = try await migrated.apply(RunBatch(source: .task("t"), runs: [finishing], observedAt: "T3"))
        try await migrated.close()
        try inspect { db in
            let rows = try db.rows(
                """
                SELECT id, duration_seconds, round((julianday(finished_at) - julianday(started_at)) * 86400.0, 3)
                FROM runs WHERE id NOT LIKE 'old%' ORDER BY id
                """
            )
            #expect(rows.count == Self.durationCases.count + 1)
            for row in rows { #expect(row[1] == row[2], "\(row)") }
            #expect(rows.first { $0[0] == .text("late") }?[1] == .real(3600.01))
            #expect(try db.scalar("SELECT duration_seconds FROM recent_failures") == .null, "no failures")
            #expect(try db.scalar("SELECT count(*) FROM latest_runs WHERE duration_seconds IS NOT NULL") == 1)
        }
    }

    @Test func unreadableTimesLeaveTheDurationNull() async throws {
        let store = try RunStore.open(path: path)
        var run = Self.run("a", "SUCCEEDED", startedAt: "yesterday")
        run.finishedAt = "2025-01-01T00:00:00.000Z"
        _ = try await store.apply(RunBatch(source: .task("t"), runs: [run], observedAt: "T1"))
        try await store.close()
        #expect(try inspect { try $0.scalar("SELECT duration_seconds FROM runs") } == .null)
    }

    @Test func reopeningAnUpToDateFileChangesNothing() async throws {
        try await RunStore.open(path: path).close()
        let before = try inspect { db in try db.rows("SELECT type, name, sql FROM sqlite_schema ORDER BY name") }
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let reopened = try RunStore.open(path: path)
        #expect(reopened.upgrade == nil)
        try await reopened.close()
        let after = try inspect { db in try db.rows("SELECT type, name, sql FROM sqlite_schema ORDER BY name") }
        #expect(before == after)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == bytes)
    }

    @Test func refusesAForeignFileAndLeavesItByteForByte() throws {
        let database = try Database(path: path)
        try database.execute("PRAGMA application_id = 1234; CREATE TABLE theirs (x); INSERT INTO theirs VALUES (1)")
        try database.close(optimize: false)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect {
            try RunStore.open(path: path)
        } throws: { error in
            guard case RunStoreError.notOurs(_, 1234) = error else { return false }
            return "\(error)".contains(path)
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == bytes)
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
    }

    @Test func refusesAnUnmarkedFileWithTablesOfItsOwn() throws {
        let database = try Database(path: path)
        try database.execute("CREATE TABLE theirs (x)")
        try database.close(optimize: false)
        #expect(throws: RunStoreError.self) { try RunStore.open(path: path) }
    }

    @Test func refusesANewerSchemaAndLeavesItByteForByte() async throws {
        try await RunStore.open(path: path).close()
        try inspect { db in try db.execute("PRAGMA user_version = 99") }
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect {
            try RunStore.open(path: path)
        } throws: { error in
            guard case RunStoreError.tooNew(_, 99, 6) = error else { return false }
            return true
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == bytes)
    }

    @Test func refusesAFileThatIsNotSQLite() throws {
        try Data("hello, this is not a database, but it is long enough to look like one.......".utf8)
            .write(to: URL(fileURLWithPath: path))
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect {
            try RunStore.open(path: path)
        } throws: { error in
            "\(error)".contains("not a database")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == bytes)
    }

    @Test func firstSightingRecordsOneChangeFromNull() async throws {
        let store = try RunStore.open(path: path)
        let applied = try await store.apply(
            RunBatch(source: .task("t"), runs: [Self.run("a", "RUNNING")], observedAt: "2025-01-01T00:00:01.000Z")
        )
        #expect(applied.inserted == 1)
        #expect(applied.changes.map { [$0.from, $0.to] } == [[nil, "RUNNING"]])
        let rows = try await store.perform { db in
            try db.rows("SELECT run_id, task_id, from_status, to_status, observed_at FROM run_status_changes")
        }
        #expect(rows == [["a", "t", .null, "RUNNING", "2025-01-01T00:00:01.000Z"]])
    }

    @Test func applyingTheSamePageTwiceWritesNothing() async throws {
        let store = try RunStore.open(path: path)
        let runs = (0..<50).map { Self.run("r\($0)", $0 % 3 == 0 ? "FAILED" : "SUCCEEDED") }
        _ = try await store.apply(RunBatch(source: .task("t"), runs: runs, observedAt: "2025-01-01T00:00:01.000Z"))
        let before = try await store.perform { db in
            try db.rows("SELECT id, updated_at, raw_json FROM runs ORDER BY id")
        }
        let second = try await store.apply(
            RunBatch(source: .task("t"), runs: runs, observedAt: "2025-01-01T00:00:09.000Z")
        )
        #expect(second.inserted == 0)
        #expect(second.updated == 0)
        #expect(second.unchanged == 50)
        #expect(second.changes.isEmpty)
        let after = try await store.perform { db in
            try db.rows("SELECT id, updated_at, raw_json FROM runs ORDER BY id")
        }
        #expect(before == after)
        #expect(try await store.perform { try $0.scalar("SELECT count(*) FROM run_status_changes") } == 50)
    }

    @Test func aStatusChangeIsRecordedOnceAndAFieldChangeRewritesTheRowWithoutAChange() async throws {
        let store = try RunStore.open(path: path)
        _ = try await store.apply(RunBatch(source: .task("t"), runs: [Self.run("a", "RUNNING")], observedAt: "T1"))
        let finished = Self.run("a", "FAILED", extra: #","usageTotalUsd":0.1"#)
        let first = try await store.apply(RunBatch(source: .task("t"), runs: [finished], observedAt: "T2"))
        #expect(first.changes.map { [$0.from, $0.to] } == [["RUNNING", "FAILED"]])
        let again = try await store.apply(RunBatch(source: .task("t"), runs: [finished], observedAt: "T3"))
        #expect(again.changes.isEmpty && again.updated == 0)
        var costed = Self.run("a", "FAILED", extra: #","usageTotalUsd":0.2"#)
        costed.usageTotalUsd = 0.2
        let cost = try await store.apply(RunBatch(source: .task("t"), runs: [costed], observedAt: "T4"))
        #expect(cost.updated == 1)
        #expect(cost.changes.isEmpty)
        let rows = try await store.perform { db in
            try db.rows("SELECT from_status, to_status, observed_at FROM run_status_changes ORDER BY id")
        }
        #expect(rows == [[.null, "RUNNING", "T1"], ["RUNNING", "FAILED", "T2"]])
        #expect(try await store.perform { try $0.scalar("SELECT usage_total_usd FROM runs") } == .real(0.2))
    }

    @Test func aRunListedTwiceInABatchIsWrittenOnceAsItsLastItem() async throws {
        let store = try RunStore.open(path: path)
        let applied = try await store.apply(
            RunBatch(
                source: .task("t"),
                runs: [Self.run("a", "RUNNING"), Self.run("a", "RUNNING"), Self.run("a", "SUCCEEDED")],
                observedAt: "T1"
            )
        )
        // The API can list one run twice in two statuses: the later item is the truth, written once.
        #expect(applied.changes.map { [$0.from, $0.to] } == [[nil, "SUCCEEDED"]])
        #expect(applied.inserted == 1 && applied.unchanged == 0)
    }

    @Test func batchesAreWrittenInTheByteOrderOfTheirIDsWithDuplicatesInTheirOwnOrder() {
        var generator = SystemRandomNumberGenerator()
        let pieces = [
            "", "a", "ab", "abcdefgh", "abcdefgh1", "abcdefgh2", "abcdefgi", "Z", "é", "z\u{0}", "01ziDT5m9WDrtSaaG",
        ]
        for _ in 0..<50 {
            let ids = (0..<200).map { _ in
                pieces.randomElement(using: &generator)! + pieces.randomElement(using: &generator)!
            }
            let runs = ids.map { RunRecord(id: $0, status: "SUCCEEDED", rawJSON: []) }
            let expected = ids.indices.sorted { a, b in
                let (first, second) = (Array(ids[a].utf8), Array(ids[b].utf8))
                return first == second ? a < b : first.lexicographicallyPrecedes(second)
            }
            #expect(RunStore.idOrder(runs) == expected)
        }
    }

    @Test func everyFieldLandsInItsOwnColumnOnInsertAndUpdate() async throws {
        func run(_ version: String, status: String, finishedAt: String?) -> RunRecord {
            RunRecord(
                id: "run-1",
                status: status,
                actorTaskId: "task-\(version)",
                actId: "act-\(version)",
                userId: "user-\(version)",
                startedAt: "2025-01-01T00:00:00.000Z",
                finishedAt: finishedAt,
                buildId: "build-\(version)",
                buildNumber: "0.1.\(version)",
                origin: "origin-\(version)",
                usageTotalUsd: 0.5,
                defaultKeyValueStoreId: "kvs-\(version)",
                defaultDatasetId: "ds-\(version)",
                defaultRequestQueueId: "rq-\(version)",
                rawJSON: ArraySlice(#"{"id":"run-1","v":"\#(version)"}"#.utf8)
            )
        }
        let store = try RunStore.open(path: path)
        let columns = """
            SELECT id, task_id, actor_task_id, act_id, user_id, status, started_at, finished_at, build_id,
                build_number, origin, usage_total_usd, default_key_value_store_id, default_dataset_id,
                default_request_queue_id, raw_json, first_seen_at, updated_at FROM runs
            """
        func expected(_ version: String, _ status: String, _ finishedAt: SQLiteValue, updated: String) -> [SQLiteValue]
        {
            [
                // The run's task is the API's `actorTaskId`, whichever list it came from.
                "run-1", .text("task-\(version)"), .text("task-\(version)"), .text("act-\(version)"),
                .text("user-\(version)"),
                .text(status),
                "2025-01-01T00:00:00.000Z", finishedAt, .text("build-\(version)"), .text("0.1.\(version)"),
                .text("origin-\(version)"), .real(0.5), .text("kvs-\(version)"), .text("ds-\(version)"),
                .text("rq-\(version)"), .text(#"{"id":"run-1","v":"\#(version)"}"#), "T1", .text(updated),
            ]
        }
        _ = try await store.apply(
            RunBatch(source: .task("t"), runs: [run("1", status: "RUNNING", finishedAt: nil)], observedAt: "T1")
        )
        #expect(
            try await store.perform { try $0.rows(columns) } == [expected("1", "RUNNING", .null, updated: "T1")]
        )
        _ = try await store.apply(
            RunBatch(
                source: .task("t"),
                runs: [run("2", status: "FAILED", finishedAt: "2025-01-01T00:05:00.000Z")],
                observedAt: "T2"
            )
        )
        #expect(
            try await store.perform { try $0.rows(columns) } == [
                expected("2", "FAILED", "2025-01-01T00:05:00.000Z", updated: "T2")
            ]
        )
        let changes = try await store.perform {
            try $0.rows(
                "SELECT run_id, task_id, from_status, to_status, observed_at, started_at, finished_at FROM run_status_changes ORDER BY id"
            )
        }
        #expect(
            changes == [
                ["run-1", "task-1", .null, "RUNNING", "T1", "2025-01-01T00:00:00.000Z", .null],
                [
                    "run-1", "task-2", "RUNNING", "FAILED", "T2", "2025-01-01T00:00:00.000Z",
                    "2025-01-01T00:05:00.000Z",
                ],
            ]
        )
    }

    @Test func unknownStatusesAndAbsentFieldsAreStoredAsGiven() async throws {
        let store = try RunStore.open(path: path)
        let run = RunRecord(
            id: "x",
            status: "HIBERNATING",
            rawJSON: ArraySlice(#"{"id":"x","status":"HIBERNATING"}"#.utf8)
        )
        _ = try await store.apply(RunBatch(source: .task("t"), runs: [run], observedAt: "T1"))
        let row = try await store.perform { db in
            try db.rows("SELECT status, started_at, usage_total_usd, raw_json FROM runs").first
        }
        #expect(row == ["HIBERNATING", .null, .null, #"{"id":"x","status":"HIBERNATING"}"#])
        #expect(try await store.unfinishedRuns(of: .task("t")).map(\.id) == ["x"])
    }

    @Test func aBatchThatFailsHalfWayLeavesRunsAndCursorUnchanged() async throws {
        let store = try RunStore.open(path: path)
        try await Self.failInsertsOfRunBoom(in: store)
        let batch = RunBatch(
            source: .task("t"),
            runs: [Self.run("a", "SUCCEEDED"), Self.run("boom", "SUCCEEDED")],
            cursor: TaskCursor(nextOffset: 2, anchorRunId: "boom", anchorStartedAt: "2025-01-01T00:00:00.000Z"),
            observedAt: "T1"
        )
        await #expect(throws: SQLiteError.self) { try await store.apply(batch) }
        #expect(try await store.perform { try $0.scalar("SELECT count(*) FROM runs") } == 0)
        #expect(try await store.perform { try $0.scalar("SELECT count(*) FROM run_status_changes") } == 0)
        #expect(try await store.cursor(for: .task("t")) == .start)
    }

    @Test func cursorIsWrittenWithThePage() async throws {
        let store = try RunStore.open(path: path)
        let cursor = TaskCursor(nextOffset: 1, anchorRunId: "a", anchorStartedAt: "2025-01-01T00:00:00.000Z")
        _ = try await store.apply(
            RunBatch(source: .task("t"), runs: [Self.run("a", "SUCCEEDED")], cursor: cursor, observedAt: "T1")
        )
        #expect(try await store.cursor(for: .task("t")) == cursor)
        #expect(try await store.cursor(for: .task("other")) == .start)
    }

    @Test func deletedRunsAreMarkedNeverRemoved() async throws {
        let store = try RunStore.open(path: path)
        _ = try await store.apply(RunBatch(source: .task("t"), runs: [Self.run("a", "RUNNING")], observedAt: "T1"))
        let applied = try await store.apply(
            RunBatch(source: .task("t"), runs: [], deletedRunIds: ["a", "never-stored"], observedAt: "T2")
        )
        #expect(applied.markedDeleted == 1)
        #expect(try await store.perform { try $0.scalar("SELECT deleted_at FROM runs WHERE id = 'a'") } == "T2")
        #expect(try await store.unfinishedRuns(of: .task("t")).isEmpty)
    }

    @Test func aReaderKeepsItsSnapshotWhileTheStoreWrites() async throws {
        // No busy timeout: a writer that a reader blocked would fail at once with SQLITE_BUSY instead
        // of waiting, so the test needs no clock.
        let store = try RunStore.open(path: path, busyTimeoutMilliseconds: 0)
        _ = try await store.apply(RunBatch(source: .task("t"), runs: [Self.run("a", "SUCCEEDED")], observedAt: "T1"))
        try await store.flush()
        let reader = try Database(path: path, busyTimeoutMilliseconds: 0)
        try reader.execute("BEGIN")
        #expect(try reader.scalar("SELECT count(*) FROM runs") == 1)
        let applied = try await store.apply(
            RunBatch(source: .task("t"), runs: [Self.run("b", "SUCCEEDED")], observedAt: "T2")
        )
        #expect(try await store.commit(epochs: [applied.epoch]).isEmpty)
        #expect(try reader.scalar("SELECT count(*) FROM runs") == 1)
        try reader.execute("COMMIT")
        #expect(try reader.scalar("SELECT count(*) FROM runs") == 2)
        try reader.close(optimize: false)
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

    @Test func batchesShareATransactionThatCommitsWhenAsked() async throws {
        // Never old enough to commit by itself while the test runs, however loaded the machine.
        let store = try RunStore.open(path: path, transactionMaximumAge: .seconds(3600))
        let first = try await store.apply(
            RunBatch(source: .task("t"), runs: [Self.run("a", "RUNNING")], observedAt: "T1")
        )
        let second = try await store.apply(
            RunBatch(source: .task("u"), runs: [Self.run("b", "RUNNING")], observedAt: "T1")
        )
        #expect(first.epoch == second.epoch)
        let outside = try Database(path: path, readOnly: true)
        #expect(try outside.scalar("SELECT count(*) FROM runs") == 0, "nothing is visible before the commit")
        #expect(try await store.commit(epochs: [first.epoch]).isEmpty)
        #expect(try outside.scalar("SELECT count(*) FROM runs") == 2)
        let third = try await store.apply(
            RunBatch(source: .task("t"), runs: [Self.run("c", "RUNNING")], observedAt: "T2")
        )
        #expect(third.epoch > first.epoch)
        try outside.close(optimize: false)
        try await store.close()
        let reopened = try Database(path: path, readOnly: true)
        #expect(try reopened.scalar("SELECT count(*) FROM runs") == 3, "close commits what is pending")
        try reopened.close(optimize: false)
    }

    @Test func aBatchThatFailsLosesTheSharedTransactionAndASessionCannotWritePastIt() async throws {
        let store = try RunStore.open(path: path)
        try await Self.failInsertsOfRunBoom(in: store)
        let session = store.session()
        let first = try await session.apply(
            RunBatch(
                source: .task("t"),
                runs: [Self.run("a", "RUNNING")],
                cursor: Self.cursor("a", 1),
                observedAt: "T1"
            )
        )
        // Another writer's batch fails and takes the shared transaction, "a" with it, down.
        await #expect(throws: SQLiteError.self) {
            try await store.apply(RunBatch(source: .task("u"), runs: [Self.run("boom", "SUCCEEDED")], observedAt: "T1"))
        }
        // The session's next batch follows the lost one: written, its cursor would point past "a", unstored.
        let refused = try await #require(throws: StoreCommitError.self) {
            try await session.apply(
                RunBatch(
                    source: .task("t"),
                    runs: [Self.run("b", "RUNNING")],
                    cursor: Self.cursor("b", 2),
                    observedAt: "T2"
                )
            )
        }
        #expect(refused.epoch == first.epoch)
        let settled = try await session.settle()
        #expect(settled.committed.isEmpty && settled.failure?.epoch == first.epoch)
        // A caller that lost nothing carries on in a new transaction.
        let other = store.session()
        let next = try await other.apply(
            RunBatch(source: .task("u"), runs: [Self.run("c", "RUNNING")], observedAt: "T2")
        )
        #expect(next.epoch > first.epoch)
        let committed = try await other.settle()
        #expect(committed.committed.map(\.epoch) == [next.epoch] && committed.failure == nil)
        #expect(try await store.perform { try $0.scalar("SELECT group_concat(id) FROM runs") } == "c")
        #expect(try await store.cursor(for: .task("t")) == .start)
        try await store.close()
        #expect(try inspect { try $0.scalar("SELECT count(*) FROM sync_state WHERE source_id = 't'") } == 0)
    }

    @Test func aSessionWhoseBatchFailedRefusesItsLaterBatchesAndLeavesOtherSessionsAlone() async throws {
        let store = try RunStore.open(path: path)
        try await Self.failInsertsOfRunBoom(in: store)
        let session = store.session()
        await #expect(throws: SQLiteError.self) {
            try await session.apply(
                RunBatch(
                    source: .task("t"),
                    runs: [Self.run("boom", "RUNNING")],
                    cursor: Self.cursor("boom", 1),
                    observedAt: "T1"
                )
            )
        }
        let second = RunBatch(
            source: .task("t"),
            runs: [Self.run("b", "RUNNING")],
            cursor: Self.cursor("b", 2),
            observedAt: "T2"
        )
        await #expect(throws: WriteChain.Broken.self) { try await session.apply(second) }
        let other = store.session()
        _ = try await other.apply(RunBatch(source: .task("w"), runs: [Self.run("c", "RUNNING")], observedAt: "T2"))
        #expect(try await other.settle().failure == nil)
        try await store.close()
        #expect(try inspect { try $0.scalar("SELECT group_concat(id) FROM runs") } == "c")
        #expect(try inspect { try $0.scalar("SELECT count(*) FROM sync_state WHERE source_id = 't'") } == 0)
    }

    static func cursor(_ id: String, _ offset: Int) -> TaskCursor {
        TaskCursor(nextOffset: offset, anchorRunId: id, anchorStartedAt: "2025-01-01T00:00:00.000Z")
    }

    /// Batches of `count` runs with about 4 KiB of JSON each: a few log frames per commit.
    static func bulkyRuns(_ prefix: String, count: Int) -> [RunRecord] {
        let padding = String(repeating: "p", count: 4000)
        return (0..<count).map { Self.run("\(prefix)-\($0)", "SUCCEEDED", extra: #","padding":"\#(padding)""#) }
    }

    var walBytes: Int {
        ((try? FileManager.default.attributesOfItem(atPath: path + "-wal"))?[.size] as? Int) ?? 0
    }

    @Test func theLogIsCheckpointedBesideTheWriterAndStartsOverInsteadOfGrowing() async throws {
        let store = try RunStore.open(path: path, checkpointFrames: 8)
        var largest = 0
        for round in 0..<60 {
            let applied = try await store.apply(
                RunBatch(source: .task("t"), runs: Self.bulkyRuns("r\(round)", count: 20), observedAt: "T\(round)")
            )
            #expect(try await store.commit(epochs: [applied.epoch]).isEmpty)
            largest = max(largest, walBytes)
        }
        // 60 commits of about 3 frames of 32 KiB each, 6 MiB of log if nothing were copied back.
        #expect(largest < 2 * 1024 * 1024, "the log grew to \(largest) bytes")
        try await store.close()
        #expect(walBytes == 0, "closing the store closes the checkpointer's connection too")
        #expect(try inspect { try $0.scalar("SELECT count(*) FROM runs") } == 1200)
    }

    @Test func closingAfterWritesAndQueriesCommitsItsStatisticsWithoutAskingForACheckpoint() async throws {
        // `PRAGMA optimize` at close may analyze, which commits: the commit hook then fired after
        // the checkpointer had closed, and the daemon crashed on its way out.
        let store = try RunStore.open(path: path, checkpointFrames: 1)
        for round in 0..<5 {
            let applied = try await store.apply(
                RunBatch(source: .task("t\(round)"), runs: Self.bulkyRuns("r\(round)", count: 50), observedAt: "T")
            )
            _ = try await store.commit(epochs: [applied.epoch])
            _ = try await store.unfinishedRuns(of: .task("t\(round)"))
            _ = try await store.sourceStatuses()
        }
        try await store.close()
        #expect(
            try inspect { try $0.scalar("SELECT count(*) FROM sqlite_stat1") }.integer ?? 0 > 0,
            "optimize analyzed"
        )
        #expect(walBytes == 0)
    }

    @Test func aReaderHoldingAnOldSnapshotNeitherStopsTheWriterNorSeesItsWrites() async throws {
        let store = try RunStore.open(path: path, checkpointFrames: 2)
        let first = try await store.apply(
            RunBatch(source: .task("t"), runs: Self.bulkyRuns("a", count: 10), observedAt: "T")
        )
        _ = try await store.commit(epochs: [first.epoch])
        let reader = try Database(path: path, readOnly: true)
        try reader.execute("BEGIN")
        #expect(try reader.scalar("SELECT count(*) FROM runs") == 10)
        // The checkpoints cannot copy past the reader's snapshot: the writer carries on regardless.
        for round in 0..<20 {
            let applied = try await store.apply(
                RunBatch(source: .task("t"), runs: Self.bulkyRuns("b\(round)", count: 10), observedAt: "T\(round)")
            )
            #expect(try await store.commit(epochs: [applied.epoch]).isEmpty)
        }
        #expect(try reader.scalar("SELECT count(*) FROM runs") == 10)
        try reader.execute("COMMIT")
        try reader.close(optimize: false)
        #expect(try await store.perform { try $0.scalar("SELECT count(*) FROM runs") } == 210)
        try await store.close()
    }

    @Test func aFullDiskLosesTheSharedTransactionAndSaysSo() async throws {
        let store = try RunStore.open(path: path)
        let kept = try await store.apply(
            RunBatch(source: .task("t"), runs: [Self.run("a", "RUNNING")], observedAt: "T1")
        )
        let pages = try await store.perform { try $0.scalar("PRAGMA page_count").integer! }
        try await store.perform { try $0.execute("PRAGMA max_page_count = \(pages + 1)") }
        let big = (0..<2000).map {
            Self.run("big\($0)", "SUCCEEDED", extra: #","pad":"\#(String(repeating: "x", count: 500))""#)
        }
        await #expect(throws: SQLiteError.self) {
            try await store.apply(RunBatch(source: .task("t"), runs: big, observedAt: "T2"))
        }
        try await store.perform { try $0.execute("PRAGMA max_page_count = 1073741823") }
        #expect(try await store.commit(epochs: [kept.epoch]).keys.sorted() == [kept.epoch])
        #expect(try await store.perform { try $0.scalar("SELECT count(*) FROM runs") } == 0)
        try await store.close()
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
