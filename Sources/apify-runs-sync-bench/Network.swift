import ArgumentParser
import Foundation

/// `apify-runs-sync-bench network`: what a user sees over a real network. The real binaries, measured
/// from outside: `apify-runs-sync simulate` with every answer delayed (`--latency`), gzip on and the
/// API's rate limit of 60 requests per second per resource enforced, and `apify-runs-sync once`
/// backfilling one task under `/usr/bin/time` (wall, CPU, peak RSS), next to a plain Python script
/// that pages with urllib (`bench/reference.py`). Prints the medians of `--repeat` runs.
struct Network: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "network")

    @Option(help: "Runs of the task to backfill.") var runs = 30_000
    @Option(parsing: .upToNextOption, help: "Latencies to measure, in milliseconds.") var latency: [Int] = [0, 250]
    @Option(name: .customLong("repeat"), help: "Runs of each measurement; the table shows medians.") var repetitions = 5
    @Option(help: "The reference script (skipped when python3 or the script is missing).")
    var reference = "bench/reference.py"
    @Option(help: "Tasks the steady-state row polls every second (0: no steady-state row).") var steadyTasks = 20
    @Option(help: "How long the steady-state row runs, in seconds.") var steadySeconds = 300

    struct Row {
        var latency: Int
        var tool: String
        var wall: Double
        var cpu: Double
        var peakKiB: Int
        var requests: Int
        var peakPerSecond: Int
        var refused: Int
    }

    func run() async throws {
        var rows: [Row] = []
        for milliseconds in latency {
            for tool in ["apify-runs-sync", "python reference"] {
                if tool != "apify-runs-sync", !FileManager.default.fileExists(atPath: reference) { continue }
                var samples: [Row] = []
                for _ in 0..<repetitions {
                    samples.append(try measure(tool: tool, latency: milliseconds))
                }
                let sorted = samples.sorted { $0.wall < $1.wall }
                rows.append(sorted[sorted.count / 2])
            }
        }
        print(
            [
                "| latency ms | tool | wall s | runs/s | CPU s | peak RSS MiB | requests | peak req/s to the list | 429s |",
                "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
            ].joined(separator: "\n")
        )
        for row in rows {
            print(
                "| \(row.latency) | \(row.tool) | \(String(format: "%.2f", row.wall)) | "
                    + "\(Int(Double(runs) / row.wall)) | \(String(format: "%.2f", row.cpu)) | "
                    + "\(String(format: "%.1f", Double(row.peakKiB) / 1024)) | \(row.requests) | \(row.peakPerSecond) | "
                    + "\(row.refused) |"
            )
        }
        if steadyTasks > 0 { print("\n" + (try steadyState())) }
    }

    /// The daemon polling `steadyTasks` quiet tasks every second for `steadySeconds`: its memory at the
    /// end (from /proc, as `ps` would show it) and its CPU per pass.
    private func steadyState() throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ars-idle-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let stats = directory.appendingPathComponent("stats.json").path
        let simulator = try SimulatorProcess(
            runs: 1000,
            gzip: true,
            options: ["--tasks", "\(steadyTasks)", "--stats-file", stats]
        )
        defer { simulator.stop() }
        let config = directory.appendingPathComponent("config.json")
        let tasks = simulator.taskIds.map { "\"\($0)\"" }.joined(separator: ",")
        let database = directory.appendingPathComponent("runs.db").path
        let json =
            #"{"apiBaseUrl":"\#(simulator.baseURL)","database":"\#(database)","pollIntervalSeconds":1,"tasks":[\#(tasks)]}"#
        try Data(json.utf8).write(to: config)
        let daemon = Process()
        daemon.executableURL = SimulatorProcess.binary
        daemon.arguments = ["run", "--config", config.path, "--log-level", "warning"]
        var environment = ProcessInfo.processInfo.environment
        environment["APIFY_TOKEN"] = SimulatorProcess.token
        daemon.environment = environment
        daemon.standardError = FileHandle.nullDevice
        try daemon.run()
        defer {
            daemon.terminate()
            daemon.waitUntilExit()
        }
        // The backfills first (20,000 runs), then the quiet passes that are measured.
        Thread.sleep(forTimeInterval: 15)
        let before = try Self.cpuTicks(of: daemon.processIdentifier)
        let requestsBefore = Self.requests(in: stats)
        // Resident memory half-way and at the end: it must not grow.
        Thread.sleep(forTimeInterval: Double(steadySeconds) / 2)
        let halfWay = try String(contentsOfFile: "/proc/\(daemon.processIdentifier)/status", encoding: .utf8)
        Thread.sleep(forTimeInterval: Double(steadySeconds) / 2)
        let after = try Self.cpuTicks(of: daemon.processIdentifier)
        let requests = Self.requests(in: stats) - requestsBefore
        let status = try String(contentsOfFile: "/proc/\(daemon.processIdentifier)/status", encoding: .utf8)
        func kib(_ field: String, in status: String = status) -> Double {
            let line = status.split(separator: "\n").first { $0.hasPrefix(field + ":") } ?? ""
            return Double(line.split(separator: " ").dropFirst().first.map(String.init) ?? "0").map { $0 / 1024 } ?? 0
        }
        // About two requests per pass when nothing changes.
        let passes = max(1, requests / 2)
        let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
        let cpuMilliseconds = Double(after - before) / ticksPerSecond * 1000 / Double(passes)
        return [
            "| steady state | tasks | seconds | passes | CPU ms per pass | RSS MiB half-way | RSS MiB | anonymous MiB | file MiB |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
            "| polling every second | \(steadyTasks) | \(steadySeconds) | \(passes) | "
                + String(
                    format: "%.2f | %.1f | %.1f | %.1f | %.1f |",
                    cpuMilliseconds,
                    kib("VmRSS", in: halfWay),
                    kib("VmRSS"),
                    kib("RssAnon"),
                    kib("RssFile")
                ),
        ].joined(separator: "\n")
    }

    /// User and system CPU of a process, in clock ticks.
    private static func cpuTicks(of pid: Int32) throws -> Int {
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        // The fields after the command name (which is in parentheses and may hold spaces).
        let fields = stat[stat.index(after: stat.lastIndex(of: ")")!)...].split(separator: " ")
        return (Int(fields[11]) ?? 0) + (Int(fields[12]) ?? 0)
    }

    private static func requests(in stats: String) -> Int {
        let counters =
            (try? JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: stats)))) as? [String: Int]
        return counters?["requests"] ?? 0
    }

    private func measure(tool: String, latency: Int) throws -> Row {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ars-net-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let stats = directory.appendingPathComponent("stats.json").path
        let simulator = try SimulatorProcess(
            runs: runs,
            gzip: true,
            options: ["--latency", "\(latency)", "--rate-limit", "60", "--stats-file", stats]
        )
        defer { simulator.stop() }
        let database = directory.appendingPathComponent("runs.db").path
        var arguments: [String]
        var environment = ProcessInfo.processInfo.environment
        if tool == "apify-runs-sync" {
            let config = directory.appendingPathComponent("config.json")
            let json =
                #"{"apiBaseUrl":"\#(simulator.baseURL)","database":"\#(database)","tasks":["\#(simulator.taskId)"]}"#
            try Data(json.utf8).write(to: config)
            environment["APIFY_TOKEN"] = SimulatorProcess.token
            arguments = [SimulatorProcess.binary.path, "once", "--config", config.path, "--log-level", "warning"]
        } else {
            arguments = ["python3", reference, simulator.baseURL, SimulatorProcess.token, simulator.taskId, database]
        }
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/usr/bin/time")
        child.arguments = ["-f", "TIME %e %U %S %M"] + arguments
        child.environment = environment
        let errors = Pipe()
        child.standardError = errors
        child.standardOutput = FileHandle.nullDevice
        try child.run()
        let output = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        child.waitUntilExit()
        guard child.terminationStatus == 0,
            let line = output.split(separator: "\n").last(where: { $0.hasPrefix("TIME ") })
        else { throw BenchError("\(tool) at \(latency) ms failed: \(output.suffix(2000))") }
        let fields = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        // The simulator writes its counters every second.
        Thread.sleep(forTimeInterval: 1.2)
        let counters =
            (try? JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: stats)))) as? [String: Int]
            ?? [:]
        return Row(
            latency: latency,
            tool: tool,
            wall: fields[0],
            cpu: fields[1] + fields[2],
            peakKiB: Int(fields[3]),
            requests: counters["requests"] ?? 0,
            peakPerSecond: counters["peakPerSecond"] ?? 0,
            refused: counters["refused"] ?? 0
        )
    }
}
