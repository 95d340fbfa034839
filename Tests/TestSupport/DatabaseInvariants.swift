import SQLiteCore

/// What must hold in any database the daemon leaves behind, however it was stopped: each a query
/// whose rows are violations.
package enum DatabaseInvariants {
    package static let checks: [(String, String)] = [
        ("integrity", "SELECT integrity_check FROM pragma_integrity_check WHERE integrity_check != 'ok'"),
        (
            "a run with more than one first sighting",
            "SELECT run_id FROM run_status_changes WHERE from_status IS NULL GROUP BY run_id HAVING count(*) > 1"
        ),
        (
            "a run without a first sighting",
            "SELECT id FROM runs WHERE id NOT IN (SELECT run_id FROM run_status_changes WHERE from_status IS NULL)"
        ),
        (
            "a change that does not continue the previous one, or repeats a status",
            """
            SELECT run_id, from_status, to_status FROM (
                SELECT run_id, from_status, to_status,
                       lag(to_status) OVER (PARTITION BY run_id ORDER BY id) AS previous
                FROM run_status_changes)
            WHERE from_status IS NOT previous OR from_status = to_status
            """
        ),
        (
            "a run whose status is not its last change",
            """
            SELECT r.id FROM runs AS r
            WHERE r.status != (SELECT to_status FROM run_status_changes WHERE run_id = r.id ORDER BY id DESC LIMIT 1)
            """
        ),
        (
            "a source whose live-run count is not its stored runs not marked deleted",
            """
            SELECT s.source_kind || ' ' || s.source_id, s.live_runs FROM sync_state AS s
            WHERE s.live_runs != (
                SELECT count(*) FROM runs WHERE deleted_at IS NULL AND CASE s.source_kind
                    WHEN 'task' THEN task_id = s.source_id WHEN 'actor' THEN act_id = s.source_id ELSE 1 END)
            """
        ),
        (
            "a cursor whose anchor is not a stored run",
            """
            SELECT source_kind || ' ' || source_id FROM sync_state
            WHERE anchor_run_id IS NOT NULL AND anchor_run_id NOT IN (SELECT id FROM runs)
            """
        ),
    ]

    /// The violations found, described; empty when the database is sound.
    package static func violations(in path: String) throws -> [String] {
        let database = try Database(path: path, readOnly: true)
        defer { try? database.close(optimize: false) }
        var found: [String] = []
        for (name, sql) in checks {
            let rows = try database.rows(sql)
            if !rows.isEmpty { found.append("\(name): \(rows.prefix(3))") }
        }
        return found
    }
}
