import ApifyAPI
import CoreMetrics
import RunModel
import RunStore
import RunSync

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The daemon's metrics, through swift-metrics: what passes stored and how they went, how the API
/// answered, when each source last synced, and the database's size.
///
/// Made with an explicit factory (the Prometheus backend in the daemon, a registry of its own in each
/// test), never `MetricsSystem`'s global one, which a process can bootstrap only once. Every metric is
/// named and described in `descriptions`; a new one is an entry there and a method here. Labels are
/// bounded: a source's kind and ID (the configured and discovered sources), a known run status or
/// `other`, an outcome class; never a URL, a path or the token.
package final class SyncMetrics: Sendable {
    /// How a pass ended, for `passes_total`: an interrupted pass (shutdown, reload) is not counted
    /// as a pass, but what it committed is.
    package enum PassOutcome: Sendable {
        case succeeded, failed, interrupted
    }

    package static let runsStored = "apify_runs_sync_runs_stored_total"
    package static let statusChanges = "apify_runs_sync_status_changes_total"
    package static let passes = "apify_runs_sync_passes_total"
    package static let passDuration = "apify_runs_sync_pass_duration_seconds"
    package static let apiRequests = "apify_runs_sync_api_requests_total"
    package static let apiRetries = "apify_runs_sync_api_retries_total"
    package static let lastSuccess = "apify_runs_sync_last_success_timestamp_seconds"
    package static let databaseSize = "apify_runs_sync_database_size_bytes"
    package static let events = "apify_runs_sync_events_total"
    package static let deliveries = "apify_runs_sync_alert_deliveries_total"
    package static let openProblems = "apify_runs_sync_health_problems_open"

    /// A pass takes milliseconds when idle, seconds to minutes in a backfill.
    package static let passDurationBuckets: [Duration] = [
        .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
        .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30), .seconds(60),
        .seconds(120), .seconds(300), .seconds(600),
    ]

    /// Every metric's help text (and buckets), by name.
    package static let descriptions: [String: PrometheusMetricsBackend.Description] = [
        runsStored: .init(help: "Runs stored for the first time, by the source whose pass stored them."),
        statusChanges: .init(
            help: "Status changes recorded in run_status_changes (first sightings included), by source and new status."
        ),
        passes: .init(help: "Passes over a source that ended, by result (ok or failed)."),
        passDuration: .init(help: "How long passes took, by kind of source.", buckets: passDurationBuckets),
        apiRequests: .init(help: "HTTP attempts to the Apify API, by outcome."),
        apiRetries: .init(help: "HTTP attempts to the Apify API that were retried, by the outcome that caused it."),
        lastSuccess: .init(help: "When the last successful pass over a source ended, in Unix seconds."),
        databaseSize: .init(help: "Size of the SQLite database: the main file and its write-ahead log."),
        events: .init(help: "Events of the alert outbox made ready for the sinks, by kind."),
        deliveries: .init(
            help: "Deliveries of events to sinks, by event kind, sink and result (delivered, retry, failed, skipped)."
        ),
        openProblems: .init(help: "Health problems open now, by kind (run_stuck, task_silent, failure_rate)."),
    ]

    private let factory: any MetricsFactory
    private let databasePath: String?
    private let requests: [APIRequestOutcome: Counter]
    private let retries: [APIRequestOutcome: Counter]
    private let databaseBytes: Gauge

    /// `databasePath`: the SQLite file whose size (with its `-wal`) `refreshDatabaseSize` reads.
    package init(factory: any MetricsFactory, databasePath: String?) {
        self.factory = factory
        self.databasePath = databasePath
        // Every outcome from the start, at zero: a rate over a series that appears late misses its
        // first increase.
        var requests: [APIRequestOutcome: Counter] = [:]
        var retries: [APIRequestOutcome: Counter] = [:]
        for outcome in APIRequestOutcome.allCases {
            let dimensions = [("outcome", outcome.rawValue)]
            requests[outcome] = Counter(label: Self.apiRequests, dimensions: dimensions, factory: factory)
            if outcome.isRetryable {
                retries[outcome] = Counter(label: Self.apiRetries, dimensions: dimensions, factory: factory)
            }
        }
        (self.requests, self.retries) = (requests, retries)
        databaseBytes = Gauge(label: Self.databaseSize, dimensions: [], factory: factory)
    }

    /// Counts what a pass committed (whatever its end), and the pass itself unless interrupted.
    package func passEnded(_ report: TaskPassReport, _ outcome: PassOutcome, duration: Duration) {
        let source = Self.dimensions(of: report.source)
        if report.inserted > 0 {
            Counter(label: Self.runsStored, dimensions: source, factory: factory).increment(by: report.inserted)
        }
        for (status, count) in report.statusChangeCounts where count > 0 {
            Counter(
                label: Self.statusChanges,
                dimensions: source + [("to_status", Self.statusLabel(status))],
                factory: factory
            )
            .increment(by: count)
        }
        guard outcome != .interrupted else { return }
        let result = outcome == .succeeded ? "ok" : "failed"
        Counter(label: Self.passes, dimensions: source + [("result", result)], factory: factory).increment()
        Timer(label: Self.passDuration, dimensions: [("source_kind", report.source.kind.rawValue)], factory: factory)
            .recordNanoseconds(duration.nanoseconds)
        if outcome == .succeeded, let succeededAt = report.succeededAt {
            recordLastSuccess(of: report.source, at: succeededAt)
        }
    }

    /// Sets the last success of these sources as the database has it, so that the gauge is there from
    /// the start, not only after each source's next success (a source failing since the start would
    /// otherwise have none).
    package func recordLastSuccesses(_ statuses: [SourceSyncStatus]) {
        for status in statuses {
            if let lastSuccessAt = status.lastSuccessAt { recordLastSuccess(of: status.source, at: lastSuccessAt) }
        }
    }

    /// An event of the outbox made ready for the sinks (its payload written).
    package func eventPrepared(_ kind: EventKind) {
        Counter(label: Self.events, dimensions: [("event", kind.rawValue)], factory: factory).increment()
    }

    /// How one delivery (or the decision not to make it) went: `delivered`, `retry`, `failed` (given
    /// up) or `skipped` (the sink's filters).
    package func eventDelivery(_ kind: EventKind, sink: String, result: String) {
        Counter(
            label: Self.deliveries,
            dimensions: [("event", kind.rawValue), ("sink", sink), ("result", result)],
            factory: factory
        )
        .increment()
    }

    /// The health problems open now, every kind present (0 when none).
    package func openProblems(_ problems: [HealthProblem]) {
        for kind in [EventKind.runStuck, .taskSilent, .failureRate] {
            Gauge(label: Self.openProblems, dimensions: [("problem", kind.rawValue)], factory: factory)
                .record(problems.count { $0.kind == kind })
        }
    }

    /// Reads the database's size (the main file and its write-ahead log) into its gauge.
    package func refreshDatabaseSize() {
        guard let databasePath else { return }
        databaseBytes.record(Self.fileSize(databasePath) + Self.fileSize(databasePath + "-wal"))
    }

    private func recordLastSuccess(of source: RunSource, at timestamp: String) {
        guard let milliseconds = ISOTimestamp.milliseconds(timestamp) else { return }
        Gauge(label: Self.lastSuccess, dimensions: Self.dimensions(of: source), factory: factory)
            .record(Double(milliseconds) / 1000)
    }

    /// `source_kind` (`task`, `actor`, `account`) and `source_id` (empty for the account).
    private static func dimensions(of source: RunSource) -> [(String, String)] {
        [("source_kind", source.kind.rawValue), ("source_id", source.id)]
    }

    /// A status the API documents, or `other`: an API that invented statuses cannot add series.
    static func statusLabel(_ status: String) -> String {
        RunStatus.isFinal(status) || RunStatus.unfinished.contains(status) ? status : "other"
    }

    private static func fileSize(_ path: String) -> Int64 {
        var info = stat()
        return stat(path, &info) == 0 ? Int64(info.st_size) : 0
    }
}

extension SyncMetrics: APIRequestObserver {
    package func attemptEnded(_ outcome: APIRequestOutcome, willRetry: Bool) {
        requests[outcome]?.increment()
        if willRetry { retries[outcome]?.increment() }
    }
}
