import ApifyRunsCSQLite
import Foundation

/// One connection to a SQLite database file.
///
/// Not thread-safe, nor `Sendable`: from async code, one actor owns a connection and runs on a
/// `SerialQueueExecutor` (SQLite calls block), as `RunStore`'s `StoreConnection` does.
package final class Database {
    /// How a transaction takes its locks.
    package enum TransactionKind: String, Sendable {
        /// Takes the write lock up front, so a writer waits (busy timeout) at BEGIN, never half-way.
        case immediate = "IMMEDIATE"
        /// Takes locks as statements need them; right for read-only transactions.
        case deferred = "DEFERRED"
    }

    package let path: String
    private var handle: OpaquePointer?
    private var statementCache: [String: Statement] = [:]
    private var commitHook: CommitHook?

    /// Opens (or, unless `readOnly`, creates) the database at `path`.
    ///
    /// The busy timeout is set first, before anything that could meet a lock.
    /// How long a statement waits for another connection's lock before SQLITE_BUSY, unless told.
    package static let defaultBusyTimeoutMilliseconds: Int32 = 5000

    package init(
        path: String,
        readOnly: Bool = false,
        busyTimeoutMilliseconds: Int32 = defaultBusyTimeoutMilliseconds
    ) throws(SQLiteError) {
        self.path = path
        Database.configureLibrary()
        var connection: OpaquePointer?
        let flags =
            (readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE))
            | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        let code = sqlite3_open_v2(path, &connection, flags, nil)
        guard code == SQLITE_OK, let connection else {
            let error = SQLiteError.from(
                connection,
                code: code,
                context: Database.openFailureContext(path: path, readOnly: readOnly)
            )
            sqlite3_close_v2(connection)
            throw error
        }
        self.handle = connection
        let timeoutCode = sqlite3_busy_timeout(connection, busyTimeoutMilliseconds)
        guard timeoutCode == SQLITE_OK else {
            let error = SQLiteError.from(connection, code: timeoutCode, context: "setting the busy timeout")
            sqlite3_close_v2(connection)
            self.handle = nil
            throw error
        }
    }

    /// Process-wide settings, applied once before the first connection opens.
    ///
    /// Memory statistics are turned off: they take a global mutex on every allocation SQLite makes,
    /// and nothing here reads them (docs/performance.md has the gain). If the library was
    /// already initialized by someone else in the process, SQLite refuses (SQLITE_MISUSE) and keeps
    /// its defaults, which are only slower.
    private static let libraryConfiguration: Int32 = apify_sqlite3_disable_memory_statistics()

    private static func configureLibrary() {
        let code = libraryConfiguration
        assert(code == SQLITE_OK || code == SQLITE_MISUSE, "sqlite3_config returned \(code)")
    }

    deinit {
        if let handle {
            statementCache.removeAll()
            sqlite3_close_v2(handle)
        }
    }

    private var connection: OpaquePointer {
        guard let handle else { preconditionFailure("the database at \(path) was used after close()") }
        return handle
    }

    /// Explains a failed open in terms of the path, which SQLite's own "unable to open" does not name.
    private static func openFailureContext(path: String, readOnly: Bool) -> String {
        let directory = (path as NSString).deletingLastPathComponent
        let fileManager = FileManager.default
        var isDirectory: ObjCBool = false
        let base = "opening the database \(path)"
        if !directory.isEmpty {
            if !fileManager.fileExists(atPath: directory, isDirectory: &isDirectory) {
                return "\(base): the directory \(directory) does not exist"
            }
            if !isDirectory.boolValue {
                return "\(base): \(directory) is not a directory"
            }
        }
        if fileManager.fileExists(atPath: path) {
            if !fileManager.isReadableFile(atPath: path) { return "\(base): the file is not readable" }
            if !readOnly && !fileManager.isWritableFile(atPath: path) {
                return "\(base): the file is not writable"
            }
        } else if !readOnly && !fileManager.isWritableFile(atPath: directory.isEmpty ? "." : directory) {
            return "\(base): the directory \(directory.isEmpty ? "." : directory) is not writable"
        } else if readOnly {
            return "\(base): the file does not exist"
        }
        return base
    }

    /// Runs optional `PRAGMA optimize`, finalizes cached statements and closes the connection.
    package func close(optimize: Bool = true) throws(SQLiteError) {
        guard let handle else { return }
        // `PRAGMA optimize` may commit statistics: the commit hook's owner may be gone by now.
        if commitHook != nil { sqlite3_wal_hook(handle, nil, nil) }
        if optimize {
            // Best effort: optimize only refreshes planner statistics; a failure must not block the close.
            sqlite3_exec(handle, "PRAGMA optimize", nil, nil, nil)
        }
        statementCache.removeAll()
        let code = sqlite3_close(handle)
        guard code == SQLITE_OK else {
            throw SQLiteError.from(handle, code: code, context: "closing the database \(path)")
        }
        self.handle = nil
    }

    /// Runs one or more SQL statements that take no parameters.
    package func execute(_ sql: String) throws(SQLiteError) {
        let code = sqlite3_exec(connection, sql, nil, nil, nil)
        guard code == SQLITE_OK else { throw SQLiteError.from(connection, code: code, sql: sql) }
    }

    /// Runs one statement with positional parameters.
    package func execute(_ sql: String, _ values: [SQLiteValue]) throws(SQLiteError) {
        let statement = try cachedStatement(sql)
        try statement.bind(values)
        try statement.run()
    }

    /// Prepares a statement the caller owns.
    package func prepare(_ sql: String) throws(SQLiteError) -> Statement {
        try Statement(connection: connection, sql: sql)
    }

    /// A prepared statement kept for the life of the connection, reset and unbound, ready to use.
    package func cachedStatement(_ sql: String) throws(SQLiteError) -> Statement {
        if let statement = statementCache[sql] {
            try statement.reset()
            return statement
        }
        let statement = try prepare(sql)
        statementCache[sql] = statement
        return statement
    }

    /// The rows of a query with positional parameters.
    package func rows(_ sql: String, _ values: [SQLiteValue] = []) throws(SQLiteError) -> [[SQLiteValue]] {
        let statement = try cachedStatement(sql)
        try statement.bind(values)
        return try statement.allRows()
    }

    /// The first column of the first row, or `.null` when there is no row.
    package func scalar(_ sql: String, _ values: [SQLiteValue] = []) throws(SQLiteError) -> SQLiteValue {
        try rows(sql, values).first?.first ?? .null
    }

    /// Rows changed by the most recent INSERT, UPDATE or DELETE.
    package var changes: Int64 { sqlite3_changes64(connection) }

    /// Whether the connection cannot write (file permissions, or a read-only file system).
    package var isReadOnly: Bool { sqlite3_db_readonly(connection, "main") == 1 }

    /// The bytes of memory the connection's page cache holds (`SQLITE_DBSTATUS_CACHE_USED`).
    package func pageCacheBytes() throws(SQLiteError) -> Int {
        var current: Int32 = 0
        var highwater: Int32 = 0
        let code = sqlite3_db_status(connection, SQLITE_DBSTATUS_CACHE_USED, &current, &highwater, 0)
        guard code == SQLITE_OK else {
            throw SQLiteError.from(connection, code: code, context: "reading the page cache's size")
        }
        return Int(current)
    }

    /// Calls `body` after each commit with the number of frames in the write-ahead log, on the
    /// thread that committed, instead of SQLite's own automatic checkpoint (which this replaces).
    package func onCommit(_ body: @escaping (_ logFrames: Int) -> Void) {
        let hook = CommitHook(body)
        commitHook = hook
        sqlite3_wal_hook(connection, CommitHook.callback, Unmanaged.passUnretained(hook).toOpaque())
    }

    /// Copies what it can of the write-ahead log into the database without waiting for anyone
    /// (`SQLITE_CHECKPOINT_PASSIVE`); returns the log's committed frames and how many of them are now
    /// in the database.
    package func checkpointPassively() throws(SQLiteError) -> (logFrames: Int, checkpointedFrames: Int) {
        var log: Int32 = 0
        var checkpointed: Int32 = 0
        let code = sqlite3_wal_checkpoint_v2(connection, "main", SQLITE_CHECKPOINT_PASSIVE, &log, &checkpointed)
        guard code == SQLITE_OK else {
            throw SQLiteError.from(connection, code: code, context: "checkpointing the database \(path)")
        }
        return (Int(log), Int(checkpointed))
    }

    /// `SQLITE_FCNTL_PERSIST_WAL`, for `setFileControl`.
    package static let persistWALOption = SQLITE_FCNTL_PERSIST_WAL

    /// Whether a transaction is open on this connection.
    package var isInTransaction: Bool { sqlite3_get_autocommit(connection) == 0 }

    /// Runs `body` in a transaction: commits when it returns, rolls back when it throws.
    ///
    /// The error rethrown is the first one: a failed rollback after a failed body reports the body's
    /// error. A body throws what the connection throws, so that a caller learns one type of failure.
    package func inTransaction<T>(
        _ kind: TransactionKind = .immediate,
        _ body: (Database) throws(SQLiteError) -> T
    ) throws(SQLiteError) -> T {
        try execute("BEGIN \(kind.rawValue) TRANSACTION")
        let result: T
        do {
            result = try body(self)
        } catch {
            rollbackQuietly()
            throw error
        }
        do {
            try execute("COMMIT TRANSACTION")
        } catch {
            rollbackQuietly()
            throw error
        }
        return result
    }

    private func rollbackQuietly() {
        // SQLite may already have rolled back on its own (e.g. SQLITE_FULL); only roll back what is open.
        if isInTransaction {
            sqlite3_exec(connection, "ROLLBACK TRANSACTION", nil, nil, nil)
        }
    }

    /// Sets an integer file-control option on the main database (e.g. `SQLITE_FCNTL_PERSIST_WAL`).
    package func setFileControl(_ option: Int32, to value: Int32) throws(SQLiteError) {
        let code = apify_sqlite3_file_control_int(connection, "main", option, value)
        guard code == SQLITE_OK else {
            throw SQLiteError.from(connection, code: code, context: "setting file control \(option)")
        }
    }
}
