import ArgumentParser
import Daemon

/// `apify-runs-sync`: keeps a local SQLite copy of Apify task runs.
@main
struct ApifyRunsSync: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apify-runs-sync",
        abstract: "Keeps a local SQLite copy of every run of your Apify tasks, and of every status change.",
        version: ApifyRunsSyncVersion.current,
        subcommands: [Run.self, Once.self, Status.self, CheckConfig.self, TestAlert.self, Demo.self, Simulate.self]
    )

    static func main() async {
        MallocArenas.apply()
        await main(nil)
    }
}
