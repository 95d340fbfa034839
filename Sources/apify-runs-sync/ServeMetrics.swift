import ArgumentParser
import Daemon
import Logging

/// The metrics endpoint when the configuration asks for one (`metricsListen`), with swift-metrics
/// bootstrapped to it; nil, and nothing made, otherwise.
func makeMetricsEndpoint(_ configuration: Configuration) -> MetricsEndpoint? {
    guard configuration.metricsListen != nil else { return nil }
    let endpoint = MetricsEndpoint(databasePath: configuration.database)
    endpoint.bootstrapMetricsSystem()
    return endpoint
}

/// Binds the metrics endpoint, with the last successes of the sources the configuration polls read
/// from the database first, or exits with EX_CONFIG (78) naming `metricsListen` when it cannot
/// listen there.
func serveMetrics(
    _ endpoint: MetricsEndpoint,
    on address: ListenAddress,
    context: SyncComponents,
    logger: Logger
) async throws -> MetricsServer {
    if let statuses = try? await context.store.sourceStatuses() {
        let configuration = context.configuration
        endpoint.metrics.recordLastSuccesses(
            statuses.filter {
                configuration.polls($0.source, name: $0.name, removedUpstream: $0.removedAt != nil)
            }
        )
    }
    do {
        let server = try await endpoint.serve(on: address)
        logger.info(
            "serving metrics",
            metadata: ["event": "metrics_listening", "url": "http://\(server.address)/metrics"]
        )
        return server
    } catch {
        logger.critical("cannot serve metrics", metadata: ["event": "config_error", "error": "\(error)"])
        await context.close()
        throw ExitCode(ExitStatus.configuration)
    }
}
