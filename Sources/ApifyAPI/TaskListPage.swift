/// One page of `GET /v2/actor-tasks`: the account's tasks.
package struct TaskListPage: Sendable, Equatable {
    package var total: Int?
    package var items: [ResourceSummary]

    package init(total: Int? = nil, items: [ResourceSummary]) {
        self.total = total
        self.items = items
    }
}
