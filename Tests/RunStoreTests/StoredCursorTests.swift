import Foundation
import RunModel
import RunStore
import SQLiteCore
import TestSupport
import Testing

/// A source's cursor in `sync_state`: written with its page, or not at all.
@Suite struct StoredCursorTests: RunStoreTestCase {
    let directory: TemporaryDirectory

    init() throws {
        directory = try TemporaryDirectory()
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
}
