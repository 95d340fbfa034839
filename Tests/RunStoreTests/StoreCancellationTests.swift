import Foundation
import RunModel
import RunStore
import SQLiteCore
import TestSupport
import Testing

/// A cancelled task starts no read or write on the store; committing what was written still happens.
/// A closed store throws, whoever calls it late.
@Suite struct StoreCancellationTests {
    let directory: TemporaryDirectory

    init() throws {
        directory = try TemporaryDirectory()
    }

    private static func batch(_ id: String) -> RunBatch {
        let json = #"{"id":"\#(id)","status":"SUCCEEDED"}"#
        let run = RunRecord(id: id, status: "SUCCEEDED", rawJSON: ArraySlice(json.utf8))
        return RunBatch(
            source: .task("t"),
            runs: [run],
            cursor: TaskCursor(nextOffset: 1, anchorRunId: id, anchorStartedAt: nil),
            observedAt: "T1"
        )
    }

    @Test func aCancelledTaskWritesNothingAndItsChainRefusesWhatFollows() async throws {
        let store = try RunStore.open(path: directory.path("runs.db"))
        let session = store.session()
        let cancelled = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await session.apply(Self.batch("a"))
        }
        await #expect(throws: CancellationError.self) { try await cancelled.value }
        // The batch was not written, so the chain is broken: the next batch must not store a cursor
        // past it.
        await #expect(throws: WriteChain.Broken.self) { try await session.apply(Self.batch("b")) }
        let ping = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            try await store.ping()
        }
        await #expect(throws: CancellationError.self) { try await ping.value }
        let read = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await store.cursor(for: .task("t"))
        }
        await #expect(throws: CancellationError.self) { try await read.value }
        try await store.close()
        let reopened = try RunStore.open(path: directory.path("runs.db"))
        #expect(try await reopened.perform { try $0.scalar("SELECT count(*) FROM runs") } == .integer(0))
        #expect(try await reopened.cursor(for: .task("t")) == .start)
        try await reopened.close()
    }

    @Test func aCancelledTaskStillCommitsWhatItWrote() async throws {
        let store = try RunStore.open(path: directory.path("runs.db"))
        let session = store.session()
        let applied = try await session.apply(Self.batch("a"))
        let settled = try await Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await session.settle()
        }.value
        #expect(settled.committed.map(\.epoch) == [applied.epoch])
        #expect(settled.failure == nil)
        try await store.close()
    }

    @Test func aClosedStoreThrowsNamingItselfAndClosesOnlyOnce() async throws {
        let path = directory.path("runs.db")
        let store = try RunStore.open(path: path)
        let session = store.session()
        try await store.close()
        let closed = SQLiteError.closed(path: path).description
        func expectClosed(_ call: @Sendable () async throws -> Void) async {
            do {
                try await call()
                Issue.record("a closed store answered")
            } catch {
                #expect("\(error)" == closed)
            }
        }
        await expectClosed { try await store.ping() }
        await expectClosed { _ = try await store.cursor(for: .task("t")) }
        await expectClosed { _ = try await store.perform { try $0.scalar("SELECT 1") } }
        await expectClosed { _ = try await session.apply(Self.batch("a")) }
        try await store.flush()
        try await store.close()
        #expect(closed.contains(path) && closed.contains("already closed"))
    }
}
