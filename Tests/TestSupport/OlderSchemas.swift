/// SQL that turns a current file back into an older release's schema, to test migrations.
package enum OlderSchemas {
    /// Version 5 as released: no outbox (`events`, `alert_sinks`, `event_deliveries`, the
    /// `recent_events` view), no run details in `runs`.
    package static let downgradeToVersion5 = """
        DROP VIEW recent_events;
        DROP VIEW task_health;
        DROP TABLE event_deliveries;
        DROP TABLE alert_sinks;
        DROP TABLE events;
        DROP TABLE health_problems;
        DROP TABLE health_watches;
        ALTER TABLE runs DROP COLUMN status_message;
        ALTER TABLE runs DROP COLUMN exit_code;
        ALTER TABLE runs DROP COLUMN run_details;
        ALTER TABLE runs DROP COLUMN dataset_item_count;
        PRAGMA user_version = 5;
        """

    /// Version 4 as released: `sync_state` keyed by task, with the task's name; no `names` table,
    /// no Actor or account state, no Actor or start-time index; the views without names.
    package static let downgradeToVersion4 =
        downgradeToVersion5 + """
            DROP VIEW recent_failures;
            DROP VIEW latest_runs;
            DROP VIEW daily_run_counts;
            DROP INDEX runs_actor_started;
            DROP INDEX runs_started;
            DROP INDEX runs_unfinished_actor;
            ALTER TABLE sync_state RENAME TO sync_state_v5;
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
                updated_at TEXT NOT NULL,
                live_runs INTEGER NOT NULL DEFAULT 0,
                list_excess INTEGER,
                head_started_at TEXT,
                task_name TEXT
            );
            INSERT INTO sync_state
                SELECT source_id, next_offset, anchor_run_id, anchor_started_at, backfill_completed_at, last_pass_at,
                    last_success_at, last_error, last_error_at, consecutive_failures, updated_at, live_runs, list_excess,
                    head_started_at, (SELECT name FROM names WHERE kind = 'task' AND id = source_id)
                FROM sync_state_v5 WHERE source_kind = 'task';
            DROP TABLE sync_state_v5;
            DROP TABLE names;
            CREATE VIEW recent_failures AS
                SELECT id AS run_id, task_id, status, started_at, finished_at, duration_seconds,
                       usage_total_usd, 'https://console.apify.com/view/runs/' || id AS console_url
                FROM runs WHERE status IN ('FAILED', 'TIMED-OUT', 'ABORTED') ORDER BY started_at DESC;
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
            PRAGMA user_version = 4;
            """

    /// Version 3 as released: no live-run count, list excess, retention head or task name in `sync_state`.
    package static let downgradeToVersion3 =
        downgradeToVersion4 + """
            ALTER TABLE sync_state DROP COLUMN live_runs;
            ALTER TABLE sync_state DROP COLUMN list_excess;
            ALTER TABLE sync_state DROP COLUMN head_started_at;
            ALTER TABLE sync_state DROP COLUMN task_name;
            PRAGMA user_version = 3;
            """

    /// Version 2 as released, where `duration_seconds` was a generated column.
    package static let downgradeToVersion2 =
        downgradeToVersion3 + """
            DROP VIEW recent_failures;
            DROP VIEW latest_runs;
            ALTER TABLE runs DROP COLUMN duration_seconds;
            ALTER TABLE runs ADD COLUMN duration_seconds REAL GENERATED ALWAYS AS (
                round((julianday(finished_at) - julianday(started_at)) * 86400.0, 3)
            ) VIRTUAL;
            CREATE VIEW recent_failures AS
                SELECT id AS run_id, task_id, status, started_at, finished_at, duration_seconds,
                       usage_total_usd, 'https://console.apify.com/view/runs/' || id AS console_url
                FROM runs WHERE status IN ('FAILED', 'TIMED-OUT', 'ABORTED') ORDER BY started_at DESC;
            CREATE VIEW latest_runs AS
                SELECT r.task_id, r.id AS run_id, r.status, r.started_at, r.finished_at, r.duration_seconds,
                       r.usage_total_usd
                FROM runs AS r
                WHERE r.id = (
                    SELECT id FROM runs AS x WHERE x.task_id = r.task_id ORDER BY x.started_at DESC, x.id DESC LIMIT 1
                );
            PRAGMA user_version = 2;
            """
}
