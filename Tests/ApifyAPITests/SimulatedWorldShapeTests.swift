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
        }
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
