import ApifySimulator
import RunModel
import RunStore
import RunSync
import SQLiteCore
import Testing

@Suite struct SyncEngineTests {
    @Test func readingAheadUsesThePagesItFetchedAndWastesAWindowAtMost() async throws {
        let fixture = try await SyncFixture()
        fixture.world { $0.createRuns(task: fixture.task, count: 20_000) }
        let engine = fixture.engine(pageSize: 1000, readAhead: ReadAhead(maximumWindow: 4, minimumWindow: 4))
        let report = try await engine.sync(.task(fixture.task))
        #expect(report.inserted == 20_000)
        // 21 pages of 1000 runs, 983 apart, the unfinished-runs query and the head: at most the
        // window (the pages asked for past the end) more.
        let pages = (20_000 - 1000) / 983 + 2
        #expect(report.requests >= pages && report.requests - report.wastedRequests <= pages + 2)
        #expect(report.wastedRequests <= 3, "\(report.wastedRequests) requests unused")
        #expect(report.pagesReadAhead >= pages / 2, "\(report.pagesReadAhead) pages read ahead")
        try await fixture.expectMatchesTruth()
        // Under unstable tie order and short pages, predictions fail and proofs still hold.
        fixture.world { world in
            world.imperfections.unstableTieOrder = true
            world.imperfections.shortPagePercent = 30
            for _ in 0..<300 { world.createRunWithSameStart(task: fixture.task) }
            world.createRuns(task: fixture.task, count: 5000)
        }
        _ = try await engine.sync(.task(fixture.task))
        fixture.world { $0.imperfections = SimulatedImperfections() }
        _ = try await engine.sync(.task(fixture.task))
        try await fixture.expectMatchesTruth()
        try await fixture.shutdown()
    }

    @Test func backfillThenIncrementalThenIdle() async throws {
        let fixture = try await SyncFixture()
        fixture.world { $0.createRuns(task: fixture.task, count: 3500) }
        let (backfill, backfillRequests) = try await fixture.pass()
        #expect(backfill.inserted == 3500)
        #expect(backfill.cursorPath == .fresh)
        // 4 pages (each after the first starts 16 runs before the last page's last run), the
        // unfinished-runs query, and the head of the list (read again: the first page is old by then).
        #expect(backfillRequests == 6)
        #expect(backfill.cursor.nextOffset == 3499, "the last run's offset: its startedAt group starts there")
        try await fixture.expectMatchesTruth()

        fixture.world { $0.createRuns(task: fixture.task, count: 10) }
        let (incremental, incrementalRequests) = try await fixture.pass()
        #expect(incremental.inserted == 10)
        #expect(incrementalRequests == 2)
        #expect(incremental.itemsRead == 31)
        #expect(incremental.cursorPath == .continued)

        let (idle, idleRequests) = try await fixture.pass()
        #expect(idleRequests == 2)
        #expect(idle.itemsRead == 21)
        #expect(idle.inserted == 0 && idle.updated == 0 && idle.changes.isEmpty)
        try await fixture.expectMatchesTruth()
        try await fixture.shutdown()
    }

    @Test func transitionsAcrossPassesAreRecordedAndReportedOnce() async throws {
        let fixture = try await SyncFixture()
        let ids = fixture.world { $0.createRuns(task: fixture.task, count: 3, status: "RUNNING") }
        fixture.world { $0.createRuns(task: fixture.task, count: 30) }
        _ = try await fixture.pass()
        fixture.world { $0.setStatus(run: ids[0], to: "TIMING-OUT") }
        fixture.world { $0.setStatus(run: ids[1], to: "SUCCEEDED") }
        let (second, _) = try await fixture.pass()
        #expect(second.changes.map(\.to).sorted() == ["SUCCEEDED", "TIMING-OUT"])
        #expect(second.events.isEmpty)
        fixture.world { $0.setStatus(run: ids[0], to: "TIMED-OUT") }
        fixture.world { $0.setStatus(run: ids[2], to: "ABORTED") }
        let (third, thirdRequests) = try await fixture.pass()
        #expect(Set(third.events.map(\.kind)) == [.runTimedOut, .runAborted])
        // Overlap read, the unfinished-runs query, and one GET for each run that left it.
        #expect(thirdRequests == 4)
        let (fourth, _) = try await fixture.pass()
        #expect(fourth.events.isEmpty && fourth.changes.isEmpty)
        let history = try await fixture.rows(
            "SELECT from_status, to_status FROM run_status_changes WHERE run_id = ? ORDER BY id",
            [.text(ids[0])]
        )
        #expect(history == [[.null, "RUNNING"], ["RUNNING", "TIMING-OUT"], ["TIMING-OUT", "TIMED-OUT"]])
        try await fixture.expectMatchesTruth()
        try await fixture.shutdown()
    }

    @Test func aResurrectedRunThatFailsAgainIsReportedAgain() async throws {
        let fixture = try await SyncFixture()
        let ids = fixture.world { $0.createRuns(task: fixture.task, count: 50, status: "FAILED") }
        let (backfill, _) = try await fixture.pass()
        #expect(backfill.events.isEmpty, "historical failures are summarised, not reported one by one")
        #expect(backfill.backfillStatusCounts == ["FAILED": 50])
        fixture.world { $0.setStatus(run: ids[0], to: "RUNNING") }
        let (resurrected, _) = try await fixture.pass()
        #expect(resurrected.changes.map { [$0.from, $0.to] } == [["FAILED", "RUNNING"]])
        fixture.world { $0.setStatus(run: ids[0], to: "FAILED") }
        let (failed, _) = try await fixture.pass()
        #expect(failed.events.map(\.kind) == [.runFailed])
        #expect(failed.events.first?.change.runId == ids[0])
        #expect(failed.events.first?.consoleURL == "https://console.apify.com/view/runs/\(ids[0])")
        try await fixture.expectMatchesTruth()
        try await fixture.shutdown()
    }

    @Test func aNewRunThatFailedIsReportedAfterTheBackfill() async throws {
        let fixture = try await SyncFixture()
        fixture.world { $0.createRuns(task: fixture.task, count: 5) }
        _ = try await fixture.pass()
        fixture.world { $0.createRuns(task: fixture.task, count: 1, status: "FAILED") }
        let (report, _) = try await fixture.pass()
        #expect(report.events.map(\.kind) == [.runFailed])
        #expect(report.events.first?.change.from == nil)
        try await fixture.shutdown()
    }

    @Test(arguments: [5, 19, 20, 50, 999, 1500])
    func deletionsFromTheHeadSkipNothing(deleted: Int) async throws {
        let fixture = try await SyncFixture()
        fixture.world { $0.createRuns(task: fixture.task, count: 2000) }
        _ = try await fixture.pass()
        fixture.world { world in
            world.deleteOldest(task: fixture.task, count: deleted)
            world.createRuns(task: fixture.task, count: 1200)
        }
        let (report, requests) = try await fixture.pass()
        #expect(report.inserted == 1200)
        #expect(report.shift == deleted)
        #expect(report.cursorPath == (deleted < 20 ? .realigned : .located))
        #expect(requests < 30, "relocating costs O(log shift) requests, not a rescan")
        #expect(report.markedDeleted == deleted, "retention deletions are marked")
        try await fixture.expectMatchesTruth()
        // Retention tends to go on: the head is read once more after a pass that found deletions.
        let (idle, idleRequests) = try await fixture.pass()
        #expect(idle.cursorPath == .continued && idleRequests == 3)
        let (_, quietRequests) = try await fixture.pass()
        #expect(quietRequests == 2)
        try await fixture.shutdown()
    }

    @Test func theAnchorItselfDeletedThenNewRunsAllArrive() async throws {
        let fixture = try await SyncFixture()
        fixture.world { $0.createRuns(task: fixture.task, count: 40) }
        _ = try await fixture.pass()
        fixture.world { world in
            world.deleteOldest(task: fixture.task, count: 40)
            world.createRuns(task: fixture.task, count: 7)
        }
        let (report, _) = try await fixture.pass()
        #expect(report.inserted == 7)
        #expect(report.markedDeleted == 40)
        try await fixture.expectMatchesTruth()
        let deleted = try await fixture.rows("SELECT count(*) FROM runs WHERE deleted_at IS NOT NULL")
        #expect(deleted == [[40]])
        try await fixture.shutdown()
    }

    @Test func everyRunDeletedThenNewOnes() async throws {
        let fixture = try await SyncFixture()
        fixture.world { $0.createRuns(task: fixture.task, count: 10) }
        _ = try await fixture.pass()
        fixture.world { _ = $0.deleteOldest(task: fixture.task, count: 10) }
        _ = try await fixture.pass()
        fixture.world { $0.createRuns(task: fixture.task, count: 3) }
        let (report, _) = try await fixture.pass()
        #expect(report.inserted == 3)
        try await fixture.expectMatchesTruth()
        try await fixture.shutdown()
    }

    @Test func equalStartTimesAndLateInsertsAreNotSkipped() async throws {
        let fixture = try await SyncFixture()
        fixture.world { $0.createRuns(task: fixture.task, count: 1000) }
        let tie = fixture.world { $0.createRunWithSameStart(task: fixture.task) }
        _ = try await fixture.pass()
        let (late, tie2) = fixture.world { world in
            (world.insertRun(task: fixture.task, positionFromEnd: 5), world.createRunWithSameStart(task: fixture.task))
        }
        let (report, _) = try await fixture.pass()
        #expect(Set(report.changes.map(\.runId)) == [late, tie2])
        #expect(try await fixture.rows("SELECT count(*) FROM runs WHERE id = ?", [.text(tie)]) == [[1]])
        try await fixture.expectMatchesTruth()
        try await fixture.shutdown()
    }

    @Test func aStuckRunningRunKeepsIdlePassesCheap() async throws {
        let fixture = try await SyncFixture()
        fixture.world { world in
            world.createRuns(task: fixture.task, count: 1, status: "RUNNING")
            world.createRuns(task: fixture.task, count: 5000)
        }
        _ = try await fixture.pass()
        let (idle, requests) = try await fixture.pass()
        #expect(requests == 2)
        // The overlap (20 runs and the last one, where the cursor points) and the stuck run.
        #expect(idle.itemsRead == 22)
        try await fixture.shutdown()
    }

    @Test func runsStartedAfterTheEarlyUnfinishedPageAreNotRefreshedOneByOne() async throws {
        let fixture = try await SyncFixture()
        fixture.world { $0.createRuns(task: fixture.task, count: 30) }
        _ = try await fixture.pass()
        // The forward read waits until the unfinished-runs page, sent beside it, was answered; five
        // runs start in between: the forward read stores them, the early page cannot hold them.
        let forward = fixture.transport.hold(from: 1) { path, query in
            path.hasSuffix("/runs") && query["status"] == nil
        }
        let before = fixture.world { world in
            world.recordsRequests = true
            return world.requestCount
        }
        let pass = Task { try await fixture.engine.sync(.task(fixture.task)) }
        let deadline = ContinuousClock.now + .seconds(300)
        while fixture.world({ $0.requestCount }) == before, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        let started = fixture.world { $0.createRuns(task: fixture.task, count: 5, status: "RUNNING") }
        forward.open()
        let report = try await pass.value
        #expect(report.inserted == 5)
        // The page is asked for again after them, and lists them: no GET per run.
        let log = fixture.world { $0.requestLog }
        #expect(!log.contains { $0.hasPrefix("/v2/actor-runs/") }, "\(log)")
        #expect(report.requests == 3 && report.wastedRequests == 1, "\(log)")
        #expect(try await fixture.store.unfinishedRuns(of: .task(fixture.task)).map(\.id).sorted() == started.sorted())
        // Runs that started before the pass are on the early page: it is used.
        fixture.world { $0.createRuns(task: fixture.task, count: 2, status: "RUNNING") }
        let (listed, requests) = try await fixture.pass()
        #expect(listed.inserted == 2 && requests == 2 && listed.wastedRequests == 0)
        try await fixture.expectMatchesTruth()
        try await fixture.shutdown()
    }

    @Test func anUnfinishedRunDeletedUpstreamIsMarkedAndNoLongerTracked() async throws {
        let fixture = try await SyncFixture()
        let ids = fixture.world { $0.createRuns(task: fixture.task, count: 2, status: "RUNNING") }
        fixture.world { $0.createRuns(task: fixture.task, count: 30) }
        _ = try await fixture.pass()
        fixture.world { $0.delete(run: ids[1]) }
        let (report, requests) = try await fixture.pass()
        #expect(report.markedDeleted == 1)
        // The overlap read, the unfinished-runs query, and the GET that answers 404, asked twice before
        // the run is marked (the counts then agree: no head probe).
        #expect(requests == 4)
        let (_, after) = try await fixture.pass()
        #expect(after == 2)
        #expect(
            try await fixture.rows("SELECT status, deleted_at IS NOT NULL FROM runs WHERE id = ?", [.text(ids[1])]) == [
                ["RUNNING", 1]
            ]
        )
        try await fixture.shutdown()
    }

    @Test func aTaskErrorNamesTheTaskAndKeepsWhatWasStored() async throws {
        let fixture = try await SyncFixture(maxRetries: 1)
        fixture.world { $0.createRuns(task: fixture.task, count: 2500) }
        // The first page succeeds, the second one fails twice (one retry): the pass fails.
        fixture.world { world in
            world.inject(.delay(.zero), for: .runList)
            world.inject(.status(500), for: .runList, times: 2)
        }
        let error = try await #require(throws: SyncError.self) { try await fixture.engine.sync(.task(fixture.task)) }
        #expect(error.source == .task(fixture.task))
        #expect("\(error)".contains(fixture.task))
        #expect(try await fixture.rows("SELECT count(*) FROM runs") == [[1000]])
        // The cursor points at the first page's last run, whose startedAt group the next read re-reads.
        #expect(try await fixture.store.cursor(for: .task(fixture.task)).nextOffset == 999)
        let failures = try await fixture.rows("SELECT consecutive_failures, last_error IS NOT NULL FROM sync_state")
        #expect(failures == [[1, 1]])
        let (report, _) = try await fixture.pass()
        #expect(report.inserted == 1500)
        try await fixture.expectMatchesTruth()
        #expect(try await fixture.rows("SELECT consecutive_failures, last_error FROM sync_state") == [[0, .null]])
        try await fixture.shutdown()
    }

    @Test func aPassWhoseBatchWasLostWithAnotherTasksFailureStopsBeforeItsCursorCanSkipRuns() async throws {
        let fixture = try await SyncFixture()
        fixture.world { $0.createRuns(task: fixture.task, count: 30) }
        let engine = fixture.engine(pageSize: 10)
        // The first page comes at once; the second one waits until another task has failed (the
        // unfinished-runs query, sent beside the first, is not held).
        let secondPage = fixture.transport.hold(from: 2) { path, query in
            path.hasSuffix("/runs") && query["status"] == nil
        }
        try await fixture.store.perform { db in
            try db.execute(
                "CREATE TEMP TRIGGER boom BEFORE INSERT ON runs WHEN NEW.id = 'boom' BEGIN SELECT RAISE(ABORT, 'boom'); END"
            )
        }
        let pass = Task { try await engine.sync(.task(fixture.task)) }
        // The first page is in the open shared transaction (the store's own connection sees it) …
        // (However long a loaded machine takes: without the page there, the loss below would miss it.)
        let deadline = ContinuousClock.now + .seconds(300)
        while try await fixture.rows("SELECT count(*) FROM runs") != [[10]], ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        try #require(try await fixture.rows("SELECT count(*) FROM runs") == [[10]], "the first page never came")
        // … when another task's batch fails and takes the transaction with it.
        let failing = RunBatch(
            source: .task("other"),
            runs: [RunRecord(id: "boom", status: "SUCCEEDED", rawJSON: ArraySlice(#"{"id":"boom"}"#.utf8))],
            observedAt: "T"
        )
        await #expect(throws: SQLiteError.self) { try await fixture.store.apply(failing) }
        secondPage.open()
        await #expect(throws: SyncError.self) { try await pass.value }
        // Nothing the pass wrote after the loss was kept: no cursor past runs that are not stored.
        let stored = try await fixture.rows("SELECT count(*) FROM runs")
        #expect(stored == [[0]])
        #expect(try await fixture.store.cursor(for: .task(fixture.task)) == .start)
        try await fixture.store.perform { try $0.execute("DROP TRIGGER boom") }
        _ = try await engine.sync(.task(fixture.task))
        try await fixture.expectMatchesTruth()
        try await fixture.shutdown()
    }

    @Test func afterAFailedWriteTheBatchQueuedBehindItIsNotWritten() async throws {
        let fixture = try await SyncFixture()
        fixture.world { $0.createRuns(task: fixture.task, count: 30) }
        let engine = fixture.engine(pageSize: 10)
        // The first page's batch fails, slowly enough for the next pages to be fetched, planned and
        // queued behind it in the meantime; written, their batch would store a cursor past the first
        // page's runs.
        let firstPage = fixture.world { world in world.tasks[fixture.task]!.runs.prefix(5).map { "'\($0.id)'" } }
        try await fixture.store.perform { db in
            try db.execute(
                """
                CREATE TEMP TRIGGER slow_failure BEFORE INSERT ON runs
                WHEN NEW.id IN (\(firstPage.joined(separator: ",")))
                BEGIN
                    SELECT RAISE(ABORT, 'boom') WHERE (
                        WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 2000000)
                        SELECT count(*) FROM c
                    ) > 0;
                END
                """
            )
        }
        await #expect(throws: SyncError.self) { try await engine.sync(.task(fixture.task)) }
        #expect(try await fixture.rows("SELECT count(*) FROM runs") == [[0]])
        #expect(try await fixture.store.cursor(for: .task(fixture.task)) == .start)
        try await fixture.store.perform { try $0.execute("DROP TRIGGER slow_failure") }
        _ = try await engine.sync(.task(fixture.task))
        try await fixture.expectMatchesTruth()
        try await fixture.shutdown()
    }
}
