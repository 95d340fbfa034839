import SQLiteCore

/// The write transaction that batches from every task share, committed in groups.
///
/// Committing each page on its own rewrites, for every page, most leaf pages of the two indexes keyed
/// by run ID (IDs are random), and the write-ahead log copies each of them twice. Batches therefore
/// join one open `BEGIN IMMEDIATE` transaction, which commits once it has been open for its maximum
/// age (`defaultMaximumAge` unless the store was opened with another) or holds `maximumRuns` runs,
/// whenever a caller asks (`RunStore.commit(epochs:)`, at the end of every pass), and before any
/// other write. Each transaction has an epoch; a caller learns from `commit(epochs:)` whether the
/// transactions its batches joined all committed, and reports their changes only then.
///
/// A batch that fails rolls the whole transaction back, taking the other batches in it along: their
/// callers hear of it at their next `apply` or `commit(epochs:)`, and read those runs again on their
/// next pass. A savepoint per batch would let a failing batch roll back alone, but it makes SQLite
/// copy every page a batch touches to a sub-journal first (docs/performance.md). What makes a batch
/// fail once the transaction is open is the file or the process (disk full, an I/O error,
/// corruption, memory), and then the others' writes would fail too.
///
/// A value owned by the store's actor (`StoreConnection`), which alone holds the connection.
struct SharedTransaction {
    /// A transaction commits once it is this old or holds this many runs: fewer, larger transactions
    /// rewrite the run-ID indexes' leaves less often (docs/performance.md, "Transactions").
    static let defaultMaximumAge: Duration = .seconds(2)
    static let maximumRuns = 50_000
    /// How many failed epochs are remembered for callers that have not asked yet.
    private static let rememberedFailures = 256

    private let maximumAge: Duration

    private(set) var isOpen = false
    /// The number of the open transaction, or of the last one.
    private(set) var epoch: UInt64 = 0
    private var openedAt = ContinuousClock.now
    private var runs = 0
    private var failures: [UInt64: String] = [:]

    init(maximumAge: Duration) {
        self.maximumAge = maximumAge
    }

    /// Opens a transaction if none is open; returns its epoch.
    mutating func begin(_ db: Database) throws(SQLiteError) -> UInt64 {
        if !isOpen {
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
    mutating func write<T>(_ db: Database, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch {
            rollBack(db, after: error)
            throw error
        }
    }

    /// Throws if any of `epochs` failed: a caller must not write past batches that were lost, or the
    /// cursor it writes next would point beyond runs that are not stored.
    func checkNotLost(_ epochs: some Sequence<UInt64>) throws(StoreCommitError) {
        if let (epoch, message) = failures(among: epochs).min(by: { $0.key < $1.key }) {
            throw StoreCommitError(epoch: epoch, message: message)
        }
    }

    /// Adds a written batch's runs to the count, then commits if the transaction is now old or
    /// large enough.
    mutating func countRunsAndCommitIfDue(_ count: Int, _ db: Database) throws(SQLiteError) {
        runs += count
        if runs >= Self.maximumRuns || ContinuousClock.now - openedAt >= maximumAge {
            try commit(db)
        }
    }

    /// Commits the open transaction, if any. On failure it is rolled back and its epoch remembered.
    mutating func commit(_ db: Database) throws(SQLiteError) {
        guard isOpen else { return }
        do {
            try db.execute("COMMIT TRANSACTION")
            isOpen = false
        } catch {
            rollBack(db, after: error)
            throw error
        }
    }

    /// The errors of the given epochs that did not commit.
    func failures(among epochs: some Sequence<UInt64>) -> [UInt64: String] {
        var found: [UInt64: String] = [:]
        for epoch in epochs { found[epoch] = failures[epoch] }
        return found
    }

    /// Rolls back what SQLite did not already and remembers the epoch as failed.
    private mutating func rollBack(_ db: Database, after error: any Error) {
        if db.isInTransaction { try? db.execute("ROLLBACK TRANSACTION") }
        isOpen = false
        failures[epoch] = "\(error)"
        if failures.count > Self.rememberedFailures, let oldest = failures.keys.min() {
            failures[oldest] = nil
        }
    }
}
