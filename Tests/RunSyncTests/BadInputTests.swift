import ApifySimulator
import Foundation
import RunStore
import RunSync
import SQLiteCore
import Testing

/// Bad answers from the API: each is a clear error or is handled; nothing is skipped, and the cursor
/// never moves past data that was not stored.
@Suite struct BadInputTests {
    static let faults: [(String, SimulatedFault, Bool)] = [
        (
            "malformed JSON",
            .body(status: 200, contentType: "application/json", bytes: Array(#"{"data":{"items":[{"id""#.utf8)), true
        ),
        (
            "items not an array",
            .body(status: 200, contentType: "application/json", bytes: Array(#"{"data":{"items":{}}}"#.utf8)), true
        ),
        (
            "an HTML page",
            .body(status: 200, contentType: "text/html", bytes: Array("<!doctype html><p>502</p>".utf8)), true
        ),
        ("an empty body", .body(status: 200, contentType: "application/json", bytes: []), true),
        ("a duplicate item", .quirk(.duplicateItem), false),
        ("items in reverse order", .quirk(.reversedOrder), false),
        ("a wrong count", .quirk(.wrongCount), false),
        ("a shrunk total", .quirk(.shrunkTotal), false),
        ("a 1 MiB field", .quirk(.hugeField(1 << 20)), false),
        ("bytes that are not UTF-8", .quirk(.invalidUTF8), true),
    ]

    /// Runs a pass that meets the bad answer `name`: it fails, naming the answer as not the expected
    /// JSON, exactly when `expected`. Returns whether it failed.
    @discardableResult
    private static func passFails(_ fixture: SyncFixture, meeting name: String, expected: Bool) async -> Bool {
        do {
            _ = try await fixture.engine.sync(.task(fixture.task))
            #expect(!expected, "\(name) should have failed the pass")
            return false
        } catch {
            #expect(expected, "\(name): \(error)")
            #expect("\(error)".contains("not the expected JSON"), "\(name): \(error)")
            return true
        }
    }

    @Test(arguments: 0..<faults.count)
    func aBadPageIsAnErrorOrHandledAndSkipsNothing(index: Int) async throws {
        let (name, fault, fails) = Self.faults[index]
        let fixture = try await SyncFixture(maxRetries: 0)
        fixture.world { $0.createRuns(task: fixture.task, count: 1500) }
        _ = try await fixture.pass()
        let cursorBefore = try await fixture.store.cursor(for: .task(fixture.task))
        fixture.world { world in
            world.createRuns(task: fixture.task, count: 2500)
            world.inject(fault, for: .runList)
        }
        if await Self.passFails(fixture, meeting: name, expected: fails) {
            #expect(try await fixture.store.cursor(for: .task(fixture.task)) == cursorBefore, "\(name): cursor moved")
            #expect(try await fixture.rows("SELECT count(*) FROM runs") == [[1500]])
        }
        _ = try await fixture.pass()
        try await fixture.expectMatchesTruth()
        #expect(try await fixture.rows("SELECT count(*) FROM runs") == [[4000]], "\(name)")
        try await fixture.shutdown()
    }

    /// The same answers to the unfinished-runs query, sent beside the forward read: the forward
    /// read's pages stand, and no transition is missed or told twice.
    @Test(arguments: 0..<faults.count)
    func aBadUnfinishedRunsPageIsAnErrorOrHandledAndSkipsNothing(index: Int) async throws {
        let (name, fault, fails) = Self.faults[index]
        let fixture = try await SyncFixture(maxRetries: 0)
        let running = fixture.world { $0.createRuns(task: fixture.task, count: 3, status: "RUNNING") }
        fixture.world { $0.createRuns(task: fixture.task, count: 1500) }
        _ = try await fixture.pass()
        fixture.world { world in
            world.setStatus(run: running[0], to: "SUCCEEDED")
            world.createRuns(task: fixture.task, count: 20)
            world.inject(fault, for: .filteredRunList)
        }
        await Self.passFails(fixture, meeting: name, expected: fails)
        _ = try await fixture.pass()
        try await fixture.expectMatchesTruth()
        #expect(try await fixture.rows("SELECT count(*) FROM runs") == [[1523]], "\(name)")
        let finished = try await fixture.rows(
            "SELECT count(*) FROM run_status_changes WHERE run_id = ? AND to_status = 'SUCCEEDED'",
            [.text(running[0])]
        )
        #expect(finished == [[1]], "\(name)")
        try await fixture.shutdown()
    }

    @Test func anUnknownStatusIsStoredAndKeptTracked() async throws {
        let fixture = try await SyncFixture()
        let ids = fixture.world { $0.createRuns(task: fixture.task, count: 3, status: "HIBERNATING") }
        _ = try await fixture.pass()
        // Not in the unfinished-status query: asked for after the backfill (a probe of the head, then
        // one page that holds all three: cheaper than three GETs), then, as their status does not
        // move, every other pass, every fourth, and so on.
        var asked: [Int] = []
        for _ in 1...7 { asked.append(try await fixture.pass().requests) }
        #expect(asked == [2, 4, 2, 2, 4, 2, 2])
        fixture.world { $0.setStatus(run: ids[0], to: "SUCCEEDED") }
        _ = try await fixture.pass()
        try await fixture.expectMatchesTruth()
        #expect(try await fixture.store.unfinishedRuns(of: .task(fixture.task)).count == 2)
        try await fixture.shutdown()
    }

    @Test func aDiskFullErrorStoresNoPartialPageAndRecovers() async throws {
        let fixture = try await SyncFixture()
        fixture.world { $0.createRuns(task: fixture.task, count: 300) }
        _ = try await fixture.pass()
        let pages = try await fixture.rows("PRAGMA page_count")[0][0].integer!
        try await fixture.store.perform { try $0.execute("PRAGMA max_page_count = \(pages + 2)") }
        fixture.world { $0.createRuns(task: fixture.task, count: 3000) }
        let error = try await #require(throws: SyncError.self) { try await fixture.engine.sync(.task(fixture.task)) }
        #expect("\(error)".contains("full"), "\(error)")
        let stored = try await fixture.rows("SELECT count(*) FROM runs")[0][0].integer!
        let cursor = try await fixture.store.cursor(for: .task(fixture.task))
        #expect(Int(stored) == cursor.nextOffset + 1, "the cursor points at the last stored run")
        try await fixture.store.perform { try $0.execute("PRAGMA max_page_count = 1073741823") }
        _ = try await fixture.pass()
        try await fixture.expectMatchesTruth()
        #expect(try await fixture.rows("SELECT count(*) FROM runs") == [[3300]])
        try await fixture.shutdown()
    }

    @Test func aWriteLockHeldTooLongFailsThePassCleanlyAndTheNextOneSucceeds() async throws {
        let fixture = try await SyncFixture()
        fixture.world { $0.createRuns(task: fixture.task, count: 10) }
        let blocker = try Database(path: fixture.directory.path("runs.db"))
        try blocker.execute("BEGIN IMMEDIATE")
        let error = try await #require(throws: SyncError.self) { try await fixture.engine.sync(.task(fixture.task)) }
        #expect("\(error)".contains("lock"), "\(error)")
        try blocker.execute("ROLLBACK")
        try blocker.close(optimize: false)
        #expect(try await fixture.rows("SELECT count(*) FROM runs") == [[0]])
        _ = try await fixture.pass()
        try await fixture.expectMatchesTruth()
        try await fixture.shutdown()
    }
}
