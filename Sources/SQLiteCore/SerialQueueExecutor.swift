import Dispatch

/// A serial executor on a dispatch queue of its own, for actors that own a SQLite connection.
///
/// SQLite calls block (on disk I/O and on the busy timeout); running them on Swift's cooperative
/// thread pool would starve every other task of the process, the HTTP client's included. An actor
/// whose `unownedExecutor` is one of these runs its methods on the queue's thread instead, one job
/// at a time in the order they were enqueued, and its callers are resumed when the work is done.
/// The connection it owns is then checked by the compiler to be used from that actor only.
package final class SerialQueueExecutor: SerialExecutor {
    private let queue: DispatchQueue

    package init(label: String) {
        queue = DispatchQueue(label: label)
    }

    package func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedSerialExecutor()) }
    }

    package func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    package func checkIsolated() {
        dispatchPrecondition(condition: .onQueue(queue))
    }
}
