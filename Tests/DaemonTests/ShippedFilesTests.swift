import ApifyAPI
import Daemon
import Foundation
import RunModel
import TestSupport
import Testing

/// The files the project ships, as a user meets them: the example configuration, and the code's
/// formatting as the README's lint command checks it (so that CI runs that lint).
@Suite struct ShippedFilesTests {
    private static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test func theExampleConfigurationIsValid() throws {
        let configuration = try Configuration.load(path: Self.root.appendingPathComponent("config.example.json").path)
        #expect(configuration.tasks.count == 2)
        #expect(configuration.database == "/var/lib/apify-runs-sync/runs.db")
        #expect(configuration.interval(of: configuration.tasks[1]) == 300)
    }

    /// `swift format lint --strict -r Sources Tests`, the README's command, with the toolchain's
    /// `swift` (the one running the tests, or the first on PATH).
    @Test(.timeLimit(.minutes(5))) func theCodeIsFormattedAsTheLintWants() async throws {
        let environment = ProcessInfo.processInfo.environment
        let candidates =
            (environment["PATH"] ?? "").split(separator: ":").map { "\($0)/swift" } + ["/opt/swift/usr/bin/swift"]
        let swift = try #require(candidates.first { FileManager.default.isExecutableFile(atPath: $0) })
        let lint = try await ExternalCommand.run(
            [swift, "format", "lint", "--strict", "-r", "Sources", "Tests"],
            directory: Self.root
        )
        #expect(lint.status == 0 && lint.output.isEmpty, "\(lint.output.prefix(2000))")
    }
}
