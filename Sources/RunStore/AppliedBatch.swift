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

    /// Whether the batch stored a run for the first time in a status that is not final (unknown
    /// statuses included), or made a deleted run live again.
    var storedUnfinishedRuns: Bool {
        revived > 0 || changes.contains { $0.from == nil && !RunStatus.isFinal($0.to) }
            || firstSightings.contains { !RunStatus.isFinal($0.key) && $0.value > 0 }
    }

    /// Moves the first sightings out of `changes` into `firstSightings`.
    mutating func summarizeFirstSightings() {
        for change in changes where change.from == nil { firstSightings[change.to, default: 0] += 1 }
        // A new array: removing in place would keep the whole batch's capacity until the pass settles.
        changes = changes.filter { $0.from != nil }
    }
}
