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
    /// Runs newly marked deleted upstream.
    package var markedDeleted = 0
    /// The status changes recorded, in the order the batch was written (by run ID).
    package var changes: [StatusChange] = []
    /// The shared transaction the batch joined (see `RunStore.commit(epochs:)`).
    package var epoch: UInt64 = 0

    package init() {}
}
