import RunModel
import SQLiteCore

/// The alert outbox (README, "Alerts"; schema version 6).
///
/// Events are inserted by the transaction that records their cause: a run's status change in
/// `write(_:in:)`, a source's failing or recovering pass in `recordPass`. So an event exists exactly
/// when its cause committed, and a crash loses neither. Delivery is the dispatcher's: it reads only
/// committed events (its reads commit the shared transaction first), prepares each event's payload,
/// and records every attempt per sink, after the attempt. A delivery whose record a crash lost is
/// made again: at least once per sink.
extension RunStore {
    // MARK: Writing events, inside the transaction of their cause

    /// Inserts the events of a batch's recorded status changes, after all of its rows are written,
    /// in the order the runs started (event IDs are the order sinks receive them in): a failure
    /// status reached, and a success that follows failures of the same task (or Actor, for runs
    /// without a task). First sightings of a backfill are history, summarised, not events.
    static func recordRunEvents(
        of changed: [(run: Int, from: String?, taskId: String)],
        in batch: RunBatch,
        historical: Bool,
        in db: Database
    ) throws {
        let news = changed.filter { !(historical && $0.from == nil) }
        guard !news.isEmpty else { return }
        let ordered = news.sorted { a, b in
            let (first, second) = (batch.runs[a.run], batch.runs[b.run])
            let (x, y) = (
                first.startedAt.flatMap(ISOTimestamp.milliseconds), second.startedAt.flatMap(ISOTimestamp.milliseconds)
            )
            if x != y { return (x ?? .min) < (y ?? .min) }
            return a.run < b.run
        }
        for change in ordered {
            let run = batch.runs[change.run]
            if let kind = EventKind.failure(run.status) {
                try insertRunEvent(kind, run: run, from: change.from, taskId: change.taskId, batch: batch, in: db)
            } else if run.status == RunStatus.succeeded, try followsAFailure(run, taskId: change.taskId, in: db) {
                try insertRunEvent(
                    .runSucceededAfterFailure,
                    run: run,
                    from: change.from,
                    taskId: change.taskId,
                    batch: batch,
                    in: db
                )
            }
        }
    }

    /// Whether the previous finished run of `run`'s task (or of its Actor, for a run without a task)
    /// failed. Two statements, each a plain equality the planner matches to `runs_task_started` or
    /// `runs_actor_started`, read backwards from the run's start.
    private static func followsAFailure(_ run: RunRecord, taskId: String, in db: Database) throws -> Bool {
        guard let startedAt = run.startedAt else { return false }
        let previous: Statement
        if !taskId.isEmpty {
            previous = try db.cachedStatement(
                """
                SELECT status FROM runs
                WHERE task_id = ?1 AND started_at < ?2 AND id <> ?3 AND deleted_at IS NULL
                    AND status IN (\(Schema.finalList))
                ORDER BY started_at DESC LIMIT 1
                """
            )
            try previous.bind([.text(taskId), .text(startedAt), .text(run.id)])
        } else if let actId = run.actId {
            previous = try db.cachedStatement(
                """
                SELECT status FROM runs
                WHERE act_id = ?1 AND started_at < ?2 AND task_id = '' AND id <> ?3 AND deleted_at IS NULL
                    AND status IN (\(Schema.finalList))
                ORDER BY started_at DESC LIMIT 1
                """
            )
            try previous.bind([.text(actId), .text(startedAt), .text(run.id)])
        } else {
            return false
        }
        defer { try? previous.reset() }
        guard try previous.step(), let status = previous.text(at: 0) else { return false }
        return EventKind.failure(status) != nil
    }

    private static func insertRunEvent(
        _ kind: EventKind,
        run: RunRecord,
        from: String?,
        taskId: String,
        batch: RunBatch,
        in db: Database
    ) throws {
        let insert = try db.cachedStatement(
            """
            INSERT INTO events (event, task_id, actor_id, run_id, from_status, to_status, started_at,
                finished_at, occurred_at)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
            """
        )
        defer { try? insert.reset() }
        try insert.bind([
            .text(kind.rawValue), .text(taskId), SQLiteValue(run.actId), .text(run.id), SQLiteValue(from),
            .text(run.status), SQLiteValue(run.startedAt), SQLiteValue(run.finishedAt), .text(batch.observedAt),
        ])
        try insert.run()
    }

    /// Inserts a `sync_error` or `sync_recovered` for `source`.
    static func insertSourceEvent(
        _ kind: EventKind,
        source: RunSource,
        message: String?,
        at time: String,
        in db: Database
    ) throws(SQLiteError) {
        try db.execute(
            """
            INSERT INTO events (event, source_kind, source_id, message, occurred_at) VALUES (?1, ?2, ?3, ?4, ?5)
            """,
            [.text(kind.rawValue), .text(source.kind.rawValue), .text(source.id), SQLiteValue(message), .text(time)]
        )
    }

    // MARK: Preparing events

    /// Committed events without a payload yet, oldest first.
    package func unreadyEvents(limit: Int) async throws -> [StoredEvent] {
        try await ownTransaction { (db) throws(SQLiteError) in
            try Self.events(where: "e.payload IS NULL", [], limit: limit, in: db)
        }
    }

    /// Stores what a run's single GET told, when the run was in `status`: its `statusMessage`,
    /// `exitCode` and details (JSON). The message also goes to the run's events waiting for it that
    /// are about that status (details read while the run was RUNNING say nothing of its failure).
    package func setRunDetails(
        runId: String,
        status: String?,
        statusMessage: String?,
        exitCode: Int?,
        details: String?
    ) async throws {
        try await ownTransaction { (db) throws(SQLiteError) in
            // Only what describes the run as stored: details read while it was RUNNING, stored after its
            // failure, would pass for the failure's.
            try db.execute(
                """
                UPDATE runs SET status_message = ?2, exit_code = ?3, run_details = ?4 WHERE id = ?1 AND status IS ?5
                """,
                [
                    .text(runId), SQLiteValue(statusMessage), SQLiteValue(exitCode.map(Int64.init)),
                    SQLiteValue(details),
                    SQLiteValue(status),
                ]
            )
            // The message belongs to the events of the run's failure that wait for it.
            try db.execute(
                "UPDATE events SET message = ?2 WHERE run_id = ?1 AND payload IS NULL AND to_status = ?3",
                [.text(runId), SQLiteValue(statusMessage), SQLiteValue(status)]
            )
        }
    }

    /// Makes an event ready to deliver.
    package func setPayload(_ payload: String, of eventId: Int64) async throws {
        try await ownTransaction { (db) throws(SQLiteError) in
            try db.execute("UPDATE events SET payload = ?2 WHERE id = ?1", [.integer(eventId), .text(payload)])
        }
    }

    // MARK: Delivering events

    /// Records the sinks the configuration names; one seen for the first time starts with the
    /// events that occurred from `time` (when the configuration naming it was loaded): a new hook is
    /// not sent the history. A sink known already keeps its place.
    package func registerSinks(_ sinks: [String], at time: String) async throws {
        try await ownTransaction { (db) throws(SQLiteError) in
            for sink in sinks {
                try db.execute(
                    """
                    INSERT INTO alert_sinks (sink, first_event_id, delivered_through, added_at)
                    SELECT ?1, last, last, ?2
                    FROM (SELECT coalesce(max(id), 0) AS last FROM events WHERE occurred_at < ?2)
                    WHERE true
                    ON CONFLICT(sink) DO NOTHING
                    """,
                    [.text(sink), .text(time)]
                )
            }
        }
    }

    /// The events not yet final for `sink` (never tried, or retrying), oldest first, with the
    /// sink's delivery state; events without a payload are included, since they hold back the later
    /// events of their task.
    package func undelivered(to sink: String, limit: Int) async throws -> [PendingDelivery] {
        try await ownTransaction { (db) throws(SQLiteError) in
            guard
                let through = try db.scalar("SELECT delivered_through FROM alert_sinks WHERE sink = ?1", [.text(sink)])
                    .integer
            else { return [] }
            let statement = try db.cachedStatement(
                """
                SELECT d.event_id, d.attempts, d.first_attempt_at, d.next_attempt_at, d.state FROM events AS e
                JOIN event_deliveries AS d ON d.event_id = e.id AND d.sink = ?1
                WHERE e.id > ?2
                """
            )
            defer { try? statement.reset() }
            try statement.bind([.text(sink), .integer(through)])
            var states: [Int64: (attempts: Int, firstAttemptAt: String?, nextAttemptAt: String?, state: String)] = [:]
            while try statement.step() {
                states[statement.int64(at: 0)] = (
                    Int(statement.int64(at: 1)), statement.text(at: 2), statement.text(at: 3),
                    statement.text(at: 4) ?? ""
                )
            }
            try statement.reset()
            let events = try Self.events(where: "e.id > ?1", [.integer(through)], limit: limit + states.count, in: db)
            return events.compactMap { event -> PendingDelivery? in
                guard let state = states[event.id] else { return PendingDelivery(event: event) }
                guard state.state == DeliveryState.pending.rawValue else { return nil }
                return PendingDelivery(
                    event: event,
                    attempts: state.attempts,
                    firstAttemptAt: state.firstAttemptAt,
                    nextAttemptAt: state.nextAttemptAt
                )
            }.prefix(limit).map { $0 }
        }
    }

    /// Records the outcome of a delivery (or of the decision not to make it) and moves the sink's
    /// high-water mark past every event that is now final for it.
    package func recordDelivery(
        of eventId: Int64,
        to sink: String,
        state: DeliveryState,
        at time: String,
        nextAttemptAt: String? = nil,
        error: String? = nil,
        attempted: Bool = true
    ) async throws {
        try await ownTransaction { (db) throws(SQLiteError) in
            try db.execute(
                """
                INSERT INTO event_deliveries (event_id, sink, state, attempts, first_attempt_at, last_attempt_at,
                    next_attempt_at, delivered_at, last_error)
                VALUES (?1, ?2, ?3, ?4, CASE WHEN ?4 > 0 THEN ?5 END, CASE WHEN ?4 > 0 THEN ?5 END, ?6,
                    CASE WHEN ?3 = 'delivered' THEN ?5 END, ?7)
                ON CONFLICT(event_id, sink) DO UPDATE SET state = ?3, attempts = attempts + ?4,
                    first_attempt_at = coalesce(first_attempt_at, CASE WHEN ?4 > 0 THEN ?5 END),
                    last_attempt_at = CASE WHEN ?4 > 0 THEN ?5 ELSE last_attempt_at END, next_attempt_at = ?6,
                    delivered_at = CASE WHEN ?3 = 'delivered' THEN ?5 END, last_error = ?7
                """,
                [
                    .integer(eventId), .text(sink), .text(state.rawValue), .integer(attempted ? 1 : 0), .text(time),
                    SQLiteValue(nextAttemptAt), SQLiteValue(error),
                ]
            )
            try Self.advance(sink, in: db)
        }
    }

    /// Sets the sink's `delivered_through` to just before its first event that is not final.
    private static func advance(_ sink: String, in db: Database) throws(SQLiteError) {
        try db.execute(
            """
            UPDATE alert_sinks SET delivered_through = coalesce(
                (SELECT min(e.id) - 1 FROM events AS e
                    LEFT JOIN event_deliveries AS d ON d.event_id = e.id AND d.sink = ?1
                    WHERE e.id > alert_sinks.delivered_through AND (d.state IS NULL OR d.state = 'pending')),
                (SELECT max(id) FROM events), delivered_through)
            WHERE sink = ?1
            """,
            [.text(sink)]
        )
    }

    /// Deletes the events that occurred before `time`, with their deliveries; returns how many.
    package func deleteEvents(before time: String) async throws -> Int {
        try await ownTransaction { (db) throws(SQLiteError) in
            try db.execute(
                "DELETE FROM event_deliveries WHERE event_id IN (SELECT id FROM events WHERE occurred_at < ?1)",
                [.text(time)]
            )
            try db.execute("DELETE FROM events WHERE occurred_at < ?1", [.text(time)])
            return Int(db.changes)
        }
    }

    /// The events a run's failure is: their message is the run's `statusMessage`.
    private static let failureEvents = RunStatus.failures.compactMap(EventKind.failure).map(\.rawValue)

    /// Events matching `condition` (on `events AS e`), oldest first, joined with their run and names.
    static func events(
        where condition: String,
        _ values: [SQLiteValue],
        limit: Int,
        in db: Database
    ) throws(SQLiteError) -> [StoredEvent] {
        let statement = try db.cachedStatement(
            """
            SELECT e.id, e.event, e.source_kind, e.source_id, e.task_id, e.actor_id, e.run_id, e.from_status,
                e.to_status,
                coalesce(e.message, CASE WHEN e.event IN (\(RunStatus.sqlList(failureEvents)))
                    AND json_extract(r.run_details, '$.status') IS e.to_status THEN r.status_message END),
                e.started_at, e.finished_at, e.occurred_at, e.payload,
                nullif(tn.name, ''), nullif(an.name, ''), r.exit_code, r.usage_total_usd, r.default_dataset_id,
                json_extract(r.run_details, '$.status') IS r.status
            FROM events AS e
            LEFT JOIN runs AS r ON r.id = e.run_id
            LEFT JOIN names AS tn ON tn.kind = 'task' AND tn.id = e.task_id
            LEFT JOIN names AS an ON an.kind = 'actor' AND an.id = e.actor_id
            WHERE \(condition)
            ORDER BY e.id LIMIT \(max(limit, 0))
            """
        )
        defer { try? statement.reset() }
        try statement.bind(values)
        var events: [StoredEvent] = []
        while try statement.step() {
            guard let kind = statement.text(at: 1).flatMap(EventKind.init(rawValue:)) else { continue }
            var event = StoredEvent(id: statement.int64(at: 0), kind: kind, occurredAt: statement.text(at: 12) ?? "")
            if let sourceKind = statement.text(at: 2) {
                event.source = RunSource(kind: sourceKind, id: statement.text(at: 3) ?? "")
            }
            event.taskId = statement.text(at: 4)
            event.actorId = statement.text(at: 5)
            event.runId = statement.text(at: 6)
            event.fromStatus = statement.text(at: 7)
            event.toStatus = statement.text(at: 8)
            event.message = statement.text(at: 9)
            event.startedAt = statement.text(at: 10)
            event.finishedAt = statement.text(at: 11)
            event.payload = statement.text(at: 13)
            event.taskName = statement.text(at: 14)
            event.actorName = statement.text(at: 15)
            event.exitCode = statement.value(at: 16).integer.map { Int($0) }
            if case .real(let usage) = statement.value(at: 17) { event.usageTotalUsd = usage }
            event.defaultDatasetId = statement.text(at: 18)
            event.hasRunDetails = statement.int64(at: 19) != 0
            events.append(event)
        }
        return events
    }
}
