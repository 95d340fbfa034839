import ApifyAPI
import AsyncHTTPClient
import Logging
import RunStore
import RunSync

/// Everything a pass needs, built from a configuration: the HTTP client, the store, the engine.
package struct SyncContext: Sendable {
    package let configuration: Configuration
    package let http: HTTPClient
    package let store: RunStore
    package let runner: SourcePassRunner

    /// Opens the store (refusing a file that is not ours) and builds the client and engine; `metrics`
    /// count their requests and passes.
    package static func open(
        configuration: Configuration,
        token: APIToken,
        logger: Logger,
        metrics: SyncMetrics? = nil
    ) throws -> SyncContext {
        let store = try RunStore.open(
            path: configuration.database,
            busyTimeoutMilliseconds: Int32(configuration.busyTimeoutMilliseconds)
        )
        if let upgrade = store.upgrade {
            logger.notice(
                "database schema upgraded",
                metadata: [
                    "event": "schema_upgraded", "database": "\(configuration.database)",
                    "from_version": .stringConvertible(upgrade.fromVersion),
                    "to_version": .stringConvertible(upgrade.toVersion),
                    "duration_ms": .stringConvertible(upgrade.duration.milliseconds),
                ]
            )
        }
        let (http, client) = configuration.makeClient(token: token, logger: logger, observer: metrics)
        let engine = SyncEngine(
            client: client,
            store: store,
            logger: logger,
            readAhead: ReadAhead(requestsPerSecond: configuration.maxRequestsPerSecond)
        )
        return SyncContext(
            configuration: configuration,
            http: http,
            store: store,
            runner: SourcePassRunner(
                engine: engine,
                reporter: PassReporter(logger: logger),
                directory: SourceDirectory(client: client, store: store, logger: logger),
                metrics: metrics
            )
        )
    }

    /// Shuts the HTTP client down and closes the database (after `PRAGMA optimize`).
    package func close() async {
        try? await http.shutdown()
        try? await store.close()
    }
}
