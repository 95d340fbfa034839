import ApifyAPI
import Logging
import RunModel
import RunStore
import RunSync

/// Turns pass results into log lines: each new failure once, a compact line per source that changed,
/// the backfill summary, and a source's errors when they start and when they clear. A source is
/// named by `task=`, `actor=` or `source=account`.
package final class PassReporter: Sendable {
    private let logger: Logger

    package init(logger: Logger) {
        self.logger = logger
    }

    /// Logs a successful pass. Events come from transactions that have committed.
    package func passSucceeded(_ report: TaskPassReport, duration: Duration) {
        logEvents(of: report)
        // `sync_recovered` is an event of the outbox, logged by the journal sink.
        let changed = report.inserted + report.updated + report.markedDeleted + report.statusChangeCount > 0
        var metadata = summary(of: report)
        metadata["duration_ms"] = .stringConvertible(duration.milliseconds)
        logger.log(level: changed ? .info : .debug, "source synced", metadata: metadata)
    }

    /// Logs a failed pass: what it committed before failing, and the error if it is new.
    package func passFailed(_ error: SyncError) {
        logEvents(of: error.report)
        var metadata = Self.naming(error.source, ["event": "pass_failed", "error": "\(error.underlying)"])
        if let count = error.consecutiveFailures { metadata["failed_passes"] = .stringConvertible(count) }
        // The first failure after a success is a `sync_error` event, logged at error level by the
        // journal sink; the first failed pass is a warning here, the repeats debug.
        let first = (error.consecutiveFailures ?? 1) == 1
        logger.log(level: first ? .warning : .debug, "source sync failed", metadata: metadata)
    }

    /// Logs a pass cut short by shutdown, and the events of what it had committed.
    package func passInterrupted(_ error: SyncError) {
        logEvents(of: error.report)
        logger.info(
            "pass interrupted by shutdown",
            metadata: Self.naming(error.source, ["event": "pass_interrupted"])
        )
    }

    /// The backfill's summary. Each new failure is an event of the outbox, which the journal sink
    /// logs (`AlertDispatcher`).
    private func logEvents(of report: TaskPassReport) {
        let counts = report.backfillStatusCounts
        if report.isBackfill && report.inserted > 0 {
            logger.info(
                "backfill stored runs",
                metadata: Self.naming(
                    report.source,
                    [
                        "event": "backfill_summary", "runs_stored": .stringConvertible(report.inserted),
                        "failed": .stringConvertible(counts[RunStatus.failed, default: 0]),
                        "timed_out": .stringConvertible(counts[RunStatus.timedOut, default: 0]),
                        "aborted": .stringConvertible(counts[RunStatus.aborted, default: 0]),
                    ]
                )
            )
        }
    }

    private func summary(of report: TaskPassReport) -> Logger.Metadata {
        var metadata: Logger.Metadata = [
            "event": "task_synced", "new_runs": .stringConvertible(report.inserted),
            "updated_runs": .stringConvertible(report.updated),
            "status_changes": .stringConvertible(report.statusChangeCount),
            "deleted_runs": .stringConvertible(report.markedDeleted), "requests": .stringConvertible(report.requests),
            "items_read": .stringConvertible(report.itemsRead),
            "cursor": "\(report.cursorPath.rawValue)",
        ]
        // The count check found runs missing and looked for them (docs/sync.md).
        if let missing = report.countMismatch { metadata["runs_looked_for"] = .stringConvertible(missing) }
        // Reading ahead (docs/sync.md, "Reading ahead"): pages fetched before they were due, and
        // requests made ahead that were not used.
        if report.pagesReadAhead > 0 { metadata["pages_read_ahead"] = .stringConvertible(report.pagesReadAhead) }
        if report.wastedRequests > 0 { metadata["requests_unused"] = .stringConvertible(report.wastedRequests) }
        return Self.naming(report.source, metadata)
    }

    /// `metadata` with the source named: `task=…`, `actor=…` or `source=account`.
    static func naming(_ source: RunSource, _ metadata: Logger.Metadata) -> Logger.Metadata {
        var named = metadata
        named[source.logField.key] = "\(source.logField.value)"
        return named
    }
}
