import ApifyAPI
import AsyncHTTPClient
import Foundation
import NIOCore
import RunStore
import SQLiteCore

/// The yardstick: the same pages fetched, and ingested by SQLite alone with `json_each`, a
/// transaction per page, no change rows, no cursor, only the primary key, and the daemon's page size.
/// What the daemon adds is measured against it.
enum ReferenceIngest {
    static func measure(runs: Int, baseURL: String, taskId: String, database: String) async throws -> Measurement {
        let db = try Database(path: database)
        try db.execute(
            """
            PRAGMA page_size = \(RunStore.pageSize); PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
            CREATE TABLE runs (id TEXT PRIMARY KEY, status TEXT NOT NULL, started_at TEXT, finished_at TEXT,
                act_id TEXT, actor_task_id TEXT, build_number TEXT, origin TEXT, usage_total_usd REAL,
                raw_json TEXT NOT NULL);
            """
        )
        let insert = """
            INSERT INTO runs SELECT json_extract(value, '$.id'), json_extract(value, '$.status'),
                json_extract(value, '$.startedAt'), json_extract(value, '$.finishedAt'),
                json_extract(value, '$.actId'), json_extract(value, '$.actorTaskId'),
                json_extract(value, '$.buildNumber'), json_extract(value, '$.meta.origin'),
                json_extract(value, '$.usageTotalUsd'), value
            FROM json_each(?, '$.data.items') WHERE true
            ON CONFLICT(id) DO UPDATE SET status = excluded.status, raw_json = excluded.raw_json
            """
        let http = HTTPClient.makeForApify()
        let start = ContinuousClock.now
        let cpuBefore = ResourceUsage.now().cpuSeconds
        var offset = 0
        var requests = 0
        while true {
            var request = HTTPClientRequest(url: "\(baseURL)/v2/actor-tasks/\(taskId)/runs?offset=\(offset)&limit=1000")
            request.headers.add(name: "Authorization", value: "Bearer \(SimulatorProcess.token)")
            let response = try await http.execute(request, timeout: .seconds(30))
            let body = try await response.body.collect(upTo: 64 * 1024 * 1024)
            requests += 1
            let text = String(buffer: body)
            let count = try db.inTransaction { (db) throws(SQLiteError) -> Int in
                try db.execute(insert, [.text(text)])
                return Int(db.changes)
            }
            offset += count
            if count < 1000 { break }
        }
        let wall = (ContinuousClock.now - start).seconds
        let cpu = ResourceUsage.now().cpuSeconds - cpuBefore
        try await http.shutdown()
        let stored = Int(try db.scalar("SELECT count(*) FROM runs").integer ?? 0)
        try db.close()
        guard stored == runs else { throw BenchError("the reference stored \(stored) of \(runs) runs") }
        return Measurement(
            runs: runs,
            kind: "sqlite json_each",
            wallSeconds: wall,
            cpuSeconds: cpu,
            requests: requests,
            itemsRead: offset,
            peakResidentBytes: ResourceUsage.now().peakResidentBytes
        )
    }
}
