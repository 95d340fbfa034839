import ApifyAPI
import ApifySimulator
import Foundation
import RunModel
import Testing

/// The simulator serves every run-listing endpoint of the real API, not only a task's: an Actor's runs
/// (direct and through its tasks), the account's runs, the task list and the Actor itself.
@Suite struct SimulatedSourcesTests {
    /// `{"data":…}`, decoded with Foundation so that these tests do not lean on the client's decoders.
    struct Envelope<Value: Decodable>: Decodable {
        var data: Value
    }

    /// A task or an Actor as the API describes it; an Actor has no `actId`.
    struct Resource: Decodable {
        struct Stats: Decodable {
            var totalRuns: Int
        }

        var id: String
        var userId: String
        var actId: String?
        var name: String
        var username: String
        var createdAt: String
        var modifiedAt: String
        var stats: Stats
    }

    struct ResourceList: Decodable {
        var total: Int
        var offset: Int
        var limit: Int
        var desc: Bool
        var count: Int
        var items: [Resource]
    }

    enum ExchangeError: Error { case reset }

    /// One GET through `serve`, as a request over HTTP would go.
    static func get(
        _ world: inout SimulatedWorld,
        _ path: String,
        _ query: [String: String] = [:]
    ) throws
        -> SimulatedResponse
    {
        let exchange = world.serve(method: "GET", path: path, query: query, authorization: "Bearer t")
        guard case .answer(let response, _) = exchange else { throw ExchangeError.reset }
        return response
    }

    /// A run list page, decoded by the client's decoder.
    static func runs(
        _ world: inout SimulatedWorld,
        _ path: String,
        _ query: [String: String] = [:],
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> RunListPage {
        let response = try get(&world, path, query)
        #expect(
            response.status == 200,
            "\(String(decoding: response.body, as: UTF8.self))",
            sourceLocation: sourceLocation
        )
        return try ResponseDecoder.runListPage(from: response.body)
    }

    static func decode<Value: Decodable>(_ type: Value.Type, _ response: SimulatedResponse) throws -> Value {
        try JSONDecoder().decode(Envelope<Value>.self, from: Data(response.body)).data
    }

    static func errorType(_ response: SimulatedResponse) -> String? {
        ResponseDecoder.apiError(from: response.body)?.type
    }

    static func startedAt(_ world: SimulatedWorld, _ runId: String) -> String {
        ISOTimestamp.string(milliseconds: world.run(runId)!.startedAtMs!)
    }

    /// An Actor with two tasks and runs of its own, interleaved in time, with ties across the three
    /// lists and an undated run; plus a task of another Actor, whose runs come in between.
    static func sharedActor() -> (world: SimulatedWorld, actor: String, stranger: String, expected: [String]) {
        var world = SimulatedWorld(token: "t", seed: 11)
        let actor = world.addActor()
        let first = world.addTask(actId: actor)
        let second = world.addTask(actId: actor)
        let stranger = world.addTask()
        let early = world.createRuns(task: first, count: 2)
        let direct = world.createActorRuns(actor: actor, count: 2, status: "FAILED")
        world.createRuns(task: stranger, count: 2)
        let middle = world.createRuns(task: second, count: 1, status: "ABORTED")
        let late = world.createRuns(task: first, count: 1)
        let undated = world.createRun(task: second, startedAtMs: nil)
        // Two runs at the first run's millisecond: the Actor was created before its tasks, the first
        // task before the second, and ties keep that order.
        let tieStart = world.run(early[0])!.startedAtMs
        let tieOfTask = world.createRun(task: second, startedAtMs: tieStart)
        let tieDirect = world.createActorRun(actor: actor, startedAtMs: tieStart)
        let expected = [undated, tieDirect, early[0], tieOfTask, early[1]] + direct + middle + late
        return (world, actor, stranger, expected)
    }

    @Test func anActorListsItsDirectAndTaskRunsMergedInListOrderAndNoOthers() throws {
        var (world, actor, stranger, expected) = Self.sharedActor()
        let page = try Self.runs(&world, "/v2/actors/\(actor)/runs")
        #expect(page.items.map(\.id) == expected)
        #expect(page.total == expected.count && page.count == expected.count && page.offset == 0)
        #expect(try Self.runs(&world, "/v2/actors/\(actor)/runs").items.map(\.id) == expected)
        let descending = try Self.runs(&world, "/v2/actors/\(actor)/runs", ["desc": "1"])
        #expect(descending.items.map(\.id) == expected.reversed() && descending.desc == true)
        var paged: [String] = []
        for offset in stride(from: 0, to: expected.count, by: 4) {
            let part = try Self.runs(&world, "/v2/actors/\(actor)/runs", ["offset": "\(offset)", "limit": "4"])
            #expect(part.total == expected.count && part.limit == 4)
            paged += part.items.map(\.id)
        }
        #expect(paged == expected)

        let strangersActor = world.tasks[stranger]!.actId
        let strangers = try Self.runs(&world, "/v2/actors/\(strangersActor)/runs")
        #expect(strangers.items.map(\.id) == world.tasks[stranger]!.runs.map(\.id))
        #expect(strangers.items.allSatisfy { $0.actorTaskId == stranger && $0.actId == strangersActor })
    }

    @Test func theAccountListsEveryRunInListOrder() throws {
        var (world, actor, stranger, expected) = Self.sharedActor()
        let strangers = world.tasks[stranger]!.runs.map(\.id)
        let page = try Self.runs(&world, "/v2/actor-runs")
        #expect(page.total == expected.count + strangers.count)
        #expect(Set(page.items.map(\.id)) == Set(expected + strangers))
        #expect(page.items.filter { $0.actId == actor }.map(\.id) == expected)
        let starts = page.items.map { $0.startedAt ?? "" }
        #expect(starts == starts.sorted() && starts[0].isEmpty)
        let descending = try Self.runs(&world, "/v2/actor-runs", ["desc": "true"])
        #expect(descending.items.map(\.id) == page.items.map(\.id).reversed())
        #expect(page.items.count == 11)
        let tail = try Self.runs(&world, "/v2/actor-runs", ["offset": "8", "limit": "5"])
        #expect(tail.items.map(\.id) == Array(page.items.map(\.id)[8...]) && tail.total == page.total)
    }

    @Test func theStatusFilterAppliesToTheActorAndAccountLists() throws {
        var (world, actor, _, expected) = Self.sharedActor()
        let wanted = expected.filter { ["FAILED", "ABORTED"].contains(world.run($0)!.status) }
        #expect(wanted.count == 3)
        for path in ["/v2/actors/\(actor)/runs", "/v2/actor-runs"] {
            let filtered = try Self.runs(&world, path, ["status": "FAILED,ABORTED"])
            #expect(filtered.items.map(\.id) == wanted && filtered.total == 3, "\(path)")
            let newestFirst = try Self.runs(&world, path, ["status": "FAILED,ABORTED", "desc": "1", "limit": "2"])
            #expect(newestFirst.items.map(\.id) == Array(wanted.reversed().prefix(2)) && newestFirst.total == 3)
        }
    }

    @Test func startedAfterAndBeforeAreInclusiveFilterBeforePagingAndDropUndatedRuns() throws {
        var world = SimulatedWorld(token: "t", seed: 3)
        let actor = world.addActor()
        let runs = world.createActorRuns(actor: actor, count: 10)
        let undated = world.createActorRun(actor: actor, startedAtMs: nil)
        let (after, before) = (Self.startedAt(world, runs[2]), Self.startedAt(world, runs[5]))
        for path in ["/v2/actors/\(actor)/runs", "/v2/actor-runs"] {
            #expect(try Self.runs(&world, path).items.map(\.id) == [undated] + runs)
            let window = try Self.runs(&world, path, ["startedAfter": after, "startedBefore": before])
            #expect(window.items.map(\.id) == Array(runs[2...5]) && window.total == 4, "\(path)")
            let fromAfter = try Self.runs(&world, path, ["startedAfter": after])
            #expect(fromAfter.items.map(\.id) == Array(runs[2...]) && fromAfter.total == 8)
            let upToBefore = try Self.runs(&world, path, ["startedBefore": before])
            #expect(upToBefore.items.map(\.id) == Array(runs[...5]) && upToBefore.total == 6)
            let paged = try Self.runs(
                &world,
                path,
                ["startedAfter": after, "startedBefore": before, "offset": "1", "limit": "2", "desc": "1"]
            )
            #expect(paged.items.map(\.id) == [runs[4], runs[3]] && paged.total == 4)
            let oneInstant = try Self.runs(&world, path, ["startedAfter": after, "startedBefore": after])
            #expect(oneInstant.items.map(\.id) == [runs[2]])
        }
    }

    @Test(arguments: ["yesterday", "2025-01-01T00:00:00Z", "2025-02-30T00:00:00.000Z", "2025-01-01T24:00:00.000Z", ""])
    func anUnreadableStartBoundIsRefusedNamingTheParameter(value: String) throws {
        var world = SimulatedWorld(token: "t", seed: 3)
        let actor = world.addActor()
        world.createActorRuns(actor: actor, count: 2)
        for name in ["startedAfter", "startedBefore"] {
            for path in ["/v2/actors/\(actor)/runs", "/v2/actor-runs"] {
                let response = try Self.get(&world, path, [name: value])
                #expect(response.status == 400 && Self.errorType(response) == "invalid-input")
                let message = ResponseDecoder.apiError(from: response.body)?.message
                #expect(message?.contains(name) == true, "\(String(describing: message))")
            }
        }
    }

    @Test func theTaskRunListIgnoresTheStartBounds() throws {
        var world = SimulatedWorld(token: "t", seed: 3)
        let task = world.addTask()
        let runs = world.createRuns(task: task, count: 4)
        let bounds = ["startedAfter": Self.startedAt(world, runs[3]), "startedBefore": "not a date"]
        let page = try Self.runs(&world, "/v2/actor-tasks/\(task)/runs", bounds)
        #expect(page.items.map(\.id) == runs && page.total == 4)
    }

    @Test func actorsAnswerToUsernameTildeNameAndTheOldPrefix() throws {
        var world = SimulatedWorld(token: "t", seed: 5)
        let actor = world.addActor(username: "acme", name: "crawler")
        let task = world.addTask(username: "acme", name: "nightly", actId: actor)
        let runs = world.createActorRuns(actor: actor, count: 2) + world.createRuns(task: task, count: 1)
        for reference in [actor, "acme~crawler", "acme%7Ecrawler"] {
            #expect(try Self.runs(&world, "/v2/actors/\(reference)/runs").items.map(\.id) == runs, "\(reference)")
            #expect(try Self.decode(Resource.self, Self.get(&world, "/v2/actors/\(reference)")).id == actor)
        }
        #expect(try Self.runs(&world, "/v2/acts/acme~crawler/runs").items.map(\.id) == runs)
        #expect(try Self.decode(Resource.self, Self.get(&world, "/v2/acts/\(actor)")).name == "crawler")
        for path in ["/v2/actors/acme~nightly", "/v2/actors/janedoe~crawler/runs", "/v2/actors/\(task)/runs"] {
            let response = try Self.get(&world, path)
            #expect(response.status == 404 && Self.errorType(response) == "record-not-found", "\(path)")
            #expect(ResponseDecoder.apiError(from: response.body)?.message == "Actor was not found")
        }
    }

    @Test func anActorDescribesItselfAndCountsEveryRunOfIt() throws {
        var world = SimulatedWorld(token: "t", seed: 5)
        let actor = world.addActor(username: "acme", name: "crawler")
        let task = world.addTask(actId: actor)
        let gone = world.addTask(actId: actor)
        world.createActorRuns(actor: actor, count: 2)
        world.createRuns(task: task, count: 3)
        world.createRuns(task: gone, count: 4)
        world.createRuns(task: world.addTask(), count: 5)
        world.removeTask(gone)
        let described = try Self.decode(Resource.self, Self.get(&world, "/v2/actors/\(actor)"))
        #expect(described.id == actor && described.name == "crawler" && described.username == "acme")
        #expect(described.userId == world.run(world.tasks[task]!.runs[0].id)!.userId && described.actId == nil)
        #expect(described.stats.totalRuns == 9)
        #expect(
            ISOTimestamp.exactMilliseconds(described.createdAt) != nil && described.modifiedAt == described.createdAt
        )
        let ofTask = try Self.decode(Resource.self, Self.get(&world, "/v2/actor-tasks/\(task)"))
        #expect(ofTask.actId == actor && ofTask.stats.totalRuns == 3 && ofTask.createdAt > described.createdAt)
    }

    @Test func everyTaskHasAnActorTheWorldKnows() throws {
        var world = SimulatedWorld(token: "t", seed: 5)
        let task = world.addTask(username: "acme", actId: "ACTOR00000000001")
        let another = world.addTask(actId: "ACTOR00000000001")
        let own = world.addTask(username: "solo")
        #expect(world.tasks[task]!.actId == "ACTOR00000000001" && world.tasks[another]!.actId == "ACTOR00000000001")
        #expect(world.actors.count == 2)
        let shared = try Self.decode(Resource.self, Self.get(&world, "/v2/actors/ACTOR00000000001"))
        #expect(shared.username == "acme" && shared.name.hasPrefix("actor-"))
        let ownActor = try #require(world.actors[world.tasks[own]!.actId])
        #expect(ownActor.username == "solo" && ownActor.name != shared.name)
        #expect(try Self.get(&world, "/v2/actors/\(ownActor.qualifiedName)").status == 200)
    }

    @Test func theTaskListPagesTheAccountsTasksInCreationOrder() throws {
        var world = SimulatedWorld(token: "t", seed: 9)
        let tasks = (0..<5).map { world.addTask(name: "task-\($0)") }
        world.createRuns(task: tasks[1], count: 3)
        let all = try Self.decode(ResourceList.self, Self.get(&world, "/v2/actor-tasks"))
        #expect(all.items.map(\.id) == tasks && all.total == 5 && all.count == 5 && all.limit == 1000)
        #expect(all.items.map(\.createdAt) == all.items.map(\.createdAt).sorted())
        #expect(Set(all.items.map(\.createdAt)).count == 5)
        #expect(all.items.map(\.stats.totalRuns) == [0, 3, 0, 0, 0])
        #expect(all.items.allSatisfy { world.tasks[$0.id]!.actId == $0.actId && $0.username == "janedoe" })
        #expect(all.items.map(\.name) == (0..<5).map { "task-\($0)" })

        var paged: [String] = []
        for offset in [0, 2, 4] {
            let page = try Self.decode(
                ResourceList.self,
                Self.get(&world, "/v2/actor-tasks", ["offset": "\(offset)", "limit": "2"])
            )
            #expect(page.total == 5 && page.offset == offset && page.limit == 2 && page.count == page.items.count)
            paged += page.items.map(\.id)
        }
        #expect(paged == tasks)
        let newest = try Self.decode(
            ResourceList.self,
            Self.get(&world, "/v2/actor-tasks", ["desc": "1", "limit": "0"])
        )
        #expect(newest.items.map(\.id) == tasks.reversed() && newest.desc && newest.limit == 1000)
        let refused = try Self.get(&world, "/v2/actor-tasks", ["limit": "-1"])
        #expect(refused.status == 400 && Self.errorType(refused) == "invalid-input")

        world.imperfections.pageCap = 2
        let capped = try Self.decode(ResourceList.self, Self.get(&world, "/v2/actor-tasks", ["offset": "1"]))
        #expect(capped.items.map(\.id) == Array(tasks[1...2]) && capped.limit == 2 && capped.total == 5)
    }

    @Test func aRemovedTaskIsGoneButItsRunsStayWithItsActorAndTheAccount() throws {
        var world = SimulatedWorld(token: "t", seed: 13)
        let actor = world.addActor()
        let kept = world.addTask(actId: actor)
        let removed = world.addTask(name: "doomed", actId: actor)
        let runs = world.createRuns(task: removed, count: 2) + world.createRuns(task: kept, count: 1)
        let running = world.createRuns(task: removed, count: 1, status: "RUNNING")[0]
        world.removeTask(removed)

        let tasks = try Self.decode(ResourceList.self, Self.get(&world, "/v2/actor-tasks"))
        #expect(tasks.items.map(\.id) == [kept] && tasks.total == 1)
        for path in [
            "/v2/actor-tasks/\(removed)", "/v2/actor-tasks/janedoe~doomed", "/v2/actor-tasks/\(removed)/runs",
        ] {
            let response = try Self.get(&world, path)
            #expect(response.status == 404 && Self.errorType(response) == "record-not-found", "\(path)")
        }
        #expect(try Self.runs(&world, "/v2/actors/\(actor)/runs").items.map(\.id) == runs + [running])
        #expect(try Self.runs(&world, "/v2/actor-runs").items.map(\.id) == runs + [running])
        #expect(try Self.get(&world, "/v2/actor-runs/\(runs[0])").status == 200)

        world.setStatus(run: running, to: "SUCCEEDED")
        let finished = try ResponseDecoder.run(from: Self.get(&world, "/v2/actor-runs/\(running)").body)
        #expect(finished.status == "SUCCEEDED" && finished.finishedAt != nil && finished.actorTaskId == removed)
        world.delete(run: runs[0])
        #expect(try Self.get(&world, "/v2/actor-runs/\(runs[0])").status == 404)
        #expect(try Self.runs(&world, "/v2/actor-runs").total == 3)
    }

    @Test func directRunsRenderANullTaskAndObeyTheScriptingAPI() throws {
        var world = SimulatedWorld(token: "t", seed: 17)
        let actor = world.addActor()
        let runs = world.createActorRuns(actor: actor, count: 3, status: "RUNNING")
        let page = try Self.runs(&world, "/v2/actors/\(actor)/runs")
        #expect(page.items.allSatisfy { $0.actorTaskId == nil && $0.actId == actor })
        #expect(String(decoding: page.items[0].rawJSON, as: UTF8.self).contains(#""actorTaskId":null"#))
        let single = try Self.get(&world, "/v2/actor-runs/\(runs[0])")
        #expect(String(decoding: single.body, as: UTF8.self).contains(#""actorTaskId":null,"#))

        world.setStatus(run: runs[0], to: "SUCCEEDED")
        #expect(world.run(runs[0])?.status == "SUCCEEDED" && world.run(runs[0])?.finishedAtMs != nil)
        world.setHiddenWhileUnfinished(run: runs[1])
        let hiding = try Self.runs(&world, "/v2/actor-runs")
        #expect(hiding.items.map(\.id) == [runs[0], runs[2]] && hiding.total == 2)
        #expect(try Self.get(&world, "/v2/actor-runs/\(runs[1])").status == 200)
        world.delete(run: runs[2])
        #expect(world.run(runs[2]) == nil && world.actorOfDirectRun[runs[2]] == nil)
        #expect(try Self.get(&world, "/v2/actor-runs/\(runs[2])").status == 404)
        #expect(world.deleteOldest(actor: actor, count: 1) == [runs[0]])
        #expect(world.actors[actor]!.runs.map(\.id) == [runs[1]])
    }

    @Test func retentionAlsoDeletesTheOldestRunsOfActorsAndOfRemovedTasks() throws {
        var world = SimulatedWorld(token: "t", seed: 19)
        let actor = world.addActor()
        let direct = world.createActorRuns(actor: actor, count: 3)
        let removed = world.addTask(actId: actor)
        let orphaned = world.createRuns(task: removed, count: 3)
        world.removeTask(removed)
        world.imperfections.retentionEveryRequests = 1
        world.imperfections.retentionCount = 2
        let page = try Self.runs(&world, "/v2/actor-runs")
        #expect(page.items.map(\.id) == [direct[2], orphaned[2]] && page.total == 2)
        #expect(world.run(direct[0]) == nil && world.run(orphaned[1]) == nil)
    }

    @Test func faultsTargetEachNewEndpointAlone() throws {
        var world = SimulatedWorld(token: "t", seed: 23)
        world.addActor(id: "ACTOR00000000001")
        world.addTask(id: "TASK000000000001", actId: "ACTOR00000000001")
        let run = world.createRuns(task: "TASK000000000001", count: 2)[0]
        let endpoints: [(SimulatedFault.Target, String)] = [
            (.runList, "/v2/actor-tasks/TASK000000000001/runs"),
            (.actorRunList, "/v2/actors/ACTOR00000000001/runs"),
            (.accountRunList, "/v2/actor-runs"),
            (.run, "/v2/actor-runs/\(run)"),
            (.taskList, "/v2/actor-tasks"),
            (.task, "/v2/actor-tasks/TASK000000000001"),
            (.actor, "/v2/actors/ACTOR00000000001"),
        ]
        for (target, path) in endpoints {
            #expect(SimulatedWorld.target(ofPath: path) == target, "\(path)")
            world.inject(.status(503), for: target)
            let statuses = try endpoints.map { try Self.get(&world, $0.1).status }
            #expect(statuses == endpoints.map { $0.0 == target ? 503 : 200 }, "\(target)")
        }
        // A list filtered by status (the unfinished-runs query) meets only the faults aimed at it, and
        // those never meet an unfiltered list, nor another endpoint's.
        let filtered = ["status": "READY,RUNNING"]
        let filteredTargets: [SimulatedFault.Target] = [
            .filteredRunList, .filteredActorRunList, .filteredAccountRunList,
        ]
        for ((target, path), filteredTarget) in zip(endpoints.prefix(3), filteredTargets) {
            #expect(SimulatedWorld.faultTarget(path: path, query: filtered) == filteredTarget, "\(path)")
            world.inject(.status(503), for: target)
            #expect(try Self.get(&world, path, filtered).status == 200, "\(target) met a filtered list")
            #expect(try Self.get(&world, path).status == 503, "\(target)")
            world.inject(.status(503), for: filteredTarget)
            #expect(try Self.get(&world, path).status == 200, "a filtered list's fault met \(path)")
            let statuses = try endpoints.prefix(3).map { try Self.get(&world, $0.1, filtered).status }
            #expect(statuses == endpoints.prefix(3).map { $0.1 == path ? 503 : 200 }, "\(filteredTarget)")
        }
        #expect(SimulatedWorld.target(ofPath: "/v2/acts/ACTOR00000000001/runs") == .actorRunList)
        #expect(SimulatedWorld.target(ofPath: "/v2/actors") == nil)
        #expect(SimulatedWorld.target(ofPath: "/v2/actor-runs/x/runs") == nil)

        world.inject(.quirk(.wrongCount), for: .accountRunList)
        world.inject(.quirk(.reversedOrder), for: .actorRunList)
        let miscounted = try Self.runs(&world, "/v2/actor-runs")
        #expect(miscounted.count == miscounted.items.count + 5)
        let reversed = try Self.runs(&world, "/v2/actors/ACTOR00000000001/runs")
        #expect(reversed.items.map(\.id) == world.tasks["TASK000000000001"]!.runs.map(\.id).reversed())
    }

    @Test func theMergedListsShuffleTiesOnlyWhenAsked() throws {
        var world = SimulatedWorld(token: "t", seed: 29)
        let actor = world.addActor()
        let tasks = (0..<4).map { _ in world.addTask(actId: actor) }
        let start = world.nowMs
        for _ in 0..<3 {
            for task in tasks { world.createRun(task: task, startedAtMs: start) }
            world.createActorRun(actor: actor, startedAtMs: start)
        }
        let steady = try Self.runs(&world, "/v2/actors/\(actor)/runs").items.map(\.id)
        let expected = world.actors[actor]!.runs.map(\.id) + tasks.flatMap { world.tasks[$0]!.runs.map(\.id) }
        #expect(steady == expected)
        world.imperfections.unstableTieOrder = true
        let first = try Self.runs(&world, "/v2/actor-runs").items.map(\.id)
        let second = try Self.runs(&world, "/v2/actor-runs").items.map(\.id)
        #expect(first != second && Set(first) == Set(expected) && Set(second) == Set(expected))
    }

    @Test func theDemoRunsAnActorWithoutATask() throws {
        var world = SimulatedWorld(token: "t", seed: 1)
        let now: Int64 = 1_800_000_000_000
        let actor = world.seedDemo(taskCount: 2, historyPerTask: 40, nowMs: now)
        let seeded = try #require(world.actors[actor])
        #expect(seeded.qualifiedName == "demo~sitemap-generator")
        #expect(seeded.runs.count == 40 && seeded.runs.allSatisfy { $0.taskId == nil && $0.isFinal })
        #expect(seeded.runs.allSatisfy { ($0.startedAtMs ?? .max) < now })
        #expect(world.tasks.values.allSatisfy { world.actors[$0.actId]!.runs.isEmpty })

        for tick in 1...40 { world.advanceDemo(nowMs: now + Int64(tick) * 1000) }
        let lived = world.actors[actor]!.runs
        #expect(lived.count > 40 && lived.count <= 60)
        #expect(lived.contains { ($0.startedAtMs ?? 0) > now })
        #expect(lived.allSatisfy { $0.taskId == nil })
        #expect(world.tasks.values.allSatisfy { world.actors[$0.actId]!.runs.isEmpty })
        let listed = try Self.runs(&world, "/v2/actors/demo~sitemap-generator/runs")
        #expect(listed.items.map(\.id) == lived.map(\.id))
    }
}
