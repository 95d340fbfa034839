import ApifyRunsCSQLite

/// An error reported by libsqlite3, with enough context to act on it.
///
/// The description carries the extended result code, SQLite's own message and the SQL that failed.
/// Bound values are never part of it: they may hold anything a run carries.
package struct SQLiteError: Error, CustomStringConvertible, Sendable {
    /// The extended result code (`sqlite3_extended_errcode`).
    package let extendedCode: Int32
    /// `sqlite3_errmsg` at the time of the failure, or `sqlite3_errstr` when no connection exists.
    package let message: String
    /// The SQL being prepared or run, when there was one.
    package let sql: String?
    /// What the program was doing, e.g. "opening /var/lib/x.db".
    package let context: String?

    package init(extendedCode: Int32, message: String, sql: String? = nil, context: String? = nil) {
        self.extendedCode = extendedCode
        self.message = message
        self.sql = sql
        self.context = context
    }

    /// `SQLITE_ERROR`, the generic result code: for failures this package finds itself, that SQLite
    /// has no code of its own for.
    package static let genericErrorCode = SQLITE_ERROR

    /// What a call on a connection that was already closed throws (`SQLITE_MISUSE`), instead of
    /// reaching SQLite with a dangling handle.
    package static func closed(path: String) -> SQLiteError {
        SQLiteError(extendedCode: SQLITE_MISUSE, message: "the connection was already closed", context: path)
    }

    /// The primary result code (the low byte of the extended one).
    package var primaryCode: Int32 { extendedCode & Self.primaryCodeMask }

    /// An extended result code carries the primary one in its low byte.
    private static let primaryCodeMask: Int32 = 0xFF

    /// SQLITE_BUSY or SQLITE_LOCKED: another connection holds the lock past the busy timeout.
    package var isBusy: Bool { primaryCode == SQLITE_BUSY || primaryCode == SQLITE_LOCKED }

    /// SQLITE_NOTADB, SQLITE_CORRUPT or SQLITE_CANTOPEN: the file is not a database, not a sound one,
    /// or not a file that can be opened (a directory). Retrying cannot help; the configuration names
    /// the wrong path, or the file needs repair.
    package var isNotADatabase: Bool {
        primaryCode == SQLITE_NOTADB || primaryCode == SQLITE_CORRUPT || primaryCode == SQLITE_CANTOPEN
    }

    package var description: String {
        var text = ""
        if let context { text += "\(context): " }
        text += "SQLite error \(extendedCode) (\(String(cString: sqlite3_errstr(extendedCode)))): \(message)"
        if isBusy {
            text += " — another process holds a lock on the database longer than the busy timeout"
        }
        if let sql { text += " [SQL: \(sql)]" }
        return text
    }

    /// Builds the error from a connection's current state.
    static func from(
        _ connection: OpaquePointer?,
        code: Int32,
        sql: String? = nil,
        context: String? = nil
    )
        -> SQLiteError
    {
        let extended = connection.map { sqlite3_extended_errcode($0) } ?? code
        let message: String
        if let connection, let cMessage = sqlite3_errmsg(connection) {
            message = String(cString: cMessage)
        } else {
            message = String(cString: sqlite3_errstr(code))
        }
        // When the connection's code was reset by a later call, keep the code we were given.
        let effective = (extended & primaryCodeMask) == (code & primaryCodeMask) ? extended : code
        return SQLiteError(extendedCode: effective, message: message, sql: sql, context: context)
    }
}
