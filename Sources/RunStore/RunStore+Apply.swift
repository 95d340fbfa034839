import RunModel
import SQLiteCore

/// Storing a page of runs: the hot path of every pass.
///
/// A batch (the runs, their status changes and the task's cursor) is written into the shared write
/// transaction (`SharedTransaction`) and is kept or lost as a whole: a crash leaves either all of it
/// or none, and a batch that fails takes the open transaction down with it. Per run, an
/// `INSERT … ON CONFLICT DO NOTHING` stores a new run; for a run already stored, a primary-key lookup
/// reads its status and raw JSON: a run whose JSON is byte-identical is not written at all, a changed
/// one is rewritten, and a status-change row is added exactly when the run is new or its status
/// differs. Duplicates within a batch are handled by the same rule, in order.
extension RunStore {
    /// Writes a batch, atomically, into the shared transaction and returns what changed.
    ///
    /// `earlier` are the epochs of the caller's previous batches that it has not yet seen commit: if
    /// any of them was lost, nothing is written and `StoreCommitError` is thrown, so that a cursor is
    /// never stored past runs that are not. The changes are durable, and may be reported, once
    /// `commit(epochs:)` says that the batch's epoch (`AppliedBatch.epoch`) committed.
    package func apply(_ batch: RunBatch, after earlier: Set<UInt64> = []) async throws -> AppliedBatch {
        let shared = self.shared
        return try await queue.perform { db in
            try shared.checkNotLost(earlier)
            let epoch = try shared.begin(db)
            var result = try shared.write(db) { try Self.write(batch, in: db) }
            result.epoch = epoch
            try shared.written(batch.runs.count, db)
            return result
        }
    }

    /// Commits the shared transaction if it holds any of `epochs`; returns the epochs that did not
    /// commit, with their errors (empty when all of them did).
    package func commit(epochs: Set<UInt64>) async throws -> [UInt64: String] {
        let shared = self.shared
        return try await queue.perform { db in
            if shared.isOpen && epochs.contains(shared.epoch) {
                do {
                    try shared.commit(db)
                } catch {
                    // Remembered as a failure of this epoch, returned below.
                }
            }
            return shared.failures(among: epochs)
        }
    }

    /// Commits whatever is pending, for callers that only need everything durable.
    package func flush() async throws {
        let shared = self.shared
        try await queue.perform { try shared.commit($0) }
    }

    static func write(_ batch: RunBatch, in db: Database) throws -> AppliedBatch {
        var result = AppliedBatch()
        let select = try db.cachedStatement(selectSQL)
        let insert = try db.cachedStatement(insertSQL)
        let update = try db.cachedStatement(updateSQL)
        let change = try db.cachedStatement(changeSQL)
        let observedAt = batch.observedAt
        for index in idOrder(batch.runs) {
            let run = batch.runs[index]
            // New runs (every run of a backfill) take one statement: the insert's own uniqueness
            // check is the lookup. Only a conflict pays for reading the stored row.
            try insert.reset()
            try bindColumns(of: run, to: insert, observedAt: observedAt, taskId: batch.taskId)
            try insert.run()
            var previousStatus: String?
            if db.changes == 1 {
                result.inserted += 1
            } else {
                try select.reset()
                try select.bind(text: run.id, at: 1)
                guard try select.step() else {
                    throw SQLiteError(
                        extendedCode: 1,
                        message: "run \(run.id) neither inserted nor found",
                        sql: selectSQL
                    )
                }
                previousStatus = select.text(at: 0)
                let wasDeleted = select.int64(at: 2) != 0
                let identical =
                    !wasDeleted && run.rawJSON.withUnsafeBytes { select.columnBytesEqual(at: 1, to: $0) }
                try select.reset()
                guard !identical else {
                    result.unchanged += 1
                    continue
                }
                try update.reset()
                try bindColumns(of: run, to: update, observedAt: observedAt, taskId: batch.taskId)
                try update.run()
                result.updated += 1
                guard previousStatus != run.status else { continue }
            }
            try change.reset()
            try change.bind(text: run.id, at: 1)
            try change.bind(text: batch.taskId, at: 2)
            try change.bind(SQLiteValue(previousStatus), at: 3)
            try change.bind(text: run.status, at: 4)
            try change.bind(text: observedAt, at: 5)
            try change.bind(SQLiteValue(run.startedAt), at: 6)
            try change.bind(SQLiteValue(run.finishedAt), at: 7)
            try change.run()
            result.changes.append(
                StatusChange(
                    taskId: batch.taskId,
                    runId: run.id,
                    from: previousStatus,
                    to: run.status,
                    startedAt: run.startedAt,
                    finishedAt: run.finishedAt,
                    observedAt: observedAt
                )
            )
        }
        if !batch.deletedRunIds.isEmpty {
            let markDeleted = try db.cachedStatement(
                "UPDATE runs SET deleted_at = ?2, updated_at = ?2 WHERE id = ?1 AND deleted_at IS NULL"
            )
            for runId in batch.deletedRunIds {
                try markDeleted.reset()
                try markDeleted.bind([.text(runId), .text(observedAt)])
                try markDeleted.run()
                result.markedDeleted += Int(db.changes)
            }
        }
        if let cursor = batch.cursor {
            try db.execute(
                """
                INSERT INTO sync_state (task_id, next_offset, anchor_run_id, anchor_started_at, updated_at)
                VALUES (?1, ?2, ?3, ?4, ?5)
                ON CONFLICT(task_id) DO UPDATE SET next_offset = excluded.next_offset,
                    anchor_run_id = excluded.anchor_run_id, anchor_started_at = excluded.anchor_started_at,
                    updated_at = excluded.updated_at
                """,
                [
                    .text(batch.taskId), .integer(Int64(cursor.nextOffset)), SQLiteValue(cursor.anchorRunId),
                    SQLiteValue(cursor.anchorStartedAt), .text(observedAt),
                ]
            )
        }
        return result
    }

    /// The positions of `runs` in the byte order of their IDs (SQLite's BINARY collation), stable for
    /// duplicates. Written in key order, each index page a batch touches is read into SQLite's cache
    /// once, not once per run that lands on it. Compares the IDs' first eight bytes as an integer and
    /// whole IDs only on a tie: sorting by `String` comparison took a tenth of a batch's instructions.
    package static func idOrder(_ runs: [RunRecord]) -> [Int] {
        let prefixes = runs.map { run in
            var prefix: UInt64 = 0
            var count = 0
            for byte in run.id.utf8.prefix(8) {
                prefix = prefix << 8 | UInt64(byte)
                count += 1
            }
            return count == 0 ? 0 : prefix << (8 * UInt64(8 - count))
        }
        return runs.indices.sorted { a, b in
            if prefixes[a] != prefixes[b] { return prefixes[a] < prefixes[b] }
            let (first, second) = (runs[a].id.utf8, runs[b].id.utf8)
            if first.elementsEqual(second) { return a < b }
            return first.lexicographicallyPrecedes(second)
        }
    }

    private static let selectSQL = "SELECT status, raw_json, deleted_at IS NOT NULL FROM runs WHERE id = ?"

    private static let insertSQL = """
        INSERT INTO runs (id, task_id, actor_task_id, act_id, user_id, status, started_at, finished_at,
            build_id, build_number, origin, usage_total_usd, default_key_value_store_id, default_dataset_id,
            default_request_queue_id, raw_json, first_seen_at, updated_at)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?17)
        ON CONFLICT(id) DO NOTHING
        """

    /// The task a run was first stored under is kept: the same run reached through two task names stays put.
    private static let updateSQL = """
        UPDATE runs SET actor_task_id = ?3, act_id = ?4, user_id = ?5, status = ?6, started_at = ?7,
            finished_at = ?8, build_id = ?9, build_number = ?10, origin = ?11, usage_total_usd = ?12,
            default_key_value_store_id = ?13, default_dataset_id = ?14, default_request_queue_id = ?15,
            raw_json = ?16, updated_at = ?17, deleted_at = NULL
        WHERE id = ?1
        """

    private static let changeSQL = """
        INSERT INTO run_status_changes (run_id, task_id, from_status, to_status, observed_at, started_at, finished_at)
        VALUES (?, ?, ?, ?, ?, ?, ?)
        """

    private static func bindColumns(
        of run: RunRecord,
        to statement: Statement,
        observedAt: String,
        taskId: String
    )
        throws
    {
        try statement.bind(text: run.id, at: 1)
        try statement.bind(text: taskId, at: 2)
        try statement.bind(SQLiteValue(run.actorTaskId), at: 3)
        try statement.bind(SQLiteValue(run.actId), at: 4)
        try statement.bind(SQLiteValue(run.userId), at: 5)
        try statement.bind(text: run.status, at: 6)
        try statement.bind(SQLiteValue(run.startedAt), at: 7)
        try statement.bind(SQLiteValue(run.finishedAt), at: 8)
        try statement.bind(SQLiteValue(run.buildId), at: 9)
        try statement.bind(SQLiteValue(run.buildNumber), at: 10)
        try statement.bind(SQLiteValue(run.origin), at: 11)
        try statement.bind(SQLiteValue(run.usageTotalUsd), at: 12)
        try statement.bind(SQLiteValue(run.defaultKeyValueStoreId), at: 13)
        try statement.bind(SQLiteValue(run.defaultDatasetId), at: 14)
        try statement.bind(SQLiteValue(run.defaultRequestQueueId), at: 15)
        try run.rawJSON.withUnsafeBytes { try statement.bind(utf8: $0, at: 16) }
        try statement.bind(text: observedAt, at: 17)
    }
}
