import CoreMetrics

/// What `metricsListen` turns on: the daemon's metrics recorded into a Prometheus backend of their
/// own, and the server that serves them. Nothing of it exists without that key.
package struct MetricsEndpoint: Sendable {
    package let backend: PrometheusMetricsBackend
    package let metrics: SyncMetrics

    /// `databasePath`: the file whose size each scrape reads.
    package init(databasePath: String) {
        backend = PrometheusMetricsBackend(descriptions: SyncMetrics.descriptions)
        metrics = SyncMetrics(factory: backend, databasePath: databasePath)
    }

    /// Makes the backend swift-metrics' global factory, so that what other libraries record is served
    /// too. Only the program's entry point calls it, once (swift-metrics allows one bootstrap per
    /// process); the daemon's own metrics do not need it.
    package func bootstrapMetricsSystem() {
        MetricsSystem.bootstrap(backend)
    }

    /// The server for `/metrics` on `address`; each scrape reads the database's size first.
    package func serve(on address: ListenAddress) async throws(MetricsServerError) -> MetricsServer {
        let (metrics, backend) = (metrics, backend)
        return try await MetricsServer.bind(address) {
            metrics.refreshDatabaseSize()
            return backend.exposition()
        }
    }
}
