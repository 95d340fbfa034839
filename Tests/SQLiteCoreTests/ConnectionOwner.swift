import SQLiteCore

/// An actor that owns a connection on a `SerialQueueExecutor`, as the store's does.
actor ConnectionOwner {
    let executor = SerialQueueExecutor(label: "apify-runs-sync.test")
    private let database: Database

    nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    init(_ database: sending Database) {
        self.database = database
    }

    /// Runs `body` with the connection; traps unless it runs on the executor's queue.
    func perform<T: Sendable>(_ body: @Sendable (Database) throws -> T) throws -> T {
        executor.checkIsolated()
        return try body(database)
    }
}
