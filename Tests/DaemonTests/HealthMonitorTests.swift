import ApifyAPI
import ApifySimulator
import Daemon
import Foundation
import Logging
import RunModel
import RunStore
import RunSync
import SQLiteCore
import TestSupport
import Testing

/// Health checks (issue 14): each problem is one event when it starts and one when it ends, and
/// `empty_result` one event per run, against the simulator with the checks' clock moved by hand.
@Suite(.serialized) struct HealthMonitorTests {
    let directory: TemporaryDirectory
    let transport = InProcessTransport(token: "apify_api_HEALTHtest0000000000000", seed: 34)
    let log = CapturedLog()
    let store: RunStore
    let engine: SyncEngine
    let client: ApifyClient
    let sources: SourceDirectory
    let alerts: AlertDispatcher
    /// The checks' clock, kept at the simulated world's time.
    let clock: ManualDate
    /// Task "news" (checked) and task "free" (no check of its own) of one Actor.
    let news: String
    let free: String

    init() throws {
        directory = try TemporaryDirectory()
        store = try RunStore.open(path: directory.path("runs.db"))
        client = ApifyClient.inProcess(transport)
        engine = SyncEngine(client: client, store: store, logger: log.logger(), readAhead: .none)
        sources = SourceDirectory(client: client, store: store, logger: log.logger())
        (news, free) = transport.withWorld { world in
            world.runSpacingMs = 1000
            let actor = world.addActor(name: "crawler")
            let tasks = (world.addTask(name: "news", actId: actor), world.addTask(name: "free", actId: actor))
            world.createRuns(task: tasks.0, count: 3)
            world.createRuns(task: tasks.1, count: 3)
            return tasks
        }
        clock = ManualDate(Date(timeIntervalSince1970: Double(transport.withWorld { $0.nowMs }) / 1000))
        let clock = self.clock
        alerts = AlertDispatcher(store: store, sinks: [], client: client, logger: log.logger(), now: { clock.now })
    }

    /// Checks `entry`, with task "free" polled beside it (without checks of its own).
    private func monitor(_ entry: Configuration.SourceEntry) -> HealthMonitor {
        var configuration = Configuration(
            path: "test.json",
            database: store.path,
            tasks: [entry, Configuration.SourceEntry(id: free)]
        )
        configuration.alerts.runStuckGraceSeconds = 600
        let clock = self.clock
        return HealthMonitor(
            configuration: configuration,
            store: store,
            client: client,
            directory: sources,
            alerts: alerts,
            logger: log.logger(),
            now: { clock.now }
        )
    }

    /// Moves the world's clock and the checks' together.
    private func advance(_ seconds: Double) {
        transport.withWorld { $0.nowMs += Int64(seconds * 1000) }
        clock.advance(by: seconds)
    }

    private func passes() async throws {
        for task in [news, free] { _ = try await engine.sync(.task(task)) }
        try await store.flush()
    }

    private func events() async throws -> [String] {
        try await store.perform { db in
            try db.rows("SELECT event, coalesce(run_id, source_id) FROM events ORDER BY id").map {
                "\($0[0].text ?? "") \($0[1].text ?? "")"
            }
        }
    }

    @Test func aRunPastItsLimitIsStuckOnceAndRecoversOnce() async throws {
        var entry = Configuration.SourceEntry(id: "janedoe~news")
        entry.maxRunSeconds = 600
        let health = monitor(entry)
        let (slow, other) = transport.withWorld { world in
            (
                world.createRuns(task: news, count: 1, status: "RUNNING")[0],
                world.createRuns(task: free, count: 1, status: "RUNNING")[0]
            )
        }
        try await passes()
        advance(500)
        await health.check()
        #expect(try await events().isEmpty)
        advance(200)
        await health.check()
        await health.check()
        #expect(try await events() == ["run_stuck \(slow)"])
        // The other task's run has no limit of its own: its details were read for its timeout
        // (the simulator's 3,600 s), and it is stuck only past that and the grace.
        let timeout = try await store.perform {
            try $0.scalar(
                "SELECT json_extract(run_details, '$.options.timeoutSecs') FROM runs WHERE id = ?",
                [.text(other)]
            )
        }
        #expect(timeout == 3600)
        // Past 3,600 + 600 s for the other run, which started two seconds after the clock was set.
        advance(3600 + 600 - 700 + 10)
        await health.check()
        #expect(try await events() == ["run_stuck \(slow)", "run_stuck \(other)"])
        #expect(try await store.openProblems().map(\.finding.runId) == [slow, other])

        transport.withWorld { $0.setStatus(run: slow, to: "SUCCEEDED") }
        try await passes()
        await health.check()
        await health.check()
        #expect(try await events() == ["run_stuck \(slow)", "run_stuck \(other)", "run_stuck_recovered \(slow)"])
        #expect(try await store.openProblems().map(\.finding.runId) == [other])

        // A task taken out of the configuration is not refreshed any more: its runs are not judged,
        // and its open problem is closed without a recovery event (no longer checked).
        let narrowed = HealthMonitor(
            configuration: Configuration(path: "test.json", database: store.path, tasks: [entry]),
            store: store,
            client: client,
            directory: sources,
            alerts: alerts,
            logger: log.logger(),
            now: { [clock] in clock.now }
        )
        await narrowed.check()
        await narrowed.check()
        #expect(try await events().count == 3)
        #expect(try await store.openProblems().isEmpty)
        try await store.close()
    }

    @Test func aNameThatNeverResolvesDoesNotStopTheOtherChecks() async throws {
        var entry = Configuration.SourceEntry(id: "janedoe~news")
        entry.maxRunSeconds = 600
        let clock = self.clock
        let health = HealthMonitor(
            configuration: Configuration(
                path: "test.json",
                database: store.path,
                tasks: [entry, Configuration.SourceEntry(id: "janedoe~deleted-long-ago")]
            ),
            store: store,
            client: client,
            directory: sources,
            alerts: alerts,
            logger: log.logger(),
            now: { clock.now }
        )
        let slow = transport.withWorld { $0.createRuns(task: news, count: 1, status: "RUNNING")[0] }
        try await passes()
        advance(700)
        await health.check()
        await health.check()
        #expect(try await events() == ["run_stuck \(slow)"])
        // Finished: recovered, although the other name still does not resolve.
        transport.withWorld { $0.setStatus(run: slow, to: "FAILED") }
        try await passes()
        await health.check()
        #expect(
            try await events().filter { $0.hasPrefix("run_stuck") } == [
                "run_stuck \(slow)", "run_stuck_recovered \(slow)",
            ]
        )
        try await store.close()
    }

    @Test func aTaskWithoutNewRunsIsSilentOnceAndRecoversOnce() async throws {
        var entry = Configuration.SourceEntry(id: news)
        entry.expectEverySeconds = 3600
        let health = monitor(entry)
        try await passes()
        advance(1800)
        await health.check()
        advance(1801)
        await health.check()
        await health.check()
        #expect(try await events() == ["task_silent \(news)"])
        let silent = try #require(try await store.openProblems().first)
        #expect(silent.kind == .taskSilent && silent.finding.detail.hasPrefix("no new run for 36"))
        #expect(silent.finding.detail.hasSuffix("(expected one every 3600 s)"))

        transport.withWorld { _ = $0.createRuns(task: news, count: 1) }
        try await passes()
        await health.check()
        await health.check()
        #expect(try await events() == ["task_silent \(news)", "task_silent_recovered \(news)"])
        #expect(try await store.openProblems().isEmpty)
        try await store.close()
    }

    @Test func aSucceededRunWithTooFewItemsIsAnEmptyResultOnce() async throws {
        var entry = Configuration.SourceEntry(id: news)
        entry.minItems = 5
        let health = monitor(entry)
        try await passes()
        // Watching starts now: the history (finished up to now) is not checked.
        advance(3600)
        await health.check()
        let (empty, full) = transport.withWorld { world in
            let runs = world.createRuns(task: news, count: 2, status: "RUNNING")
            world.setStatus(run: runs[0], to: "SUCCEEDED")
            world.setStatus(run: runs[1], to: "SUCCEEDED")
            world.setItemCount(run: runs[0], to: 2)
            world.setItemCount(run: runs[1], to: 12)
            return (runs[0], runs[1])
        }
        advance(10)
        try await passes()
        await health.check()
        await health.check()
        #expect(try await events() == ["empty_result \(empty)"])
        let counts = try await store.perform {
            try $0.rows(
                "SELECT id, dataset_item_count FROM runs WHERE dataset_item_count IS NOT NULL ORDER BY dataset_item_count"
            )
        }
        #expect(counts == [[.text(empty), 2], [.text(full), 12]])
        let detail = try await store.perform {
            try $0.scalar("SELECT message FROM events WHERE event = 'empty_result'")
        }
        #expect(detail == "the default dataset holds 2 item(s), fewer than minItems 5")
        try await store.close()
    }

    @Test func tooManyFailuresOpenAProblemUntilTheRateFalls() async throws {
        var entry = Configuration.SourceEntry(id: news)
        entry.failureRate = FailureRateRule(threshold: 0.5, windowSeconds: 3600, minRuns: 3)
        let health = monitor(entry)
        advance(7200)
        transport.withWorld { world in
            world.createRuns(task: news, count: 1)
            world.createRuns(task: news, count: 2, status: "FAILED")
        }
        try await passes()
        await health.check()
        await health.check()
        #expect(try await events().filter { $0.hasPrefix("failure_rate") } == ["failure_rate \(news)"])
        transport.withWorld { _ = $0.createRuns(task: news, count: 2) }
        try await passes()
        await health.check()
        #expect(
            try await events().filter { $0.hasPrefix("failure_rate") } == [
                "failure_rate \(news)", "failure_rate_recovered \(news)",
            ]
        )
        try await store.close()
    }
}
