import ApifyAPI
import ApifySimulator
import RunModel
import TestSupport
import Testing

/// The simulator's imperfect-API switches and world data, driven in-process: each test fails if its
/// switch does nothing, or if it breaks `total`, the order or `desc`.
@Suite struct SimulatedImperfectionsTests {
    /// A world with one task of `runs` finished runs, one second apart.
    static func world(runs: Int, seed: UInt64 = 7) -> (SimulatedWorld, String) {
        var world = SimulatedWorld(token: "t", seed: seed)
        let task = world.addTask()
        world.createRuns(task: task, count: runs)
        return (world, task)
    }

    /// One list request, through `serve` as a request over HTTP would go, decoded by the client's decoder.
    static func list(
        _ world: inout SimulatedWorld,
        _ task: String,
        _ query: [String: String] = [:]
    ) throws
        -> RunListPage
    {
        let exchange = world.serve(
            method: "GET",
            path: "/v2/actor-tasks/\(task)/runs",
            query: query,
            authorization: "Bearer t"
        )
        guard case .answer(let response, _) = exchange else { throw ExchangeError.reset }
        #expect(response.status == 200)
        return try ResponseDecoder.runListPage(from: response.body)
    }

    static func get(_ world: inout SimulatedWorld, run runId: String) -> SimulatedResponse {
        world.respond(path: "/v2/actor-runs/\(runId)", query: [:], authorization: "Bearer t")
    }

    enum ExchangeError: Error { case reset }

    @Test func unstableTieOrderShufflesEachTieGroupOnEveryRequest() throws {
        var (world, task) = Self.world(runs: 2)
        for _ in 0..<7 { world.createRunWithSameStart(task: task) }
        world.createRuns(task: task, count: 2)
        let truth = world.tasks[task]!.runs.map(\.id)
        let steady = try Self.list(&world, task).items.map(\.id)
        #expect(steady == truth)

        world.imperfections.unstableTieOrder = true
        let first = try Self.list(&world, task).items.map(\.id)
        let second = try Self.list(&world, task).items.map(\.id)
        // Runs 1...8 share the second run's millisecond; the first and the last two keep their places.
        let tie = 1..<9
        #expect(first[tie] != second[tie])
        #expect(Set(first[tie]) == Set(truth[tie]) && Set(second[tie]) == Set(truth[tie]))
        for index in [0, 9, 10] { #expect(first[index] == truth[index] && second[index] == truth[index]) }
        let descending = try Self.list(&world, task, ["desc": "1"])
        #expect(descending.total == 11)
        #expect(descending.items.first?.id == truth.last && descending.items.last?.id == truth.first)
    }

    @Test func pageCapShortensPagesAndSaysSoUnlessItEchoesTheRequestedLimit() throws {
        var (world, task) = Self.world(runs: 25)
        let truth = world.tasks[task]!.runs.map(\.id)
        world.imperfections.pageCap = 10
        let honest = try Self.list(&world, task, ["limit": "100"])
        #expect(honest.items.map(\.id) == Array(truth[0..<10]))
        #expect(honest.limit == 10 && honest.total == 25 && honest.count == 10)
        let tail = try Self.list(&world, task, ["offset": "20", "limit": "100"])
        #expect(tail.items.map(\.id) == Array(truth[20..<25]))

        world.imperfections.echoesRequestedLimit = true
        let lying = try Self.list(&world, task, ["limit": "100"])
        #expect(lying.items.count == 10 && lying.limit == 100 && lying.total == 25)
        let newest = try Self.list(&world, task, ["desc": "1"])
        #expect(newest.items.map(\.id) == Array(truth.reversed()[0..<10]))
        #expect(newest.limit == 1000)
    }

    @Test func shortPagesAreNonEmptyPrefixesWithTheRequestedLimit() throws {
        var (world, task) = Self.world(runs: 50)
        let truth = world.tasks[task]!.runs.map(\.id)
        world.imperfections.shortPagePercent = 100
        var lengths: Set<Int> = []
        for _ in 0..<10 {
            let page = try Self.list(&world, task, ["offset": "5", "limit": "20"])
            #expect((1..<20).contains(page.items.count))
            #expect(page.items.map(\.id) == Array(truth[5..<(5 + page.items.count)]))
            #expect(page.limit == 20 && page.total == 50 && page.count == page.items.count)
            lengths.insert(page.items.count)
        }
        #expect(lengths.count > 1)
        world.imperfections.shortPagePercent = 0
        #expect(try Self.list(&world, task, ["limit": "20"]).items.count == 20)
    }

    @Test func ignoresOffsetServesTheFirstPageWhateverTheOffset() throws {
        var (world, task) = Self.world(runs: 30)
        let truth = world.tasks[task]!.runs.map(\.id)
        #expect(try Self.list(&world, task, ["offset": "1000", "limit": "10"]).items.isEmpty)
        world.imperfections.ignoresOffset = true
        let page = try Self.list(&world, task, ["offset": "1000", "limit": "10"])
        #expect(page.items.map(\.id) == Array(truth[0..<10]))
        #expect(page.offset == 1000 && page.total == 30)
        let descending = try Self.list(&world, task, ["offset": "20", "limit": "10", "desc": "1"])
        #expect(descending.items.map(\.id) == Array(truth.reversed()[0..<10]))
    }

    @Test func theStatusFilterMatchesExactValuesUnlessIgnored() throws {
        var (world, task) = Self.world(runs: 3)
        let failed = world.createRuns(task: task, count: 2, status: "FAILED")
        let timingOut = world.createRuns(task: task, count: 1, status: "TIMING-OUT")
        let filtered = try Self.list(&world, task, ["status": "FAILED,TIMED-OUT"])
        #expect(filtered.items.map(\.id) == failed && filtered.total == 2)
        #expect(try Self.list(&world, task, ["status": "TIMING-OUT"]).items.map(\.id) == timingOut)
        #expect(try Self.list(&world, task, ["status": "failed"]).items.isEmpty)

        world.imperfections.ignoresStatusFilter = true
        let unfiltered = try Self.list(&world, task, ["status": "FAILED"])
        #expect(unfiltered.items.map(\.id) == world.tasks[task]!.runs.map(\.id) && unfiltered.total == 6)
    }

    @Test func staleDuplicatesComeRightBeforeTheTruthWithAnEarlierStatus() throws {
        var (world, task) = Self.world(runs: 5)
        let running = world.createRuns(task: task, count: 1, status: "RUNNING")[0]
        let truth = world.tasks[task]!.runs
        world.imperfections.staleDuplicatePercent = 100
        var staleStatuses: Set<String> = []
        for _ in 0..<20 {
            let page = try Self.list(&world, task)
            #expect(page.items.count == truth.count + 1 && page.total == truth.count)
            let staleIndex = try #require(
                page.items.indices.dropLast().first { page.items[$0].id == page.items[$0 + 1].id }
            )
            let (stale, fresh) = (page.items[staleIndex], page.items[staleIndex + 1])
            let run = try #require(truth.first { $0.id == fresh.id })
            #expect(fresh.status == run.status)
            #expect(stale.status == (run.id == running ? "READY" : "RUNNING"))
            #expect(stale.finishedAt == nil)
            var withoutStale = page.items
            withoutStale.remove(at: staleIndex)
            #expect(withoutStale.map(\.id) == truth.map(\.id))
            staleStatuses.insert(stale.status)
        }
        #expect(staleStatuses == ["READY", "RUNNING"])
    }

    @Test func runNotFoundFlapsWithoutLosingTheRun() throws {
        var (world, task) = Self.world(runs: 1)
        let runId = world.tasks[task]!.runs[0].id
        #expect((0..<20).allSatisfy { _ in Self.get(&world, run: runId).status == 200 })
        world.imperfections.runNotFoundPercent = 50
        let statuses = (0..<40).map { _ in Self.get(&world, run: runId) }
        #expect(Set(statuses.map(\.status)) == [200, 404])
        let notFound = try #require(statuses.first { $0.status == 404 })
        #expect(ResponseDecoder.apiError(from: notFound.body)?.type == "record-not-found")
        #expect(world.run(runId) != nil)
    }

    @Test func retentionDeletesTheOldestRunsOfEveryTaskEveryNRequests() throws {
        var (world, task) = Self.world(runs: 10)
        let other = world.addTask()
        world.createRuns(task: other, count: 10)
        let truth = world.tasks[task]!.runs.map(\.id)
        world.imperfections.retentionEveryRequests = 3
        world.imperfections.retentionCount = 2
        #expect(try Self.list(&world, task).total == 10)
        #expect(try Self.list(&world, task).total == 10)
        let third = try Self.list(&world, task)
        #expect(third.total == 8 && third.items.map(\.id) == Array(truth[2...]))
        #expect(world.tasks[other]!.runs.count == 8)
        _ = world.serve(method: "GET", path: "/v2/actor-tasks/\(other)", query: [:], authorization: "Bearer t")
        _ = world.serve(method: "GET", path: "/nowhere", query: [:], authorization: nil)
        _ = world.serve(method: "GET", path: "/v2/actor-runs/\(truth[9])", query: [:], authorization: "Bearer t")
        #expect(world.tasks[task]!.runs.map(\.id) == Array(truth[4...]))
        #expect(world.tasks[other]!.runs.count == 6)
    }

    @Test func runsWithoutStartedAtSortFirstAndRenderNull() throws {
        var (world, task) = Self.world(runs: 3)
        let dated = world.tasks[task]!.runs.map(\.id)
        let undated = [
            world.createRun(task: task, startedAtMs: nil),
            world.createRun(task: task, status: "READY", startedAtMs: nil),
        ]
        let page = try Self.list(&world, task)
        #expect(page.items.map(\.id) == undated + dated && page.total == 5)
        #expect(page.items[0].startedAt == nil && page.items[2].startedAt != nil)
        #expect(String(decoding: page.items[1].rawJSON, as: UTF8.self).contains(#""startedAt":null"#))
        let descending = try Self.list(&world, task, ["desc": "1"])
        #expect(descending.items.map(\.id) == (undated + dated).reversed())
    }

    @Test func createRunPlacesRunsAtAnyInstantTiesAfterTheirPeers() throws {
        var (world, task) = Self.world(runs: 3)
        let runs = world.tasks[task]!.runs
        let future = world.createRun(task: task, status: "READY", startedAtMs: runs[2].startedAtMs! + 60_000)
        let tie = world.createRun(task: task, startedAtMs: runs[1].startedAtMs)
        let later = world.createRuns(task: task, count: 1)[0]
        let sameAsLast = world.createRunWithSameStart(task: task)
        let expected = [runs[0].id, runs[1].id, tie, runs[2].id, later, future, sameAsLast]
        #expect(world.tasks[task]!.runs.map(\.id) == expected)
        #expect(try Self.list(&world, task).items.map(\.id) == expected)
        #expect(world.run(sameAsLast)?.startedAtMs == world.run(future)?.startedAtMs)
    }

    @Test func aRunHiddenWhileUnfinishedAppearsInListsOnceFinished() throws {
        var (world, task) = Self.world(runs: 2)
        let hidden = world.createRuns(task: task, count: 1, status: "RUNNING")[0]
        world.createRuns(task: task, count: 1)
        world.setHiddenWhileUnfinished(run: hidden)
        let before = try Self.list(&world, task)
        #expect(!before.items.contains { $0.id == hidden } && before.total == 3)
        #expect(try Self.list(&world, task, ["status": "RUNNING"]).items.isEmpty)
        #expect(Self.get(&world, run: hidden).status == 200)
        world.setStatus(run: hidden, to: "SUCCEEDED")
        let after = try Self.list(&world, task)
        #expect(after.items.map(\.id) == world.tasks[task]!.runs.map(\.id) && after.total == 4)
        #expect(after.items[2].id == hidden)
    }

    @Test func onlyGETIsAnswered() {
        var (world, task) = Self.world(runs: 1)
        for method in ["POST", "DELETE", "PUT"] {
            let response = world.respond(
                method: method,
                path: "/v2/actor-tasks/\(task)/runs",
                query: [:],
                authorization: "Bearer t"
            )
            #expect(response.status == 405)
            #expect(ResponseDecoder.apiError(from: response.body)?.type == "method-not-allowed")
        }
        #expect(world.tasks[task]!.runs.count == 1)
    }

    @Test func theTokenMayComeAsAQueryParameter() {
        var (world, task) = Self.world(runs: 1)
        let path = "/v2/actor-tasks/\(task)/runs"
        #expect(world.respond(path: path, query: ["token": "t"], authorization: nil).status == 200)
        let wrong = world.respond(path: path, query: ["token": "x"], authorization: nil)
        #expect(ResponseDecoder.apiError(from: wrong.body)?.type == "invalid-token")
        let missing = world.respond(path: path, query: [:], authorization: "Basic dDp0")
        #expect(ResponseDecoder.apiError(from: missing.body)?.type == "token-not-provided")
    }

    @Test func buildNumbersHaveAPatchNumberOfAtLeastOne() {
        let (world, task) = Self.world(runs: 400)
        for run in world.tasks[task]!.runs {
            let parts = run.buildNumber.split(separator: ".")
            #expect(parts.count == 3 && parts[0] == "0" && parts[1] == "1")
            #expect(parts.last.flatMap { Int($0) }.map { $0 >= 1 } == true, "\(run.buildNumber)")
        }
    }

    @Test func requestTargetsDecodeEveryEscapeInQueryValues() {
        let (path, query) = SimulatedWorld.split(
            requestTarget: "/v2/a%7Eb/runs?status=TIMED-OUT%2cFAILED&q=a%20b+c&e&bad=%zz%4"
        )
        #expect(path == "/v2/a%7Eb/runs")
        #expect(query == ["status": "TIMED-OUT,FAILED", "q": "a b+c", "e": "", "bad": "%zz%4"])
    }

    @Test(arguments: [SimulatedFault.status(500), .reset])
    func anInProcessClientListsRunsAndRetries(fault: SimulatedFault) async throws {
        let transport = InProcessTransport(token: "apify_api_INPROCESS")
        let task = transport.withWorld { world in
            let task = world.addTask()
            world.createRuns(task: task, count: 1500)
            world.inject(fault, for: .runList)
            return task
        }
        let client = ApifyClient.inProcess(transport)
        let first = try await client.listRuns(.task(task), offset: 0)
        let second = try await client.listRuns(.task(task), offset: first.items.count)
        #expect(first.items.count == 1000 && second.items.count == 500 && second.total == 1500)
        #expect((first.items + second.items).map(\.id) == transport.withWorld { $0.tasks[task]!.runs.map(\.id) })
        #expect(transport.withWorld { $0.requestCount } == 3)
        let runId = first.items[0].id
        #expect(try await client.run(id: runId)?.id == runId)
        #expect(try await client.task(transport.withWorld { $0.tasks[task]!.qualifiedName }).id == task)
    }

    @Test func anInProcessClientRefusesAnOverCapBodyAndAWrongToken() async throws {
        let transport = InProcessTransport(token: "apify_api_INPROCESS")
        let task = transport.withWorld { world in
            let task = world.addTask()
            world.createRuns(task: task, count: 200)
            return task
        }
        let small = ApifyClient.inProcess(transport, maximumBodyBytes: 16 * 1024)
        await #expect(throws: ApifyError.bodyTooLarge(path: "/v2/actor-tasks/\(task)/runs", limitBytes: 16 * 1024)) {
            try await small.listRuns(.task(task), offset: 0)
        }
        let wrong = ApifyClient.inProcess(transport, token: "apify_api_WRONG")
        await #expect(throws: ApifyError.unauthorized(tokenSource: "the test", apiType: "invalid-token")) {
            try await wrong.listRuns(.task(task), offset: 0)
        }
    }
}
