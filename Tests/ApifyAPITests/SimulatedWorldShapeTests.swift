import ApifySimulator
import Testing

/// What the simulator serves looks like the real API's answers, and its demo history lies in the past.
@Suite struct SimulatedWorldShapeTests {
    @Test func theDemoHistoryOfEveryTaskEndsBeforeNow() {
        var world = SimulatedWorld(token: "t", seed: 1)
        let now: Int64 = 1_800_000_000_000
        world.seedDemo(taskCount: 4, historyPerTask: 40, nowMs: now)
        for task in world.tasks.values {
            #expect(task.runs.count == 40)
            #expect(task.runs.allSatisfy { ($0.startedAtMs ?? .max) < now }, "\(task.qualifiedName)")
            // Finished too: recent_failures, newest first, must not start with runs from the future.
            #expect(task.runs.allSatisfy { $0.isFinal && ($0.finishedAtMs ?? .max) < now }, "\(task.qualifiedName)")
        }
    }

    /// `simulate --live` and the demo: a world of 1-second spacing (as `simulate` seeds it) or the
    /// demo's, ticked every second, never holds a run that starts or finishes after the tick.
    @Test(arguments: [false, true])
    func aLiveWorldNeverDatesARunInTheFuture(demo: Bool) {
        var world = SimulatedWorld(token: "t", seed: 7)
        var now: Int64 = 1_800_000_000_000
        if demo {
            world.seedDemo(taskCount: 12, historyPerTask: 40, nowMs: now)
        } else {
            for _ in 0..<12 { world.createRuns(task: world.addTask(), count: 100) }
        }
        for _ in 0..<120 {
            now += 1000
            world.advanceDemo(nowMs: now)
            let runs = world.tasks.values.flatMap(\.runs) + world.actors.values.flatMap(\.runs)
            #expect(runs.allSatisfy { ($0.startedAtMs ?? .min) <= now && ($0.finishedAtMs ?? .min) <= now })
        }
        #expect(world.tasks.values.contains { $0.runs.contains { ($0.startedAtMs ?? 0) > now - 120_000 } })
    }

    @Test func aTaskCarriesItsModificationTime() {
        var world = SimulatedWorld(token: "t", seed: 1)
        let task = world.addTask()
        let response = world.respond(path: "/v2/actor-tasks/\(task)", query: [:], authorization: "Bearer t")
        let body = String(decoding: response.body, as: UTF8.self)
        #expect(response.status == 200)
        #expect(body.contains(#""modifiedAt":""#) && body.contains(#""createdAt":""#), "\(body)")
    }
}
