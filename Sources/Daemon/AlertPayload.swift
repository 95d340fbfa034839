import Foundation
import RunModel
import RunStore

/// The JSON an `exec` sink reads on stdin and a webhook sink POSTs (README, "Alerts"): the event,
/// its run and why it ended, and `text`, a one-line summary for people.
package struct AlertPayload: Encodable, Sendable, Equatable {
    package var event: String
    package var eventId: Int64
    package var occurredAt: String
    package var text: String
    package var runId: String?
    package var status: String?
    package var previousStatus: String?
    package var taskId: String?
    package var taskName: String?
    package var actorId: String?
    package var actorName: String?
    package var startedAt: String?
    package var finishedAt: String?
    package var statusMessage: String?
    package var exitCode: Int?
    package var usageTotalUsd: Double?
    package var consoleUrl: String?
    /// For `sync_error` and `sync_recovered`: the source (`task`, `actor`, `account`), its ID, and
    /// the error or how many passes had failed.
    package var source: String?
    package var sourceId: String?
    package var error: String?
    /// What a health check or the dataset check found.
    package var detail: String?

    package init(_ event: StoredEvent) {
        self.event = event.kind.rawValue
        eventId = event.id
        occurredAt = event.occurredAt
        runId = event.runId
        status = event.toStatus
        previousStatus = event.fromStatus
        taskId = event.taskId.flatMap { $0.isEmpty ? nil : $0 }
        taskName = event.taskName
        actorId = event.actorId
        actorName = event.actorName
        startedAt = event.startedAt
        finishedAt = event.finishedAt
        exitCode = event.exitCode
        usageTotalUsd = event.usageTotalUsd
        consoleUrl = event.consoleURL
        if event.carriesStatusMessage {
            statusMessage = event.message
        } else if event.kind == .syncError || event.kind == .syncRecovered {
            error = event.message
        } else {
            detail = event.message
        }
        if !event.kind.isAboutARun {
            source = event.source?.kind.rawValue
            sourceId = event.source.map { $0.id.isEmpty ? nil : $0.id } ?? nil
        }
        text = ""
        text = summary
    }

    /// The payload as compact JSON with sorted keys.
    package var json: String { Self.compactJSON(self) }

    /// `{"text": …}` for Slack-compatible webhooks.
    package var slackJSON: String { Self.compactJSON(["text": text]) }

    /// Compact JSON with sorted keys; encoding plain strings and numbers cannot fail.
    private static func compactJSON(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    /// What the run or source is called: `janedoe~shop`, else its ID.
    private var subject: String {
        if let taskName { return "task \(taskName)" }
        if let taskId { return "task \(taskId)" }
        if let actorName { return "Actor \(actorName)" }
        if let actorId { return "Actor \(actorId)" }
        switch source {
        case "account": return "the account's run list"
        case let kind?: return "\(kind) \(sourceId ?? "")"
        case nil: return "a run"
        }
    }

    private var summary: String {
        let run = runId.map { " run \($0)" } ?? ""
        var line: String
        switch event {
        case EventKind.runFailed.rawValue: line = "Run failed: \(subject)\(run)"
        case EventKind.runTimedOut.rawValue: line = "Run timed out: \(subject)\(run)"
        case EventKind.runAborted.rawValue: line = "Run aborted: \(subject)\(run)"
        case EventKind.runSucceededAfterFailure.rawValue: line = "Run succeeded again: \(subject)\(run)"
        case EventKind.syncError.rawValue: line = "Sync failing: \(subject)"
        case EventKind.syncRecovered.rawValue: line = "Sync recovered: \(subject)"
        case EventKind.emptyResult.rawValue: line = "Run succeeded with too few results: \(subject)\(run)"
        case EventKind.runStuck.rawValue: line = "Run stuck: \(subject)\(run)"
        case EventKind.runStuckRecovered.rawValue: line = "Stuck run finished: \(subject)\(run)"
        case EventKind.taskSilent.rawValue: line = "No new run: \(subject)"
        case EventKind.taskSilentRecovered.rawValue: line = "New run again: \(subject)"
        case EventKind.failureRate.rawValue: line = "Failure rate too high: \(subject)"
        case EventKind.failureRateRecovered.rawValue: line = "Failure rate back to normal: \(subject)"
        default: line = "\(event): \(subject)\(run)"
        }
        if let statusMessage, !statusMessage.isEmpty { line += ": \(statusMessage)" }
        if let exitCode, exitCode != 0 { line += " (exit code \(exitCode))" }
        if let error { line += ": \(error)" }
        if let detail, detail != "resolved" { line += ": \(detail)" }
        if let consoleUrl { line += " \(consoleUrl)" }
        return line
    }
}
