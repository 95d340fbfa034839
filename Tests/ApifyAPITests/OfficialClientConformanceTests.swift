import ApifySimulator
import Foundation
import TestSupport
import Testing

/// Apify's official Python client (apify-client 3.4.0, models generated from the OpenAPI
/// specification) reads the simulator and validates every answer: what the simulator serves, the
/// real API would. Runs when `APIFY_CLIENT_PYTHON` names a python that has the client (`.ci/run`
/// makes one in a virtual environment).
@Suite(.serialized) struct OfficialClientConformanceTests {
    static let token = "apify_api_CONFORMANCEtoken0123456789"
    static let python = ProcessInfo.processInfo.environment["APIFY_CLIENT_PYTHON"].flatMap { $0.isEmpty ? nil : $0 }
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../conformance/apify_client_conformance.py").standardized.path

    /// The demo's world after two minutes of life (every status, runs without a task, a task
    /// deleted upstream), and a task long enough to be paged.
    static func startSimulator() async throws -> ApifySimulator {
        let simulator = try await ApifySimulator.start(token: token, seed: 3)
        simulator.withWorld { world in
            let now = Int64(Date().timeIntervalSince1970 * 1000) - 130_000
            world.seedDemo(taskCount: 3, historyPerTask: 40, nowMs: now)
            for tick in 1...120 { world.advanceDemo(nowMs: now + Int64(tick) * 1000) }
            let long = world.addTask(username: "demo", name: "long-history")
            world.createRuns(task: long, count: 1500)
            for status in ["READY", "RUNNING", "TIMING-OUT", "ABORTING", "FAILED", "TIMED-OUT", "ABORTED"] {
                let run = world.createRuns(task: long, count: 1, status: "RUNNING")[0]
                if status != "RUNNING" { world.setStatus(run: run, to: status) }
            }
            let gone = world.addTask(username: "demo", name: "deleted-upstream")
            world.createRuns(task: gone, count: 5)
            world.removeTask(gone)
        }
        return simulator
    }

    /// Runs the script; returns its exit status and output.
    static func conformance(_ python: String, baseURL: String) async throws -> (Int32, String) {
        let run = try await ExternalCommand.run([python, script, baseURL, token])
        return (run.status, run.output)
    }

    @Test(.enabled(if: python != nil, "APIFY_CLIENT_PYTHON is not set: .ci/run sets it to a venv with apify-client"))
    func theOfficialPythonClientValidatesEverythingTheSimulatorServes() async throws {
        let simulator = try await Self.startSimulator()
        let (status, output) = try await Self.conformance(Self.python!, baseURL: simulator.baseURL)
        try await simulator.stop()
        #expect(status == 0, "\(output)")
        #expect(output.contains(" passed, 0 failed") && output.contains("ok: runs().iterate() ("), "\(output)")
        #expect(!output.contains(Self.token))
    }

    @Test(.enabled(if: python != nil, "APIFY_CLIENT_PYTHON is not set: .ci/run sets it to a venv with apify-client"))
    func theScriptFailsOnAnAnswerTheSpecificationRulesOut() async throws {
        let simulator = try await Self.startSimulator()
        // The answer the simulator gave before it carried modifiedAt, once.
        simulator.withWorld { world in
            let task = world.tasks.values.map(\.id).sorted()[0]
            let body = String(
                decoding: world.respond(
                    path: "/v2/actor-tasks/\(task)",
                    query: [:],
                    authorization: "Bearer \(Self.token)"
                )
                .body,
                as: UTF8.self
            )
            let withoutModifiedAt = body.replacing(/"modifiedAt":"[^"]*",/, with: "")
            world.inject(
                .body(status: 200, contentType: "application/json", bytes: Array(withoutModifiedAt.utf8)),
                for: .task
            )
        }
        let (status, output) = try await Self.conformance(Self.python!, baseURL: simulator.baseURL)
        try await simulator.stop()
        #expect(status == 1, "\(output)")
        #expect(output.contains("FAILED: task(") && output.contains("ValidationError"), "\(output)")
        #expect(output.contains(" 1 failed"), "\(output)")
    }
}
