/// A pass over a task that failed, with the task named and what it had done before failing.
package struct SyncError: Error, CustomStringConvertible, Sendable {
    package let taskId: String
    package let underlying: any Error
    /// What the pass stored before the error; it stays stored.
    package let report: TaskPassReport

    package var description: String { "task \(taskId): \(underlying)" }
}
