import Foundation
import RunModel
import RunStore
import SQLiteCore
import TestSupport
import Testing

/// Files the store will not open: another program's, a newer schema's, not SQLite at all. Each is left as it was.
@Suite struct RefusedFileTests: RunStoreTestCase {
    let directory: TemporaryDirectory

    init() throws {
        directory = try TemporaryDirectory()
    }

    @Test func refusesAForeignFileAndLeavesItByteForByte() throws {
        let database = try Database(path: path)
        try database.execute("PRAGMA application_id = 1234; CREATE TABLE theirs (x); INSERT INTO theirs VALUES (1)")
        try database.close(optimize: false)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect {
            try RunStore.open(path: path)
        } throws: { error in
            guard case RunStoreError.notOurs(_, 1234) = error else { return false }
            return "\(error)".contains(path)
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == bytes)
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
    }

    @Test func refusesAnUnmarkedFileWithTablesOfItsOwn() throws {
        let database = try Database(path: path)
        try database.execute("CREATE TABLE theirs (x)")
        try database.close(optimize: false)
        #expect(throws: RunStoreError.self) { try RunStore.open(path: path) }
    }

    @Test func refusesANewerSchemaAndLeavesItByteForByte() async throws {
        try await RunStore.open(path: path).close()
        try inspect { db in try db.execute("PRAGMA user_version = 99") }
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect {
            try RunStore.open(path: path)
        } throws: { error in
            guard case RunStoreError.tooNew(_, 99, 6) = error else { return false }
            return true
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == bytes)
    }

    @Test func refusesAFileThatIsNotSQLite() throws {
        try Data("hello, this is not a database, but it is long enough to look like one.......".utf8)
            .write(to: URL(fileURLWithPath: path))
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect {
            try RunStore.open(path: path)
        } throws: { error in
            "\(error)".contains("not a database")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == bytes)
    }
}
