/// Ways the real API may fall short of its documentation, each a switch a test or
/// `apify-runs-sync simulate` turns on to check that a client survives it. All are off by default;
/// the random ones draw from the world's seeded generator, so a world replays exactly. The paging
/// ones (`pageCap`, `shortPagePercent`, `ignoresOffset`) apply to every list, `GET /v2/actor-tasks`
/// included; the rest concern runs.
package struct SimulatedImperfections: Sendable, Equatable {
    /// Runs that share one `startedAt` millisecond (or that all lack it) come in a fresh random
    /// order on every list request: the API documents no order among them.
    package var unstableTieOrder = false
    /// A list answers at most this many items, whatever the `limit` asked.
    package var pageCap: Int?
    /// With `pageCap`: whether the body's `limit` says what was asked (a short page that does not
    /// admit it) rather than the cap.
    package var echoesRequestedLimit = false
    /// The chance, in percent, that a list page is cut to a random shorter, non-empty length while
    /// its `limit` still says what was asked.
    package var shortPagePercent = 0
    /// Lists are served from offset 0, whatever the `offset` asked (the body still echoes it).
    package var ignoresOffset = false
    /// The `status` query parameter is ignored.
    package var ignoresStatusFilter = false
    /// `startedAfter` and `startedBefore` are ignored by the Actor and account lists (as by a
    /// deployment that predates them).
    package var ignoresStartedFilter = false
    /// The chance, in percent, that a list page carries, right before one of its items, a stale copy
    /// of it with an earlier status (RUNNING for a finished run, READY for a running one). The page
    /// is then one item longer; the later copy is the truth.
    package var staleDuplicatePercent = 0
    /// The chance, in percent, that `GET /v2/actor-runs/:id` of a live run answers 404
    /// `record-not-found` (a flap: the next request may find it).
    package var runNotFoundPercent = 0
    /// Every this many requests (of any kind), before answering, the `retentionCount` oldest runs of
    /// every task, and of every Actor's runs started without a task, are deleted, as data retention
    /// does while a client pages.
    package var retentionEveryRequests: Int?
    package var retentionCount = 1

    package init() {}
}
