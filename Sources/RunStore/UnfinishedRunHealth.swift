/// A live unfinished run as the stuck-run check sees it.
package struct UnfinishedRunHealth: Sendable, Equatable {
    package var id: String
    /// Empty for a run started without a task.
    package var taskId: String
    package var actorId: String?
    package var startedAt: String?
    /// The run's own timeout (`options.timeoutSecs`, 0 for none), once its details were read.
    package var timeoutSeconds: Double?
}
