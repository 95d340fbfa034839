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
    /// Writes a batch, atomically, into the shared transaction and returns what changed. The changes
    /// are durable, and may be reported, once `commit(epochs:)` says that the batch's epoch
    /// (`AppliedBatch.epoch`) committed; a pass writes through a `WriteSession`, which keeps track.
    package func apply(_ batch: RunBatch) async throws -> AppliedBatch {
        try await apply(BatchPlan(batch))
    }

    /// `apply(_:)` for a batch already planned, optionally the next of `chain`: queued behind the
    /// chain's previous batch, and written only if that one was and no transaction the chain joined
    /// was lost (see `WriteChain`), so that a cursor is never stored past runs that are not.
    /// `historical`: the batch belongs to a source's first complete read, whose first sightings are
    /// history, not events.
    func apply(_ plan: BatchPlan, chain: WriteChain? = nil, historical: Bool = false) async throws -> AppliedBatch {
        let batch = plan.batch
        var (result, changed) = try await connection.write(plan, chain: chain, historical: historical)
        result.changes = changed.map { change in
            let run = batch.runs[change.run]
            return StatusChange(
                taskId: change.taskId,
                actId: run.actId,
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
        await connection.commit(epochs: epochs)
    }

    /// Commits whatever is pending, for callers that only need everything durable.
    package func flush() async throws {
        try await connection.flush()
    }

    /// A run of a batch whose status changed: its position in the batch, its status before (nil for
    /// a new run) and its task.
    typealias ChangedRun = (run: Int, from: String?, taskId: String)

    /// Writes the batch; returns the counts, and the status changes as the positions of their runs
    /// with the status before and the run's task (the caller builds `StatusChange`s, off the store's thread).
    ///
    /// A run's task is its `actorTaskId`; without one, the task whose list it came from; without
    /// that (an Actor's or the account's list), the task it was stored under, or none (empty).
    static func write(
        _ plan: BatchPlan,
        historical: Bool = false,
        in db: Database
    ) throws -> (result: AppliedBatch, changed: [ChangedRun]) {
        let batch = plan.batch
        // Counted from the rows before the batch: its own changes to them follow below.
        try ensureState(of: batch.source, at: batch.observedAt, in: db)
        /// Runs this batch made live (stored, revived, moved in) minus those it marked deleted or
        /// moved out, per task and Actor: every source's `sync_state.live_runs` follows in the same
        /// transaction.
        var liveDelta = LiveDelta()
        var (result, changed) = try writeRuns(of: plan, into: &liveDelta, in: db)
        result.markedDeleted += try markGoneRuns(of: batch, into: &liveDelta, in: db)
        try liveDelta.apply(in: db)
        try recordRunEvents(of: changed, in: batch, historical: historical, in: db)
        if let cursor = batch.cursor { try store(cursor, of: batch, in: db) }
        return (result, changed)
    }

    /// Inserts the batch's new runs and updates the stored ones it changes, in the plan's order;
    /// returns the counts and the runs whose status changed (each with a `run_status_changes` row).
    private static func writeRuns(
        of plan: BatchPlan,
        into liveDelta: inout LiveDelta,
        in db: Database
    ) throws -> (result: AppliedBatch, changed: [ChangedRun]) {
        let batch = plan.batch
        var result = AppliedBatch()
        var changed: [ChangedRun] = []
        changed.reserveCapacity(batch.runs.count)
        let select = try db.cachedStatement(selectSQL)
        let insert = try db.cachedStatement(insertSQL)
        let update = try db.cachedStatement(updateSQL)
        let change = try db.cachedStatement(changeSQL)
        let listedTaskId = batch.listedTaskId
        try plan.text.withColumns { text in
            // The statements read the batch's text in place: their bindings must not outlive it.
            defer { for statement in [select, insert, update, change] { try? statement.reset() } }
            // Bound once per batch: running a statement resets it but keeps its bindings, and every
            // other parameter is bound again for each run.
            for statement in [insert, update] {
                try text.bindObservedAt(to: statement, at: 17)
            }
            try text.bindObservedAt(to: change, at: 5)
            try batch.runs.withUnsafeBufferPointer { runs in
                for index in plan.order {
                    let run = runs[index]
                    let listedTask = run.actorTaskId.flatMap { $0.isEmpty ? nil : $0 }
                    // ?2: the run's own task, else the listed task's (empty for other lists).
                    let bindTask = { (statement: Statement) in
                        if listedTask != nil {
                            try text.bind(.actorTaskId, of: index, to: statement, at: 2)
                        } else {
                            try text.bindTaskId(to: statement, at: 2)
                        }
                    }
                    // New runs (every run of a backfill) take one statement: the insert's own uniqueness
                    // check is the lookup. Only a conflict pays for reading the stored row.
                    try bindTask(insert)
                    try writeColumns(of: run, at: index, from: text, plan: plan, with: insert)
                    let previousStatus: String?
                    let taskId: String
                    if db.changes == 1 {
                        result.inserted += 1
                        (previousStatus, taskId) = (nil, listedTask ?? listedTaskId)
                        liveDelta.add(1, taskId: taskId, actId: run.actId)
                    } else {
                        let stored = try compareWithStored(
                            run,
                            at: index,
                            listedTask: listedTask,
                            of: batch,
                            from: text,
                            with: select,
                            into: &liveDelta
                        )
                        switch stored {
                        case .changedSinceRead:
                            result.unchanged += 1
                            result.deferred += 1
                            continue
                        case .identical:
                            result.unchanged += 1
                            continue
                        case .differs(let status, let task, let revived):
                            if revived { result.revived += 1 }
                            try bindTask(update)
                            try writeColumns(of: run, at: index, from: text, plan: plan, with: update)
                            result.updated += 1
                            guard status != run.status else { continue }
                            (previousStatus, taskId) = (status, task)
                        }
                    }
                    try recordChange(ofRunAt: index, from: previousStatus, taskId: taskId, text: text, with: change)
                    changed.append((index, previousStatus, taskId))
                }
            }
        }
        return (result, changed)
    }

    /// Adds the `run_status_changes` row of the batch's run at `index` (observed at the batch's time,
    /// bound once per batch).
    private static func recordChange(
        ofRunAt index: Int,
        from previousStatus: String?,
        taskId: String,
        text: BatchText.Columns,
        with change: Statement
    ) throws {
        try text.bind(.id, of: index, to: change, at: 1)
        try change.bind(.text(taskId), at: 2)
        try change.bind(SQLiteValue(previousStatus), at: 3)
        try text.bind(.status, of: index, to: change, at: 4)
        try text.bind(.startedAt, of: index, to: change, at: 6)
        try text.bind(.finishedAt, of: index, to: change, at: 7)
        try change.run()
    }

    /// Reads the stored row of a run the batch lists again (the insert found it) and compares the
    /// listed copy with it. A run seen again after it was marked deleted is live again, and one listed
    /// under another task than it was stored under moves to it: `liveDelta` counts both.
    private static func compareWithStored(
        _ run: RunRecord,
        at index: Int,
        listedTask: String?,
        of batch: RunBatch,
        from text: BatchText.Columns,
        with select: Statement,
        into liveDelta: inout LiveDelta
    ) throws -> StoredRunComparison {
        try select.reset()
        defer { try? select.reset() }
        try text.bind(.id, of: index, to: select, at: 1)
        guard try select.step() else {
            throw SQLiteError(
                extendedCode: SQLiteError.genericErrorCode,
                message: "run \(run.id) neither inserted nor found",
                sql: selectSQL
            )
        }
        let storedStatus = select.text(at: 0)
        let wasDeleted = select.int64(at: 2) != 0
        let storedTask = select.text(at: 3) ?? ""
        let storedAct = select.text(at: 4)
        // At the same millisecond, which came first is unknown too: the row stays.
        if let since = batch.readSince, let changedAt = select.text(at: 5), changedAt >= since,
            wasDeleted || storedStatus != run.status
        {
            return .changedSinceRead
        }
        let listedTaskId = batch.listedTaskId
        let taskId = listedTask ?? (listedTaskId.isEmpty ? storedTask : listedTaskId)
        let actId = run.actId ?? storedAct
        let moved = storedTask != taskId || storedAct != actId
        if !wasDeleted && !moved && run.rawJSON.withUnsafeBytes({ select.columnBytesEqual(at: 1, to: $0) }) {
            return .identical
        }
        if wasDeleted {
            liveDelta.add(1, taskId: taskId, actId: actId)
        } else if moved {
            liveDelta.add(1, taskId: taskId, actId: actId)
            liveDelta.add(-1, taskId: storedTask, actId: storedAct)
        }
        return .differs(status: storedStatus, taskId: taskId, revived: wasDeleted)
    }

    /// Marks deleted the runs the batch names as gone and those its sweeps prove gone; returns how
    /// many were live.
    private static func markGoneRuns(of batch: RunBatch, into liveDelta: inout LiveDelta, in db: Database) throws -> Int
    {
        var marked = 0
        if !batch.deletedRunIds.isEmpty {
            marked += try markDeleted(batch.deletedRunIds, at: batch.observedAt, into: &liveDelta, in: db)
        }
        if !batch.sweeps.isEmpty {
            let swept = try sweep(batch, in: db)
            marked += try markDeleted(swept, at: batch.observedAt, into: &liveDelta, in: db)
        }
        return marked
    }

    /// Stores the cursor the batch leads to, in the same transaction as its runs.
    private static func store(_ cursor: TaskCursor, of batch: RunBatch, in db: Database) throws {
        try db.execute(
            """
            UPDATE sync_state SET next_offset = ?3, anchor_run_id = ?4, anchor_started_at = ?5, updated_at = ?6
            WHERE source_kind = ?1 AND source_id = ?2
            """,
            [
                .text(batch.source.kind.rawValue), .text(batch.source.id), .integer(Int64(cursor.nextOffset)),
                SQLiteValue(cursor.anchorRunId), SQLiteValue(cursor.anchorStartedAt), .text(batch.observedAt),
            ]
        )
    }

    /// Marks runs deleted upstream (never removes them); returns how many were live.
    static func markDeleted(
        _ runIds: some Sequence<String>,
        at time: String,
        into liveDelta: inout LiveDelta,
        in db: Database
    ) throws(SQLiteError) -> Int {
        let mark = try db.cachedStatement(
            """
            UPDATE runs SET deleted_at = ?2, updated_at = ?2 WHERE id = ?1 AND deleted_at IS NULL
            RETURNING task_id, act_id
            """
        )
        var marked = 0
        for runId in runIds {
            try mark.reset()
            try mark.bind([.text(runId), .text(time)])
            while try mark.step() {
                marked += 1
                liveDelta.add(-1, taskId: mark.text(at: 0) ?? "", actId: mark.text(at: 1))
            }
        }
        try mark.reset()
        return marked
    }

    /// The source's stored live runs that started strictly inside one of the batch's sweep spans
    /// but are not in the batch: a page holds every run between its first and last `startedAt`, so
    /// they are gone (a user's delete in the middle of the list, or retention among runs of one
    /// instant). The text bounds use the index; instants decide.
    static func sweep(_ batch: RunBatch, in db: Database) throws -> Set<String> {
        let listed = Set(batch.runs.lazy.map(\.id))
        let select = try db.cachedStatement(
            """
            SELECT id, started_at FROM runs
            WHERE \(SourceScope.condition(batch.source)) AND started_at > ?2 AND started_at < ?3
                AND deleted_at IS NULL
            """
        )
        var gone = Set<String>()
        for (first, last) in batch.sweeps {
            guard let low = ISOTimestamp.milliseconds(first), let high = ISOTimestamp.milliseconds(last), low < high
            else { continue }
            try select.reset()
            try select.bind([SourceScope.parameter(batch.source), .text(first), .text(last)])
            while try select.step() {
                guard let id = select.text(at: 0), !listed.contains(id),
                    let instant = select.text(at: 1).flatMap(ISOTimestamp.milliseconds), low < instant, instant < high
                else { continue }
                gone.insert(id)
            }
        }
        try select.reset()
        return gone
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

    private static let selectSQL =
        "SELECT status, raw_json, deleted_at IS NOT NULL, task_id, act_id, updated_at FROM runs WHERE id = ?"

    private static let insertSQL = """
        INSERT INTO runs (id, task_id, actor_task_id, act_id, user_id, status, started_at, finished_at,
            build_id, build_number, origin, usage_total_usd, default_key_value_store_id, default_dataset_id,
            default_request_queue_id, raw_json, first_seen_at, updated_at, duration_seconds)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?17, ?18)
        ON CONFLICT(id) DO NOTHING
        """

    /// A run keeps the task and Actor it was stored under unless the API names others (?2 is empty
    /// for a run without a task listed by an Actor or the account).
    private static let updateSQL = """
        UPDATE runs SET task_id = coalesce(nullif(?2, ''), task_id), actor_task_id = ?3, act_id = coalesce(?4, act_id), user_id = ?5, status = ?6, started_at = ?7,
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
    /// from the page it came in. The task (?2) is bound by the caller, the observation time (?17) per
    /// batch.
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
