import ApifyAPI
import Foundation
import RunModel
import RunsSyncService
import TestSupport
import Testing

@Suite struct ShippedFilesTests {
    private static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test func theExampleConfigurationIsValid() throws {
        let configuration = try Configuration.load(path: Self.root.appendingPathComponent("config.example.json").path)
        #expect(configuration.tasks.count == 2)
        #expect(configuration.database == "/var/lib/apify-runs-sync/runs.db")
        #expect(configuration.interval(of: configuration.tasks[1]) == 300)
    }
}
