/// A stored run of a task that may still change: what the engine needs to refresh it.
package struct UnfinishedRun: Sendable, Equatable {
    package var id: String
    package var status: String
    package var startedAt: String?

    package init(id: String, status: String, startedAt: String?) {
        self.id = id
        self.status = status
        self.startedAt = startedAt
    }
}
