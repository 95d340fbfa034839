import ApifyAPI
import ApifySimulator
import AsyncHTTPClient
import Daemon
import Foundation
import Logging
import RunModel
import RunStore
import RunSync
import SQLiteCore
import Synchronization
import TestSupport
import Testing

/// Alerts (issue 14): the outbox delivered to the journal, commands and webhooks; at least once per
/// sink, in order per task, retried and given up as configured, never in a pass's way.
@Suite(.serialized) struct AlertDispatcherTests {
    let directory: TemporaryDirectory
    let transport = InProcessTransport(token: "apify_api_ALERTStest0000000000000", seed: 21)
    let log = CapturedLog()
    let store: RunStore
    let engine: SyncEngine
    let client: ApifyClient
    /// Tasks "news" and "shop", each with a history (one old failure) and two runs in progress.
    let tasks: [String]
    /// Starts at the real time, which the engine stamps events with.
    let clock = ManualDate(Date())

    init() throws {
        directory = try TemporaryDirectory()
        store = try RunStore.open(path: directory.path("runs.db"))
        client = ApifyClient.inProcess(transport)
        engine = SyncEngine(client: client, store: store, logger: log.logger(), readAhead: .none)
        tasks = transport.withWorld { world in
            let tasks = [world.addTask(name: "news"), world.addTask(name: "shop")]
            for task in tasks {
                world.createRuns(task: task, count: 5)
                world.createRuns(task: task, count: 1, status: "FAILED")
                world.createRuns(task: task, count: 2, status: "RUNNING")
            }
            return tasks
        }
    }

    private func dispatcher(_ sinks: [any AlertSink]) -> AlertDispatcher {
        let clock = self.clock
        return AlertDispatcher(
            store: store,
            sinks: [JournalSink(logger: log.logger())] + sinks,
            client: client,
            logger: log.logger(),
            now: { clock.now }
        )
    }

    private func passes() async throws {
        for task in tasks { _ = try await engine.sync(.task(task)) }
        try await store.flush()
    }

    /// Fails the first run in progress of each task (or of `only`); returns their IDs.
    @discardableResult
    private func fail(_ status: String = "FAILED", only: String? = nil) -> [String] {
        transport.withWorld { world in
            (only.map { [$0] } ?? tasks).map { task in
                let run = world.tasks[task]!.runs.first { $0.status == "RUNNING" }!.id
                world.setStatus(run: run, to: status)
                return run
            }
        }
    }

    private func rows(_ sql: String) async throws -> [[SQLiteValue]] {
        try await store.perform { try $0.rows(sql) }
    }

    /// A command that appends its payload, one line, to `payloads`, and its environment to `env`.
    private func recorder(
        _ name: String = "recorder",
        exitFirst failures: Int = 0,
        maxAttempts: Int = 5,
        events: Set<EventKind>? = nil,
        tasks: Set<String>? = nil
    ) -> (sink: ExecSink, payloads: String, env: String) {
        let payloads = directory.path("\(name).payloads")
        let env = directory.path("\(name).env")
        let counter = directory.path("\(name).count")
        // Fails its first `failures` calls (counted in a file), then records.
        let script = """
            n=$(cat "$3" 2>/dev/null || echo 0); echo $((n + 1)) > "$3"
            if [ "$n" -lt \(failures) ]; then echo "not yet ($n)" >&2; exit 3; fi
            cat >> "$1"; echo >> "$1"
            echo "$APIFY_EVENT|$APIFY_RUN_ID|$APIFY_TASK|$APIFY_STATUS|$APIFY_CONSOLE_URL|${APIFY_TOKEN:-no token}" >> "$2"
            """
        let configuration = AlertSinkConfiguration(
            name: name,
            kind: .exec(
                command: ["/bin/sh", "-c", script, "sh", payloads, env, counter],
                timeoutSeconds: 10,
                // One at a time: the script's counter file is not safe for two.
                maxConcurrent: 1,
                maxAttempts: maxAttempts
            ),
            events: events,
            tasks: tasks
        )
        return (ExecSink(configuration), payloads, env)
    }

    private func lines(_ path: String) -> [String] {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    private func payloads(_ path: String) throws -> [[String: Any]] {
        try lines(path).map { try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
    }

    @Test func eachNewFailureReachesEverySinkOnceWithWhyItFailed() async throws {
        let (recorder, payloadFile, envFile) = recorder()
        let alerts = dispatcher([recorder])
        try await passes()
        await alerts.drain()
        #expect(lines(payloadFile).isEmpty, "the backfill's old failures are summarised, not alerted")

        let failed = fail()
        let timedOut = fail("TIMED-OUT", only: tasks[1])
        try await passes()
        await alerts.drain()
        await alerts.drain()
        let received = try payloads(payloadFile)
        #expect(received.compactMap { $0["runId"] as? String }.sorted() == (failed + timedOut).sorted())
        let first = try #require(received.first { $0["runId"] as? String == failed[0] })
        #expect(first["event"] as? String == "run_failed" && first["status"] as? String == "FAILED")
        #expect(first["previousStatus"] as? String == "RUNNING" && first["taskId"] as? String == tasks[0])
        #expect(first["taskName"] as? String == nil, "no name looked up in this test")
        #expect(first["statusMessage"] as? String == "The Actor process exited with code 1")
        #expect(first["exitCode"] as? Int == 1)
        #expect(first["consoleUrl"] as? String == "https://console.apify.com/view/runs/\(failed[0])")
        #expect((first["text"] as? String)?.contains("The Actor process exited with code 1") == true)
        let environment = lines(envFile).first { $0.contains(failed[0]) }
        #expect(
            environment
                == "run_failed|\(failed[0])|\(tasks[0])|FAILED|https://console.apify.com/view/runs/\(failed[0])|no token"
        )
        // The journal: one error line per failure, with the status message.
        let journal = log.events("run_failed")
        #expect(journal.compactMap { $0.metadata["run_id"] }.sorted() == failed.sorted())
        #expect(journal.allSatisfy { $0.level == .error && $0.metadata["status_message"] != nil })
        #expect(log.events("run_timed_out").count == 1)
        // The run keeps what its GET said.
        let stored = try await rows(
            "SELECT status_message, exit_code, run_details IS NOT NULL FROM runs WHERE id = '\(failed[0])'"
        )
        #expect(stored == [["The Actor process exited with code 1", 1, 1]])
        let states = try await rows(
            "SELECT sink, state, count(*) FROM event_deliveries GROUP BY sink, state ORDER BY sink"
        )
        #expect(states == [["journal", "delivered", 3], ["recorder", "delivered", 3]])
        try await store.close()
    }

    @Test func aFailingCommandIsRetriedAndHoldsBackOnlyTheLaterEventsOfItsTask() async throws {
        let (recorder, payloadFile, _) = recorder(exitFirst: 2)
        let alerts = dispatcher([recorder])
        try await passes()
        let firstOfNews = fail(only: tasks[0])
        let ofShop = fail(only: tasks[1])
        try await passes()
        let secondOfNews = fail(only: tasks[0])
        try await passes()

        // Ordered per task: the command runs news's first event (fails), shop's (fails), then news's
        // first again when due; its second waits behind it.
        await alerts.drain()
        #expect(lines(payloadFile).isEmpty)
        let pending = try await rows(
            "SELECT e.run_id, d.attempts, d.next_attempt_at IS NOT NULL, d.last_error FROM event_deliveries d JOIN events e ON e.id = d.event_id WHERE d.sink = 'recorder' ORDER BY e.id"
        )
        #expect(pending.count == 2, "the second event of news waits behind the first")
        #expect(pending.allSatisfy { $0[1] == 1 && $0[2] == 1 && ($0[3].text ?? "").contains("exited with status 3") })
        #expect(log.events("alert_retry").count == 2)
        await alerts.drain()
        let order = try payloads(payloadFile).compactMap { $0["runId"] as? String }
        #expect(Set(order) == Set(firstOfNews + ofShop + secondOfNews))
        let news = order.filter { (firstOfNews + secondOfNews).contains($0) }
        #expect(news == firstOfNews + secondOfNews, "a task's events in order")
        #expect(log.events("alert_failed").isEmpty)
        try await store.close()
    }

    @Test func aCommandThatKeepsFailingIsGivenUpOnceAndLogged() async throws {
        let (recorder, payloadFile, _) = recorder(exitFirst: 1000, maxAttempts: 3)
        let alerts = dispatcher([recorder])
        try await passes()
        let failed = fail(only: tasks[0])
        try await passes()
        for _ in 0..<5 { await alerts.drain() }
        #expect(lines(payloadFile).isEmpty)
        let given = log.events("alert_failed")
        #expect(given.count == 1 && given.first?.metadata["run_id"] == failed[0] && given.first?.level == .error)
        #expect(given.first?.metadata["attempts"] == "3" && given.first?.metadata["sink"] == "recorder")
        let state = try await rows("SELECT state, attempts FROM event_deliveries WHERE sink = 'recorder'")
        #expect(state == [["failed", 3]])
        try await store.close()
    }

    @Test func filtersLeaveOutEventsTheSinkDoesNotTake() async throws {
        let (onlyTimeouts, timeoutsFile, _) = recorder("timeouts", events: [.runTimedOut])
        let (onlyNews, newsFile, _) = recorder("news", tasks: [tasks[0]])
        let alerts = dispatcher([onlyTimeouts, onlyNews])
        try await passes()
        let failed = fail(only: tasks[1])
        let timedOut = fail("TIMED-OUT", only: tasks[0])
        try await passes()
        await alerts.drain()
        #expect(try payloads(timeoutsFile).compactMap { $0["runId"] as? String } == timedOut)
        #expect(try payloads(newsFile).compactMap { $0["runId"] as? String } == timedOut)
        let skipped = try await rows(
            "SELECT d.sink, e.run_id FROM event_deliveries d JOIN events e ON e.id = d.event_id WHERE d.state = 'skipped' ORDER BY d.sink"
        )
        #expect(skipped == [["news", .text(failed[0])], ["timeouts", .text(failed[0])]])
        try await store.close()
    }

    @Test func aSinkAddedLaterIsNotSentTheHistory() async throws {
        try await passes()
        fail(only: tasks[0])
        try await passes()
        await dispatcher([]).drain()
        // The new sink is configured now, after every event so far occurred (however long they took).
        clock.advance(by: max(0, Date().timeIntervalSince(clock.now)) + 0.001)
        let (later, laterFile, _) = recorder("later")
        let alerts = dispatcher([later])
        await alerts.drain()
        #expect(lines(laterFile).isEmpty)
        let failed = fail(only: tasks[1])
        try await passes()
        await alerts.drain()
        #expect(try payloads(laterFile).compactMap { $0["runId"] as? String } == failed)
        #expect(log.events("run_failed").count == 2, "the journal, there from the start, has both")
        try await store.close()
    }

    /// A webhook sink posting to `url`, four deliveries at once.
    private static func webhook(
        _ name: String,
        format: AlertSinkConfiguration.WebhookFormat,
        retryHours: Double,
        url: String,
        http: HTTPClient
    ) throws -> WebhookSink {
        try WebhookSink(
            AlertSinkConfiguration(
                name: name,
                kind: .webhook(url: url, urlFile: nil, format: format, headersFile: nil, maxConcurrent: 4)
            ),
            retryHours: retryHours,
            http: http,
            configurationPath: "test.json"
        )
    }

    @Test func aWebhookThatFailsFiveTimesDeliversOnce() async throws {
        let server = try await ScriptedHTTPServer.start { $0 < 5 ? 503 : 200 }
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        try await http.shuttingDown {
            let hook = try Self.webhook("slack", format: .slack, retryHours: 24, url: server.url, http: http)
            let alerts = dispatcher([hook])
            try await passes()
            let failed = fail(only: tasks[0])
            try await passes()
            for _ in 0..<8 { await alerts.drain() }
            let requests = server.requests
            #expect(requests.count == 6)
            #expect(requests.allSatisfy { $0.method == "POST" && $0.uri == "/hook" })
            let body = try #require(
                JSONSerialization.jsonObject(with: Data(requests[5].body.utf8)) as? [String: String]
            )
            #expect(body.keys.sorted() == ["text"])
            #expect(body["text"]?.hasPrefix("Run failed: task \(tasks[0]) run \(failed[0])") == true)
            #expect(log.events("alert_retry").count == 5 && log.events("alert_failed").isEmpty)
            #expect(!log.all.contains { $0.metadata.values.contains { $0.contains("127.0.0.1:\(server.port)") } })
            let state = try await rows("SELECT state, attempts FROM event_deliveries WHERE sink = 'slack'")
            #expect(state == [["delivered", 6]])
        }
        try await server.stop()
        try await store.close()
    }

    @Test func aWebhookThatNeverSucceedsGivesUpAfterItsHoursWithOneLine() async throws {
        let server = try await ScriptedHTTPServer.start { _ in 500 }
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        try await http.shuttingDown {
            let hook = try Self.webhook("hook", format: .json, retryHours: 2, url: server.url, http: http)
            let alerts = dispatcher([hook])
            try await passes()
            fail(only: tasks[0])
            try await passes()
            // Each round tries what is due; the clock moves ten minutes between rounds.
            for _ in 0..<30 {
                await alerts.drain(ignoringSchedule: false)
                clock.advance(by: 600)
            }
            let given = log.events("alert_failed")
            #expect(given.count == 1 && given.first?.metadata["sink"] == "hook")
            #expect(given.first?.metadata["error"] == "the webhook answered HTTP 500")
            let state = try await rows("SELECT state, attempts FROM event_deliveries WHERE sink = 'hook'")
            let attempts = try #require(state.first?[1].integer)
            #expect(state.first?[0] == "failed" && attempts == Int64(server.requests.count))
            // Backoff doubling from 10 s: due at each of the first 6 rounds (the backoff is under ten
            // minutes), then at 60, 80 and 110 minutes; the next (2,560 s later) would be past two hours.
            #expect(attempts == 9, "\(attempts) attempts")
        }
        try await server.stop()
        try await store.close()
    }

    @Test func aSlowSinkDoesNotHoldUpThePasses() async throws {
        let started = directory.path("started")
        let finished = directory.path("finished")
        let slow = ExecSink(
            AlertSinkConfiguration(
                name: "slow",
                kind: .exec(
                    command: ["/bin/sh", "-c", "touch \"$0\"; sleep 20; touch \"$1\"", started, finished],
                    timeoutSeconds: 60,
                    maxConcurrent: 1,
                    maxAttempts: 1
                )
            )
        )
        let alerts = dispatcher([slow])
        try await passes()
        fail(only: tasks[0])
        try await passes()
        let running = Task { await alerts.run() }
        alerts.wake()
        while !FileManager.default.fileExists(atPath: started) { try await Task.sleep(for: .milliseconds(20)) }
        // The command is running; passes go on and their events are written.
        fail(only: tasks[1])
        try await passes()
        #expect(!FileManager.default.fileExists(atPath: finished))
        #expect(try await rows("SELECT count(*) FROM events WHERE event = 'run_failed'") == [[2]])
        running.cancel()
        await running.value
        try await store.close()
    }
}
