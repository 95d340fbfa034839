import SQLiteCore

/// The store's connection and everything that must happen on its thread: the shared write
/// transaction (`SharedTransaction`), the batches written into it, and the checkpoint trigger.
///
/// An actor on a serial dispatch queue of its own (`SerialQueueExecutor`), not on the cooperative
/// pool: SQLite calls block. Its calls run one at a time in the order they were made, so a caller
/// that makes its next call before the previous one returned (a pass's next batch, see
/// `ForwardRead.maximumWritesInFlight`) is queued right behind it, and the thread goes from one to
/// the next without waiting for the caller to be scheduled. No method awaits: once started, a call
/// runs to its end, and nothing else runs on the connection meanwhile.
///
/// A cancelled task starts no read or write here (`CancellationError`; a batch that refuses so breaks
/// its chain like any batch not written). Committing what was written before (`commit(epochs:)`,
/// `flush()`, `close()`) still happens, so that a pass interrupted by shutdown settles what it wrote.
/// After `close()`, a call that would reach the connection throws `SQLiteError.closed(path:)`: a task
/// still running at shutdown gets an error, not a crash.
actor StoreConnection {
    /// A checkpoint is asked for after a commit that leaves at least this many frames in the log,
    /// as SQLite's own automatic checkpoint would be (32 MiB with 32 KiB pages).
    static let defaultCheckpointFrames = 1000
    /// Every this many checkpoints asked for, the next transaction waits for a complete copy, so
    /// that the log starts over (see `Checkpointer`); docs/performance.md has what two cost and gain.
    static let checkpointsPerLogCycle = 2

    private let executor = SerialQueueExecutor(label: "apify-runs-sync.database")
    private let database: Database
    private var transaction: SharedTransaction
    private let checkpointer: Checkpointer
    private let checkpointFrames: Int
    /// Checkpoints asked for since the writer last waited for a complete copy.
    private var checkpointsInCycle = 0
    private var isClosed = false

    nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    init(
        _ database: sending Database,
        checkpointer: Checkpointer,
        checkpointFrames: Int,
        transactionMaximumAge: Duration
    ) {
        self.database = database
        self.transaction = SharedTransaction(maximumAge: transactionMaximumAge)
        self.checkpointer = checkpointer
        self.checkpointFrames = checkpointFrames
        // SQLite calls the hook inside a COMMIT, which only this actor's methods run, on its thread.
        database.onCommit { [weak self] logFrames in
            self?.assumeIsolated { $0.committed(logFrames: logFrames) }
        }
    }

    /// Runs `body` with the connection as it is: the shared transaction may be open.
    func read<T: Sendable>(_ body: @Sendable (Database) throws -> T) throws -> T {
        try checkUsable()
        return try body(database)
    }

    /// A write of its own (bookkeeping), in a transaction of its own: the shared one commits first.
    func ownTransaction<T: Sendable>(_ body: @Sendable (Database) throws(SQLiteError) -> T) throws -> T {
        try checkUsable()
        try transaction.commit(database)
        return try database.inTransaction(.immediate, body)
    }

    /// Proves that the store's thread is not stuck: returns once every call queued before it ran.
    func ping() throws {
        try checkUsable()
        _ = database.isInTransaction
    }

    /// Writes one batch into the shared transaction, after the earlier batches of `chain` (see
    /// `RunStore.apply(_:chain:historical:)`); returns what `RunStore.write` found, with the epoch.
    func write(
        _ plan: BatchPlan,
        chain: WriteChain?,
        historical: Bool
    ) throws -> (result: AppliedBatch, changed: [RunStore.ChangedRun]) {
        do {
            try checkUsable()
            try chain?.checkUnbroken(transaction)
            let epoch = try beginBatch()
            chain?.recordJoined(epoch: epoch)
            let database = self.database
            var written = try transaction.write(database) {
                try RunStore.write(plan, historical: historical, in: database)
            }
            written.result.epoch = epoch
            try transaction.countRunsAndCommitIfDue(plan.batch.runs.count, database)
            return written
        } catch {
            chain?.markBroken(by: error)
            throw error
        }
    }

    /// Commits the shared transaction if it holds any of `epochs`; returns the epochs that did not
    /// commit, with their errors (empty when all of them did).
    func commit(epochs: Set<UInt64>) -> [UInt64: String] {
        if transaction.isOpen && epochs.contains(transaction.epoch) {
            // A failure is remembered as one of this epoch, and returned below.
            try? transaction.commit(database)
        }
        return transaction.failures(among: epochs)
    }

    /// Commits whatever is pending (nothing is, once closed).
    func flush() throws {
        try transaction.commit(database)
    }

    /// Commits what is pending, stops the checkpointer once its work is done (the connection's own
    /// close then checkpoints), runs `PRAGMA optimize` and closes the connection. Closing again does
    /// nothing.
    func close() throws {
        guard !isClosed else { return }
        try transaction.commit(database)
        // Nothing starts from here on, even if closing the connection fails: the checkpointer stops,
        // and the connection's deinit closes it at the latest.
        isClosed = true
        checkpointer.close()
        try database.close()
    }

    /// Throws if the calling task is cancelled or the connection is closed.
    private func checkUsable() throws {
        try Task.checkCancellation()
        if isClosed { throw SQLiteError.closed(path: database.path) }
    }

    /// Opens the shared transaction for a batch, if none is open; returns its epoch. A new
    /// transaction first waits for a complete copy of the log when a log cycle is due.
    private func beginBatch() throws(SQLiteError) -> UInt64 {
        if !transaction.isOpen && checkpointsInCycle >= Self.checkpointsPerLogCycle {
            checkpointer.wait(for: checkpointer.request())
            checkpointsInCycle = 0
        }
        return try transaction.begin(database)
    }

    /// Called after every commit on the connection, with the frames the log then holds.
    private func committed(logFrames: Int) {
        guard logFrames >= checkpointFrames else { return }
        checkpointer.request()
        checkpointsInCycle += 1
    }
}
