import ArgumentParser
import Daemon
import Foundation

/// `apify-runs-sync-bench`: backfill speed, memory and idle-pass cost through the real code path,
/// against the simulator over loopback HTTP, next to what SQLite alone needs for the same pages.
@main
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apify-runs-sync-bench",
        abstract: "Measure backfill throughput, peak memory and idle-pass cost; prints one table.",
        subcommands: [Table.self, Measure.self, Network.self],
        defaultSubcommand: Table.self
    )

    /// As `apify-runs-sync` starts, so that the measurements are of the process it runs.
    static func main() async {
        MallocArenas.apply()
        await main(nil)
    }
}

/// The parent: one simulator and two measuring children per size, then the table.
struct Table: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "table")

    @Option(help: "Runs in the main measurement.") var runs = 200_000
    @Option(parsing: .upToNextOption, help: "More sizes, to show how memory scales.") var scaling: [Int] = [
        20_000, 1_000_000,
    ]
    @Flag(help: "Have the simulator gzip its responses, as the real API does.") var gzip = false

    func run() async throws {
        var rows: [Measurement] = []
        for size in ([runs] + scaling) {
            let simulator = try SimulatorProcess(runs: size, gzip: gzip)
            defer { simulator.stop() }
            for kind in ["daemon", "reference"] {
                rows.append(try measure(kind: kind, runs: size, simulator: simulator))
            }
        }
        // The store alone, also at the smallest size: a page into a small file, next to the mean over
        // a file that grows to the main size.
        let smallest = scaling.filter { $0 < runs }.min()
        for size in [smallest, runs].compactMap({ $0 }) {
            rows.append(try measure(kind: "store", runs: size, simulator: nil))
        }
        print(render(rows))
    }

    private func measure(kind: String, runs: Int, simulator: SimulatorProcess?) throws -> Measurement {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ars-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let child = Process()
        child.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        child.arguments = [
            "measure", "--kind", kind, "--runs", "\(runs)", "--base-url", simulator?.baseURL ?? "-",
            "--task", simulator?.taskId ?? "-",
            "--database", directory.appendingPathComponent("bench.db").path,
        ]
        let output = Pipe()
        child.standardOutput = output
        try child.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        child.waitUntilExit()
        guard child.terminationStatus == 0 else { throw BenchError("the \(kind) measurement of \(runs) runs failed") }
        return try JSONDecoder().decode(Measurement.self, from: data)
    }

    private func render(_ rows: [Measurement]) -> String {
        func mib(_ bytes: Int) -> String { String(format: "%.1f", Double(bytes) / 1_048_576) }
        var lines = [
            "| runs | what | wall s | runs/s | CPU s | requests | peak RSS MiB | idle pass: wall ms, CPU ms, requests, items |",
            "|---:|---|---:|---:|---:|---:|---:|---|",
        ]
        for row in rows {
            if let batch = row.batchMilliseconds {
                lines.append(
                    "| \(row.runs) | \(row.kind) | \(String(format: "%.2f", row.wallSeconds)) | "
                        + "\(Int(Double(row.runs) / row.wallSeconds)) | \(String(format: "%.2f", row.cpuSeconds)) | – | – | "
                        + String(
                            format: "1,000-run batch: %.1f ms mean, %.1f ms slowest",
                            batch,
                            row.slowestBatchMilliseconds ?? 0
                        )
                        + " |"
                )
                continue
            }
            let idle =
                row.idleWallMilliseconds.map {
                    String(
                        format: "%.1f, %.1f, %d, %d",
                        $0,
                        row.idleCPUMilliseconds ?? 0,
                        row.idleRequests ?? 0,
                        row.idleItemsRead ?? 0
                    )
                } ?? "–"
            lines.append(
                "| \(row.runs) | \(row.kind) | \(String(format: "%.2f", row.wallSeconds)) | "
                    + "\(Int(Double(row.runs) / row.wallSeconds)) | \(String(format: "%.2f", row.cpuSeconds)) | "
                    + "\(row.requests) | \(mib(row.peakResidentBytes)) | \(idle) |"
            )
        }
        return lines.joined(separator: "\n")
    }
}

/// A child: one measurement in a fresh process, so that peak RSS is its own; prints one JSON line.
struct Measure: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "measure", shouldDisplay: false)

    @Option var kind: String
    @Option var runs: Int
    @Option var baseURL: String
    @Option var task: String
    @Option var database: String

    func run() async throws {
        let measurement: Measurement
        switch kind {
        case "reference":
            measurement = try await ReferenceIngest.measure(
                runs: runs,
                baseURL: baseURL,
                taskId: task,
                database: database
            )
        case "store":
            measurement = try await StoreOnly.measure(runs: runs, database: database)
        default:
            measurement = try await Backfill.measure(runs: runs, baseURL: baseURL, taskId: task, database: database)
        }
        print(String(decoding: try JSONEncoder().encode(measurement), as: UTF8.self))
    }
}
