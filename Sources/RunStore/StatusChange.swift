/// A status change the store recorded: a run seen for the first time (`from` nil) or in a new status.
package struct StatusChange: Sendable, Equatable {
    /// The run's task, empty for a run started without one.
    package var taskId: String
    /// The run's Actor, when the API named it.
    package var actId: String?
    package var runId: String
    package var from: String?
    package var to: String
    package var startedAt: String?
    package var finishedAt: String?
    package var observedAt: String

    package init(
        taskId: String,
        actId: String? = nil,
        runId: String,
        from: String?,
        to: String,
        startedAt: String?,
        finishedAt: String?,
        observedAt: String
    ) {
        self.taskId = taskId
        self.actId = actId
        self.runId = runId
        self.from = from
        self.to = to
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.observedAt = observedAt
    }
}
