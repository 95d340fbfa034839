/// What storing a `RunBatch` did.
package struct AppliedBatch: Sendable, Equatable {
    /// Runs stored for the first time.
    package var inserted = 0
    /// Stored runs whose row was rewritten because something in them changed.
    package var updated = 0
    /// Runs identical to the stored row: nothing written.
    package var unchanged = 0
    /// Runs newly marked deleted upstream.
    package var markedDeleted = 0
    /// The status changes recorded, in the order of the batch.
    package var changes: [StatusChange] = []

    package init() {}
}
