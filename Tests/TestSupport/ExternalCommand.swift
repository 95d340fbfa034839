import Foundation

/// A command run to its end from a test without holding a thread while it runs. Tests share Swift's
/// cooperative pool, one thread per core: a test blocked in `waitUntilExit()` through a compiler's
/// or a linter's minutes stalls every other test in the process, and their deadlines then pass for
/// nothing (a proxied connection once timed out that way in CI).
package enum ExternalCommand {
    /// Runs `arguments` through `/usr/bin/env` (so that `PATH` finds the program), with `environment`
    /// over this process's, in `directory` if given; its exit status and its standard output and
    /// error, together.
    @discardableResult
    package static func run(
        _ arguments: [String],
        environment: [String: String] = [:],
        directory: URL? = nil
    ) async throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        if let directory { process.currentDirectoryURL = directory }
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("ars-command-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: log) }
        let handle = try FileHandle(forWritingTo: log)
        defer { try? handle.close() }
        process.standardOutput = handle
        process.standardError = handle
        let status = try await withCheckedThrowingContinuation {
            (continuation: CheckedContinuation<Int32, any Error>) in
            process.terminationHandler = { ended in continuation.resume(returning: ended.terminationStatus) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        return (status, String(decoding: try Data(contentsOf: log), as: UTF8.self))
    }
}
