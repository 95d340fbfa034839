import Foundation
import SQLiteCore
import TestSupport
import Testing

@Suite struct DatabaseTests {
    let directory: TemporaryDirectory
    let database: Database

    init() throws {
        directory = try TemporaryDirectory()
        database = try Database(path: directory.path("test.db"))
        try database.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, score REAL, data BLOB)")
    }

    @Test func bindsByIndexAndNameAndReadsEveryStorageClass() throws {
        let insert = try database.prepare("INSERT INTO t (id, name, score, data) VALUES (?1, :name, ?3, ?4)")
        try insert.bind(.integer(7), at: 1)
        try insert.bind("seven", named: ":name")
        try insert.bind(.real(7.5), at: 3)
        try insert.bind(.blob([0, 1, 2]), at: 4)
        try insert.run()
        let rows = try database.rows("SELECT id, name, score, data, NULL FROM t")
        #expect(rows == [[.integer(7), .text("seven"), .real(7.5), .blob([0, 1, 2]), .null]])
    }

    @Test func textIsBoundWithItsLengthAndAnEmptyStringIsNotNull() throws {
        let insert = try database.prepare("INSERT INTO t (id, name) VALUES (?, ?)")
        for (id, text) in [(1, ""), (2, "a\u{0}b"), (3, "ü")] {
            try insert.reset()
            try insert.bind(.integer(Int64(id)), at: 1)
            try insert.bind(.text(text), at: 2)
            try insert.run()
        }
        let bytes: [UInt8] = Array("in place".utf8)
        for (id, slice) in [(4, bytes[0..<0]), (5, bytes[...])] {
            try insert.reset()
            try insert.bind(.integer(Int64(id)), at: 1)
            try slice.withUnsafeBytes { try insert.bind(utf8InPlace: $0, at: 2) }
            try insert.run()
        }
        let rows = try database.rows("SELECT typeof(name), length(CAST(name AS BLOB)) FROM t ORDER BY id")
        #expect(rows == [["text", 0], ["text", 3], ["text", 2], ["text", 0], ["text", 8]])
    }

    @Test func unknownParameterNameIsAnError() throws {
        let statement = try database.prepare("SELECT :a")
        #expect(throws: SQLiteError.self) { try statement.bind(1, named: ":b") }
    }

    @Test func cachedStatementsAreResetAndReused() throws {
        for id in 1...3 {
            try database.execute("INSERT INTO t (id, name) VALUES (?, ?)", [.integer(Int64(id)), .text("n\(id)")])
        }
        let first = try database.cachedStatement("SELECT name FROM t WHERE id = ?")
        let second = try database.cachedStatement("SELECT name FROM t WHERE id = ?")
        #expect(first === second)
        try second.bind(.integer(2), at: 1)
        #expect(try second.step())
        #expect(second.text(at: 0) == "n2")
        #expect(try database.scalar("SELECT name FROM t WHERE id = ?", [.integer(3)]) == .text("n3"))
    }

    @Test func errorsCarryCodeMessageAndSQLButNotBoundValues() throws {
        try database.execute("INSERT INTO t (id, name) VALUES (1, 'a')")
        let error = try #require(throws: SQLiteError.self) {
            try database.execute("INSERT INTO t (id, name) VALUES (?, ?)", [.integer(1), "secret-value"])
        }
        #expect(error.extendedCode == 1555)  // SQLITE_CONSTRAINT_PRIMARYKEY
        #expect(error.message.contains("UNIQUE constraint failed"))
        #expect(error.sql == "INSERT INTO t (id, name) VALUES (?, ?)")
        #expect(!error.description.contains("secret-value"))
        #expect(error.description.contains("INSERT INTO t"))
    }

    @Test func syntaxErrorsNameTheSQL() throws {
        let error = try #require(throws: SQLiteError.self) { try database.prepare("SELEC 1") }
        #expect(error.description.contains("SELEC 1"))
        #expect(error.message.contains("syntax error"))
    }

    @Test func transactionCommitsOnReturnAndRollsBackOnThrowRethrowingTheFirstError() throws {
        try database.inTransaction { (db) throws(SQLiteError) in try db.execute("INSERT INTO t (id) VALUES (1)") }
        let error = try #require(throws: SQLiteError.self) {
            try database.inTransaction { (db) throws(SQLiteError) in
                try db.execute("INSERT INTO t (id) VALUES (2)")
                try db.execute("INSERT INTO t (id) VALUES (1)")
            }
        }
        #expect(error.message.contains("UNIQUE constraint failed"), "\(error)")
        #expect(!database.isInTransaction)
        #expect(try database.scalar("SELECT group_concat(id) FROM t") == .text("1"))
    }

    @Test func openingInAMissingDirectoryNamesThePath() throws {
        let path = directory.path("missing/sub/x.db")
        let error = try #require(throws: SQLiteError.self) { try Database(path: path) }
        #expect(error.description.contains(path))
        #expect(error.description.contains("does not exist"))
    }

    @Test func columnBytesComparisonMatchesOnlyIdenticalText() throws {
        try database.execute("INSERT INTO t (id, name) VALUES (1, 'abc')")
        let statement = try database.prepare("SELECT name FROM t")
        #expect(try statement.step())
        #expect(Array("abc".utf8).withUnsafeBytes { statement.columnBytesEqual(at: 0, to: $0) })
        #expect(!Array("abd".utf8).withUnsafeBytes { statement.columnBytesEqual(at: 0, to: $0) })
        #expect(!Array("ab".utf8).withUnsafeBytes { statement.columnBytesEqual(at: 0, to: $0) })
    }

    @Test func anActorOnASerialQueueExecutorRunsWorkOnItsQueueOneAtATime() async throws {
        let queue = ConnectionOwner(try Database(path: directory.path("queue.db")))
        try await queue.perform { try $0.execute("CREATE TABLE c (n INTEGER)") }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for n in 0..<50 {
                group.addTask {
                    try await queue.perform { try $0.execute("INSERT INTO c VALUES (?)", [.integer(Int64(n))]) }
                }
            }
            try await group.waitForAll()
        }
        #expect(try await queue.perform { try $0.scalar("SELECT count(*) FROM c") } == .integer(50))
    }
}
