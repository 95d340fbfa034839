import RunModel

/// What storing a `RunBatch` did.
package struct AppliedBatch: Sendable, Equatable {
    /// Runs stored for the first time.
    package var inserted = 0
    /// Stored runs whose row was rewritten because something in them changed.
    package var updated = 0
    /// Stored runs marked deleted that were listed again, and are live again.
    package var revived = 0
    /// Runs identical to the stored row: nothing written.
    package var unchanged = 0
    /// Of those, runs in another status than stored, kept as stored because the row changed after
    /// the batch's read was asked for (`RunBatch.readSince`).
    package var deferred = 0
    /// Runs newly marked deleted upstream.
    package var markedDeleted = 0
    /// The status changes recorded, in the order the batch was written (by run ID).
    package var changes: [StatusChange] = []
    /// First sightings counted by status instead of kept in `changes`, when the session summarises
    /// them (a backfill: a million runs must not hold a million changes in memory).
    package var firstSightings: [String: Int] = [:]
    /// The shared transaction the batch joined (see `RunStore.commit(epochs:)`).
    package var epoch: UInt64 = 0

    package init() {}

    /// The runs the batch stored for the first time in a status the unfinished-runs query lists.
    var firstSeenInProgress: [String] {
        changes.filter { $0.from == nil && RunStatus.unfinished.contains($0.to) }.map(\.runId)
    }

    /// Moves the first sightings out of `changes` into `firstSightings`.
    mutating func summarizeFirstSightings() {
        for change in changes where change.from == nil { firstSightings[change.to, default: 0] += 1 }
        // A new array: removing in place would keep the whole batch's capacity until the pass settles.
        changes = changes.filter { $0.from != nil }
    }
}
