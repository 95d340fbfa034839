import Foundation
import RunModel
import SQLiteCore

/// The local copy of Apify runs: one SQLite file, opened, checked and migrated here.
///
/// All work goes through a `DatabaseQueue`, so the store is safe to share between tasks. Each call
/// that writes runs in one `BEGIN IMMEDIATE` transaction.
package final class RunStore: Sendable {
    package let queue: DatabaseQueue
    package var path: String { queue.path }
    let shared: SharedTransaction
    /// Set when opening migrated a file written by an older release (not when it created one).
    package let upgrade: SchemaUpgrade?

    private init(queue: DatabaseQueue, shared: SharedTransaction, upgrade: SchemaUpgrade?) {
        self.queue = queue
        self.shared = shared
        self.upgrade = upgrade
    }

    /// The page size of new files.
    package static let pageSize = 32768
    /// The page cache's budget.
    package static let pageCacheKiB = 2000

    /// Opens the file at `path`, refusing it untouched when it is not ours or too new, then migrates it.
    /// `checkpointFrames` is for tests (see `SharedTransaction.defaultCheckpointFrames`).
    package static func open(
        path: String,
        busyTimeoutMilliseconds: Int32 = 5000,
        checkpointFrames: Int = SharedTransaction.defaultCheckpointFrames,
        transactionMaximumAge: Duration = SharedTransaction.defaultMaximumAge
    ) throws -> RunStore {
        let database = try openConnection(path: path, busyTimeoutMilliseconds: busyTimeoutMilliseconds)
        let upgrade: SchemaUpgrade?
        let checkpointer: Checkpointer
        do {
            upgrade = try prepare(database)
            checkpointer = try Checkpointer(path: path, busyTimeoutMilliseconds: busyTimeoutMilliseconds)
        } catch let error as SQLiteError {
            try? database.close(optimize: false)
            if error.isNotADatabase { throw RunStoreError.notADatabase(path: path, reason: error.message) }
            let context = "opening the database \(path)" + (error.context.map { ": \($0)" } ?? "")
            throw SQLiteError(
                extendedCode: error.extendedCode,
                message: error.message,
                sql: error.sql,
                context: context
            )
        } catch {
            try? database.close(optimize: false)
            throw error
        }
        let shared = SharedTransaction(
            checkpointer: checkpointer,
            checkpointFrames: checkpointFrames,
            maximumAge: transactionMaximumAge
        )
        database.onCommit { shared.committed(logFrames: $0) }
        return RunStore(queue: DatabaseQueue(database), shared: shared, upgrade: upgrade)
    }

    /// A connection to `path`; a path that cannot be a database (a directory) is refused as such.
    private static func openConnection(path: String, busyTimeoutMilliseconds: Int32) throws -> Database {
        do {
            return try Database(path: path, busyTimeoutMilliseconds: busyTimeoutMilliseconds)
        } catch {
            guard error.isNotADatabase else { throw error }
            throw RunStoreError.notADatabase(path: path, reason: error.message)
        }
    }

    /// Per-task figures read through a read-only connection, for users who may not write the file.
    package static func readStatuses(path: String) throws -> [TaskSyncStatus] {
        do {
            return try statuses(readingOnly: path)
        } catch let error as SQLiteError where error.isNotADatabase {
            throw RunStoreError.notADatabase(path: path, reason: error.message)
        }
    }

    private static func statuses(readingOnly path: String) throws -> [TaskSyncStatus] {
        let database = try Database(path: path, readOnly: true)
        defer { try? database.close(optimize: false) }
        try checkOwnership(database)
        let version = try database.scalar("PRAGMA user_version").integer ?? 0
        guard version > 0 else { return [] }
        return try taskStatuses(in: database, version: Int32(version))
    }

    /// Refuses, with reads only, a file that is not ours or is newer than this binary.
    static func checkOwnership(_ database: Database) throws {
        let path = database.path
        // Reads first: nothing may be written to a file that turns out not to be ours.
        let applicationID = Int32(truncatingIfNeeded: try database.scalar("PRAGMA application_id").integer ?? 0)
        let version = Int32(truncatingIfNeeded: try database.scalar("PRAGMA user_version").integer ?? 0)
        if applicationID != 0 && applicationID != Schema.applicationID {
            throw RunStoreError.notOurs(path: path, applicationID: applicationID)
        }
        if applicationID == 0 {
            let tables = try database.scalar("SELECT count(*) FROM sqlite_schema").integer ?? 0
            if tables > 0 || version != 0 { throw RunStoreError.notOurs(path: path, applicationID: 0) }
        }
        if version > Schema.currentVersion {
            throw RunStoreError.tooNew(path: path, version: version, supported: Schema.currentVersion)
        }
    }

    /// Checks ownership and version with reads only, then sets the connection up and migrates;
    /// returns what it upgraded, if the file existed at an older version.
    static func prepare(_ database: Database) throws -> SchemaUpgrade? {
        let path = database.path
        try checkOwnership(database)
        let version = Int32(truncatingIfNeeded: try database.scalar("PRAGMA user_version").integer ?? 0)
        if database.isReadOnly { throw RunStoreError.readOnly(path: path) }

        if version == 0 {
            // 32 KiB pages for a new file (an existing one keeps its own): a run with its raw JSON is
            // about 1 KiB, and larger pages mean fewer, larger writes and shallower indexes. The
            // backfill benchmark ran 30% faster with 16 KiB pages than with 4 KiB, and 32 KiB pages
            // another 7% faster than 16 KiB with the same cache (5% at a million runs); 64 KiB gained
            // nothing more.
            try database.execute("PRAGMA page_size = \(pageSize)")
        }
        // Keep the -wal and -shm files when the last connection closes, so that members of the
        // service's group, who can read but not create files in its directory, can still open the
        // database with sqlite3 while the daemon is stopped.
        try database.setFileControl(Database.persistWALOption, to: 1)
        _ = try database.rows("PRAGMA journal_mode = WAL")
        // NORMAL in WAL mode: a power loss can lose the last transactions, never corrupt the file.
        try database.execute("PRAGMA synchronous = NORMAL")
        try database.execute("PRAGMA foreign_keys = ON")
        // Set once the page size is final: SQLite turns a cache size in KiB into a number of pages
        // with the page size in effect at the time, and keeps that number when the pragma above
        // changes the page size of a new file. Left alone, the default 2,000 KiB stayed 483 pages
        // (of 4 KiB), 15 MiB with 32 KiB pages, for as long as the daemon that created the file ran.
        // The benchmark found no speed in a larger cache: 8 MiB backfilled no faster at 200,000 runs
        // and slower at a million (the run-ID indexes far outgrow any cache this size).
        try database.execute("PRAGMA cache_size = -\(pageCacheKiB)")
        // Checkpoints run beside the writer (`Checkpointer`, set up by `open` after the migrations,
        // which keep SQLite's own); the WAL file is cut back to 16 MiB when the log starts over.
        try database.execute("PRAGMA journal_size_limit = 16777216")

        let start = ContinuousClock.now
        for index in Int(version)..<Schema.migrations.count {
            try database.inTransaction { db in
                try db.execute(Schema.migrations[index])
                if index == 0 { try db.execute("PRAGMA application_id = \(Schema.applicationID)") }
                try db.execute("PRAGMA user_version = \(index + 1)")
            }
        }
        guard version > 0, version < Schema.currentVersion else { return nil }
        return SchemaUpgrade(
            fromVersion: version,
            toVersion: Schema.currentVersion,
            duration: ContinuousClock.now - start
        )
    }

    /// Commits what is pending, runs `PRAGMA optimize` and closes the connection.
    package func close() async throws {
        let shared = self.shared
        try await queue.perform { db in
            try shared.commit(db)
            shared.closeCheckpointer()
            try db.close()
        }
    }

    /// A write of its own (bookkeeping): the shared transaction commits first.
    func ownTransaction<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        let shared = self.shared
        return try await queue.perform { db in
            try shared.commit(db)
            return try db.inTransaction(.immediate, body)
        }
    }

    // MARK: Reads for the engine

    /// The stored cursor of a task, or `.start` when it was never read.
    package func cursor(for taskId: String) async throws -> TaskCursor {
        try await queue.perform { try Self.cursor(for: taskId, in: $0) }
    }

    static func cursor(for taskId: String, in db: Database) throws -> TaskCursor {
        let row = try db.rows(
            "SELECT next_offset, anchor_run_id, anchor_started_at FROM sync_state WHERE task_id = ?",
            [.text(taskId)]
        ).first
        guard let row else { return .start }
        return TaskCursor(
            nextOffset: Int(row[0].integer ?? 0),
            anchorRunId: row[1].text,
            anchorStartedAt: row[2].text
        )
    }

    /// Whether the task's first complete read (its backfill) has finished.
    package func hasCompletedBackfill(_ taskId: String) async throws -> Bool {
        try await queue.perform { db in
            try !db.scalar("SELECT backfill_completed_at FROM sync_state WHERE task_id = ?", [.text(taskId)]).isNull
        }
    }

    /// Stored runs of a task that are not final and not deleted: the runs to refresh each pass.
    ///
    /// `INDEXED BY` pins the partial index: without statistics the planner may prefer walking the
    /// task's whole history in `started_at` order to sorting the few unfinished runs, which would make
    /// every idle pass cost O(history).
    package func unfinishedRuns(of taskId: String) async throws -> [UnfinishedRun] {
        try await queue.perform { db in
            try db.rows(
                """
                SELECT id, status, started_at FROM runs INDEXED BY runs_unfinished
                WHERE task_id = ? AND \(Schema.unfinishedCondition)
                ORDER BY started_at, id
                """,
                [.text(taskId)]
            ).map { UnfinishedRun(id: $0[0].text ?? "", status: $0[1].text ?? "", startedAt: $0[2].text) }
        }
    }

    /// The start instants (Unix milliseconds) of a task's live stored runs from about `instant` on,
    /// the most recent `limit` of them, for estimating where runs sit in the list. The text bound is
    /// a second early, in the API's notation.
    package func liveStartTimes(of taskId: String, from instant: Int64, limit: Int = 50_000) async throws -> [Int64] {
        let bound = Self.second(of: instant - 1000)
        return try await queue.perform { db in
            try db.rows(
                """
                SELECT started_at FROM runs WHERE task_id = ?1 AND started_at >= ?2 AND deleted_at IS NULL
                ORDER BY started_at DESC LIMIT ?3
                """,
                [.text(taskId), .text(bound), .integer(Int64(limit))]
            ).compactMap { $0[0].text.flatMap(ISOTimestamp.milliseconds) }.filter { $0 >= instant }
        }
    }

    /// Marks a task's stored live runs that started before `oldestLive` as deleted upstream (data
    /// retention removed them); returns how many.
    ///
    /// The engine calls this with the `startedAt` of the oldest run the API still lists. Instants are
    /// compared, not text: `…:05Z` and `…:05.500Z` sort the other way round as text. The index on
    /// `(task_id, started_at)` narrows the candidates to the runs from one second before the head of
    /// the previous check (older ones were marked then) to one second after this head, as text in the
    /// API's notation (UTC, `Z`); the rows are stepped through, not collected.
    package func markRetentionDeleted(taskId: String, oldestLive: String, at time: String) async throws -> Int {
        guard let head = ISOTimestamp.milliseconds(oldestLive) else { return 0 }
        return try await ownTransaction { db in
            let previous = try db.scalar("SELECT head_started_at FROM sync_state WHERE task_id = ?", [.text(taskId)])
            let lowest = previous.text.flatMap(ISOTimestamp.milliseconds).map { min($0, head) }
            let select = try db.cachedStatement(
                """
                SELECT id, started_at FROM runs
                WHERE task_id = ?1 AND started_at >= ?2 AND started_at < ?3 AND deleted_at IS NULL
                """
            )
            try select.bind([
                .text(taskId), .text(lowest.map { Self.second(of: $0 - 1000) } ?? ""),
                .text(Self.second(of: head + 1000)),
            ])
            var gone: [String] = []
            while try select.step() {
                guard let startedAt = select.text(at: 1).flatMap(ISOTimestamp.milliseconds), startedAt < head,
                    let id = select.text(at: 0)
                else { continue }
                gone.append(id)
            }
            try select.reset()
            let mark = try db.cachedStatement(
                "UPDATE runs SET deleted_at = ?2, updated_at = ?2 WHERE id = ?1 AND deleted_at IS NULL"
            )
            for id in gone {
                try mark.reset()
                try mark.bind([.text(id), .text(time)])
                try mark.run()
            }
            try Self.ensureState(taskId: taskId, at: time, in: db)
            try db.execute(
                "UPDATE sync_state SET head_started_at = ?2, live_runs = live_runs - ?3 WHERE task_id = ?1",
                [.text(taskId), .text(oldestLive), .integer(Int64(gone.count))]
            )
            return gone.count
        }
    }

    /// `YYYY-MM-DDTHH:MM:SS` of a Unix time in milliseconds, UTC: a text bound for the API's notation.
    private static func second(of milliseconds: Int64) -> String {
        let date = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
        return String(date.formatted(Date.ISO8601FormatStyle()).prefix(19))
    }

    /// The task's live stored runs that started at exactly `instant` (Unix milliseconds).
    package func liveRuns(of taskId: String, startedAt instant: Int64) async throws -> [String] {
        try await queue.perform { db in
            try db.rows(
                """
                SELECT id, started_at FROM runs
                WHERE task_id = ?1 AND started_at >= ?2 AND started_at < ?3 AND deleted_at IS NULL
                """,
                [
                    .text(taskId), .text(Self.second(of: instant - 1000)), .text(Self.second(of: instant + 1000)),
                ]
            ).compactMap { row in
                row[1].text.flatMap(ISOTimestamp.milliseconds) == instant ? row[0].text : nil
            }
        }
    }

    /// The task's live stored runs without a `startedAt` (the API sorts them first).
    package func liveUndatedRuns(of taskId: String) async throws -> [String] {
        try await queue.perform { db in
            try db.rows(
                "SELECT id FROM runs WHERE task_id = ? AND started_at IS NULL AND deleted_at IS NULL",
                [.text(taskId)]
            ).compactMap { $0[0].text }
        }
    }

    /// What the engine's completeness check needs of a task: its live stored runs, and the excess of
    /// the API's `total` over them that the last complete re-read could not explain.
    package func liveCount(of taskId: String) async throws -> (liveRuns: Int, listExcess: Int?) {
        try await queue.perform { db in
            let row = try db.rows(
                "SELECT live_runs, list_excess FROM sync_state WHERE task_id = ?",
                [.text(taskId)]
            ).first
            return (Int(row?[0].integer ?? 0), row?[1].integer.map(Int.init))
        }
    }

    /// Records (or clears, with nil) the excess of the API's `total` that a complete re-read left.
    package func setListExcess(_ excess: Int?, of taskId: String, at time: String) async throws {
        try await ownTransaction { db in
            try Self.ensureState(taskId: taskId, at: time, in: db)
            try db.execute(
                "UPDATE sync_state SET list_excess = ?2 WHERE task_id = ?1",
                [.text(taskId), SQLiteValue(excess.map(Int64.init))]
            )
        }
    }

    /// Moves what is stored under a task's other spelling (its `username~task-name`, or an old
    /// name) to its ID: the runs, their change rows, and the cursor unless the ID has one; the
    /// spelling is kept as the task's name. Returns how many runs moved.
    package func adoptTask(spelling: String, as taskId: String, at time: String) async throws -> Int {
        guard spelling != taskId else { return 0 }
        return try await ownTransaction { db in
            try db.execute(
                "UPDATE run_status_changes SET task_id = ?2 WHERE task_id = ?1",
                [.text(spelling), .text(taskId)]
            )
            try db.execute("UPDATE runs SET task_id = ?2 WHERE task_id = ?1", [.text(spelling), .text(taskId)])
            let moved = Int(db.changes)
            let live =
                try db.scalar(
                    "SELECT live_runs FROM sync_state WHERE task_id = ?",
                    [.text(spelling)]
                ).integer ?? 0
            try db.execute(
                "UPDATE OR IGNORE sync_state SET task_id = ?2 WHERE task_id = ?1",
                [.text(spelling), .text(taskId)]
            )
            if db.changes == 0 {
                try db.execute("DELETE FROM sync_state WHERE task_id = ?", [.text(spelling)])
                try Self.addLiveRuns([taskId: Int(live)], at: time, in: db)
            }
            try Self.ensureState(taskId: taskId, at: time, in: db)
            try db.execute(
                "UPDATE sync_state SET task_name = ?2 WHERE task_id = ?1",
                [.text(taskId), .text(spelling)]
            )
            return moved
        }
    }

    // MARK: Pass bookkeeping

    /// Records the end of a pass over a task: success clears the error, failure records it.
    package func recordPass(taskId: String, at time: String, error: String?, backfillCompleted: Bool) async throws {
        try await ownTransaction { db in
            try Self.ensureState(taskId: taskId, at: time, in: db)
            if let error {
                try db.execute(
                    """
                    UPDATE sync_state SET last_pass_at = ?1, last_error = ?2, last_error_at = ?1,
                        consecutive_failures = consecutive_failures + 1, updated_at = ?1
                    WHERE task_id = ?3
                    """,
                    [.text(time), .text(error), .text(taskId)]
                )
            } else {
                try db.execute(
                    """
                    UPDATE sync_state SET last_pass_at = ?1, last_success_at = ?1, last_error = NULL,
                        consecutive_failures = 0, updated_at = ?1,
                        backfill_completed_at = CASE WHEN ?2 THEN coalesce(backfill_completed_at, ?1)
                            ELSE backfill_completed_at END
                    WHERE task_id = ?3
                    """,
                    [.text(time), .integer(backfillCompleted ? 1 : 0), .text(taskId)]
                )
            }
        }
    }

    static func ensureState(taskId: String, at time: String, in db: Database) throws {
        try db.execute(
            "INSERT INTO sync_state (task_id, updated_at) VALUES (?, ?) ON CONFLICT(task_id) DO NOTHING",
            [.text(taskId), .text(time)]
        )
    }

    // MARK: Reports

    /// Per-task figures for `status`, from the database alone.
    package func taskStatuses() async throws -> [TaskSyncStatus] {
        try await queue.perform { try Self.taskStatuses(in: $0) }
    }

    static func taskStatuses(in db: Database, version: Int32 = Schema.currentVersion) throws -> [TaskSyncStatus] {
        // A version 1 file (the daemon migrates it at its next start) has another `runs_unfinished`
        // condition: counted without pinning the index. Task names came with version 4.
        let unfinished = version >= 2 ? "runs INDEXED BY runs_unfinished" : "runs"
        let taskName = version >= 4 ? "s.task_name" : "NULL"
        return try db.rows(
            """
            SELECT s.task_id, s.next_offset, s.anchor_run_id, s.anchor_started_at, s.last_success_at,
                   s.last_error, s.last_error_at, s.consecutive_failures, s.backfill_completed_at,
                   (SELECT count(*) FROM runs WHERE task_id = s.task_id),
                   (SELECT count(*) FROM \(unfinished) WHERE task_id = s.task_id
                        AND \(Schema.unfinishedCondition)),
                   (SELECT count(*) FROM runs WHERE task_id = s.task_id AND deleted_at IS NOT NULL),
                   \(taskName)
            FROM sync_state AS s ORDER BY s.task_id
            """
        ).map { row in
            TaskSyncStatus(
                taskId: row[0].text ?? "",
                cursor: TaskCursor(
                    nextOffset: Int(row[1].integer ?? 0),
                    anchorRunId: row[2].text,
                    anchorStartedAt: row[3].text
                ),
                lastSuccessAt: row[4].text,
                lastError: row[5].text,
                lastErrorAt: row[6].text,
                consecutiveFailures: Int(row[7].integer ?? 0),
                backfillCompletedAt: row[8].text,
                runsStored: Int(row[9].integer ?? 0),
                unfinishedRuns: Int(row[10].integer ?? 0),
                deletedRuns: Int(row[11].integer ?? 0),
                taskName: row[12].text
            )
        }
    }
}
