import Foundation
import RunModel
import RunStore
import SQLiteCore
import TestSupport
import Testing

/// Schema v6: the alert outbox. Events are written by the transaction of their cause, once per
/// occurrence; deliveries are recorded per sink, and a sink's high-water mark only passes events
/// that are final for it.
@Suite struct EventsStoreTests {
    let directory: TemporaryDirectory
    var path: String { directory.path("runs.db") }

    init() throws {
        directory = try TemporaryDirectory()
    }

    private func run(
        _ id: String,
        _ status: String,
        task: String? = "T",
        actor: String? = "A",
        second: Int = 1
    )
        -> RunRecord
    {
        SourcesStoreTests.run(
            id,
            status,
            task: task,
            actor: actor,
            startedAt: String(format: "2025-01-01T00:00:%02d.000Z", second)
        )
    }

    private func write(
        _ store: RunStore,
        _ runs: [RunRecord],
        at time: String,
        historical: Bool = false
    )
        async throws
    {
        let session = store.session(summarizingFirstSightings: historical)
        _ = try await session.apply(RunBatch(source: .task("T"), runs: runs, observedAt: time))
        let settled = try await session.settle()
        #expect(settled.failure == nil)
    }

    private func events(_ store: RunStore) async throws -> [[SQLiteValue]] {
        try await store.flush()
        return try await store.perform {
            try $0.rows("SELECT event, run_id, from_status, to_status, occurred_at FROM events ORDER BY id")
        }
    }

    @Test func aFailureIsAnEventOnceAndTheBackfillsHistoryIsNot() async throws {
        let store = try RunStore.open(path: path)
        // The backfill: old failures are history.
        try await write(store, [run("old", "FAILED"), run("live", "RUNNING", second: 2)], at: "T1", historical: true)
        #expect(try await events(store).isEmpty)
        // A transition, even within a backfill, is news; so is a new run first seen failed after it.
        try await write(store, [run("live", "TIMED-OUT", second: 2)], at: "T2", historical: true)
        try await write(store, [run("new", "ABORTED", second: 3)], at: "T3")
        // Seen again unchanged, or listed twice: nothing more.
        try await write(store, [run("live", "TIMED-OUT", second: 2), run("new", "ABORTED", second: 3)], at: "T4")
        #expect(
            try await events(store) == [
                ["run_timed_out", "live", "RUNNING", "TIMED-OUT", "T2"], ["run_aborted", "new", nil, "ABORTED", "T3"],
            ]
        )
        try await store.close()
    }

    @Test func theFirstSuccessAfterFailuresIsAnEvent() async throws {
        let store = try RunStore.open(path: path)
        try await write(store, [run("a", "SUCCEEDED", second: 1), run("b", "FAILED", second: 2)], at: "T1")
        // c and d in one batch: d follows c's failure even though they are written in ID order.
        try await write(store, [run("d", "SUCCEEDED", second: 4), run("c", "FAILED", second: 3)], at: "T2")
        try await write(store, [run("e", "SUCCEEDED", second: 5)], at: "T3")
        // Another task's failure says nothing about task U's success.
        try await write(store, [run("f", "SUCCEEDED", task: "U", second: 6)], at: "T4")
        let all = try await events(store)
        #expect(
            all.map { [$0[0], $0[1]] } == [
                ["run_failed", "b"], ["run_failed", "c"], ["run_succeeded_after_failure", "d"],
            ]
        )
        try await store.close()
    }

    @Test func aBatchsEventsFollowTheOrderItsRunsStarted() async throws {
        let store = try RunStore.open(path: path)
        try await write(store, [run("a", "FAILED", second: 1)], at: "T1")
        // After downtime one page holds a success (second 5) and a later failure (second 6), in an ID
        // order that is the reverse: the sinks must hear of the recovery first, then of the failure.
        try await write(store, [run("z", "SUCCEEDED", second: 5), run("b", "FAILED", second: 6)], at: "T2")
        // A directly run Actor's runs (no task) follow each other the same way.
        try await write(
            store,
            [run("y", "FAILED", task: nil, second: 7), run("x", "SUCCEEDED", task: nil, second: 8)],
            at: "T3"
        )
        let all = try await events(store)
        #expect(
            all.map { [$0[0], $0[1]] } == [
                ["run_failed", "a"], ["run_succeeded_after_failure", "z"], ["run_failed", "b"],
                ["run_failed", "y"], ["run_succeeded_after_failure", "x"],
            ]
        )
        try await store.close()
    }

    @Test func aSourceFailingIsOneEventAndItsRecoveryAnother() async throws {
        let store = try RunStore.open(path: path)
        try await store.recordPass(source: .task("T"), at: "T1", error: nil, backfillCompleted: true)
        try await store.recordPass(source: .task("T"), at: "T2", error: "HTTP 500", backfillCompleted: false)
        try await store.recordPass(source: .task("T"), at: "T3", error: "HTTP 502", backfillCompleted: false)
        try await store.close()
        // Across a restart, the failure goes on: no second event.
        let reopened = try RunStore.open(path: path)
        try await reopened.recordPass(source: .task("T"), at: "T4", error: "HTTP 503", backfillCompleted: false)
        try await reopened.recordPass(source: .task("T"), at: "T5", error: nil, backfillCompleted: false)
        try await reopened.recordPass(source: .task("T"), at: "T6", error: nil, backfillCompleted: false)
        let rows = try await reopened.perform {
            try $0.rows("SELECT event, source_kind, source_id, message, occurred_at FROM events ORDER BY id")
        }
        #expect(
            rows == [
                ["sync_error", "task", "T", "HTTP 500", "T2"],
                ["sync_recovered", "task", "T", "after 3 failed pass(es)", "T5"],
            ]
        )
        try await reopened.close()
    }

    @Test func aSinkSeesEventsInOrderAndItsMarkPassesOnlyFinalOnes() async throws {
        let store = try RunStore.open(path: path)
        try await write(store, [run("a", "FAILED", second: 1)], at: "T1")
        try await store.registerSinks(["journal", "mail"], at: "T2")
        try await write(store, [run("b", "FAILED", second: 2), run("c", "FAILED", task: "U", second: 3)], at: "T2")
        // The journal has every event; the sink added later only those after it.
        let journal = try await store.undelivered(to: "journal", limit: 10)
        #expect(journal.map(\.event.runId) == ["a", "b", "c"])
        let mail = try await store.undelivered(to: "mail", limit: 10)
        #expect(mail.map(\.event.runId) == ["b", "c"])
        #expect(mail.allSatisfy { $0.event.payload == nil && $0.attempts == 0 })
        let (b, c) = (mail[0].event.id, mail[1].event.id)

        // c delivered, b retrying: b is still pending, and the mark stays before it.
        try await store.recordDelivery(of: c, to: "mail", state: .delivered, at: "T3")
        try await store.recordDelivery(
            of: b,
            to: "mail",
            state: .pending,
            at: "T3",
            nextAttemptAt: "T9",
            error: "exit 1"
        )
        let retrying = try await store.undelivered(to: "mail", limit: 10)
        #expect(retrying.map(\.event.runId) == ["b"])
        #expect(retrying.first?.attempts == 1 && retrying.first?.nextAttemptAt == "T9")
        #expect(retrying.first?.firstAttemptAt == "T3")
        try await store.recordDelivery(of: b, to: "mail", state: .failed, at: "T9", error: "exit 1")
        #expect(try await store.undelivered(to: "mail", limit: 10).isEmpty)
        let marks = try await store.perform {
            try $0.rows("SELECT sink, delivered_through FROM alert_sinks ORDER BY sink")
        }
        #expect(marks == [["journal", 0], ["mail", .integer(c)]])
        let attempts = try await store.perform {
            try $0.rows(
                "SELECT state, attempts, first_attempt_at, last_attempt_at FROM event_deliveries WHERE event_id = ?",
                [.integer(b)]
            )
        }
        #expect(attempts == [["failed", 2, "T3", "T9"]])
        try await store.close()
    }

    @Test func payloadsDetailsAndRetention() async throws {
        let store = try RunStore.open(path: path)
        try await write(store, [run("a", "FAILED", second: 1)], at: "2025-01-01T00:00:10.000Z")
        try await write(store, [run("b", "FAILED", second: 2)], at: "2025-03-01T00:00:10.000Z")
        let unready = try await store.unreadyEvents(limit: 10)
        #expect(unready.map(\.runId) == ["a", "b"] && unready.allSatisfy { !$0.hasRunDetails })
        // Details read while the run was still running say nothing of its failure.
        try await store.setRunDetails(
            runId: "a",
            status: "RUNNING",
            statusMessage: "Crawled 12 of 40 pages",
            exitCode: nil,
            details: #"{"status":"RUNNING"}"#
        )
        let stale = try await store.unreadyEvents(limit: 1)
        #expect(stale.first?.message == nil && stale.first?.hasRunDetails == false)
        try await store.setRunDetails(
            runId: "a",
            status: "FAILED",
            statusMessage: "Error: selector not found",
            exitCode: 1,
            details: #"{"status":"FAILED"}"#
        )
        try await store.setPayload("{\"event\":\"run_failed\"}", of: unready[0].id)
        let left = try await store.unreadyEvents(limit: 10)
        #expect(left.map(\.runId) == ["b"])
        let ready = try await store.undelivered(to: "journal", limit: 10)
        #expect(ready.first?.event.message == "Error: selector not found" && ready.first?.event.exitCode == 1)
        #expect(ready.first?.event.hasRunDetails == true && ready.first?.event.payload == "{\"event\":\"run_failed\"}")
        #expect(try await store.deleteEvents(before: "2025-02-01T00:00:00.000Z") == 1)
        #expect(try await store.undelivered(to: "journal", limit: 10).map(\.event.runId) == ["b"])
        let run = try await store.perform {
            try $0.rows("SELECT status_message, exit_code, run_details FROM runs WHERE id = 'a'")
        }
        #expect(
            run == [["Error: selector not found", 1, #"{"status":"FAILED"}"#]],
            "the run keeps its details when its event goes"
        )
        try await store.close()
    }

    @Test func aVersion5FileKeepsEveryRowAndGainsTheOutbox() async throws {
        let store = try RunStore.open(path: path)
        try await write(store, [run("a", "RUNNING", second: 1)], at: "T1")
        try await store.close()
        let database = try Database(path: path)
        try database.execute(OlderSchemas.downgradeToVersion5)
        try database.close(optimize: false)

        let migrated = try RunStore.open(path: path)
        #expect(migrated.upgrade.map { [$0.fromVersion, $0.toVersion] } == [5, 6])
        try await write(migrated, [run("a", "FAILED", second: 1)], at: "T2")
        #expect(try await events(migrated).map { $0[0] } == ["run_failed"])
        let history = try await migrated.perform {
            try $0.rows("SELECT from_status, to_status FROM run_status_changes ORDER BY id")
        }
        #expect(history == [[nil, "RUNNING"], ["RUNNING", "FAILED"]])
        try await migrated.close()
        #expect(try DatabaseInvariants.violations(in: path).isEmpty)
    }
}
