import Foundation

/// `apify-runs-sync simulate` in a child process, so that its memory is not counted as the daemon's.
final class SimulatorProcess {
    let process = Process()
    let baseURL: String
    let taskIds: [String]
    var taskId: String { taskIds[0] }
    static let token = "bench-token-0123456"

    /// The `apify-runs-sync` binary beside this one.
    static var binary: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(
            "apify-runs-sync"
        )
    }

    /// The simulator's own copy of the binary, removed by `stop()`.
    private let copy: URL

    init(runs: Int, gzip: Bool, options: [String] = []) throws {
        // From a copy of the file: a daemon measured beside it keeps its pages to itself, as on a
        // machine where nothing else runs that file (the kernel reclaims no page that another
        // process maps, which would keep the daemon's start-up pages resident; see `MemoryTrim`).
        copy = FileManager.default.temporaryDirectory.appendingPathComponent("ars-simulator-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: Self.binary, to: copy)
        process.executableURL = copy
        process.arguments =
            ["simulate", "--runs", "\(runs)", "--token", Self.token] + (gzip ? [] : ["--no-compress"]) + options
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        var text = ""
        let handle = output.fileHandleForReading
        while !text.contains("tasks: ") || !text.hasSuffix("\n") {
            let data = handle.availableData
            guard !data.isEmpty else { throw BenchError("the simulator exited before it was ready") }
            text += String(decoding: data, as: UTF8.self)
        }
        let lines = text.split(separator: "\n")
        guard let url = lines.first(where: { $0.hasPrefix("simulator listening on ") })?.split(separator: " ").last,
            let tasks = lines.first(where: { $0.hasPrefix("tasks: ") })?.split(separator: " ").dropFirst(),
            !tasks.isEmpty
        else { throw BenchError("unexpected simulator output: \(text)") }
        baseURL = String(url)
        taskIds = tasks.map(String.init)
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: copy)
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
