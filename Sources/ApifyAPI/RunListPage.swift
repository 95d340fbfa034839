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
    /// When the request that brought this page was sent, and when its answer arrived (set by the
    /// client): of two pages whose requests overlapped in time, neither is known to be the newer.
    package var requestedAt: ContinuousClock.Instant?
    package var answeredAt: ContinuousClock.Instant?

    package init(total: Int? = nil, offset: Int? = nil, limit: Int? = nil, count: Int? = nil, items: [RunRecord]) {
        self.total = total
        self.offset = offset
        self.limit = limit
        self.count = count
        self.items = items
    }
}
