import Foundation
import RunModel
import RunStore
import SQLiteCore
import TestSupport
import Testing

/// The write-ahead log: readers keep their snapshots while the store writes, and the checkpoints
/// beside the writer keep the log small.
@Suite struct WriteAheadLogTests: RunStoreTestCase {
    let directory: TemporaryDirectory

    init() throws {
        directory = try TemporaryDirectory()
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
}
