import RunModel
import SQLiteCore

/// What the health checks read, and the problems they keep (schema version 6, README "Health
/// checks"). A problem is opened once, with its event, and closed once, with its recovery event, in
/// one transaction each: `status` and the sinks see the same thing.
extension RunStore {
    /// Opens the problems of `kind` found now and not yet open, and closes the open ones not found:
    /// with their recovery event when `evaluated` says the subject was checked (nil: every subject
    /// was); silently when it was not (no longer checked) and `closingUnchecked`; else it stays open
    /// (a check that could not run this time). Returns how many were opened and closed.
    @discardableResult
    package func reconcile(
        _ kind: EventKind,
        findings: [HealthFinding],
        evaluated: Set<String>?,
        closingUnchecked: Bool = true,
        at time: String
    ) async throws -> (opened: Int, closed: Int) {
        guard let recovery = kind.recovery else { preconditionFailure("\(kind) is not a health problem") }
        return try await ownTransaction { (db) throws(SQLiteError) in
            var open: [String: Int64] = [:]
            for row in try db.rows(
                "SELECT subject, id FROM health_problems WHERE problem = ?1 AND closed_at IS NULL",
                [.text(kind.rawValue)]
            ) {
                if let subject = row[0].text, let id = row[1].integer { open[subject] = id }
            }
            var opened = 0
            var closed = 0
            for finding in findings where open[finding.subject] == nil {
                try db.execute(
                    """
                    INSERT INTO health_problems (problem, subject, task_id, actor_id, run_id, detail, opened_at)
                    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                    """,
                    [
                        .text(kind.rawValue), .text(finding.subject), SQLiteValue(finding.taskId),
                        SQLiteValue(finding.actorId), SQLiteValue(finding.runId), .text(finding.detail), .text(time),
                    ]
                )
                try Self.insertHealthEvent(kind, finding, at: time, in: db)
                opened += 1
            }
            let found = Set(findings.map(\.subject))
            for (subject, id) in open where !found.contains(subject) {
                let checked = evaluated?.contains(subject) ?? true
                guard checked || closingUnchecked else { continue }
                let row = try db.rows(
                    """
                    UPDATE health_problems SET closed_at = ?2,
                        detail = CASE WHEN ?3 THEN detail ELSE detail || ' (no longer checked)' END
                    WHERE id = ?1 RETURNING task_id, actor_id, run_id
                    """,
                    [.integer(id), .text(time), .integer(checked ? 1 : 0)]
                ).first
                closed += 1
                guard checked, let row else { continue }
                let finding = HealthFinding(
                    subject: subject,
                    taskId: row[0].text,
                    actorId: row[1].text,
                    runId: row[2].text,
                    detail: "resolved"
                )
                try Self.insertHealthEvent(recovery, finding, at: time, in: db)
            }
            return (opened, closed)
        }
    }

    private static func insertHealthEvent(
        _ kind: EventKind,
        _ finding: HealthFinding,
        at time: String,
        in db: Database
    ) throws(SQLiteError) {
        let source = finding.source
        try db.execute(
            """
            INSERT INTO events (event, source_kind, source_id, task_id, actor_id, run_id, to_status, message,
                started_at, occurred_at)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, (SELECT status FROM runs WHERE id = ?6), ?7,
                (SELECT started_at FROM runs WHERE id = ?6), ?8)
            """,
            [
                .text(kind.rawValue), SQLiteValue(source?.kind.rawValue), SQLiteValue(source?.id),
                SQLiteValue(finding.taskId), SQLiteValue(finding.actorId), SQLiteValue(finding.runId),
                .text(finding.detail), .text(time),
            ]
        )
    }

    /// The problems open now, oldest first.
    package func openProblems() async throws -> [HealthProblem] {
        try await connection.read { try Self.openProblems(in: $0) }
    }

    static func openProblems(in db: Database) throws -> [HealthProblem] {
        try db.rows(
            """
            SELECT problem, subject, task_id, actor_id, run_id, detail, opened_at FROM health_problems
            WHERE closed_at IS NULL ORDER BY opened_at, id
            """
        ).compactMap { row in
            guard let kind = row[0].text.flatMap(EventKind.init(rawValue:)) else { return nil }
            return HealthProblem(
                kind: kind,
                finding: HealthFinding(
                    subject: row[1].text ?? "",
                    taskId: row[2].text,
                    actorId: row[3].text,
                    runId: row[4].text,
                    detail: row[5].text ?? ""
                ),
                openedAt: row[6].text ?? ""
            )
        }
    }

    // MARK: What the checks read

    /// Every live unfinished run: its task and Actor, when it started, and its own timeout when its
    /// details were read (`options.timeoutSecs`; 0 is none).
    package func unfinishedRunsForHealth() async throws -> [UnfinishedRunHealth] {
        try await connection.read { db in
            try db.rows(
                """
                SELECT id, task_id, act_id, started_at, json_extract(run_details, '$.options.timeoutSecs')
                FROM runs WHERE \(Schema.unfinishedCondition)
                """
            ).map { row in
                var timeout: Double?
                switch row[4] {
                case .integer(let seconds): timeout = Double(seconds)
                case .real(let seconds): timeout = seconds
                default: timeout = nil
                }
                return UnfinishedRunHealth(
                    id: row[0].text ?? "",
                    taskId: row[1].text ?? "",
                    actorId: row[2].text,
                    startedAt: row[3].text,
                    timeoutSeconds: timeout
                )
            }
        }
    }

    /// The `startedAt` of the source's newest run, and when the source's state was created (its
    /// first pass), for a source that has no run yet.
    package func latestStart(of source: RunSource) async throws -> (latest: String?, since: String?) {
        try await connection.read { db in
            let latest = try db.scalar(
                "SELECT max(started_at) FROM runs WHERE \(SourceScope.condition(source))",
                [SourceScope.parameter(source)]
            ).text
            let since = try db.scalar(
                "SELECT coalesce(backfill_completed_at, updated_at) FROM sync_state WHERE source_kind = ?1 AND source_id = ?2",
                Self.key(source)
            ).text
            return (latest, since)
        }
    }

    /// The source's runs that started from `since` on and finished: how many failed (FAILED,
    /// TIMED-OUT) and how many in all (aborted runs are not counted: someone stopped them).
    package func outcomes(of source: RunSource, since: String) async throws -> (failed: Int, finished: Int) {
        let counted = (
            failed: RunStatus.sqlList([RunStatus.failed, RunStatus.timedOut]),
            finished: RunStatus.sqlList([RunStatus.succeeded, RunStatus.failed, RunStatus.timedOut])
        )
        return try await connection.read { db in
            let row = try db.rows(
                """
                SELECT count(*) FILTER (WHERE status IN (\(counted.failed))),
                    count(*) FILTER (WHERE status IN (\(counted.finished)))
                FROM runs WHERE \(SourceScope.condition(source)) AND started_at >= ?2 AND deleted_at IS NULL
                """,
                [SourceScope.parameter(source), .text(since)]
            ).first
            return (Int(row?[0].integer ?? 0), Int(row?[1].integer ?? 0))
        }
    }

    /// Since when `watch` watches `subject`: now (`time`) the first time it is asked, the same
    /// instant ever after.
    package func watching(_ watch: String, _ subject: String, from time: String) async throws -> String {
        try await ownTransaction { (db) throws(SQLiteError) in
            try db.execute(
                "INSERT INTO health_watches (watch, subject, since) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
                [.text(watch), .text(subject), .text(time)]
            )
            return try db.scalar(
                "SELECT since FROM health_watches WHERE watch = ?1 AND subject = ?2",
                [.text(watch), .text(subject)]
            ).text ?? time
        }
    }

    /// The source's SUCCEEDED runs that started from `startedFrom` and finished from `since` on, whose
    /// dataset was not counted yet. The start bound keeps the read to the recent runs (the index).
    package func runsAwaitingItemCount(
        of source: RunSource,
        since: String,
        startedFrom: String,
        limit: Int
    ) async throws -> [(runId: String, datasetId: String)] {
        try await connection.read { db in
            try db.rows(
                """
                SELECT id, default_dataset_id FROM runs
                WHERE \(SourceScope.condition(source)) AND status = '\(RunStatus.succeeded)' AND dataset_item_count IS NULL
                    AND default_dataset_id IS NOT NULL AND finished_at >= ?2 AND started_at >= ?3 AND deleted_at IS NULL
                ORDER BY finished_at LIMIT \(limit)
                """,
                [SourceScope.parameter(source), .text(since), .text(startedFrom)]
            ).compactMap { row in
                guard let run = row[0].text, let dataset = row[1].text else { return nil }
                return (run, dataset)
            }
        }
    }

    /// Stores a run's dataset item count and, when it is under `minItems`, its `empty_result` event,
    /// in one transaction.
    package func setItemCount(_ count: Int, of runId: String, minItems: Int, at time: String) async throws {
        try await ownTransaction { (db) throws(SQLiteError) in
            try db.execute(
                "UPDATE runs SET dataset_item_count = ?2 WHERE id = ?1",
                [.text(runId), .integer(Int64(count))]
            )
            guard count < minItems else { return }
            try db.execute(
                """
                INSERT INTO events (event, task_id, actor_id, run_id, from_status, to_status, message, started_at,
                    finished_at, occurred_at)
                SELECT ?2, task_id, act_id, id, status, status, ?3, started_at, finished_at, ?4 FROM runs WHERE id = ?1
                """,
                [
                    .text(runId), .text(EventKind.emptyResult.rawValue),
                    .text("the default dataset holds \(count) item(s), fewer than minItems \(minItems)"), .text(time),
                ]
            )
        }
    }
}
