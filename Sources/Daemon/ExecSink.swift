import Foundation
import RunStore

/// Runs a command per event, without a shell: the payload on stdin, the event in the environment
/// (`APIFY_EVENT`, `APIFY_EVENT_ID`, `APIFY_RUN_ID`, `APIFY_TASK`, `APIFY_ACTOR`, `APIFY_STATUS`,
/// `APIFY_CONSOLE_URL`). Exit status 0 is delivered; another status, a signal or the timeout is a
/// failed attempt, tried again later. The daemon's environment is passed on without `APIFY_TOKEN`.
package struct ExecSink: AlertSink {
    package let name: String
    private let configuration: AlertSinkConfiguration
    private let command: [String]
    private let timeout: Duration
    package let maxConcurrent: Int
    private let maxAttempts: Int

    package init(_ configuration: AlertSinkConfiguration) {
        guard case .exec(let command, let timeoutSeconds, let maxConcurrent, let maxAttempts) = configuration.kind
        else { preconditionFailure("ExecSink takes an exec sink's configuration") }
        self.name = configuration.name
        self.configuration = configuration
        self.command = command
        self.timeout = .milliseconds(Int64(timeoutSeconds * 1000))
        self.maxConcurrent = maxConcurrent
        self.maxAttempts = maxAttempts
        // A command that exits without reading its stdin must fail the write, not kill the daemon.
        signal(SIGPIPE, SIG_IGN)
    }

    package func takes(_ event: StoredEvent) -> Bool { configuration.takes(event) }

    package func retryDate(afterAttempts attempts: Int, firstAttempt: Date, now: Date) -> Date? {
        attempts < maxAttempts ? alertBackoff(afterAttempts: attempts, now: now) : nil
    }

    package func deliver(_ event: StoredEvent, payload: String) async -> DeliveryOutcome {
        var environment = ProcessInfo.processInfo.environment
        environment["APIFY_TOKEN"] = nil
        environment["APIFY_EVENT"] = event.kind.rawValue
        environment["APIFY_EVENT_ID"] = String(event.id)
        environment["APIFY_RUN_ID"] = event.runId ?? ""
        environment["APIFY_TASK"] = event.taskName ?? event.taskId ?? ""
        environment["APIFY_ACTOR"] = event.actorName ?? event.actorId ?? ""
        environment["APIFY_STATUS"] = event.toStatus ?? ""
        environment["APIFY_CONSOLE_URL"] = event.consoleURL ?? ""
        let (ending, stderr) = await ChildProcess.run(
            command,
            environment: environment,
            input: Array((payload + "\n").utf8),
            timeout: timeout
        )
        let detail = stderr.isEmpty ? "" : ": \(stderr)"
        switch ending {
        case .exited(0): return .delivered
        case .exited(let status): return .failed("\(command[0]) exited with status \(status)\(detail)")
        case .killed(let signal): return .failed("\(command[0]) was killed by signal \(signal)\(detail)")
        case .timedOut: return .failed("\(command[0]) timed out after \(timeout) and was stopped\(detail)")
        case .notStarted(let reason): return .failed(reason)
        }
    }
}
