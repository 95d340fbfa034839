/// SQL that turns a current file back into an older release's schema, to test migrations.
package enum OlderSchemas {
    /// Version 3 as released: no live-run count, list excess, retention head or task name in `sync_state`.
    package static let downgradeToVersion3 = """
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
