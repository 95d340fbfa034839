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

/// Sources (issue 13): the account's tasks discovered, an Actor's runs, the account's whole list, all
/// at once, against a simulated account; every run stored once and each status change once.
@Suite(.serialized) struct RunSourcesTests {
    let directory: TemporaryDirectory
    let transport = InProcessTransport(token: "apify_api_SOURCEStest000000000000", seed: 13)
    let log = CapturedLog()
    let store: RunStore
    let runner: SourcePassRunner
    /// Tasks t1, t2 of Actor A; t3 of Actor B; Actors A and C are also run directly.
    let actorA: String
    let actorC: String
    let tasks: [String]

    init() throws {
        directory = try TemporaryDirectory()
        store = try RunStore.open(path: directory.path("runs.db"), transactionMaximumAge: .seconds(3600))
        let client = ApifyClient.inProcess(transport)
        let logger = log.logger()
        runner = SourcePassRunner(
            // One page at a time: in-process, the measured latency is only the machine's load.
            engine: SyncEngine(client: client, store: store, logger: logger, readAhead: .none),
            reporter: PassReporter(logger: logger),
            directory: SourceDirectory(client: client, store: store, logger: logger)
        )
        (actorA, actorC, tasks) = transport.withWorld { world in
            world.runSpacingMs = 7
            let a = world.addActor(name: "crawler")
            let b = world.addActor(name: "monitor")
            let c = world.addActor(name: "one-off")
            let tasks = [
                world.addTask(name: "news", actId: a), world.addTask(name: "shop", actId: a),
                world.addTask(name: "jobs", actId: b),
            ]
            Self.addHistory(to: &world, rounds: 300, tasks: tasks, actors: [a, c])
            for task in tasks { world.createRuns(task: task, count: 2, status: "RUNNING") }
            world.createActorRuns(actor: c, count: 1, status: "RUNNING")
            return (a, c, tasks)
        }
    }

    /// `rounds` rounds of 17 finished runs: 4 per task, 3 of Actor A and 2 of Actor C started
    /// directly, interleaved so that every list mixes runs of several owners; one in 50 failed.
    static func addHistory(to world: inout SimulatedWorld, rounds: Int, tasks: [String], actors: [String]) {
        for round in 0..<rounds {
            for task in tasks {
                world.createRuns(task: task, count: 4, status: round % 50 == 49 ? "FAILED" : "SUCCEEDED")
            }
            world.createActorRuns(actor: actors[0], count: 3)
            world.createActorRuns(actor: actors[1], count: 2)
        }
    }

    /// Every run the account lists, with its status.
    private func truth() -> [String: String] {
        transport.withWorld { world in
            var all: [String: String] = [:]
            for task in world.tasks.values { for run in task.runs { all[run.id] = run.status } }
            for task in world.removedTasks.values { for run in task.runs { all[run.id] = run.status } }
            for actor in world.actors.values { for run in actor.runs { all[run.id] = run.status } }
            return all
        }
    }

    private func rows(_ sql: String) async throws -> [[SQLiteValue]] {
        try await store.perform { try $0.rows(sql) }
    }

    /// The outbox's `run_failed` events: run, task and Actor.
    private func failureEvents() async throws -> [(runId: String, taskId: String?, actorId: String?)] {
        try await store.flush()
        return try await rows("SELECT run_id, task_id, actor_id FROM events WHERE event = 'run_failed' ORDER BY id").map
        {
            ($0[0].text ?? "", $0[1].text, $0[2].text)
        }
    }

    private func expectStoredAsTruth(_ context: String, sourceLocation: SourceLocation = #_sourceLocation) async throws
    {
        try await store.flush()
        let stored = try await rows("SELECT id, status FROM runs")
        let byId = Dictionary(uniqueKeysWithValues: stored.map { ($0[0].text!, $0[1].text!) })
        #expect(byId == truth(), "\(context)", sourceLocation: sourceLocation)
        // One change row per status a run was seen in: no source records a change twice.
        let changes = try await rows("SELECT count(*) FROM run_status_changes")
        let distinct = try await rows(
            "SELECT count(*) FROM (SELECT DISTINCT run_id, to_status, from_status FROM run_status_changes)"
        )
        #expect(changes == distinct, "\(context): a change recorded twice", sourceLocation: sourceLocation)
        #expect(try DatabaseInvariants.violations(in: store.path).isEmpty, "\(context)", sourceLocation: sourceLocation)
    }

    /// One pass over every source `once` would read: the configured ones and the discovered tasks.
    private func passOverAll(_ configured: [RunSource], allTasks: Bool) async throws -> [SyncError] {
        var references = configured
        if allTasks { references += try await runner.directory.discoverTasks(besides: configured).map(RunSource.task) }
        return await runner.passOverAll(references, concurrency: 4)
    }

    @Test func allTasksAnActorAndTheAccountStoreEveryRunOnceAndEachChangeOnce() async throws {
        // 50,000 runs in all, the figure of the issue that asked for sources.
        transport.withWorld { world in
            Self.addHistory(to: &world, rounds: 2642, tasks: tasks, actors: [actorA, actorC])
        }
        #expect(truth().count >= 50_000)
        let configured: [RunSource] = [.actor("janedoe~crawler"), .account]
        #expect(try await passOverAll(configured, allTasks: true).isEmpty)
        try await expectStoredAsTruth("after the first pass")
        #expect(log.events("task_discovered").count == 3)
        #expect(log.events("actor_resolved").count == 1)
        #expect(try await failureEvents().isEmpty, "the backfill's old failures are summed up, not alerted")

        // Runs finish, fail and start; a task is added upstream.
        let (failed, newTask) = transport.withWorld { world -> ([String], String) in
            var failed: [String] = []
            for task in tasks {
                let running = world.tasks[task]!.runs.filter { $0.status == "RUNNING" }.map(\.id)
                world.setStatus(run: running[0], to: "FAILED")
                world.setStatus(run: running[1], to: "SUCCEEDED")
                failed.append(running[0])
                world.createRuns(task: task, count: 5)
            }
            let direct = world.actors[actorC]!.runs.filter { $0.status == "RUNNING" }.map(\.id)
            world.setStatus(run: direct[0], to: "FAILED")
            failed.append(direct[0])
            world.createActorRuns(actor: actorA, count: 4)
            let added = world.addTask(name: "fresh", actId: actorC)
            world.createRuns(task: added, count: 30)
            return (failed, added)
        }
        #expect(try await passOverAll(configured, allTasks: true).isEmpty)
        try await expectStoredAsTruth("after the second pass")
        #expect(log.events("task_discovered").map { $0.metadata["task"] } == tasks.map { $0 } + [newTask])
        let alerted = try await failureEvents()
        #expect(alerted.map(\.runId).sorted() == failed.sorted(), "each new failure one event, whichever source saw it")
        let direct = try #require(alerted.first { $0.runId == failed.last })
        #expect(direct.taskId == "" && direct.actorId == actorC)

        // An idle pass: at most two requests per source.
        _ = try await passOverAll(configured, allTasks: true)
        let sources = try await store.sourceStatuses().map(\.source)
        #expect(sources.count == 4 + 1 + 1)
        for source in sources {
            let before = transport.withWorld { $0.requestCount }
            let report = try await runner.engine.sync(source)
            let requests = transport.withWorld { $0.requestCount } - before
            #expect(requests <= 2 && report.requests == requests, "\(source): \(requests) requests")
        }
        try await store.close()
    }

    @Test func switchingFromTasksToAllTasksOrTheAccountLosesAndDuplicatesNothing() async throws {
        #expect(try await passOverAll([.task(tasks[0]), .task("janedoe~shop")], allTasks: false).isEmpty)
        let afterTasks = try await rows("SELECT count(*) FROM runs")
        #expect(afterTasks == [[.integer(Int64(2 * (300 * 4 + 2)))]])

        #expect(try await passOverAll([.account], allTasks: false).isEmpty)
        try await expectStoredAsTruth("after switching to the account")
        let changes = try await rows("SELECT count(*) FROM run_status_changes")
        #expect(changes == [[.integer(Int64(truth().count))]], "one first sighting per run, none twice")
        #expect(try await failureEvents().isEmpty)

        #expect(try await passOverAll([], allTasks: true).isEmpty)
        try await expectStoredAsTruth("after switching to all tasks")
        #expect(try await rows("SELECT count(*) FROM run_status_changes") == changes)
        #expect(log.events("task_discovered").count == 1, "only the task no configuration had listed")
        try await store.close()
    }

    @Test func aTaskGoneUpstreamIsNoLongerPolledAndKeepsItsRuns() async throws {
        #expect(try await passOverAll([], allTasks: true).isEmpty)
        transport.withWorld { $0.removeTask(tasks[2]) }
        let discovered = try await runner.directory.discoverTasks(besides: [])
        #expect(discovered == [tasks[0], tasks[1]])
        _ = try await runner.directory.discoverTasks(besides: [])
        #expect(log.events("task_gone").map { $0.metadata["task"] } == [tasks[2]], "logged once")
        let gone = try await store.sourceStatuses().first { $0.source == .task(tasks[2]) }
        #expect(gone?.removedAt != nil && gone?.runsStored == 300 * 4 + 2)
        // Back upstream (restored): discovered again, once.
        transport.withWorld { world in
            world.tasks[tasks[2]] = world.removedTasks.removeValue(forKey: tasks[2])
        }
        #expect(try await runner.directory.discoverTasks(besides: []).count == 3)
        #expect(log.events("task_discovered").filter { $0.metadata["task"] == tasks[2] }.count == 2)
        #expect(try await store.sourceStatuses().first { $0.source == .task(tasks[2]) }?.removedAt == nil)
        try await store.close()
    }

    @Test func aConfiguredTaskThatDiscoveryAlsoFindsIsPolledOnce() async throws {
        let discovered = try await runner.directory.discoverTasks(besides: [.task("janedoe~news"), .task(tasks[1])])
        #expect(discovered == [tasks[2]])
    }

    @Test func namesAreLookedUpOnceADayAndShownByTheViews() async throws {
        #expect(try await passOverAll([.account], allTasks: false).isEmpty)
        let before = transport.withWorld { $0.requestCount }
        // Actors A, B, C and the three tasks; Actor B's name is unknown to the API from now on.
        let actorB = transport.withWorld { world in world.tasks[tasks[2]]!.actId }
        transport.withWorld { world in _ = world.actors.removeValue(forKey: actorB) }
        #expect(try await runner.directory.refreshNames() == 6)
        #expect(transport.withWorld { $0.requestCount } - before == 6)
        #expect(try await runner.directory.refreshNames() == 0, "fresh for a day")
        try await store.flush()
        let latest = try await rows(
            "SELECT task_name, actor_name FROM latest_runs WHERE task_id = '\(tasks[0])' OR actor_id = '\(actorC)'"
        )
        #expect(Set(latest) == [["janedoe~news", "janedoe~crawler"], [.null, "janedoe~one-off"]])
        #expect(
            try await rows("SELECT DISTINCT actor_name FROM daily_run_counts WHERE actor_id = '\(actorB)'") == [[.null]]
        )
        try await store.close()
    }

    @Test func anActorIsReadFromItsWatermarkSoRetentionDoesNotMoveItsCursor() async throws {
        let engine = runner.engine
        let first = try await engine.sync(.actor(actorC))
        #expect(first.inserted == 300 * 2 + 1)
        transport.withWorld { world in
            world.recordsRequests = true
            world.deleteOldest(actor: actorC, count: 250)
            world.createActorRuns(actor: actorC, count: 10)
        }
        let second = try await engine.sync(.actor(actorC))
        #expect(second.inserted == 10)
        #expect(second.cursorPath == .continued, "no offset to relocate: \(second.cursorPath)")
        let log = transport.withWorld { $0.requestLog }
        // The forward read (the unfinished-runs query, filtered by status, goes out beside it).
        #expect(log.first { !$0.contains("status=") }?.contains("startedAfter=") == true, "\(log)")
        #expect(second.requests == 2, "the read from the watermark and the unfinished runs: \(log)")
        // Retention is found by the periodic head check, within ten passes.
        var marked = second.markedDeleted
        for _ in 0..<10 where marked < 250 { marked += try await engine.sync(.actor(actorC)).markedDeleted }
        #expect(marked == 250)
        try await store.flush()
        #expect(
            try await store.liveCount(of: .actor(actorC)).liveRuns
                == transport.withWorld { $0.actors[actorC]!.runs.count }
        )
        #expect(try DatabaseInvariants.violations(in: store.path).isEmpty)
        try await store.close()
    }

    @Test func anAccountWhoseListIgnoresStartedAfterIsReadByOffsetInstead() async throws {
        let engine = runner.engine
        _ = try await engine.sync(.account)
        transport.withWorld { world in
            world.imperfections.ignoresStartedFilter = true
            world.createActorRuns(actor: actorA, count: 5)
        }
        let second = try await engine.sync(.account)
        #expect(second.inserted == 5)
        let third = try await engine.sync(.account)
        #expect(third.inserted == 0 && third.requests <= 3, "by offset from then on: \(third.requests) requests")
        #expect(log.events("started_after_ignored").count == 1)
        try await expectStoredAsTruth("after the fallback")
        try await store.close()
    }
}
