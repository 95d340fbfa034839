import ApifySimulator
import ArgumentParser
import Foundation

/// `apify-runs-sync simulate`: the Apify API simulator on its own, for trying the daemon and benchmarking.
struct Simulate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the built-in Apify API simulator until interrupted.",
        discussion: "Prints the base URL and the task IDs; point a configuration's apiBaseUrl at it."
    )

    @Option(help: "The port to listen on (0: any free port).") var port = 0
    @Option(help: "The API token the simulator accepts.") var token = "simulator-token"
    @Option(help: "How many tasks to create.") var tasks = 1
    @Option(help: "How many finished runs each task starts with.") var runs = 1000
    @Option(help: "The seed of the simulated world.") var seed: UInt64 = 1
    @Flag(help: "Let runs start, finish and fail as time passes, as in the demo.") var live = false
    @Flag(inversion: .prefixedNo, help: "gzip responses when the client accepts it.") var compress = true

    func run() async throws {
        let simulator = try await ApifySimulator.start(
            port: port,
            token: token,
            seed: seed,
            compressResponses: compress
        )
        let taskIds = simulator.withWorld { world in
            (0..<tasks).map { _ in
                let task = world.addTask()
                world.createRuns(task: task, count: runs)
                return task
            }
        }
        let banner = "simulator listening on \(simulator.baseURL)\ntasks: \(taskIds.joined(separator: " "))\n"
        FileHandle.standardOutput.write(Data(banner.utf8))
        while true {
            try await Task.sleep(for: .seconds(1))
            if live {
                let now = Int64(Date().timeIntervalSince1970 * 1000)
                simulator.withWorld { $0.advanceDemo(nowMs: now) }
            }
        }
    }
}
