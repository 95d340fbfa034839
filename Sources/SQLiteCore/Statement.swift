import ApifyRunsCSQLite
import Foundation

/// A prepared statement, finalized when the last reference goes away.
///
/// Not thread-safe: a statement belongs to its `Database`, which is used from one thread at a time.
package final class Statement {
    package let sql: String
    private let handle: OpaquePointer
    private let connection: OpaquePointer

    init(connection: OpaquePointer, sql: String) throws(SQLiteError) {
        var statement: OpaquePointer?
        let code = sqlite3_prepare_v3(connection, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard code == SQLITE_OK, let statement else {
            throw SQLiteError.from(connection, code: code, sql: sql, context: "preparing a statement")
        }
        self.handle = statement
        self.connection = connection
        self.sql = sql
    }

    deinit {
        sqlite3_finalize(handle)
    }

    // MARK: Binding

    /// Binds values to parameters 1…n in order.
    package func bind(_ values: [SQLiteValue]) throws(SQLiteError) {
        for (offset, value) in values.enumerated() {
            try bind(value, at: Int32(offset + 1))
        }
    }

    /// Binds one value to the 1-based parameter `index`.
    package func bind(_ value: SQLiteValue, at index: Int32) throws(SQLiteError) {
        switch value {
        case .null: try check(sqlite3_bind_null(handle, index))
        case .integer(let number): try check(sqlite3_bind_int64(handle, index, number))
        case .real(let number): try check(sqlite3_bind_double(handle, index, number))
        case .text(let string): try bind(text: string, at: index)
        case .blob(let bytes):
            let code = bytes.withUnsafeBytes { buffer in
                sqlite3_bind_blob64(
                    handle,
                    index,
                    buffer.baseAddress,
                    sqlite3_uint64(buffer.count),
                    apify_sqlite3_transient()
                )
            }
            try check(code)
        }
    }

    /// Binds a value to a named parameter (`:name`, `@name` or `$name`, as written in the SQL).
    package func bind(_ value: SQLiteValue, named name: String) throws(SQLiteError) {
        let index = sqlite3_bind_parameter_index(handle, name)
        guard index > 0 else {
            throw SQLiteError(
                extendedCode: SQLITE_RANGE,
                message: "no parameter named \(name)",
                sql: sql,
                context: "binding a parameter"
            )
        }
        try bind(value, at: index)
    }

    /// Binds a string as UTF-8 text with its explicit length; SQLite copies it.
    package func bind(text: String, at index: Int32) throws(SQLiteError) {
        var text = text
        let code = text.withUTF8 {
            bindText(UnsafeRawBufferPointer($0), at: index, destructor: apify_sqlite3_transient())
        }
        try check(code)
    }

    /// Binds UTF-8 bytes as text that SQLite reads where they are (`SQLITE_STATIC`), without the
    /// allocation, copy and free of `bind(text:at:)`.
    ///
    /// The caller keeps the bytes valid and unchanged until the statement has finished stepping and
    /// the binding is cleared (`reset()`) or replaced.
    package func bind(utf8InPlace bytes: UnsafeRawBufferPointer, at index: Int32) throws(SQLiteError) {
        try check(bindText(bytes, at: index, destructor: apify_sqlite3_static()))
    }

    /// `sqlite3_bind_text64` with an explicit length; returns its result code.
    private func bindText(
        _ bytes: UnsafeRawBufferPointer,
        at index: Int32,
        destructor: sqlite3_destructor_type?
    ) -> Int32 {
        // An empty buffer may have no base address, and SQLite reads a NULL pointer as SQL NULL: bind
        // an empty string instead, which SQLite copies (it must not keep the literal's pointer).
        guard let base = bytes.baseAddress, bytes.count > 0 else {
            return sqlite3_bind_text64(handle, index, "", 0, apify_sqlite3_transient(), UInt8(SQLITE_UTF8))
        }
        return sqlite3_bind_text64(
            handle,
            index,
            base.assumingMemoryBound(to: CChar.self),
            sqlite3_uint64(bytes.count),
            destructor,
            UInt8(SQLITE_UTF8)
        )
    }

    // MARK: Stepping

    /// Advances to the next row: true when a row is available, false when the statement is done.
    @discardableResult
    package func step() throws(SQLiteError) -> Bool {
        let code = sqlite3_step(handle)
        switch code {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw SQLiteError.from(connection, code: code, sql: sql)
        }
    }

    /// Runs the statement to completion, ignoring any rows, then resets it for reuse.
    package func run() throws(SQLiteError) {
        defer { sqlite3_reset(handle) }
        while try step() {}
    }

    /// Resets the statement and clears its bindings so that it can run again.
    ///
    /// The result of `sqlite3_reset` repeats the error of the last step, which was already reported,
    /// so only `sqlite3_clear_bindings` is checked here.
    package func reset() throws(SQLiteError) {
        sqlite3_reset(handle)
        try check(sqlite3_clear_bindings(handle))
    }

    /// All rows, each as an array of values; the statement is reset afterwards.
    package func allRows() throws(SQLiteError) -> [[SQLiteValue]] {
        defer { sqlite3_reset(handle) }
        var rows: [[SQLiteValue]] = []
        let count = columnCount
        while try step() {
            rows.append((0..<count).map { value(at: $0) })
        }
        return rows
    }

    // MARK: Reading columns

    package var columnCount: Int32 { sqlite3_column_count(handle) }

    package func int64(at index: Int32) -> Int64 {
        sqlite3_column_int64(handle, index)
    }

    package func double(at index: Int32) -> Double {
        sqlite3_column_double(handle, index)
    }

    /// The column as text, or nil when it is NULL.
    package func text(at index: Int32) -> String? {
        guard let pointer = sqlite3_column_text(handle, index) else { return nil }
        let count = Int(sqlite3_column_bytes(handle, index))
        return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
    }

    /// Whether the column's text or blob bytes equal `bytes`, without copying them out.
    package func columnBytesEqual(at index: Int32, to bytes: UnsafeRawBufferPointer) -> Bool {
        guard sqlite3_column_type(handle, index) != SQLITE_NULL else { return false }
        let pointer = sqlite3_column_blob(handle, index)
        let count = Int(sqlite3_column_bytes(handle, index))
        guard count == bytes.count else { return false }
        guard count > 0, let pointer, let base = bytes.baseAddress else { return true }
        return memcmp(pointer, base, count) == 0
    }

    /// The column as a `SQLiteValue` of its storage class.
    package func value(at index: Int32) -> SQLiteValue {
        switch sqlite3_column_type(handle, index) {
        case SQLITE_INTEGER: return .integer(int64(at: index))
        case SQLITE_FLOAT: return .real(double(at: index))
        case SQLITE_TEXT: return .text(text(at: index) ?? "")
        case SQLITE_BLOB:
            let count = Int(sqlite3_column_bytes(handle, index))
            guard count > 0, let pointer = sqlite3_column_blob(handle, index) else { return .blob([]) }
            return .blob(Array(UnsafeRawBufferPointer(start: pointer, count: count)))
        default: return .null
        }
    }

    private func check(_ code: Int32) throws(SQLiteError) {
        guard code == SQLITE_OK else {
            throw SQLiteError.from(connection, code: code, sql: sql, context: "binding a parameter")
        }
    }
}
