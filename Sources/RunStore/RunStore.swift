import Foundation
import RunModel
import SQLiteCore

/// The local copy of Apify runs: one SQLite file, opened, checked and migrated here.
///
/// All work goes through the store's actor (`StoreConnection`), which alone holds the connection, on
/// a thread of its own, so the store is safe to share between tasks. Each call that writes runs in
/// one `BEGIN IMMEDIATE` transaction; batches of runs share one (`SharedTransaction`).
package final class RunStore: Sendable {
    package let path: String
    /// Set when opening migrated a file written by an older release (not when it created one).
    package let upgrade: SchemaUpgrade?
    let connection: StoreConnection

    private init(path: String, connection: StoreConnection, upgrade: SchemaUpgrade?) {
        self.path = path
        self.connection = connection
        self.upgrade = upgrade
    }

    /// How long a write waits for another process's lock (`busyTimeoutMilliseconds` in the
    /// configuration).
    package static let defaultBusyTimeoutMilliseconds = Database.defaultBusyTimeoutMilliseconds

    /// The page size of new files.
    package static let pageSize = 32768
    /// The page cache's budget.
    package static let pageCacheKiB = 2000
    /// What the write-ahead log file is cut back to when the log starts over (16 MiB).
    static let walSizeLimitBytes = 16 * 1024 * 1024

    /// Opens the file at `path`, refusing it untouched when it is not ours or too new, then migrates it.
    /// `checkpointFrames` is for tests (see `StoreConnection.defaultCheckpointFrames`).
    package static func open(
        path: String,
        busyTimeoutMilliseconds: Int32 = defaultBusyTimeoutMilliseconds,
        checkpointFrames: Int = StoreConnection.defaultCheckpointFrames,
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
        let connection = StoreConnection(
            database,
            checkpointer: checkpointer,
            checkpointFrames: checkpointFrames,
            transactionMaximumAge: transactionMaximumAge
        )
        return RunStore(path: path, connection: connection, upgrade: upgrade)
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

    /// Per-source figures read through a read-only connection, for users who may not write the file.
    package static func readStatuses(path: String) throws -> [SourceSyncStatus] {
        do {
            return try statuses(readingOnly: path)
        } catch let error as SQLiteError where error.isNotADatabase {
            throw RunStoreError.notADatabase(path: path, reason: error.message)
        }
    }

    /// The health problems open in the file at `path`, read-only (none before schema version 6).
    package static func readProblems(path: String) throws -> [HealthProblem] {
        do {
            let database = try Database(path: path, readOnly: true)
            defer { try? database.close(optimize: false) }
            try checkOwnership(database)
            guard (try database.scalar("PRAGMA user_version").integer ?? 0) >= 6 else { return [] }
            return try openProblems(in: database)
        } catch let error as SQLiteError where error.isNotADatabase {
            throw RunStoreError.notADatabase(path: path, reason: error.message)
        }
    }

    private static func statuses(readingOnly path: String) throws -> [SourceSyncStatus] {
        let database = try Database(path: path, readOnly: true)
        defer { try? database.close(optimize: false) }
        try checkOwnership(database)
        let version = try database.scalar("PRAGMA user_version").integer ?? 0
        guard version > 0 else { return [] }
        return try sourceStatuses(in: database, version: Int32(version))
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
            // about 1 KiB, and larger pages mean fewer, larger writes and shallower indexes
            // (docs/performance.md, "SQLite settings").
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
        // changes the page size of a new file. A larger cache is no faster (docs/performance.md).
        try database.execute("PRAGMA cache_size = -\(pageCacheKiB)")
        // Checkpoints run beside the writer (`Checkpointer`, set up by `open` after the migrations,
        // which keep SQLite's own); the WAL file is cut back to this size when the log starts over.
        try database.execute("PRAGMA journal_size_limit = \(walSizeLimitBytes)")

        let start = ContinuousClock.now
        for index in Int(version)..<Schema.migrations.count {
            try database.inTransaction { (db) throws(SQLiteError) in
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
        try await connection.close()
    }

    /// Answers once the store's thread has run every call queued before this one: the daemon's
    /// watchdog stops being fed when the store is stuck. A cancelled task throws.
    package func ping() async throws {
        try await connection.ping()
    }

    /// Runs `body` with the connection on the store's thread, for what the store has no method for
    /// (tests, tools): the shared transaction may be open. A cancelled task throws before it starts.
    package func perform<T: Sendable>(_ body: @Sendable (Database) throws -> T) async throws -> T {
        try await connection.read(body)
    }

    /// A write of its own (bookkeeping): the shared transaction commits first.
    func ownTransaction<T: Sendable>(_ body: @Sendable (Database) throws(SQLiteError) -> T) async throws -> T {
        try await connection.ownTransaction(body)
    }

    // MARK: Reads for the engine

    /// The stored cursor of a source, or `.start` when it was never read.
    package func cursor(for source: RunSource) async throws -> TaskCursor {
        try await connection.read { try Self.cursor(for: source, in: $0) }
    }

    static func cursor(for source: RunSource, in db: Database) throws -> TaskCursor {
        let row = try db.rows(
            """
            SELECT next_offset, anchor_run_id, anchor_started_at FROM sync_state
            WHERE source_kind = ?1 AND source_id = ?2
            """,
            key(source)
        ).first
        guard let row else { return .start }
        return TaskCursor(
            nextOffset: Int(row[0].integer ?? 0),
            anchorRunId: row[1].text,
            anchorStartedAt: row[2].text
        )
    }

    /// `?1` and `?2` of a query on `sync_state`.
    static func key(_ source: RunSource) -> [SQLiteValue] {
        [.text(source.kind.rawValue), .text(source.id)]
    }

    /// The cursor and whether the backfill finished, in one call: what a pass starts from.
    package func passStart(for source: RunSource) async throws -> (cursor: TaskCursor, backfillCompleted: Bool) {
        try await connection.read { db in
            let cursor = try Self.cursor(for: source, in: db)
            let completed = try !db.scalar(
                "SELECT backfill_completed_at FROM sync_state WHERE source_kind = ?1 AND source_id = ?2",
                Self.key(source)
            ).isNull
            return (cursor, completed)
        }
    }

    /// Gives a source its state row, if it has none, with the count of the runs already stored that
    /// it lists: a source added to a database that holds its runs (read through another source)
    /// starts with its count right.
    package func register(_ source: RunSource, at time: String) async throws {
        try await ownTransaction { (db) throws(SQLiteError) in try Self.ensureState(of: source, at: time, in: db) }
    }

    /// Stored runs of a source that are not final and not deleted: the runs to refresh each pass.
    ///
    /// `INDEXED BY` pins the partial index: without statistics the planner may prefer walking the
    /// source's whole history in `started_at` order to sorting the few unfinished runs, which would
    /// make every idle pass cost O(history).
    package func unfinishedRuns(of source: RunSource) async throws -> [UnfinishedRun] {
        try await connection.read { db in
            try db.rows(
                """
                SELECT id, status, started_at FROM runs INDEXED BY \(SourceScope.unfinishedIndex(source))
                WHERE \(SourceScope.condition(source)) AND \(Schema.unfinishedCondition)
                ORDER BY started_at, id
                """,
                [SourceScope.parameter(source)]
            ).map { UnfinishedRun(id: $0[0].text ?? "", status: $0[1].text ?? "", startedAt: $0[2].text) }
        }
    }

    /// The start instants (Unix milliseconds) of a source's live stored runs from about `instant` on,
    /// the most recent `limit` of them, for estimating where runs sit in the list. The text bound is
    /// a second early, in the API's notation.
    package func liveStartTimes(
        of source: RunSource,
        from instant: Int64,
        limit: Int = 50_000
    ) async throws -> [Int64] {
        let bound = Self.second(of: instant - 1000)
        return try await connection.read { db in
            try db.rows(
                """
                SELECT started_at FROM runs
                WHERE \(SourceScope.condition(source)) AND started_at >= ?2 AND deleted_at IS NULL
                ORDER BY started_at DESC LIMIT ?3
                """,
                [SourceScope.parameter(source), .text(bound), .integer(Int64(limit))]
            ).compactMap { $0[0].text.flatMap(ISOTimestamp.milliseconds) }.filter { $0 >= instant }
        }
    }

    /// Marks a source's stored live runs that started before `oldestLive` as deleted upstream (data
    /// retention removed them); returns how many.
    ///
    /// The engine calls this with the `startedAt` of the oldest run the API still lists. Instants are
    /// compared, not text: `…:05Z` and `…:05.500Z` sort the other way round as text. The index on
    /// `started_at` narrows the candidates to the runs from one second before the head of the
    /// previous check (older ones were marked then) to one second after this head, as text in the
    /// API's notation (UTC, `Z`); the rows are stepped through, not collected.
    package func markRetentionDeleted(source: RunSource, oldestLive: String, at time: String) async throws -> Int {
        guard let head = ISOTimestamp.milliseconds(oldestLive) else { return 0 }
        return try await ownTransaction { (db) throws(SQLiteError) in
            try Self.ensureState(of: source, at: time, in: db)
            let previous = try db.scalar(
                "SELECT head_started_at FROM sync_state WHERE source_kind = ?1 AND source_id = ?2",
                Self.key(source)
            )
            let lowest = previous.text.flatMap(ISOTimestamp.milliseconds).map { min($0, head) }
            let select = try db.cachedStatement(
                """
                SELECT id, started_at FROM runs
                WHERE \(SourceScope.condition(source)) AND started_at >= ?2 AND started_at < ?3
                    AND deleted_at IS NULL
                """
            )
            try select.bind([
                SourceScope.parameter(source), .text(lowest.map { Self.second(of: $0 - 1000) } ?? ""),
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
            var liveDelta = LiveDelta()
            let marked = try Self.markDeleted(gone, at: time, into: &liveDelta, in: db)
            try liveDelta.apply(in: db)
            try db.execute(
                "UPDATE sync_state SET head_started_at = ?3 WHERE source_kind = ?1 AND source_id = ?2",
                Self.key(source) + [.text(oldestLive)]
            )
            return marked
        }
    }

    /// `YYYY-MM-DDTHH:MM:SS` of a Unix time in milliseconds, UTC: a text bound for the API's notation.
    private static func second(of milliseconds: Int64) -> String {
        let date = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
        return String(date.formatted(Date.ISO8601FormatStyle()).prefix(19))
    }

    /// The source's live stored runs that started at exactly `instant` (Unix milliseconds).
    package func liveRuns(of source: RunSource, startedAt instant: Int64) async throws -> [String] {
        try await connection.read { db in
            try db.rows(
                """
                SELECT id, started_at FROM runs
                WHERE \(SourceScope.condition(source)) AND started_at >= ?2 AND started_at < ?3
                    AND deleted_at IS NULL
                """,
                [
                    SourceScope.parameter(source), .text(Self.second(of: instant - 1000)),
                    .text(Self.second(of: instant + 1000)),
                ]
            ).compactMap { row in
                row[1].text.flatMap(ISOTimestamp.milliseconds) == instant ? row[0].text : nil
            }
        }
    }

    /// The source's live stored runs without a `startedAt` (the API sorts them first).
    package func liveUndatedRuns(of source: RunSource) async throws -> [String] {
        try await connection.read { db in
            try db.rows(
                """
                SELECT id FROM runs
                WHERE \(SourceScope.condition(source)) AND started_at IS NULL AND deleted_at IS NULL
                """,
                [SourceScope.parameter(source)]
            ).compactMap { $0[0].text }
        }
    }

    /// What the engine's completeness check needs of a source: its live stored runs, the excess of
    /// the API's `total` over them that the last complete re-read could not explain and, if `instant`
    /// (ISO 8601) is given, how many of those runs started at or after it, compared as instants: what
    /// a keyset read from that watermark should list. One call, for one hop to the store's thread.
    package func liveCount(
        of source: RunSource,
        startedFrom instant: String? = nil
    ) async throws -> (liveRuns: Int, listExcess: Int?, startedFrom: Int?) {
        try await connection.read { db in
            let row = try db.rows(
                "SELECT live_runs, list_excess FROM sync_state WHERE source_kind = ?1 AND source_id = ?2",
                Self.key(source)
            ).first
            let startedFrom = try instant.map { try Self.liveCount(of: source, startedFrom: $0, in: db) }
            return (Int(row?[0].integer ?? 0), row?[1].integer.map(Int.init), startedFrom)
        }
    }

    private static func liveCount(of source: RunSource, startedFrom instant: String, in db: Database) throws -> Int {
        guard let bound = ISOTimestamp.milliseconds(instant) else { return 0 }
        let select = try db.cachedStatement(
            """
            SELECT started_at FROM runs
            WHERE \(SourceScope.condition(source)) AND started_at >= ?2 AND deleted_at IS NULL
            """
        )
        try select.bind([SourceScope.parameter(source), .text(second(of: bound - 1000))])
        var count = 0
        while try select.step() {
            if let started = select.text(at: 0).flatMap(ISOTimestamp.milliseconds), started >= bound { count += 1 }
        }
        try select.reset()
        return count
    }

    /// Records (or clears, with nil) the excess of the API's `total` that a complete re-read left.
    package func setListExcess(_ excess: Int?, of source: RunSource, at time: String) async throws {
        try await ownTransaction { (db) throws(SQLiteError) in
            try Self.ensureState(of: source, at: time, in: db)
            try db.execute(
                "UPDATE sync_state SET list_excess = ?3 WHERE source_kind = ?1 AND source_id = ?2",
                Self.key(source) + [SQLiteValue(excess.map(Int64.init))]
            )
        }
    }

    /// Moves what is stored under a task's other spelling (its `username~task-name`, or an old
    /// name, which databases before version 4 keyed runs by) to its ID: the runs, their change rows,
    /// and the cursor unless the ID has one; a `username~task-name` spelling is kept as the task's
    /// name. Returns how many runs moved.
    package func adoptTask(spelling: String, as taskId: String, at time: String) async throws -> Int {
        guard spelling != taskId else { return 0 }
        return try await ownTransaction { (db) throws(SQLiteError) in
            try db.execute(
                "UPDATE run_status_changes SET task_id = ?2 WHERE task_id = ?1",
                [.text(spelling), .text(taskId)]
            )
            try db.execute("UPDATE runs SET task_id = ?2 WHERE task_id = ?1", [.text(spelling), .text(taskId)])
            let moved = Int(db.changes)
            try db.execute(
                "UPDATE OR IGNORE sync_state SET source_id = ?2 WHERE source_kind = 'task' AND source_id = ?1",
                [.text(spelling), .text(taskId)]
            )
            try db.execute(
                "DELETE FROM sync_state WHERE source_kind = 'task' AND source_id = ?",
                [.text(spelling)]
            )
            // The ID's own row counts the moved runs now (or is created with them).
            try db.execute(
                """
                UPDATE sync_state SET live_runs = (
                    SELECT count(*) FROM runs WHERE task_id = ?1 AND deleted_at IS NULL)
                WHERE source_kind = 'task' AND source_id = ?1
                """,
                [.text(taskId)]
            )
            try Self.ensureState(of: .task(taskId), at: time, in: db)
            if spelling.contains("~") { try Self.setName(spelling, of: .task(taskId), at: time, in: db) }
            return moved
        }
    }

    // MARK: Names and sources

    /// Records the `username~name` of a task or an Actor, for `status` and the views; an empty name
    /// records that the API gave none (the task or Actor is gone), so that it is not asked again
    /// before the next refresh.
    package func setName(_ name: String, of source: RunSource, at time: String) async throws {
        try await ownTransaction { (db) throws(SQLiteError) in try Self.setName(name, of: source, at: time, in: db) }
    }

    static func setName(_ name: String, of source: RunSource, at time: String, in db: Database) throws(SQLiteError) {
        guard source != .account else { return }
        try db.execute(
            """
            INSERT INTO names (kind, id, name, refreshed_at) VALUES (?1, ?2, ?3, ?4)
            ON CONFLICT(kind, id) DO UPDATE SET name = excluded.name, refreshed_at = excluded.refreshed_at
            """,
            key(source) + [.text(name), .text(time)]
        )
    }

    /// The tasks and Actors stored runs belong to whose name is unknown or older than `before`.
    package func unnamed(refreshedBefore before: String, limit: Int) async throws -> [RunSource] {
        try await connection.read { db in
            let query = """
                SELECT u.kind, u.id FROM (
                    SELECT DISTINCT 'task' AS kind, task_id AS id FROM runs WHERE task_id <> ''
                    UNION SELECT DISTINCT 'actor', act_id FROM runs WHERE act_id IS NOT NULL AND act_id <> '') AS u
                WHERE NOT EXISTS (
                    SELECT 1 FROM names AS n WHERE n.kind = u.kind AND n.id = u.id AND n.refreshed_at >= ?1)
                ORDER BY u.kind, u.id LIMIT ?2
                """
            return try db.rows(query, [.text(before), .integer(Int64(limit))]).compactMap { row in
                RunSource(kind: row[0].text ?? "", id: row[1].text ?? "")
            }
        }
    }

    /// The tasks a discovery last saw, with whether each is gone upstream (`removed_at`).
    package func discoveredTasks() async throws -> [(taskId: String, removed: Bool)] {
        try await connection.read { db in
            try db.rows(
                "SELECT source_id, removed_at IS NOT NULL FROM sync_state WHERE source_kind = 'task' ORDER BY source_id"
            ).map { ($0[0].text ?? "", ($0[1].integer ?? 0) != 0) }
        }
    }

    /// Marks a task gone upstream (nil: listed again); its runs stay. Returns whether this changed it.
    @discardableResult
    package func setRemoved(_ removedAt: String?, task taskId: String, at time: String) async throws -> Bool {
        try await ownTransaction { (db) throws(SQLiteError) in
            try Self.ensureState(of: .task(taskId), at: time, in: db)
            try db.execute(
                """
                UPDATE sync_state SET removed_at = ?2
                WHERE source_kind = 'task' AND source_id = ?1 AND (removed_at IS NULL) <> (?2 IS NULL)
                """,
                [.text(taskId), SQLiteValue(removedAt)]
            )
            return db.changes > 0
        }
    }

    // MARK: Pass bookkeeping

    /// Records the end of a pass over a source: success clears the error, failure records it. The
    /// first failure after a success is a `sync_error` event, the first success after failures a
    /// `sync_recovered` (once per occurrence, across restarts). Returns the source's consecutive
    /// failed passes, this one included (0 after a success): the one count of them there is.
    @discardableResult
    package func recordPass(
        source: RunSource,
        at time: String,
        error: String?,
        backfillCompleted: Bool
    ) async throws -> Int {
        try await ownTransaction { (db) throws(SQLiteError) in
            try Self.ensureState(of: source, at: time, in: db)
            let failures =
                try db.scalar(
                    "SELECT consecutive_failures FROM sync_state WHERE source_kind = ?1 AND source_id = ?2",
                    Self.key(source)
                ).integer ?? 0
            if let error, failures == 0 {
                try Self.insertSourceEvent(.syncError, source: source, message: error, at: time, in: db)
            } else if error == nil, failures > 0 {
                try Self.insertSourceEvent(
                    .syncRecovered,
                    source: source,
                    message: "after \(failures) failed pass(es)",
                    at: time,
                    in: db
                )
            }
            if let error {
                try db.execute(
                    """
                    UPDATE sync_state SET last_pass_at = ?3, last_error = ?4, last_error_at = ?3,
                        consecutive_failures = consecutive_failures + 1, updated_at = ?3
                    WHERE source_kind = ?1 AND source_id = ?2
                    """,
                    Self.key(source) + [.text(time), .text(error)]
                )
            } else {
                try db.execute(
                    """
                    UPDATE sync_state SET last_pass_at = ?3, last_success_at = ?3, last_error = NULL,
                        consecutive_failures = 0, updated_at = ?3,
                        backfill_completed_at = CASE WHEN ?4 THEN coalesce(backfill_completed_at, ?3)
                            ELSE backfill_completed_at END
                    WHERE source_kind = ?1 AND source_id = ?2
                    """,
                    Self.key(source) + [.text(time), .integer(backfillCompleted ? 1 : 0)]
                )
            }
            return error == nil ? 0 : Int(failures) + 1
        }
    }

    /// Creates a source's state row if it has none, counting the live runs already stored that the
    /// source lists (a primary-key lookup when the row exists).
    static func ensureState(of source: RunSource, at time: String, in db: Database) throws(SQLiteError) {
        let exists = try db.cachedStatement("SELECT 1 FROM sync_state WHERE source_kind = ?1 AND source_id = ?2")
        try exists.bind(key(source))
        let found = try exists.step()
        try exists.reset()
        guard !found else { return }
        try db.execute(
            """
            INSERT INTO sync_state (source_kind, source_id, updated_at, live_runs)
            VALUES (?2, ?1, ?3, (SELECT count(*) FROM runs WHERE \(SourceScope.condition(source)) AND deleted_at IS NULL))
            """,
            [SourceScope.parameter(source), .text(source.kind.rawValue), .text(time)]
        )
    }

    // MARK: Reports

    /// Per-source figures for `status`, from the database alone.
    package func sourceStatuses() async throws -> [SourceSyncStatus] {
        try await connection.read { try Self.sourceStatuses(in: $0) }
    }

    static func sourceStatuses(in db: Database, version: Int32 = Schema.currentVersion) throws -> [SourceSyncStatus] {
        guard version >= 5 else { return try legacyStatuses(in: db, version: version) }
        let states = try db.rows(
            """
            SELECT s.source_kind, s.source_id, s.next_offset, s.anchor_run_id, s.anchor_started_at,
                   s.last_success_at, s.last_error, s.last_error_at, s.consecutive_failures,
                   s.backfill_completed_at, nullif(n.name, ''), s.removed_at
            FROM sync_state AS s LEFT JOIN names AS n ON n.kind = s.source_kind AND n.id = s.source_id
            """
        )
        return try states.compactMap { row -> SourceSyncStatus? in
            guard let source = RunSource(kind: row[0].text ?? "", id: row[1].text ?? "") else { return nil }
            let scope = SourceScope.condition(source)
            let parameter = [SourceScope.parameter(source)]
            return SourceSyncStatus(
                source: source,
                cursor: TaskCursor(
                    nextOffset: Int(row[2].integer ?? 0),
                    anchorRunId: row[3].text,
                    anchorStartedAt: row[4].text
                ),
                lastSuccessAt: row[5].text,
                lastError: row[6].text,
                lastErrorAt: row[7].text,
                consecutiveFailures: Int(row[8].integer ?? 0),
                backfillCompletedAt: row[9].text,
                runsStored: Int(try db.scalar("SELECT count(*) FROM runs WHERE \(scope)", parameter).integer ?? 0),
                unfinishedRuns: Int(
                    try db.scalar(
                        """
                        SELECT count(*) FROM runs INDEXED BY \(SourceScope.unfinishedIndex(source))
                        WHERE \(scope) AND \(Schema.unfinishedCondition)
                        """,
                        parameter
                    ).integer ?? 0
                ),
                deletedRuns: Int(
                    try db.scalar("SELECT count(*) FROM runs WHERE \(scope) AND deleted_at IS NOT NULL", parameter)
                        .integer ?? 0
                ),
                name: row[10].text,
                removedAt: row[11].text
            )
        }.sorted { $0.source < $1.source }
    }

    /// `status` of a file the daemon has not yet migrated (it reads without writing): tasks only.
    private static func legacyStatuses(in db: Database, version: Int32) throws -> [SourceSyncStatus] {
        // A version 1 file has another `runs_unfinished` condition: counted without pinning the
        // index. Task names came with version 4.
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
            SourceSyncStatus(
                source: .task(row[0].text ?? ""),
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
                name: row[12].text,
                removedAt: nil
            )
        }
    }
}
