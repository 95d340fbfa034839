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
    @Option(help: "The API token the simulator accepts.") var token = "simulator-token-0000"
    @Option(help: "How many tasks to create.") var tasks = 1
    @Option(help: "How many finished runs each task starts with.") var runs = 1000
    @Option(help: "The seed of the simulated world.") var seed: UInt64 = 1
    @Flag(
        help: """
            Let runs start, finish and fail every second, as in the demo: new runs start at the current \
            time, never in the future; while a task holds more than 60 runs, its oldest is deleted every \
            second, as retention does.
            """
    )
    var live = false
    @Flag(inversion: .prefixedNo, help: "gzip responses when the client accepts it.") var compress = true

    // The imperfections of a real API (SimulatedImperfections), all off unless asked for.
    @Flag(help: "Serve runs that share a startedAt millisecond in a fresh random order on every list request.")
    var unstableTieOrder = false
    @Option(help: ArgumentHelp("Answer at most N runs per list page; the body's limit says N.", valueName: "N"))
    var pageCap: Int?
    @Flag(help: "With --page-cap, the body's limit says what was asked instead: a short page that does not admit it.")
    var echoRequestedLimit = false
    @Option(
        help: ArgumentHelp(
            "Cut P% of list pages to a shorter, non-empty length, their limit still saying what was asked.",
            valueName: "P"
        )
    )
    var shortPagePercent = 0
    @Flag(help: "Serve every list from offset 0, whatever the offset asked (the body still echoes it).")
    var ignoreOffset = false
    @Flag(help: "Ignore the status filter of list requests.") var ignoreStatusFilter = false
    @Option(
        help: ArgumentHelp(
            """
            Give P% of list pages, right before one item, a stale copy of it with an earlier status \
            (RUNNING for a finished run, READY for a running one); the later copy is the truth.
            """,
            valueName: "P"
        )
    )
    var staleDuplicatePercent = 0
    @Option(
        help: ArgumentHelp(
            "Answer P% of GET /v2/actor-runs/:id for existing runs with 404 record-not-found.",
            valueName: "P"
        )
    )
    var runNotFoundPercent = 0
    @Option(
        help: ArgumentHelp(
            "Every N requests, delete the --retention-count oldest runs of every task, as data retention does.",
            valueName: "N"
        )
    )
    var retentionEveryRequests: Int?
    @Option(help: ArgumentHelp("How many runs of each task --retention-every-requests deletes.", valueName: "K"))
    var retentionCount = 1
    @Option(help: "How many Actors run without a task to create (their runs are listed by /v2/actors/:id/runs).")
    var actors = 0
    @Option(help: "How many finished runs each of those Actors starts with.") var actorRuns = 1000
    @Option(
        help: ArgumentHelp(
            "Answer every request this many milliseconds late, each on its own (as a distant server does).",
            valueName: "MS"
        )
    )
    var latency = 0
    @Option(
        help: ArgumentHelp(
            "Answer 429 rate-limit-exceeded past N requests per second to one resource (the API's is 60).",
            valueName: "N"
        )
    )
    var rateLimit: Int?
    @Option(
        help: ArgumentHelp(
            "Write the traffic seen so far (requests, peak requests per second to one resource, 429s) to this JSON file every second.",
            valueName: "PATH"
        )
    )
    var statsFile: String?

    func validate() throws {
        for (name, percent) in [
            ("--short-page-percent", shortPagePercent), ("--stale-duplicate-percent", staleDuplicatePercent),
            ("--run-not-found-percent", runNotFoundPercent),
        ] where !(0...100).contains(percent) {
            throw ValidationError("\(name) must be between 0 and 100")
        }
        for (name, count) in [
            ("--page-cap", pageCap), ("--retention-every-requests", retentionEveryRequests),
            ("--rate-limit", rateLimit),
        ] {
            if let count, count < 1 { throw ValidationError("\(name) must be at least 1") }
        }
        guard retentionCount >= 1 else { throw ValidationError("--retention-count must be at least 1") }
        guard latency >= 0, actors >= 0, actorRuns >= 0 else {
            throw ValidationError("--latency, --actors and --actor-runs must not be negative")
        }
    }

    /// The switches as the options set them.
    private var imperfections: SimulatedImperfections {
        var imperfections = SimulatedImperfections()
        imperfections.unstableTieOrder = unstableTieOrder
        imperfections.pageCap = pageCap
        imperfections.echoesRequestedLimit = echoRequestedLimit
        imperfections.shortPagePercent = shortPagePercent
        imperfections.ignoresOffset = ignoreOffset
        imperfections.ignoresStatusFilter = ignoreStatusFilter
        imperfections.staleDuplicatePercent = staleDuplicatePercent
        imperfections.runNotFoundPercent = runNotFoundPercent
        imperfections.retentionEveryRequests = retentionEveryRequests
        imperfections.retentionCount = retentionCount
        return imperfections
    }

    func run() async throws {
        let simulator = try await ApifySimulator.start(
            port: port,
            token: token,
            seed: seed,
            compressResponses: compress
        )
        let (taskIds, actorIds) = simulator.withWorld { world in
            world.imperfections = imperfections
            world.responseDelay = .milliseconds(latency)
            world.rateLimit = rateLimit.map(SimulatedRateLimit.init(perSecond:))
            let taskIds = (0..<tasks).map { _ in
                let task = world.addTask()
                world.createRuns(task: task, count: runs)
                return task
            }
            let actorIds = (0..<actors).map { index in
                let actor = world.addActor(name: "direct-\(index + 1)")
                world.createActorRuns(actor: actor, count: actorRuns)
                return actor
            }
            return (taskIds, actorIds)
        }
        var banner = "simulator listening on \(simulator.baseURL)\ntasks: \(taskIds.joined(separator: " "))\n"
        if !actorIds.isEmpty { banner += "actors: \(actorIds.joined(separator: " "))\n" }
        FileHandle.standardOutput.write(Data(banner.utf8))
        while true {
            try await Task.sleep(for: .seconds(1))
            if let statsFile {
                let stats = simulator.withWorld { world in
                    #"{"requests":\#(world.requestCount),"peakPerSecond":\#(world.rateLimit?.peakPerSecond ?? 0),"#
                        + #""refused":\#(world.rateLimit?.refused ?? 0)}"#
                }
                try Data(stats.utf8).write(to: URL(fileURLWithPath: statsFile), options: .atomic)
            }
            if live {
                let now = Int64(Date().timeIntervalSince1970 * 1000)
                simulator.withWorld { $0.advanceDemo(nowMs: now) }
            }
        }
    }
}
