import ApifySimulator
import Foundation
import TestSupport
import Testing

/// libFuzzer over the response decoder and the configuration parser, for a bounded time each
/// (`FUZZ_SECONDS`, default 30). A crash, an assertion in a harness or a sanitizer report fails the test.
@Suite(.serialized) struct FuzzTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static var seconds: Int { Int(ProcessInfo.processInfo.environment["FUZZ_SECONDS"] ?? "") ?? 30 }

    @Test(.timeLimit(.minutes(10))) func theResponseDecoderSurvivesFuzzing() async throws {
        var seeds: [String: [UInt8]] = [:]
        var world = SimulatedWorld(token: "t", seed: 3)
        let task = world.addTask()
        world.createRuns(task: task, count: 3)
        world.createRuns(task: task, count: 1, status: "RUNNING")
        let list = world.respond(path: "/v2/actor-tasks/\(task)/runs", query: ["limit": "3"], authorization: "Bearer t")
        seeds["page"] = list.body
        let runId = world.tasks[task]!.runs[0].id
        seeds["run"] = world.respond(path: "/v2/actor-runs/\(runId)", query: [:], authorization: "Bearer t").body
        seeds["task"] = world.respond(path: "/v2/actor-tasks/\(task)", query: [:], authorization: "Bearer t").body
        seeds["error"] = world.respond(path: "/v2/actor-runs/nope", query: [:], authorization: "Bearer t").body
        seeds["escapes"] = Array(
            #"{"data":{"items":[{"id":"a\u00e9\"","status":"R\nX","meta":{"origin":"\ud83d\ude00"}}]}}"#.utf8
        )
        try await fuzz(
            harness: "ResponseDecoderHarness.swift",
            sources: try sources(of: "RunModel") + sources(of: "ApifyAPI", excluding: Self.apifyAPIExcluded),
            seeds: seeds
        )
    }

    @Test(.timeLimit(.minutes(10))) func theConfigurationParserSurvivesFuzzing() async throws {
        let example = try Data(contentsOf: Self.root.appendingPathComponent("config.example.json"))
        try await fuzz(
            harness: "ConfigurationHarness.swift",
            // Configuration names syntax errors with the API decoder's strict scanner.
            sources: try sources(of: "RunModel") + sources(of: "ApifyAPI", excluding: Self.apifyAPIExcluded)
                + sources(of: "Daemon", excluding: Self.daemonExcluded),
            support: ["StandIns/RunStore.swift", "StandIns/ApifyClient.swift"],
            seeds: [
                "example": Array(example),
                "minimal": Array(#"{"database":"db","tasks":["a"]}"#.utf8),
                "objects": Array(
                    #"{"database":"/x","tasks":[{"id":"u~t","pollIntervalSeconds":5}],"maxRetries":0}"#.utf8
                ),
                "sources": Array(
                    #"{"database":"/x","actors":["u~a",{"id":"A1","pollIntervalSeconds":9}],"allTasks":true,"account":true}"#
                        .utf8
                ),
                "metrics": Array(#"{"database":"/x","account":true,"metricsListen":"[::1]:9464"}"#.utf8),
                "alerts": Array(
                    #"{"database":"/x","tasks":[{"id":"a","minItems":5,"failureRate":{"threshold":0.5}}],"alerts":{"sinks":[{"name":"m","type":"exec","command":["/bin/true"],"events":["run_failed"]},{"name":"s","type":"webhook","url":"https://h/x","format":"slack"}]}}"#
                        .utf8
                ),
            ]
        )
    }

    /// The files of ApifyAPI that the harnesses leave out: the HTTP client and its TLS, built on
    /// AsyncHTTPClient and SwiftNIO, which `swiftc` alone cannot build.
    static let apifyAPIExcluded: Set<String> = [
        "ApifyClient.swift", "HTTPClient+Apify.swift", "HTTPClientTransport.swift", "RunListing.swift",
        "TLSFailure.swift", "TrustedCertificates.swift",
    ]

    /// The files of Daemon that the configuration harness leaves out: the daemon around the
    /// configuration, not the parser.
    static let daemonExcluded: Set<String> = [
        // They import modules the harness does not build (swift-log, SwiftNIO, AsyncHTTPClient,
        // swift-metrics, ServiceLifecycle, RunSync, the malloc module).
        "AlertDispatcher.swift", "Configuration+Client.swift", "Configuration+Sinks.swift", "HealthMonitor.swift",
        "JournalSink.swift", "LineLogHandler.swift", "MallocArenas.swift", "MemoryTrim.swift", "MetricsEndpoint.swift",
        "MetricsHTTPHandler.swift", "MetricsServer.swift", "PassReporter.swift", "PrometheusMetricsBackend.swift",
        "SourceDirectory.swift", "SourcePassRunner.swift", "SyncComponents.swift", "SyncDaemon.swift",
        "SyncMetrics.swift", "WebhookSink.swift",
        // They use the store's events, of which the harness has only a stand-in for one default.
        "AlertPayload.swift", "AlertSink.swift", "AlertSinkConfiguration+Filter.swift", "ExecSink.swift",
        // It reads certificate files with TrustedCertificates, left out of ApifyAPI above.
        "Configuration+Load.swift",
    ]

    /// Every Swift file of `Sources/<target>/` but the `excluded` ones, as `<target>/<file>`: a file
    /// added to the target is fuzzed with it (or breaks the harness's build until it is excluded here).
    private func sources(of target: String, excluding excluded: Set<String> = []) throws -> [String] {
        let folder = Self.root.appendingPathComponent("Sources/\(target)").path
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".swift") }
        let stale = excluded.subtracting(files)
        try #require(stale.isEmpty, "excluded but not in Sources/\(target): \(stale.sorted())")
        return files.filter { !excluded.contains($0) }.sorted().map { "\(target)/\($0)" }
    }

    /// Compiles `harness` with `sources` under libFuzzer and AddressSanitizer and runs it on the seeds.
    /// `support`: more files of the harnesses' folder (stand-ins for what the sources name outside).
    private func fuzz(harness: String, sources: [String], support: [String] = [], seeds: [String: [UInt8]]) async throws
    {
        let swiftc = try #require(Self.findSwiftc(), "swiftc is not on PATH")
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("ars-fuzz-\(UUID().uuidString)")
        let corpus = work.appendingPathComponent("corpus")
        try FileManager.default.createDirectory(at: corpus, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        for (name, bytes) in seeds { try Data(bytes).write(to: corpus.appendingPathComponent(name)) }

        let binary = work.appendingPathComponent("fuzzer").path
        let harnessPath = Self.root.appendingPathComponent("Tests/FuzzTests/Harnesses/\(harness)").path
        // One module for the harness and the sources it fuzzes: their imports of sibling targets go.
        var sourcePaths: [String] = []
        for source in sources {
            let text = try String(contentsOf: Self.root.appendingPathComponent("Sources/\(source)"), encoding: .utf8)
            let copy = work.appendingPathComponent(source.replacingOccurrences(of: "/", with: "_"))
            let kept = text.split(separator: "\n", omittingEmptySubsequences: false).filter {
                $0 != "import RunModel" && $0 != "import ApifyAPI" && $0 != "import RunStore"
            }
            try kept.joined(separator: "\n").write(to: copy, atomically: true, encoding: .utf8)
            sourcePaths.append(copy.path)
        }
        let build = try await ExternalCommand.run(
            [
                swiftc,
                "-sanitize=fuzzer,address", "-parse-as-library", "-O", "-package-name", "apify_runs_sync",
                "-module-name", "Fuzzed", "-o", binary, harnessPath,
            ] + sourcePaths
                + support.map { Self.root.appendingPathComponent("Tests/FuzzTests/Harnesses/\($0)").path }
        )
        try #require(build.status == 0, "building the fuzzer failed:\n\(build.output.suffix(3000))")
        let result = try await ExternalCommand.run(
            [
                binary,
                "-max_total_time=\(Self.seconds)", "-timeout=10", "-rss_limit_mb=2048", "-print_final_stats=1",
                "-artifact_prefix=\(work.path)/", corpus.path,
            ]
        )
        let crashes =
            (try? FileManager.default.contentsOfDirectory(atPath: work.path))?.filter {
                $0.hasPrefix("crash-") || $0.hasPrefix("leak-") || $0.hasPrefix("timeout-") || $0.hasPrefix("oom-")
            } ?? []
        #expect(result.status == 0 && crashes.isEmpty, "\(harness) failed: \(crashes)\n\(result.output.suffix(4000))")
        #expect(result.output.contains("stat::number_of_executed_units"), "the fuzzer did not run")
    }

    private static func findSwiftc() -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        for directory in path.split(separator: ":") + ["/opt/swift/usr/bin", "/usr/bin"] {
            let candidate = "\(directory)/swiftc"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
