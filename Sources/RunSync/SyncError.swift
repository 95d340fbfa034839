import RunModel

/// A pass over a task that failed, with the task named and what it had done before failing.
package struct SyncError: Error, CustomStringConvertible, Sendable {
    package let source: RunSource
    package let underlying: any Error
    /// What the pass stored before the error; it stays stored.
    package let report: TaskPassReport
    /// The pass was cancelled (shutdown), not failed.
    package let interrupted: Bool
    /// The source's consecutive failed passes, this one included, as the store counts them (nil when
    /// the pass was interrupted or its failure could not be recorded).
    package let consecutiveFailures: Int?

    package init(
        source: RunSource,
        underlying: any Error,
        report: TaskPassReport,
        interrupted: Bool,
        consecutiveFailures: Int? = nil
    ) {
        self.source = source
        self.underlying = underlying
        self.report = report
        self.interrupted = interrupted
        self.consecutiveFailures = consecutiveFailures
    }

    package var description: String { "\(source): \(underlying)" }
}
