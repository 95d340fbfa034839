import Foundation
import RunModel
import RunStore
import SQLiteCore
import TestSupport
import Testing

/// The schema's migrations: a new file, files of older versions (the durations version 2 generated),
/// and a file already up to date.
@Suite struct MigrationTests: RunStoreTestCase {
    let directory: TemporaryDirectory

    init() throws {
        directory = try TemporaryDirectory()
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
}
