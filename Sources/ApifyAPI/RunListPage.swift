import RunModel

/// One page of `GET /v2/actor-tasks/:actorTaskId/runs`.
package struct RunListPage: Sendable, Equatable {
    /// What the API reported as the list's length at the time of the call; informational only.
    package var total: Int?
    /// The offset the API says this page starts at.
    package var offset: Int?
    package var limit: Int?
    /// The API's `count`; the engine relies on `items.count`, never on this.
    package var count: Int?
    package var desc: Bool?
    package var items: [RunRecord]

    package init(total: Int? = nil, offset: Int? = nil, limit: Int? = nil, count: Int? = nil, items: [RunRecord]) {
        self.total = total
        self.offset = offset
        self.limit = limit
        self.count = count
        self.items = items
    }
}
