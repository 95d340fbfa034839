import ArgumentParser
import Logging
import RunsSyncService

/// The metrics endpoint when the configuration asks for one (`metricsListen`), with swift-metrics
/// bootstrapped to it; nil, and nothing made, otherwise.
func makeMetricsEndpoint(_ configuration: Configuration) -> MetricsEndpoint? {
    guard configuration.metricsListen != nil else { return nil }
    let endpoint = MetricsEndpoint(databasePath: configuration.database)
    endpoint.bootstrapMetricsSystem()
    return endpoint
}

/// Binds the metrics endpoint, its gauges of last successes read from the database first, or exits
/// with EX_CONFIG (78) naming `metricsListen` when it cannot listen there.
func serveMetrics(
    _ endpoint: MetricsEndpoint,
    on address: ListenAddress,
    context: SyncContext,
    logger: Logger
) async throws -> MetricsServer {
    if let statuses = try? await context.store.sourceStatuses() {
        endpoint.metrics.recordLastSuccesses(statuses)
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
