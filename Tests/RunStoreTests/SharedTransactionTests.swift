import Foundation
import RunModel
import RunStore
import SQLiteCore
import TestSupport
import Testing

/// Batches sharing one transaction: committed when asked, lost together when one fails, and
/// the sessions that must not write past a lost batch.
@Suite struct SharedTransactionTests: RunStoreTestCase {
    let directory: TemporaryDirectory

    init() throws {
        directory = try TemporaryDirectory()
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
}
