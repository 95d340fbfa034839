import ApifyAPI
import AsyncHTTPClient
import Foundation
import Logging
import RunStore
import RunSync

/// Everything a pass needs, built from a configuration: the HTTP client, the store, the engine.
package struct SyncComponents: Sendable {
    package let configuration: Configuration
    package let http: HTTPClient
    package let store: RunStore
    package let runner: SourcePassRunner
    /// Delivers the events the passes write to the journal and the configured sinks.
    package let alerts: AlertDispatcher
    /// Stuck runs, silent tasks, failure rates and empty results.
    package let health: HealthMonitor

    /// Opens the store (refusing a file that is not ours) and builds the client and engine, through
    /// the proxy that `environment` names, if any; `metrics` count their requests and passes.
    package static func open(
        configuration: Configuration,
        token: APIToken,
        logger: Logger,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        metrics: SyncMetrics? = nil
    ) throws -> SyncComponents {
        // Before the store: nothing is left open when the proxy or the CA file cannot be used.
        let proxy = try configuration.proxy(environment: environment)
        let trusted = try configuration.trustedCertificates()
        let (http, client) = configuration.makeClient(
            token: token,
            logger: logger,
            proxy: proxy,
            trusted: trusted,
            observer: metrics
        )
        let sinks: [any AlertSink]
        let store: RunStore
        do {
            sinks = try configuration.makeSinks(http: http, logger: logger)
            store = try RunStore.open(
                path: configuration.database,
                busyTimeoutMilliseconds: Int32(configuration.busyTimeoutMilliseconds)
            )
        } catch {
            try? http.syncShutdown()
            throw error
        }
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

        let engine = SyncEngine(
            client: client,
            store: store,
            logger: logger,
            readAhead: ReadAhead(requestsPerSecond: configuration.maxRequestsPerSecond)
        )
        let directory = SourceDirectory(client: client, store: store, logger: logger)
        let alerts = AlertDispatcher(
            store: store,
            sinks: sinks,
            client: client,
            logger: logger,
            retentionDays: configuration.alerts.eventRetentionDays,
            metrics: metrics
        )
        return SyncComponents(
            configuration: configuration,
            http: http,
            store: store,
            runner: SourcePassRunner(
                engine: engine,
                reporter: PassReporter(logger: logger),
                directory: directory,
                metrics: metrics
            ),
            alerts: alerts,
            health: HealthMonitor(
                configuration: configuration,
                store: store,
                client: client,
                directory: directory,
                alerts: alerts,
                logger: logger,
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
