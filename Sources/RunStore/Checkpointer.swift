import Dispatch
import Foundation
import SQLiteCore

/// Copies committed transactions from the write-ahead log into the database on a thread and a
/// connection of its own, so that the store's writer does not stop for it.
///
/// SQLite's own automatic checkpoint runs inside the commit that crosses its threshold, on the
/// writer's thread: during a backfill, a fifth of that thread's time. Here the commit only asks
/// (`request()`), and the copy runs beside the next transaction. SQLite can only start the log over,
/// instead of growing it, when a write transaction begins with every committed frame copied, so
/// the writer (`SharedTransaction`) waits for a complete copy at the start of every
/// `SharedTransaction.checkpointsPerLogCycle`-th requested checkpoint, which bounds the log. A
/// checkpoint that cannot finish (a reader holds an old snapshot, or it fails) leaves the log to grow,
/// as SQLite's own would, until a later one finishes; a wait never outlasts the checkpointer's work.
final class Checkpointer: @unchecked Sendable {
    // @unchecked Sendable: `database` is used only on `queue`; the counters only under `condition`.

    private let database: Database
    private let queue = DispatchQueue(label: "apify-runs-sync.checkpoint")
    private let condition = NSCondition()
    /// Requests are numbered; the highest made, and the highest after which the log was all copied.
    private var requested: UInt64 = 0
    private var completed: UInt64 = 0
    private var running = false
    private var closed = false

    init(path: String, busyTimeoutMilliseconds: Int32) throws {
        database = try Database(path: path, busyTimeoutMilliseconds: busyTimeoutMilliseconds)
        // A connection learns that the file is in WAL mode when it first reads it; until then a
        // checkpoint does nothing.
        _ = try database.scalar("SELECT count(*) FROM sqlite_schema")
    }

    /// Asks for everything committed so far to be copied; returns at once with the request's number.
    /// After `close()`, nothing is copied (the writer's own close checkpoints).
    @discardableResult
    func request() -> UInt64 {
        condition.lock()
        requested += 1
        let ticket = requested
        let start = !running && !closed
        if start { running = true }
        condition.unlock()
        if start { queue.async { self.drain() } }
        return ticket
    }

    /// Blocks until everything committed before request `ticket` is copied, or the checkpointer has
    /// stopped short of it.
    func wait(for ticket: UInt64) {
        condition.lock()
        while running && completed < ticket { condition.wait() }
        condition.unlock()
    }

    /// Waits for work in progress, then closes the connection.
    func close() {
        condition.lock()
        while running { condition.wait() }
        closed = true
        condition.unlock()
        queue.sync { try? database.close(optimize: false) }
    }

    private func drain() {
        while true {
            condition.lock()
            let target = requested
            condition.unlock()
            // Failures are SQLite's to retry: the next request checkpoints again, and the log grows
            // meanwhile, as it does when SQLite's own automatic checkpoint fails.
            let copiedAll = (try? database.checkpointPassively()).map { $0.checkpointedFrames == $0.logFrames }
            condition.lock()
            if copiedAll == true { completed = max(completed, target) }
            let done = requested == target
            if done { running = false }
            condition.broadcast()
            condition.unlock()
            if done { return }
        }
    }
}
