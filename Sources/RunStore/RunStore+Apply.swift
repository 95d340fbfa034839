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
        try await apply(BatchPlan(batch), after: earlier)
    }

    /// `apply(_:after:)` for a batch already planned, optionally the next of `chain`: queued
    /// behind the caller's previous batch, and written only if that one was (see `WriteChain`).
    package func apply(
        _ plan: BatchPlan,
        after earlier: Set<UInt64> = [],
        chain: WriteChain? = nil
    ) async throws -> AppliedBatch {
        let batch = plan.batch
        let shared = self.shared
        var (result, changed) = try await queue.perform { db in
            do {
                try shared.checkNotLost(earlier)
                try chain?.check(shared)
                let epoch = try shared.begin(db)
                chain?.joined(epoch)
                var written = try shared.write(db) { try Self.write(plan, in: db) }
                written.result.epoch = epoch
                try shared.written(batch.runs.count, db)
                return written
            } catch {
                chain?.broke(error)
                throw error
            }
        }
        result.changes = changed.map { change in
            let run = batch.runs[change.run]
            return StatusChange(
                taskId: batch.taskId,
                runId: run.id,
                from: change.from,
                to: run.status,
                startedAt: run.startedAt,
                finishedAt: run.finishedAt,
                observedAt: batch.observedAt
            )
        }
        return result
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

    /// Writes the batch; returns the counts, and the status changes as the positions of their runs
    /// with the status before (the caller builds `StatusChange`s, off the queue).
    static func write(
        _ plan: BatchPlan,
        in db: Database
    ) throws -> (
        result: AppliedBatch, changed: [(run: Int, from: String?)]
    ) {
        let batch = plan.batch
        var result = AppliedBatch()
        var changed: [(run: Int, from: String?)] = []
        changed.reserveCapacity(batch.runs.count)
        let select = try db.cachedStatement(selectSQL)
        let insert = try db.cachedStatement(insertSQL)
        let update = try db.cachedStatement(updateSQL)
        let change = try db.cachedStatement(changeSQL)
        let taskIdBytes = Array(batch.taskId.utf8)
        /// Per task, how many runs this batch made live (stored, revived, moved in) minus those it
        /// marked deleted or moved out: `sync_state.live_runs` follows in the same transaction.
        var liveDelta: [String: Int] = [:]
        try plan.text.withColumns { text in
            // The statements read the batch's text in place: their bindings must not outlive it.
            defer { for statement in [select, insert, update, change] { try? statement.reset() } }
            // Bound once per batch: running a statement resets it but keeps its bindings, and every
            // other parameter is bound again for each run.
            for statement in [insert, update] {
                try text.bindTaskId(to: statement, at: 2)
                try text.bindObservedAt(to: statement, at: 17)
            }
            try text.bindTaskId(to: change, at: 2)
            try text.bindObservedAt(to: change, at: 5)
            try batch.runs.withUnsafeBufferPointer { runs in
                for index in plan.order {
                    // New runs (every run of a backfill) take one statement: the insert's own uniqueness
                    // check is the lookup. Only a conflict pays for reading the stored row.
                    try writeColumns(of: runs[index], at: index, from: text, plan: plan, with: insert)
                    var previousStatus: String?
                    if db.changes == 1 {
                        result.inserted += 1
                        liveDelta[batch.taskId, default: 0] += 1
                    } else {
                        try select.reset()
                        try text.bind(.id, of: index, to: select, at: 1)
                        guard try select.step() else {
                            throw SQLiteError(
                                extendedCode: 1,
                                message: "run \(runs[index].id) neither inserted nor found",
                                sql: selectSQL
                            )
                        }
                        previousStatus = select.text(at: 0)
                        let wasDeleted = select.int64(at: 2) != 0
                        let sameTask = taskIdBytes.withUnsafeBytes { select.columnBytesEqual(at: 3, to: $0) }
                        let identical =
                            !wasDeleted && sameTask
                            && runs[index].rawJSON.withUnsafeBytes { select.columnBytesEqual(at: 1, to: $0) }
                        // A run seen again after it was marked deleted is live again; one listed under
                        // another task than it was stored under moves to this one (both kept counted).
                        if wasDeleted {
                            result.revived += 1
                            liveDelta[batch.taskId, default: 0] += 1
                        } else if !sameTask {
                            liveDelta[batch.taskId, default: 0] += 1
                            liveDelta[select.text(at: 3) ?? "", default: 0] -= 1
                        }
                        try select.reset()
                        guard !identical else {
                            result.unchanged += 1
                            continue
                        }
                        try writeColumns(of: runs[index], at: index, from: text, plan: plan, with: update)
                        result.updated += 1
                        guard previousStatus != runs[index].status else { continue }
                    }
                    try text.bind(.id, of: index, to: change, at: 1)
                    try change.bind(SQLiteValue(previousStatus), at: 3)
                    try text.bind(.status, of: index, to: change, at: 4)
                    try text.bind(.startedAt, of: index, to: change, at: 6)
                    try text.bind(.finishedAt, of: index, to: change, at: 7)
                    try change.run()
                    changed.append((index, previousStatus))
                }
            }
        }
        if !batch.deletedRunIds.isEmpty {
            let markDeleted = try db.cachedStatement(
                """
                UPDATE runs SET deleted_at = ?2, updated_at = ?2 WHERE id = ?1 AND deleted_at IS NULL
                RETURNING task_id
                """
            )
            for runId in batch.deletedRunIds {
                try markDeleted.reset()
                try markDeleted.bind([.text(runId), .text(batch.observedAt)])
                while try markDeleted.step() {
                    result.markedDeleted += 1
                    liveDelta[markDeleted.text(at: 0) ?? "", default: 0] -= 1
                }
            }
        }
        if !batch.sweeps.isEmpty {
            let swept = try sweep(batch, in: db)
            result.markedDeleted += swept.count
            liveDelta[batch.taskId, default: 0] -= swept.count
        }
        try addLiveRuns(liveDelta, at: batch.observedAt, in: db)
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
                    SQLiteValue(cursor.anchorStartedAt), .text(batch.observedAt),
                ]
            )
        }
        return (result, changed)
    }

    /// Marks deleted the task's stored live runs that started strictly inside one of the batch's
    /// sweep spans but are not in the batch: a page holds every run between its first and last
    /// `startedAt`, so they are gone (a user's delete in the middle of the list, or retention among
    /// runs of one instant). The text bounds use the index; instants decide.
    static func sweep(_ batch: RunBatch, in db: Database) throws -> [String] {
        let listed = Set(batch.runs.lazy.map(\.id))
        let select = try db.cachedStatement(
            """
            SELECT id, started_at FROM runs
            WHERE task_id = ?1 AND started_at > ?2 AND started_at < ?3 AND deleted_at IS NULL
            """
        )
        let mark = try db.cachedStatement(
            "UPDATE runs SET deleted_at = ?2, updated_at = ?2 WHERE id = ?1 AND deleted_at IS NULL"
        )
        var gone = Set<String>()
        for (first, last) in batch.sweeps {
            guard let low = ISOTimestamp.milliseconds(first), let high = ISOTimestamp.milliseconds(last), low < high
            else { continue }
            try select.reset()
            try select.bind([.text(batch.taskId), .text(first), .text(last)])
            while try select.step() {
                guard let id = select.text(at: 0), !listed.contains(id),
                    let instant = select.text(at: 1).flatMap(ISOTimestamp.milliseconds), low < instant, instant < high
                else { continue }
                gone.insert(id)
            }
        }
        for id in gone {
            try mark.reset()
            try mark.bind([.text(id), .text(batch.observedAt)])
            try mark.run()
        }
        return Array(gone)
    }

    /// Adds to the tasks' `live_runs`, creating a task's state row if it has none.
    static func addLiveRuns(_ delta: [String: Int], at time: String, in db: Database) throws {
        for (taskId, count) in delta where count != 0 {
            try db.execute(
                """
                INSERT INTO sync_state (task_id, updated_at, live_runs) VALUES (?1, ?2, ?3)
                ON CONFLICT(task_id) DO UPDATE SET live_runs = live_runs + excluded.live_runs
                """,
                [.text(taskId), .text(time), .integer(Int64(count))]
            )
        }
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

    private static let selectSQL = "SELECT status, raw_json, deleted_at IS NOT NULL, task_id FROM runs WHERE id = ?"

    private static let insertSQL = """
        INSERT INTO runs (id, task_id, actor_task_id, act_id, user_id, status, started_at, finished_at,
            build_id, build_number, origin, usage_total_usd, default_key_value_store_id, default_dataset_id,
            default_request_queue_id, raw_json, first_seen_at, updated_at, duration_seconds)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?17, ?18)
        ON CONFLICT(id) DO NOTHING
        """

    /// A run belongs to the task whose list it was last read from (each task is read by its ID).
    private static let updateSQL = """
        UPDATE runs SET task_id = ?2, actor_task_id = ?3, act_id = ?4, user_id = ?5, status = ?6, started_at = ?7,
            finished_at = ?8, build_id = ?9, build_number = ?10, origin = ?11, usage_total_usd = ?12,
            default_key_value_store_id = ?13, default_dataset_id = ?14, default_request_queue_id = ?15,
            raw_json = ?16, updated_at = ?17, duration_seconds = ?18, deleted_at = NULL
        WHERE id = ?1
        """

    private static let changeSQL = """
        INSERT INTO run_status_changes (run_id, task_id, from_status, to_status, observed_at, started_at, finished_at)
        VALUES (?, ?, ?, ?, ?, ?, ?)
        """

    /// Binds a run's columns to the insert or the update and runs it; the raw JSON is read in place
    /// from the page it came in. The task ID (?2) and the observation time (?17) are bound per batch.
    private static func writeColumns(
        of run: RunRecord,
        at index: Int,
        from text: BatchText.Columns,
        plan: BatchPlan,
        with statement: Statement
    )
        throws
    {
        try text.bind(.id, of: index, to: statement, at: 1)
        try text.bind(.actorTaskId, of: index, to: statement, at: 3)
        try text.bind(.actId, of: index, to: statement, at: 4)
        try text.bind(.userId, of: index, to: statement, at: 5)
        try text.bind(.status, of: index, to: statement, at: 6)
        try text.bind(.startedAt, of: index, to: statement, at: 7)
        try text.bind(.finishedAt, of: index, to: statement, at: 8)
        try text.bind(.buildId, of: index, to: statement, at: 9)
        try text.bind(.buildNumber, of: index, to: statement, at: 10)
        try text.bind(.origin, of: index, to: statement, at: 11)
        try statement.bind(SQLiteValue(run.usageTotalUsd), at: 12)
        try text.bind(.defaultKeyValueStoreId, of: index, to: statement, at: 13)
        try text.bind(.defaultDatasetId, of: index, to: statement, at: 14)
        try text.bind(.defaultRequestQueueId, of: index, to: statement, at: 15)
        try statement.bind(SQLiteValue(plan.durations[index]), at: 18)
        try run.rawJSON.withUnsafeBytes { raw in
            try statement.bind(utf8InPlace: raw, at: 16)
            try statement.run()
        }
    }
}
