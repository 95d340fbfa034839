import Dispatch

/// Serializes all use of one `Database` on a private dispatch queue.
///
/// SQLite calls block (on disk I/O and on the busy timeout); running them on Swift's cooperative
/// thread pool would starve every other task of the process, the HTTP client's included. Async
/// callers hop to this queue and are resumed when the work is done.
package final class DatabaseQueue: @unchecked Sendable {
    // @unchecked Sendable: `database` is only touched inside `queue.sync`/`queue.async` blocks of this
    // serial queue, so no two threads ever use the connection at once.
    private let database: Database
    private let queue: DispatchQueue

    package var path: String { database.path }

    package init(_ database: Database, label: String = "apify-runs-sync.database") {
        self.database = database
        self.queue = DispatchQueue(label: label)
    }

    /// Runs `body` with the connection, off the cooperative pool.
    package func perform<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try body(self.database) })
            }
        }
    }
}
