import Foundation
import RunModel
import RunStore
import SQLiteCore
import TestSupport
import Testing

/// A suite of RunStoreTests with a store file in a temporary directory of its own, and the helpers
/// its tests share.
protocol RunStoreTestCase {
    var directory: TemporaryDirectory { get }
}

extension RunStoreTestCase {
    var path: String { directory.path("runs.db") }

    static func run(
        _ id: String,
        _ status: String,
        startedAt: String = "2025-01-01T00:00:00.000Z",
        extra: String = ""
    )
        -> RunRecord
    {
        let json = #"{"id":"\#(id)","status":"\#(status)","startedAt":"\#(startedAt)"\#(extra)}"#
        return RunRecord(id: id, status: status, startedAt: startedAt, rawJSON: ArraySlice(json.utf8))
    }

    /// Makes the store's connection fail any insert of a run with the ID "boom".
    static func failInsertsOfRunBoom(in store: RunStore) async throws {
        try await store.perform { db in
            try db.execute(
                "CREATE TEMP TRIGGER boom BEFORE INSERT ON runs WHEN NEW.id = 'boom' BEGIN SELECT RAISE(ABORT, 'boom'); END"
            )
        }
    }

    func inspect<T>(_ body: (Database) throws -> T) throws -> T {
        let database = try Database(path: path)
        defer { try? database.close(optimize: false) }
        return try body(database)
    }
}
