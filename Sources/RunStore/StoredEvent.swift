import RunModel

/// An event of the outbox as a sink receives it, with what the store knows of its run.
package struct StoredEvent: Sendable, Equatable {
    package var id: Int64
    package var kind: EventKind
    /// The source whose passes a `sync_error` or `sync_recovered` is about.
    package var source: RunSource?
    /// The run's task (empty for a run started without one) and Actor.
    package var taskId: String?
    package var actorId: String?
    package var runId: String?
    package var fromStatus: String?
    package var toStatus: String?
    /// The error of a `sync_error`; the run's `statusMessage` once read.
    package var message: String?
    package var startedAt: String?
    package var finishedAt: String?
    package var occurredAt: String
    /// The JSON the hooks receive; nil until the event is ready (`RunStore.setPayload`).
    package var payload: String?
    /// From the run's row and the `names` table, for the payload.
    package var taskName: String?
    package var actorName: String?
    package var exitCode: Int?
    package var usageTotalUsd: Double?
    package var defaultDatasetId: String?
    /// Whether the run's single GET was stored (`status_message`, `exit_code`, `run_details`) while
    /// the run was in the status it has now.
    package var hasRunDetails = false

    package init(id: Int64, kind: EventKind, occurredAt: String) {
        self.id = id
        self.kind = kind
        self.occurredAt = occurredAt
    }

    /// The Apify Console's page of the event's run.
    package var consoleURL: String? { runId.map(ConsoleURL.run) }

    /// Whether `message` is the run's own `statusMessage` (a failure, a success after failures),
    /// rather than the daemon's finding (a health problem, an empty result) or a sync error.
    package var carriesStatusMessage: Bool {
        switch kind {
        case .runFailed, .runTimedOut, .runAborted, .runSucceededAfterFailure: true
        default: false
        }
    }

    /// The key events are delivered in order by: the run's task, else its Actor, else the source.
    package var orderKey: String {
        if let taskId, !taskId.isEmpty { return "task:\(taskId)" }
        if let actorId, !actorId.isEmpty { return "actor:\(actorId)" }
        if let source { return "\(source.kind.rawValue):\(source.id)" }
        return ""
    }
}
