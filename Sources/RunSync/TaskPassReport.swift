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
    }

    package var taskId: String
    package var cursorPath: CursorPath = .continued
    /// How far the anchor had moved (positive: runs deleted before it).
    package var shift = 0
    /// API calls made (retries not counted) and run items read.
    package var requests = 0
    package var itemsRead = 0
    package var inserted = 0
    package var updated = 0
    package var markedDeleted = 0
    package var changes: [StatusChange] = []
    /// Whether this pass was (part of) the task's first complete read, whose failures are summarised.
    package var isBackfill = false
    package var cursor: TaskCursor = .start

    package init(taskId: String) {
        self.taskId = taskId
    }

    /// New failures to report one by one: every failure transition, except first sightings of
    /// historical runs during the backfill, which the summary counts instead.
    package var events: [RunEvent] {
        changes.compactMap { change in
            if isBackfill && change.from == nil { return nil }
            return RunEvent(change)
        }
    }

    /// Failures first seen during the backfill, by final status.
    package var backfillStatusCounts: [String: Int] {
        guard isBackfill else { return [:] }
        var counts: [String: Int] = [:]
        for change in changes where change.from == nil { counts[change.to, default: 0] += 1 }
        return counts
    }

    mutating func add(_ applied: AppliedBatch) {
        inserted += applied.inserted
        updated += applied.updated
        markedDeleted += applied.markedDeleted
        changes += applied.changes
    }
}
