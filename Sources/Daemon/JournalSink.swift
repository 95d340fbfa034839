import Foundation
import Logging
import RunModel
import RunStore

/// The built-in sink: one log line per event, at error level for failures (what
/// `journalctl -p err` shows), warning for aborted runs, notice for recoveries. It never fails.
package struct JournalSink: AlertSink {
    private let logger: Logger

    package init(logger: Logger) {
        self.logger = logger
    }

    package var name: String { AlertSinkConfiguration.journalName }
    package var maxConcurrent: Int { 1 }

    package func takes(_ event: StoredEvent) -> Bool { true }

    package func deliver(_ event: StoredEvent, payload: String) async -> DeliveryOutcome {
        var metadata: Logger.Metadata = ["event": "\(event.kind.rawValue)", "event_id": .stringConvertible(event.id)]
        if event.kind.isAboutARun {
            metadata["run_id"] = "\(event.runId ?? "")"
            metadata["status"] = "\(event.toStatus ?? "")"
            metadata["previous_status"] = "\(event.fromStatus ?? "none")"
            metadata["started_at"] = "\(event.startedAt ?? "")"
            metadata["finished_at"] = "\(event.finishedAt ?? "")"
            metadata["console_url"] = "\(event.consoleURL ?? "")"
            // The run's own task and Actor, whichever source listed it.
            if let task = event.taskId, !task.isEmpty { metadata["task"] = "\(task)" }
            if let actor = event.actorId, !actor.isEmpty { metadata["actor"] = "\(actor)" }
            if let message = event.message {
                metadata[event.carriesStatusMessage ? "status_message" : "detail"] = "\(message)"
            }
            if let exitCode = event.exitCode { metadata["exit_code"] = .stringConvertible(exitCode) }
        } else if let source = event.source {
            metadata[source.logField.key] = "\(source.logField.value)"
            if let message = event.message { metadata[event.kind == .syncError ? "error" : "detail"] = "\(message)" }
        }
        let (level, message): (Logger.Level, String) =
            switch event.kind {
            case .runFailed: (.error, "run failed")
            case .runTimedOut: (.error, "run timed out")
            case .runAborted: (.warning, "run aborted")
            case .runSucceededAfterFailure: (.notice, "run succeeded after failures")
            case .syncError: (.error, "source sync failing")
            case .syncRecovered: (.notice, "source recovered")
            case .emptyResult: (.error, "run succeeded with too few results")
            case .runStuck: (.error, "run stuck")
            case .taskSilent: (.error, "no new run for too long")
            case .failureRate: (.warning, "failure rate too high")
            case .runStuckRecovered: (.notice, "stuck run finished")
            case .taskSilentRecovered: (.notice, "new run after silence")
            case .failureRateRecovered: (.notice, "failure rate back under its threshold")
            }
        logger.log(level: level, "\(message)", metadata: metadata)
        return .delivered
    }

    package func retryDate(afterAttempts attempts: Int, firstAttempt: Date, now: Date) -> Date? { nil }
}
