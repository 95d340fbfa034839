import SQLiteCore

/// The write transaction that batches from every task share, committed in groups.
///
/// Committing each page on its own rewrites, for every page, most leaf pages of the two indexes keyed
/// by run ID (IDs are random), and the write-ahead log copies each of them twice. Batches therefore
/// join one open `BEGIN IMMEDIATE` transaction, which commits once it has been open `maximumAge` or
/// holds `maximumRuns` runs, whenever a caller asks (`RunStore.commit(epochs:)`, at the end of every
/// pass), and before any other write. Each transaction has an epoch; a caller learns from
/// `commit(epochs:)` whether the transactions its batches joined all committed, and reports their
/// changes only then.
///
/// A batch that fails rolls the whole transaction back, taking the other batches in it along: their
/// callers hear of it at their next `apply` or `commit(epochs:)`, and read those runs again on their
/// next pass. A savepoint per batch would let a failing batch roll back alone, but it makes SQLite copy
/// every page a batch touches to a sub-journal first (docs/performance.md). What makes a batch fail once the transaction is open is the file or the process (disk
/// full, an I/O error, corruption, memory), and then the others' writes would fail too.
final class SharedTransaction: @unchecked Sendable {
    // @unchecked Sendable: every property is read and written only inside the store's
    // `DatabaseQueue` blocks, which run one at a time.

    /// A transaction commits once it is this old or holds this many runs: fewer, larger transactions
    /// rewrite the run-ID indexes' leaves less often (docs/performance.md, "Transactions").
    static let defaultMaximumAge: Duration = .seconds(2)
    static let maximumRuns = 50_000
    /// How many failed epochs are remembered for callers that have not asked yet.
    private static let rememberedFailures = 256

    /// A checkpoint is asked for after a commit that leaves at least this many frames in the log,
    /// as SQLite's own automatic checkpoint would be (32 MiB with 32 KiB pages).
    static let defaultCheckpointFrames = 1000
    /// Every this many checkpoints asked for, the next transaction waits for a complete copy, so
    /// that the log starts over (see `Checkpointer`); docs/performance.md has what two cost and gain.
    static let checkpointsPerLogCycle = 2

    private let checkpointer: Checkpointer
    private let checkpointFrames: Int
    private let maximumAge: Duration
    private var checkpointsInCycle = 0

    private(set) var isOpen = false
    /// The number of the open transaction, or of the last one.
    private(set) var epoch: UInt64 = 0
    private var openedAt = ContinuousClock.now
    private var runs = 0
    private var failures: [UInt64: String] = [:]

    init(checkpointer: Checkpointer, checkpointFrames: Int, maximumAge: Duration) {
        self.checkpointer = checkpointer
        self.checkpointFrames = checkpointFrames
        self.maximumAge = maximumAge
    }

    /// Opens a transaction if none is open; returns its epoch.
    func begin(_ db: Database) throws -> UInt64 {
        if !isOpen {
            if checkpointsInCycle >= Self.checkpointsPerLogCycle {
                checkpointer.wait(for: checkpointer.request())
                checkpointsInCycle = 0
            }
            try db.execute("BEGIN IMMEDIATE TRANSACTION")
            isOpen = true
            epoch += 1
            openedAt = .now
            runs = 0
        }
        return epoch
    }

    /// Runs `body`, which writes one batch into the open transaction. If it throws, the transaction
    /// is rolled back (unless SQLite already did) and its epoch is remembered as failed.
    func write<T>(_ db: Database, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch {
            if db.isInTransaction { try? db.execute("ROLLBACK TRANSACTION") }
            markFailed(error)
            throw error
        }
    }

    /// Throws if any of `epochs` failed: a caller must not write past batches that were lost, or the
    /// cursor it writes next would point beyond runs that are not stored.
    func checkNotLost(_ epochs: some Sequence<UInt64>) throws {
        if let (epoch, message) = failures(among: epochs).min(by: { $0.key < $1.key }) {
            throw StoreCommitError(epoch: epoch, message: message)
        }
    }

    /// Counts runs written and commits if the transaction is old or large enough.
    func written(_ count: Int, _ db: Database) throws {
        runs += count
        if runs >= Self.maximumRuns || ContinuousClock.now - openedAt >= maximumAge {
            try commit(db)
        }
    }

    /// Commits the open transaction, if any. On failure it is rolled back and its epoch remembered.
    func commit(_ db: Database) throws {
        guard isOpen else { return }
        do {
            try db.execute("COMMIT TRANSACTION")
            isOpen = false
        } catch {
            if db.isInTransaction { try? db.execute("ROLLBACK TRANSACTION") }
            markFailed(error)
            throw error
        }
    }

    /// Called after every commit on the connection (`Database.onCommit`), on its thread.
    func committed(logFrames: Int) {
        guard logFrames >= checkpointFrames else { return }
        checkpointer.request()
        checkpointsInCycle += 1
    }

    /// Stops checkpointing beside the writer, once its last commit is done (the connection's own
    /// close then checkpoints).
    func closeCheckpointer() {
        checkpointer.close()
    }

    /// The errors of the given epochs that did not commit.
    func failures(among epochs: some Sequence<UInt64>) -> [UInt64: String] {
        var found: [UInt64: String] = [:]
        for epoch in epochs { found[epoch] = failures[epoch] }
        return found
    }

    private func markFailed(_ error: any Error) {
        isOpen = false
        failures[epoch] = "\(error)"
        if failures.count > Self.rememberedFailures, let oldest = failures.keys.min() {
            failures[oldest] = nil
        }
    }
}
