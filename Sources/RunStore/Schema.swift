import RunModel

/// The database schema: a public interface, since operators query it with the sqlite3 CLI.
///
/// Each migration runs in its own transaction together with the `PRAGMA user_version` that records
/// it; a migration is never edited once released, only followed by a new one.
enum Schema {
    /// `PRAGMA application_id` of our files: "ARSS" (Apify Runs Sync Store) in ASCII.
    static let applicationID: Int32 = 0x4152_5353

    /// A stored run that may still change: its status is not final (`RunStatus.final`) and it was not
    /// deleted upstream. The condition of the partial indexes `runs_unfinished` and
    /// `runs_unfinished_actor`, which queries repeat word for word so that the planner can use them;
    /// a test holds it to the text the released migrations wrote.
    static let unfinishedCondition =
        RunStatus.final.map { "status <> '\($0)'" }.joined(separator: " AND ") + " AND deleted_at IS NULL"

    /// `'SUCCEEDED', 'FAILED', 'TIMED-OUT', 'ABORTED'` and `'FAILED', 'TIMED-OUT', 'ABORTED'`, for
    /// the SQL of unreleased migrations and of queries.
    static let finalList = RunStatus.sqlList(RunStatus.final)
    static let failureList = RunStatus.sqlList(RunStatus.failures)

    /// Migration `i` brings the file from `user_version` i to i+1.
    static let migrations: [String] = [version1, version2, version3, version4, version5, version6]

    static var currentVersion: Int32 { Int32(migrations.count) }

    private static let version1 = """
        CREATE TABLE runs (
            id TEXT PRIMARY KEY NOT NULL,
            task_id TEXT NOT NULL,
            actor_task_id TEXT,
            act_id TEXT,
            user_id TEXT,
            status TEXT NOT NULL,
            started_at TEXT,
            finished_at TEXT,
            build_id TEXT,
            build_number TEXT,
            origin TEXT,
            usage_total_usd REAL,
            default_key_value_store_id TEXT,
            default_dataset_id TEXT,
            default_request_queue_id TEXT,
            raw_json TEXT NOT NULL,
            first_seen_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            deleted_at TEXT,
            duration_seconds REAL GENERATED ALWAYS AS (
                round((julianday(finished_at) - julianday(started_at)) * 86400.0, 3)
            ) VIRTUAL
        );
        CREATE INDEX runs_task_started ON runs(task_id, started_at);
        CREATE INDEX runs_status_started ON runs(status, started_at);
        CREATE INDEX runs_unfinished ON runs(task_id)
            WHERE status NOT IN ('SUCCEEDED','FAILED','TIMED-OUT','ABORTED') AND deleted_at IS NULL;

        CREATE TABLE run_status_changes (
            id INTEGER PRIMARY KEY,
            run_id TEXT NOT NULL REFERENCES runs(id),
            task_id TEXT NOT NULL,
            from_status TEXT,
            to_status TEXT NOT NULL,
            observed_at TEXT NOT NULL,
            started_at TEXT,
            finished_at TEXT
        );
        CREATE INDEX run_status_changes_run ON run_status_changes(run_id, id);
        CREATE INDEX run_status_changes_observed ON run_status_changes(observed_at);

        CREATE TABLE sync_state (
            task_id TEXT PRIMARY KEY NOT NULL,
            next_offset INTEGER NOT NULL DEFAULT 0,
            anchor_run_id TEXT,
            anchor_started_at TEXT,
            backfill_completed_at TEXT,
            last_pass_at TEXT,
            last_success_at TEXT,
            last_error TEXT,
            last_error_at TEXT,
            consecutive_failures INTEGER NOT NULL DEFAULT 0,
            updated_at TEXT NOT NULL
        );

        CREATE VIEW recent_failures AS
            SELECT id AS run_id, task_id, status, started_at, finished_at, duration_seconds,
                   usage_total_usd, 'https://console.apify.com/view/runs/' || id AS console_url
            FROM runs
            WHERE status IN ('FAILED', 'TIMED-OUT', 'ABORTED')
            ORDER BY started_at DESC;

        CREATE VIEW latest_runs AS
            SELECT r.task_id, r.id AS run_id, r.status, r.started_at, r.finished_at, r.duration_seconds,
                   r.usage_total_usd
            FROM runs AS r
            WHERE r.id = (
                SELECT id FROM runs AS x WHERE x.task_id = r.task_id ORDER BY x.started_at DESC, x.id DESC LIMIT 1
            );

        CREATE VIEW daily_run_counts AS
            SELECT task_id, substr(started_at, 1, 10) AS day, status, count(*) AS runs,
                   round(sum(coalesce(usage_total_usd, 0)), 6) AS usage_total_usd
            FROM runs
            GROUP BY task_id, day, status;
        """

    /// Version 2: `runs_unfinished` without an IN list. SQLite evaluates a constant IN list of more
    /// than two values against a temporary B-tree that it builds again for every row it indexes, so the
    /// version 1 condition created a temporary B-tree for every run inserted or updated
    /// (docs/performance.md, "Schema").
    private static let version2 = """
        DROP INDEX runs_unfinished;
        CREATE INDEX runs_unfinished ON runs(task_id) WHERE \(unfinishedCondition);
        """

    /// Version 3: `duration_seconds` is written by the store instead of generated by SQLite, which
    /// computed the virtual column on every insert and update of a row, read or not
    /// (docs/performance.md, "Schema", has its cost).
    /// The column keeps its name, its place (last) and its values; the rows stored before get theirs
    /// here, from the expression that generated them. The two views that read it are dropped and
    /// created again as they were (SQLite refuses to drop a column a view names).
    private static let version3 = """
        DROP VIEW recent_failures;
        DROP VIEW latest_runs;
        ALTER TABLE runs DROP COLUMN duration_seconds;
        ALTER TABLE runs ADD COLUMN duration_seconds REAL;
        UPDATE runs SET duration_seconds = round((julianday(finished_at) - julianday(started_at)) * 86400.0, 3)
            WHERE started_at IS NOT NULL AND finished_at IS NOT NULL;

        CREATE VIEW recent_failures AS
            SELECT id AS run_id, task_id, status, started_at, finished_at, duration_seconds,
                   usage_total_usd, 'https://console.apify.com/view/runs/' || id AS console_url
            FROM runs
            WHERE status IN ('FAILED', 'TIMED-OUT', 'ABORTED')
            ORDER BY started_at DESC;

        CREATE VIEW latest_runs AS
            SELECT r.task_id, r.id AS run_id, r.status, r.started_at, r.finished_at, r.duration_seconds,
                   r.usage_total_usd
            FROM runs AS r
            WHERE r.id = (
                SELECT id FROM runs AS x WHERE x.task_id = r.task_id ORDER BY x.started_at DESC, x.id DESC LIMIT 1
            );
        """

    /// Version 4: a task is its ID, whatever the configuration called it, and the store counts each
    /// task's live runs for the engine's completeness check (docs/sync.md, "The count check").
    ///
    /// Runs stored under a task's `username~task-name`, or under a name the task no longer has, move
    /// to the ID the API gave them (`actor_task_id`), with their change rows. A cursor stored under a
    /// name moves to the ID its anchor run names, unless the ID has one already; the name's is then
    /// dropped (the ID's cursor reads the same list). Every row is kept.
    /// - `live_runs`: the task's stored runs not marked deleted, kept by every write.
    /// - `list_excess`: how far the API's `total` exceeded `live_runs` after the last complete
    ///   re-read, so that a total the API keeps wrong does not trigger a re-read on every pass.
    /// - `head_started_at`: the oldest live run's `startedAt` at the last retention check; runs
    ///   older than it were marked then, so the next check only looks at newer ones.
    /// - `task_name`: the `username~task-name` the configuration last named the task by, for
    ///   `status` (which reads the database alone).
    private static let version4 = """
        UPDATE run_status_changes SET task_id = (SELECT actor_task_id FROM runs WHERE runs.id = run_id)
        WHERE EXISTS (
            SELECT 1 FROM runs WHERE runs.id = run_id AND actor_task_id IS NOT NULL AND actor_task_id <> ''
                AND actor_task_id <> runs.task_id);
        UPDATE runs SET task_id = actor_task_id
        WHERE actor_task_id IS NOT NULL AND actor_task_id <> '' AND task_id <> actor_task_id;
        UPDATE OR IGNORE sync_state SET task_id = (SELECT task_id FROM runs WHERE id = anchor_run_id)
        WHERE (SELECT task_id FROM runs WHERE id = anchor_run_id) <> task_id;
        DELETE FROM sync_state WHERE (SELECT task_id FROM runs WHERE id = anchor_run_id) <> task_id;

        ALTER TABLE sync_state ADD COLUMN live_runs INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE sync_state ADD COLUMN list_excess INTEGER;
        ALTER TABLE sync_state ADD COLUMN head_started_at TEXT;
        ALTER TABLE sync_state ADD COLUMN task_name TEXT;
        UPDATE sync_state SET live_runs = (
            SELECT count(*) FROM runs WHERE runs.task_id = sync_state.task_id AND deleted_at IS NULL);
        INSERT INTO sync_state (task_id, updated_at, live_runs)
            SELECT task_id, max(updated_at), count(*) FROM runs
            WHERE deleted_at IS NULL AND task_id NOT IN (SELECT task_id FROM sync_state)
            GROUP BY task_id;
        """

    /// Version 5: sources (docs/sync.md, "Sources"). A run's task and Actor are the API's own fields;
    /// the state of each list the daemon reads is keyed by the list's kind and ID; names live in a
    /// table of their own, for the views.
    /// - `runs.task_id` is the run's task (`actor_task_id`), or empty for a run started without a
    ///   task (an Actor's run listed by an Actor or account source). Rows keep their values.
    /// - `sync_state` is keyed by `(source_kind, source_id)`: `task` and the task's ID, `actor` and
    ///   the Actor's ID, or `account` and an empty ID. Every row and cursor is kept as a task's. Its
    ///   `task_name` moves to `names`; `removed_at` is set while a discovered task is gone upstream.
    /// - `names`: the `username~name` of tasks and Actors, as the API last gave them (empty when it
    ///   gave none: the views show NULL).
    /// - Indexes for the Actor and account lists' range queries and unfinished runs.
    /// - The three views gain the task's name and the Actor (ID and name), as their last columns.
    private static let version5 = """
        ALTER TABLE sync_state RENAME TO sync_state_v4;
        CREATE TABLE sync_state (
            source_kind TEXT NOT NULL,
            source_id TEXT NOT NULL,
            next_offset INTEGER NOT NULL DEFAULT 0,
            anchor_run_id TEXT,
            anchor_started_at TEXT,
            backfill_completed_at TEXT,
            last_pass_at TEXT,
            last_success_at TEXT,
            last_error TEXT,
            last_error_at TEXT,
            consecutive_failures INTEGER NOT NULL DEFAULT 0,
            updated_at TEXT NOT NULL,
            live_runs INTEGER NOT NULL DEFAULT 0,
            list_excess INTEGER,
            head_started_at TEXT,
            removed_at TEXT,
            PRIMARY KEY (source_kind, source_id)
        );
        INSERT INTO sync_state (source_kind, source_id, next_offset, anchor_run_id, anchor_started_at,
                backfill_completed_at, last_pass_at, last_success_at, last_error, last_error_at,
                consecutive_failures, updated_at, live_runs, list_excess, head_started_at)
            SELECT 'task', task_id, next_offset, anchor_run_id, anchor_started_at, backfill_completed_at,
                last_pass_at, last_success_at, last_error, last_error_at, consecutive_failures, updated_at,
                live_runs, list_excess, head_started_at
            FROM sync_state_v4;

        CREATE TABLE names (
            kind TEXT NOT NULL,
            id TEXT NOT NULL,
            name TEXT NOT NULL,
            refreshed_at TEXT NOT NULL,
            PRIMARY KEY (kind, id)
        );
        INSERT INTO names (kind, id, name, refreshed_at)
            SELECT 'task', task_id, task_name, updated_at FROM sync_state_v4
            WHERE task_name IS NOT NULL AND task_name <> task_id;
        DROP TABLE sync_state_v4;

        CREATE INDEX runs_actor_started ON runs(act_id, started_at);
        CREATE INDEX runs_started ON runs(started_at);
        CREATE INDEX runs_unfinished_actor ON runs(act_id) WHERE \(unfinishedCondition);

        DROP VIEW recent_failures;
        DROP VIEW latest_runs;
        DROP VIEW daily_run_counts;

        CREATE VIEW recent_failures AS
            SELECT r.id AS run_id, r.task_id, r.status, r.started_at, r.finished_at, r.duration_seconds,
                   r.usage_total_usd, 'https://console.apify.com/view/runs/' || r.id AS console_url,
                   nullif(tn.name, '') AS task_name, r.act_id AS actor_id, nullif(an.name, '') AS actor_name
            FROM runs AS r
            LEFT JOIN names AS tn ON tn.kind = 'task' AND tn.id = r.task_id
            LEFT JOIN names AS an ON an.kind = 'actor' AND an.id = r.act_id
            WHERE r.status IN ('FAILED', 'TIMED-OUT', 'ABORTED')
            ORDER BY r.started_at DESC;

        CREATE VIEW latest_runs AS
            SELECT r.task_id, r.id AS run_id, r.status, r.started_at, r.finished_at, r.duration_seconds,
                   r.usage_total_usd, nullif(tn.name, '') AS task_name, r.act_id AS actor_id, nullif(an.name, '') AS actor_name
            FROM runs AS r
            LEFT JOIN names AS tn ON tn.kind = 'task' AND tn.id = r.task_id
            LEFT JOIN names AS an ON an.kind = 'actor' AND an.id = r.act_id
            WHERE r.id = CASE WHEN r.task_id <> '' THEN (
                    SELECT id FROM runs AS x WHERE x.task_id = r.task_id
                    ORDER BY x.started_at DESC, x.id DESC LIMIT 1)
                ELSE (
                    SELECT id FROM runs AS x WHERE x.act_id IS r.act_id AND x.task_id = ''
                    ORDER BY x.started_at DESC, x.id DESC LIMIT 1)
                END;

        CREATE VIEW daily_run_counts AS
            SELECT r.task_id, substr(r.started_at, 1, 10) AS day, r.status, count(*) AS runs,
                   round(sum(coalesce(r.usage_total_usd, 0)), 6) AS usage_total_usd,
                   nullif(tn.name, '') AS task_name, r.act_id AS actor_id, nullif(an.name, '') AS actor_name
            FROM runs AS r
            LEFT JOIN names AS tn ON tn.kind = 'task' AND tn.id = r.task_id
            LEFT JOIN names AS an ON an.kind = 'actor' AND an.id = r.act_id
            GROUP BY r.task_id, r.act_id, day, r.status;
        """
    /// Version 6: alerts as an outbox (README, "Alerts").
    /// - `events`: what is worth telling people (a run failed, timed out or was aborted, a task's
    ///   first success after failures, a source that stopped syncing or recovered), each written in
    ///   the transaction of the change that caused it. `payload` is the JSON the hooks receive; it is
    ///   NULL until the event is ready to go (a failure waits for the run's `statusMessage`).
    ///   AUTOINCREMENT: an ID is never reused after old events are deleted, so that a sink's
    ///   high-water mark stays valid.
    /// - `alert_sinks`: every sink the daemon has delivered to, by name; a sink added later starts
    ///   with the events after `first_event_id` (not the history), and every event up to
    ///   `delivered_through` is final for it.
    /// - `event_deliveries`: per event and sink, `delivered`, `pending` (retrying), `failed` (given
    ///   up) or `skipped` (the sink's filters leave it out).
    /// - `health_problems`: what the health checks found (a run past its time, a task silent for
    ///   too long, too many failures), open until resolved; each opening and closing is an event.
    /// - `health_watches`: since when a check that looks at new runs only (`minItems`) watches a
    ///   task or Actor, so that a restart resumes it and the history is not checked.
    /// - `task_health`: per task, and per Actor for the runs started without a task: the last run
    ///   and success, runs and failure rates over 24 hours and 7 days, median and 95th percentile
    ///   durations and cost over 7 days (windows by `started_at`, against the clock).
    /// - `runs` gains what a single run's GET tells beyond the list: `status_message`, `exit_code`,
    ///   and `run_details` (its `stats`, `usage` and `options` as JSON), read for failed runs; and
    ///   `dataset_item_count`, read for succeeded runs of sources with `minItems`.
    private static let version6 = """
        CREATE TABLE events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            event TEXT NOT NULL,
            source_kind TEXT,
            source_id TEXT,
            task_id TEXT,
            actor_id TEXT,
            run_id TEXT,
            from_status TEXT,
            to_status TEXT,
            message TEXT,
            started_at TEXT,
            finished_at TEXT,
            occurred_at TEXT NOT NULL,
            payload TEXT
        );
        CREATE INDEX events_occurred ON events(occurred_at);
        CREATE INDEX events_unready ON events(id) WHERE payload IS NULL;

        CREATE TABLE alert_sinks (
            sink TEXT PRIMARY KEY NOT NULL,
            first_event_id INTEGER NOT NULL,
            delivered_through INTEGER NOT NULL,
            added_at TEXT NOT NULL
        );
        INSERT INTO alert_sinks (sink, first_event_id, delivered_through, added_at)
            VALUES ('journal', 0, 0, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));

        CREATE TABLE event_deliveries (
            event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
            sink TEXT NOT NULL,
            state TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            first_attempt_at TEXT,
            last_attempt_at TEXT,
            next_attempt_at TEXT,
            delivered_at TEXT,
            last_error TEXT,
            PRIMARY KEY (event_id, sink)
        ) WITHOUT ROWID;

        CREATE TABLE health_problems (
            id INTEGER PRIMARY KEY,
            problem TEXT NOT NULL,
            subject TEXT NOT NULL,
            task_id TEXT,
            actor_id TEXT,
            run_id TEXT,
            detail TEXT,
            opened_at TEXT NOT NULL,
            closed_at TEXT
        );
        CREATE UNIQUE INDEX health_problems_open ON health_problems(problem, subject) WHERE closed_at IS NULL;

        CREATE TABLE health_watches (
            watch TEXT NOT NULL,
            subject TEXT NOT NULL,
            since TEXT NOT NULL,
            PRIMARY KEY (watch, subject)
        ) WITHOUT ROWID;

        ALTER TABLE runs ADD COLUMN status_message TEXT;
        ALTER TABLE runs ADD COLUMN exit_code INTEGER;
        ALTER TABLE runs ADD COLUMN run_details TEXT;
        ALTER TABLE runs ADD COLUMN dataset_item_count INTEGER;

        CREATE VIEW task_health AS
            WITH owners AS (
                SELECT DISTINCT 'task' AS kind, task_id AS id FROM runs WHERE task_id <> ''
                UNION
                SELECT DISTINCT 'actor', act_id FROM runs WHERE task_id = '' AND act_id IS NOT NULL
            ),
            week AS (
                SELECT CASE WHEN task_id <> '' THEN 'task' ELSE 'actor' END AS kind,
                       CASE WHEN task_id <> '' THEN task_id ELSE act_id END AS id,
                       status, duration_seconds, usage_total_usd,
                       started_at >= strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-1 day') AS in_day
                FROM runs
                WHERE started_at >= strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-7 days') AND deleted_at IS NULL
                    AND (task_id <> '' OR act_id IS NOT NULL)
            ),
            ranked AS (
                SELECT kind, id, duration_seconds,
                       row_number() OVER (PARTITION BY kind, id ORDER BY duration_seconds) AS position,
                       count(*) OVER (PARTITION BY kind, id) AS finished
                FROM week WHERE duration_seconds IS NOT NULL
            ),
            durations AS (
                SELECT kind, id,
                       min(CASE WHEN position >= 0.50 * finished THEN duration_seconds END) AS p50,
                       min(CASE WHEN position >= 0.95 * finished THEN duration_seconds END) AS p95
                FROM ranked GROUP BY kind, id
            ),
            counts AS (
                SELECT kind, id,
                       count(*) FILTER (WHERE in_day) AS runs_24h,
                       count(*) FILTER (WHERE in_day AND status IN (\(failureList))) AS failed_24h,
                       count(*) FILTER (WHERE in_day AND status IN (\(finalList)))
                           AS finished_24h,
                       count(*) AS runs_7d,
                       count(*) FILTER (WHERE status IN (\(failureList))) AS failed_7d,
                       count(*) FILTER (WHERE status IN (\(finalList))) AS finished_7d,
                       round(sum(coalesce(usage_total_usd, 0)), 6) AS cost_usd_7d
                FROM week GROUP BY kind, id
            )
            SELECT o.kind, o.id, nullif(n.name, '') AS name,
                   CASE WHEN o.kind = 'task'
                       THEN (SELECT started_at FROM runs AS r WHERE r.task_id = o.id
                           ORDER BY r.started_at DESC LIMIT 1)
                       ELSE (SELECT started_at FROM runs AS r WHERE r.act_id = o.id AND r.task_id = ''
                           ORDER BY r.started_at DESC LIMIT 1)
                   END AS last_run_started_at,
                   CASE WHEN o.kind = 'task'
                       THEN (SELECT status FROM runs AS r WHERE r.task_id = o.id
                           ORDER BY r.started_at DESC LIMIT 1)
                       ELSE (SELECT status FROM runs AS r WHERE r.act_id = o.id AND r.task_id = ''
                           ORDER BY r.started_at DESC LIMIT 1)
                   END AS last_run_status,
                   CASE WHEN o.kind = 'task'
                       THEN (SELECT finished_at FROM runs AS r WHERE r.task_id = o.id
                           AND r.status = '\(RunStatus.succeeded)' ORDER BY r.started_at DESC LIMIT 1)
                       ELSE (SELECT finished_at FROM runs AS r WHERE r.act_id = o.id AND r.task_id = ''
                           AND r.status = '\(RunStatus.succeeded)' ORDER BY r.started_at DESC LIMIT 1)
                   END AS last_success_at,
                   coalesce(c.runs_24h, 0) AS runs_24h, coalesce(c.failed_24h, 0) AS failed_24h,
                   round(1.0 * c.failed_24h / nullif(c.finished_24h, 0), 3) AS failure_rate_24h,
                   coalesce(c.runs_7d, 0) AS runs_7d, coalesce(c.failed_7d, 0) AS failed_7d,
                   round(1.0 * c.failed_7d / nullif(c.finished_7d, 0), 3) AS failure_rate_7d,
                   d.p50 AS p50_duration_seconds_7d, d.p95 AS p95_duration_seconds_7d,
                   coalesce(c.cost_usd_7d, 0) AS cost_usd_7d
            FROM owners AS o
            LEFT JOIN counts AS c ON c.kind = o.kind AND c.id = o.id
            LEFT JOIN durations AS d ON d.kind = o.kind AND d.id = o.id
            LEFT JOIN names AS n ON n.kind = o.kind AND n.id = o.id;

        CREATE VIEW recent_events AS
            SELECT e.id, e.event, e.occurred_at, e.run_id, e.task_id, nullif(tn.name, '') AS task_name,
                   e.actor_id, nullif(an.name, '') AS actor_name, e.from_status, e.to_status, e.message,
                   e.source_kind, e.source_id,
                   CASE WHEN e.run_id IS NOT NULL THEN 'https://console.apify.com/view/runs/' || e.run_id END
                       AS console_url,
                   (SELECT group_concat(d.sink || '=' || d.state, ', ') FROM event_deliveries AS d
                       WHERE d.event_id = e.id) AS deliveries
            FROM events AS e
            LEFT JOIN names AS tn ON tn.kind = 'task' AND tn.id = e.task_id
            LEFT JOIN names AS an ON an.kind = 'actor' AND an.id = e.actor_id
            WHERE e.occurred_at >= strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-7 days')
            ORDER BY e.id DESC;
        """
}
