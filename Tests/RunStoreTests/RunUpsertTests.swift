import Foundation
import RunModel
import RunStore
import SQLiteCore
import TestSupport
import Testing

/// Batches of runs written into the `runs` table, and the status changes that writing records.
@Suite struct RunUpsertTests: RunStoreTestCase {
    let directory: TemporaryDirectory

    init() throws {
        directory = try TemporaryDirectory()
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
}
