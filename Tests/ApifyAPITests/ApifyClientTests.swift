import ApifyAPI
import ApifySimulator
import RunModel
import TestSupport
import Testing

@Suite struct ApifyClientTests {
    @Test func pagesThrough2500RunsWithRawJSONIntact() async throws {
        let fixture = try await ClientFixture()
        let task = fixture.simulator.withWorld { world in
            let task = world.addTask()
            world.createRuns(task: task, count: 2500)
            return task
        }
        var offset = 0
        var pages: [RunListPage] = []
        while true {
            let page = try await fixture.client.listRuns(.task(task), offset: offset)
            pages.append(page)
            offset += page.items.count
            if page.items.count < 1000 { break }
        }
        #expect(pages.map(\.items.count) == [1000, 1000, 500])
        #expect(pages.first?.total == 2500)
        let served = fixture.simulator.withWorld { $0.tasks[task]!.runs }
        let items = pages.flatMap(\.items)
        #expect(items.map(\.id) == served.map(\.id))
        for (item, run) in zip(items, served) {
            var expected: [UInt8] = []
            run.renderShort(into: &expected)
            #expect(Array(item.rawJSON) == expected)
            #expect(item.status == run.status)
            #expect(item.startedAt == run.startedAtMs.map { ISOTimestamp.string(milliseconds: $0) })
            #expect(item.origin == run.origin)
            #expect(item.usageTotalUsd == run.usageTotalUsd)
        }
        try await fixture.shutdown()
    }

    @Test func acceptsGzipAndAddressesTasksByName() async throws {
        let fixture = try await ClientFixture()
        fixture.simulator.withWorld { world in
            let task = world.addTask(username: "jane.doe", name: "my-task")
            world.createRuns(task: task, count: 3)
            world.recordsRequests = true
        }
        let page = try await fixture.client.listRuns(
            .task("jane.doe~my-task"),
            offset: 0,
            statuses: ["SUCCEEDED", "FAILED"]
        )
        #expect(page.items.count == 3)
        #expect(
            fixture.simulator.withWorld { $0.requestLog } == [
                "/v2/actor-tasks/jane.doe~my-task/runs?limit=1000&offset=0&status=SUCCEEDED,FAILED"
            ]
        )
        let id = try await fixture.client.task("jane.doe~my-task").id
        #expect(fixture.simulator.withWorld { $0.tasks[id] != nil })
        try await fixture.shutdown()
    }

    @Test func retriesA429HonouringRetryAfter() async throws {
        let fixture = try await ClientFixture()
        let task = fixture.simulator.withWorld { world in
            let task = world.addTask()
            world.createRuns(task: task, count: 5)
            world.inject(.status(429, retryAfter: "1"))
            return task
        }
        let page = try await fixture.client.listRuns(.task(task), offset: 0)
        #expect(page.items.count == 5)
        #expect(fixture.sleeps.withLock { $0 } == [.seconds(1)])
        #expect(fixture.requests == 2)
        #expect(fixture.attempts.attempts == ["429+retry", "2xx"])
        try await fixture.shutdown()
    }

    @Test(arguments: [
        SimulatedFault.status(500), .status(503), .status(429), .reset, .delay(.seconds(5)),
    ])
    func retriesTransientFailures(fault: SimulatedFault) async throws {
        // A short timeout only where the fault is a slow answer: on a loaded machine a new connection
        // can take longer than half a second, which would be a second, unrelated retry.
        let isDelay = if case .delay = fault { true } else { false }
        let fixture = try await ClientFixture(requestTimeout: isDelay ? .seconds(1) : .seconds(10))
        let task = fixture.simulator.withWorld { world in
            let task = world.addTask()
            world.createRuns(task: task, count: 5)
            world.inject(fault)
            return task
        }
        let page = try await fixture.client.listRuns(.task(task), offset: 0)
        #expect(page.items.count == 5)
        let sleeps = fixture.sleeps.withLock { $0 }
        #expect(sleeps.count == 1)
        #expect(sleeps.allSatisfy { $0 >= .milliseconds(500) && $0 <= .seconds(1) })
        // Counted as the metrics count it: over a real socket, a slow answer is a timeout.
        let first =
            switch fault {
            case .status(429, _): "429"
            case .status: "5xx"
            case .reset: "network_error"
            default: "timeout"
            }
        #expect(fixture.attempts.attempts == [first + "+retry", "2xx"])
        try await fixture.shutdown()
    }

    @Test func givesUpAfterTheConfiguredRetries() async throws {
        let fixture = try await ClientFixture(maxRetries: 3)
        let task = fixture.simulator.withWorld { world in
            let task = world.addTask()
            world.inject(.status(502), times: 10)
            return task
        }
        let error = try await #require(throws: ApifyError.self) {
            try await fixture.client.listRuns(.task(task), offset: 0)
        }
        guard case .retriesExhausted(_, let attempts, let cause) = error else {
            Issue.record("unexpected \(error)")
            return
        }
        #expect(attempts == 4)
        #expect(cause.contains("HTTP 502"))
        #expect(fixture.requests == 4)
        #expect(fixture.attempts.attempts == ["5xx+retry", "5xx+retry", "5xx+retry", "5xx"], "the last is not retried")
        // Exponential: 0.5, 1, 2 s times a factor in 1...2.
        let sleeps = fixture.sleeps.withLock { $0 }
        #expect(sleeps.count == 3)
        #expect(zip(sleeps, [0.5, 1.0, 2.0]).allSatisfy { $0 >= .seconds($1) && $0 <= .seconds($1 * 2) })
        try await fixture.shutdown()
    }

    /// A request cancelled on the wire (the pass's other request failed, the daemon stops) ends with
    /// the cancellation: it is neither counted, nor announced as a failure about to be retried, nor,
    /// on its last allowed attempt, reported as retries exhausted.
    @Test(.timeLimit(.minutes(1)), arguments: [0, 3])
    func aCancelledRequestEndsAsCancelled(maxRetries: Int) async throws {
        let cancelled = try await Self.cancelRequest(
            answeredWith: .failed("CancellationError()"),
            maxRetries: maxRetries
        )
        #expect(cancelled.error is CancellationError, "\(String(describing: cancelled.error))")
        #expect(cancelled.requests == 1)
        #expect(cancelled.sleeps.isEmpty)
        #expect(cancelled.attempts.isEmpty)
        #expect(!cancelled.log.contains { $0.metadata["attempt"] != nil }, "\(cancelled.log.map(\.message))")
    }

    /// What came as a request was cancelled: an answer is used (a page is a page); an answer to retry
    /// or a timeout ends the request as cancelled, the answer counted as not retried.
    @Test(.timeLimit(.minutes(1)), arguments: ["200", "503", "timeout"])
    func anAnswerThatComesAsTheRequestIsCancelled(answer: String) async throws {
        let page = #"{"data":{"total":0,"offset":0,"limit":1000,"count":0,"items":[]}}"#
        let outcome: APITransportOutcome =
            switch answer {
            case "200": .response(status: 200, headers: [], body: Array(page.utf8))
            case "503": .response(status: 503, headers: [], body: [])
            default: .timedOut(after: .seconds(30))
            }
        let cancelled = try await Self.cancelRequest(answeredWith: outcome, maxRetries: 3)
        #expect(cancelled.sleeps.isEmpty)
        #expect(!cancelled.log.contains { $0.metadata["attempt"] != nil }, "\(cancelled.log.map(\.message))")
        switch answer {
        case "200":
            #expect(cancelled.error == nil)
            #expect(cancelled.attempts == ["2xx"])
        case "503":
            #expect(cancelled.error is CancellationError, "\(String(describing: cancelled.error))")
            #expect(cancelled.attempts == ["5xx"])
        default:
            #expect(cancelled.error is CancellationError, "\(String(describing: cancelled.error))")
            #expect(cancelled.attempts.isEmpty)
        }
    }

    /// A page request whose transport waits until the request is cancelled, then ends with `outcome`.
    private static func cancelRequest(
        answeredWith outcome: APITransportOutcome,
        maxRetries: Int
    ) async throws -> (
        error: (any Error)?, requests: Int, sleeps: [Duration], attempts: [String], log: [CapturedLog.Record]
    ) {
        let transport = StalledTransport(outcome: outcome)
        let log = CapturedLog()
        let sleeps = SleepRecorder()
        let attempts = AttemptRecorder()
        let client = ApifyClient(
            configuration: .init(
                baseURL: "http://127.0.0.1:9",
                token: APIToken(secret: "apify_api_CANCELLEDtoken0123456789", source: "the test"),
                retry: RetryPolicy(maxRetries: maxRetries)
            ),
            transport: transport,
            logger: log.logger(level: .trace),
            sleep: { duration in sleeps.withLock { $0.append(duration) } },
            observer: attempts
        )
        let request = Task { try await client.listRuns(.task("t"), offset: 0) }
        while transport.requests == 0 { try await Task.sleep(for: .milliseconds(5)) }
        request.cancel()
        var error: (any Error)?
        do { _ = try await request.value } catch let thrown { error = thrown }
        return (error, transport.requests, sleeps.withLock { $0 }, attempts.attempts, log.all)
    }

    @Test func badTokenIsATypedErrorWithoutRetryOrSecret() async throws {
        let fixture = try await ClientFixture(token: "apify_api_WRONGtoken")
        let task = fixture.simulator.withWorld { $0.addTask() }
        let error = try await #require(throws: ApifyError.self) {
            try await fixture.client.listRuns(.task(task), offset: 0)
        }
        #expect(error == .unauthorized(tokenSource: "the test", apiType: "invalid-token"))
        #expect(!"\(error)".contains("WRONGtoken"))
        #expect(fixture.requests == 1)
        try await fixture.shutdown()
    }

    @Test func forbiddenAndUnknownTaskAreTypedErrorsNamingTheTask() async throws {
        let fixture = try await ClientFixture()
        let task = fixture.simulator.withWorld { world in
            let task = world.addTask()
            world.inject(.status(403))
            return task
        }
        let forbidden = try await #require(throws: ApifyError.self) {
            try await fixture.client.listRuns(.task(task), offset: 0)
        }
        guard case .forbidden(let resource, _) = forbidden else {
            Issue.record("unexpected \(forbidden)")
            return
        }
        #expect(resource == "task \(task)")
        let missing = try await #require(throws: ApifyError.self) {
            try await fixture.client.listRuns(.task("nobody~nothing"), offset: 0)
        }
        #expect(missing == .taskNotFound(task: "nobody~nothing"))
        #expect("\(missing)".contains("nobody~nothing"))
        #expect(fixture.requests == 2)
        #expect(fixture.attempts.attempts == ["4xx", "4xx"])
        for error in [forbidden, missing] { #expect(!"\(error)".contains(ClientFixture.token)) }
        try await fixture.shutdown()
    }

    @Test func aDeletedRunIsNil() async throws {
        let fixture = try await ClientFixture()
        let (kept, deleted) = fixture.simulator.withWorld { world in
            let task = world.addTask()
            let ids = world.createRuns(task: task, count: 2, status: "RUNNING")
            world.delete(run: ids[1])
            return (ids[0], ids[1])
        }
        let run = try await fixture.client.run(id: kept)
        #expect(run?.status == "RUNNING")
        #expect(run.map { String(decoding: $0.rawJSON, as: UTF8.self).contains("statusMessage") } == true)
        #expect(try await fixture.client.run(id: deleted) == nil)
        try await fixture.shutdown()
    }

    static let badBodies: [(String, SimulatedFault, String)] = [
        (
            "malformed JSON",
            .body(status: 200, contentType: "application/json", bytes: Array(#"{"data":{"items":[{"id":"#.utf8)),
            "HTTP 200"
        ),
        (
            "items is an object",
            .body(status: 200, contentType: "application/json", bytes: Array(#"{"data":{"items":{}}}"#.utf8)),
            "not an array"
        ),
        (
            "an HTML page",
            .body(status: 200, contentType: "text/html", bytes: Array("<html><body>Maintenance</body></html>".utf8)),
            "<html>"
        ),
        ("an empty body", .body(status: 200, contentType: "application/json", bytes: []), "empty"),
        (
            "an item without id",
            .body(
                status: 200,
                contentType: "application/json",
                bytes: Array(#"{"data":{"items":[{"status":"READY"}]}}"#.utf8)
            ), "no string \"id\""
        ),
    ]

    @Test(arguments: 0..<badBodies.count)
    func badBodiesAreClearErrors(index: Int) async throws {
        let (_, fault, expected) = Self.badBodies[index]
        let fixture = try await ClientFixture()
        let task = fixture.simulator.withWorld { world in
            let task = world.addTask()
            world.inject(fault)
            return task
        }
        let error = try await #require(throws: ApifyError.self) {
            try await fixture.client.listRuns(.task(task), offset: 0)
        }
        guard case .invalidResponse(let status, let path, _, _) = error else {
            Issue.record("unexpected \(error)")
            return
        }
        #expect(status == 200)
        #expect(path == "/v2/actor-tasks/\(task)/runs")
        #expect("\(error)".contains(expected))
        try await fixture.shutdown()
    }

    @Test func anOverCapBodyIsRefused() async throws {
        let fixture = try await ClientFixture(maximumBodyBytes: 64 * 1024)
        let task = fixture.simulator.withWorld { world in
            let task = world.addTask()
            world.createRuns(task: task, count: 500)
            return task
        }
        let error = try await #require(throws: ApifyError.self) {
            try await fixture.client.listRuns(.task(task), offset: 0)
        }
        #expect(error == .bodyTooLarge(path: "/v2/actor-tasks/\(task)/runs", limitBytes: 64 * 1024))
        #expect(fixture.attempts.attempts == ["body_too_large"])
        try await fixture.shutdown()
    }
}
