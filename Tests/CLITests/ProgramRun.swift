import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The `apify-runs-sync` binary, started as a child process with its output captured.
final class ProgramRun: Sendable {
    /// The binary built beside the test bundle.
    static var executable: URL {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidates = [bundle, bundle.deletingLastPathComponent()]
        for directory in candidates {
            let url = directory.appendingPathComponent("apify-runs-sync")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return URL(fileURLWithPath: ".build/debug/apify-runs-sync")
    }

    private let process = Process()
    private let stdoutPipe = Pipe()
    private let stderrPipe = Pipe()
    private let collected = CapturedOutput()

    init(
        _ arguments: [String],
        environment: [String: String] = [:],
        directory: String? = nil,
        viaExecutable: URL? = nil
    ) throws {
        process.executableURL = viaExecutable ?? Self.executable
        process.arguments = viaExecutable == nil ? arguments : Array(arguments.dropFirst())
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "APIFY_TOKEN")
        env.removeValue(forKey: "NOTIFY_SOCKET")
        env.removeValue(forKey: "JOURNAL_STREAM")
        env.removeValue(forKey: "CREDENTIALS_DIRECTORY")
        env.merge(environment) { _, new in new }
        process.environment = env
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        process.standardOutput = stdoutPipe
        process.standardError = stderrPipe
        let collected = self.collected
        stdoutPipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            collected.data.withLock { $0.out.append(data) }
        }
        stderrPipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            collected.data.withLock { $0.err.append(data) }
        }
        try process.run()
    }

    var stdout: String { collected.data.withLock { String(decoding: $0.out, as: UTF8.self) } }
    var stderr: String { collected.data.withLock { String(decoding: $0.err, as: UTF8.self) } }
    var isRunning: Bool { process.isRunning }
    var pid: Int32 { process.processIdentifier }

    func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    /// Waits for the process to end (killing it after `timeout`) and returns its exit status.
    @discardableResult
    func wait(timeout: Duration = .seconds(60)) async -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now > deadline {
                process.terminate()
                kill(process.processIdentifier, SIGKILL)
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
        // Drain what is left in the pipes.
        try? await Task.sleep(for: .milliseconds(50))
        stdoutPipe.fileHandleForReading.readabilityHandler = nil
        stderrPipe.fileHandleForReading.readabilityHandler = nil
        let restOut = (try? stdoutPipe.fileHandleForReading.readToEnd()) ?? nil
        let restErr = (try? stderrPipe.fileHandleForReading.readToEnd()) ?? nil
        collected.data.withLock {
            $0.out.append(restOut ?? Data())
            $0.err.append(restErr ?? Data())
        }
        return process.terminationStatus
    }

    /// Runs to completion and returns the exit status.
    static func run(
        _ arguments: [String],
        environment: [String: String] = [:],
        directory: String? = nil,
        viaExecutable: URL? = nil
    ) async throws -> (status: Int32, stdout: String, stderr: String) {
        let run = try ProgramRun(
            arguments,
            environment: environment,
            directory: directory,
            viaExecutable: viaExecutable
        )
        let status = await run.wait()
        return (status, run.stdout, run.stderr)
    }
}
