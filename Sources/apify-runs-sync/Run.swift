import ArgumentParser
import Daemon
import Logging
import ServiceLifecycle

/// `apify-runs-sync run`: the daemon.
struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the daemon: poll every task until SIGTERM or SIGINT."
    )

    @OptionGroup var options: CommonOptions

    func run() async throws {
        let logger = options.bootstrapLogging()
        let (configuration, token) = try options.loadConfigurationAndToken(logger: logger)
        let metrics = makeMetricsEndpoint(configuration)
        let (lock, context) = try openContext(configuration, token: token, logger: logger, metrics: metrics?.metrics)
        var companions: [any Service] = []
        if let metrics, let address = configuration.metricsListen {
            companions.append(try await serveMetrics(metrics, on: address, context: context, logger: logger))
        }
        try await runDaemon(context: context, logger: logger, companions: companions)
        withExtendedLifetime(lock) {}
    }
}

/// Runs the daemon (and any companion services) until a signal, then closes the context.
func runDaemon(context: SyncComponents, logger: Logger, companions: [any Service] = []) async throws {
    let daemon = SyncDaemon(context: context, notifier: SystemdNotifier(), logger: logger)
    // Whichever service returns first (the daemon after a signal, the demo after its duration) ends the rest.
    let services = ([daemon] + companions).map {
        ServiceGroupConfiguration.ServiceConfiguration(
            service: $0,
            successTerminationBehavior: .gracefullyShutdownGroup
        )
    }
    var groupConfiguration = ServiceGroupConfiguration(
        services: services,
        gracefulShutdownSignals: [.sigterm, .sigint],
        logger: logger
    )
    // Under systemd's TimeoutStopSec (30 s): a page in flight commits or rolls back well within it.
    groupConfiguration.maximumGracefulShutdownDuration = .seconds(10)
    let group = ServiceGroup(configuration: groupConfiguration)
    do {
        try await group.run()
    } catch {
        logger.error("daemon stopped on an error", metadata: ["event": "daemon_error", "error": "\(error)"])
        await context.close()
        throw ExitCode(ExitStatus.failure)
    }
    await context.close()
}
