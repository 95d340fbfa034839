import RunModel
import RunStore

/// What one pass over one task did: the figures for logs, `status` and cost assertions.
package struct TaskPassReport: Sendable {
    /// How the pass found its place in the list.
    package enum CursorPath: String, Sendable, Equatable {
        /// The task had never been read: backfill from offset 0.
        case fresh
        /// The anchor was where the cursor expected it.
        case continued
        /// The anchor was found at another offset within the overlap (deletions or late inserts).
        case realigned
        /// The anchor had moved past the overlap or was deleted: found again by binary search.
        case located
        /// Locating failed repeatedly: read again from offset 0.
        case rescanned

        /// The more telling of two paths taken within one pass; a fresh task stays fresh.
        func escalated(to other: CursorPath) -> CursorPath {
            let order: [CursorPath] = [.continued, .realigned, .located, .rescanned]
            guard self != .fresh else { return other == .rescanned ? other : self }
            return order.firstIndex(of: other)! > order.firstIndex(of: self)! ? other : self
        }
    }

    package var source: RunSource
    package var cursorPath: CursorPath = .continued
    /// How far the anchor had moved (positive: runs deleted before it).
    package var shift = 0
    /// API calls made (retries not counted) and run items read.
    package var requests = 0
    package var itemsRead = 0
    /// Runs stored for the first time, rewritten, and marked deleted, in committed transactions.
    package private(set) var inserted = 0
    package private(set) var updated = 0
    /// Runs marked deleted that were listed again (included in `updated`).
    package private(set) var revived = 0
    package var markedDeleted = 0
    /// The committed status changes, except first sightings during the backfill, which are only
    /// counted (a backfill of a million runs must not hold a million changes in memory).
    package private(set) var changes: [StatusChange] = []
    /// Every committed status change, first sightings included.
    package private(set) var statusChangeCount = 0
    /// First sightings during the backfill, by status.
    package private(set) var backfillStatusCounts: [String: Int] = [:]
    /// Whether this pass was (part of) the task's first complete read, whose failures are summarised.
    package var isBackfill = false
    package var cursor: TaskCursor = .start
    /// The `total` of the last page of the forward read, and the offset just past that page.
    package var listTotal: Int?
    package var listEnd: Int?
    /// A keyset read's lower bound (`startedAfter`) and the `total` of its last page: the runs the
    /// API lists from that instant on. Such a read sets neither `listTotal` nor `oldestListed`.
    package var tailStart: String?
    package var tailTotal: Int?
    /// How many more runs the API listed than were stored, when the count check found a difference.
    package var countMismatch: Int?
    /// The `startedAt` of the oldest run listed, when the forward read began at offset 0.
    package var oldestListed: String?
    /// Pages the forward read used that it had fetched ahead.
    package var pagesReadAhead = 0
    /// Requests made ahead for pages the pass did not use (mispredicted offsets, the end of the list,
    /// an early unfinished-runs page asked for again after the forward read stored runs).
    package var wastedRequests = 0
    /// A page was accepted without proof (a `startedAt` group larger than a page: docs/sync.md).
    package var unproven = false
    /// When the pass succeeded, as recorded in `sync_state.last_success_at`; nil until it has.
    package var succeededAt: String?

    package init(source: RunSource) {
        self.source = source
    }

    /// New failures to report one by one: every failure transition, except first sightings of
    /// historical runs during the backfill, which the summary counts instead.
    package var events: [RunEvent] { changes.compactMap(RunEvent.init) }

    /// Every committed status change by the status it went to, first sightings included: the rows
    /// the pass added to `run_status_changes`.
    package var statusChangeCounts: [String: Int] {
        var counts = backfillStatusCounts
        for change in changes { counts[change.to, default: 0] += 1 }
        return counts
    }

    /// Counts batches that committed (`WriteSession.settle()`).
    mutating func count(_ committed: [AppliedBatch]) {
        for applied in committed { count(applied) }
    }

    private mutating func count(_ applied: AppliedBatch) {
        inserted += applied.inserted
        updated += applied.updated
        revived += applied.revived
        markedDeleted += applied.markedDeleted
        statusChangeCount += applied.changes.count + applied.firstSightings.values.reduce(0, +)
        backfillStatusCounts.merge(applied.firstSightings, uniquingKeysWith: +)
        for change in applied.changes {
            if isBackfill && change.from == nil {
                backfillStatusCounts[change.to, default: 0] += 1
            } else {
                changes.append(change)
            }
        }
    }
}
