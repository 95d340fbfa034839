import Dispatch
import Foundation
import SQLiteCore
import Synchronization

/// Copies committed transactions from the write-ahead log into the database on a thread and a
/// connection of its own, so that the store's writer does not stop for it.
///
/// SQLite's own automatic checkpoint runs inside the commit that crosses its threshold, on the
/// writer's thread: during a backfill, a fifth of that thread's time. Here the commit only asks
/// (`request()`), and the copy runs beside the next transaction. SQLite can only start the log over,
/// instead of growing it, when a write transaction begins with every committed frame copied, so
/// the writer (`StoreConnection`) waits for a complete copy at the start of every
/// `StoreConnection.checkpointsPerLogCycle`-th requested checkpoint, which bounds the log. A
/// checkpoint that cannot finish (a reader holds an old snapshot, or it fails) leaves the log to grow,
/// as SQLite's own would, until a later one finishes; a wait never outlasts the checkpointer's work.
///
/// The writer waits by blocking its thread, not by awaiting: an `await` would let the store's other
/// calls run on its actor in the meantime, and one of them could open the transaction that must
/// wait.
final class Checkpointer: Sendable {
    /// Requests are numbered; the highest made, and the highest after which the log was all copied.
    private struct Progress {
        var requested: UInt64 = 0
        var completed: UInt64 = 0
        var running = false
        var closed = false
    }

    /// The second connection: used by `drain()` on `queue`, and by `close()` once that is idle. The
    /// lock is never contended; it is what lets the compiler check that the two never overlap.
    private let connection: Mutex<Database>
    private let queue = DispatchQueue(label: "apify-runs-sync.checkpoint")
    private let progress = Mutex(Progress())
    /// Wakes the threads that wait for `progress` to change. A waiter checks `progress` while
    /// holding the condition's lock, and `drain()` takes that lock to broadcast after each change,
    /// so no wake-up falls between a waiter's check and its wait.
    private let changed = NSCondition()

    init(path: String, busyTimeoutMilliseconds: Int32) throws {
        let database = try Database(path: path, busyTimeoutMilliseconds: busyTimeoutMilliseconds)
        // A connection learns that the file is in WAL mode when it first reads it; until then a
        // checkpoint does nothing.
        _ = try database.scalar("SELECT count(*) FROM sqlite_schema")
        connection = Mutex(database)
    }

    /// Asks for everything committed so far to be copied; returns at once with the request's number.
    /// After `close()`, nothing is copied (the writer's own close checkpoints).
    @discardableResult
    func request() -> UInt64 {
        let (ticket, start) = progress.withLock { progress in
            progress.requested += 1
            let start = !progress.running && !progress.closed
            if start { progress.running = true }
            return (progress.requested, start)
        }
        if start { queue.async { self.drain() } }
        return ticket
    }

    /// Blocks until everything committed before request `ticket` is copied, or the checkpointer has
    /// stopped short of it.
    func wait(for ticket: UInt64) {
        waitUntil { !$0.running || $0.completed >= ticket }
    }

    /// Waits for work in progress, then closes the connection.
    func close() {
        waitUntil { progress in
            if progress.running { return false }
            progress.closed = true
            return true
        }
        connection.withLock { try? $0.close(optimize: false) }
    }

    /// Blocks until `done` (which may update the progress it accepts) returns true.
    private func waitUntil(_ done: (inout Progress) -> Bool) {
        changed.lock()
        while !progress.withLock({ done(&$0) }) { changed.wait() }
        changed.unlock()
    }

    private func drain() {
        while true {
            let target = progress.withLock { $0.requested }
            // Failures are SQLite's to retry: the next request checkpoints again, and the log grows
            // meanwhile, as it does when SQLite's own automatic checkpoint fails.
            let copiedAll = connection.withLock { database in
                (try? database.checkpointPassively()).map { $0.checkpointedFrames == $0.logFrames }
            }
            let done = progress.withLock { progress in
                if copiedAll == true { progress.completed = max(progress.completed, target) }
                let done = progress.requested == target
                if done { progress.running = false }
                return done
            }
            changed.lock()
            changed.broadcast()
            changed.unlock()
            if done { return }
        }
    }
}
