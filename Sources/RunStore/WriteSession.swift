import Synchronization

/// One pass's writes: the batches it stores, in order, and what became of them.
///
/// Batches join the store's shared write transactions, which commit in groups (`SharedTransaction`),
/// so a batch written is not yet durable, and a transaction can be lost after the batch was written
/// (a failed commit rolls it back). The session keeps the rule that **a cursor never passes runs
/// that did not commit**: its batches are written one after another on the store's thread (the next
/// may be queued while the previous is written), each only if every earlier one was written and no
/// transaction an earlier one joined was lost; and `settle()` commits and says which batches
/// committed, so that a pass reports (and logs events for) only what is durable.
package final class WriteSession: Sendable {
    /// What `settle()` found.
    package struct Settlement: Sendable {
        /// The batches that committed, in the order they were written.
        package var committed: [AppliedBatch]
        /// The first transaction that did not commit, if any: what the pass wrote into it is lost,
        /// and the pass must fail.
        package var failure: StoreCommitError?
    }

    private let store: RunStore
    private let summarizesFirstSightings: Bool
    private let chain = WriteChain()
    /// Batches written since the last `settle()`.
    private let written = Mutex<[AppliedBatch]>([])
    private let inProgressFirstSeen = Mutex<Set<String>>([])

    init(store: RunStore, summarizingFirstSightings: Bool) {
        self.store = store
        self.summarizesFirstSightings = summarizingFirstSightings
    }

    /// Writes a batch planned off the store's thread, after the session's earlier batches; throws if
    /// one of them was not written or its transaction was lost.
    package func apply(_ plan: BatchPlan) async throws -> AppliedBatch {
        var applied = try await store.apply(plan, chain: chain, historical: summarizesFirstSightings)
        let inProgress = applied.firstSeenInProgress
        if !inProgress.isEmpty { inProgressFirstSeen.withLock { $0.formUnion(inProgress) } }
        if summarizesFirstSightings { applied.summarizeFirstSightings() }
        written.withLock { $0.append(applied) }
        return applied
    }

    package func apply(_ batch: RunBatch) async throws -> AppliedBatch {
        try await apply(BatchPlan(batch))
    }

    /// The runs the session stored for the first time in a status the unfinished-runs query lists.
    package var firstSeenInProgress: Set<String> { inProgressFirstSeen.withLock { $0 } }

    /// Commits what the session wrote and tells what committed.
    package func settle() async throws -> Settlement {
        let batches = written.withLock { batches in
            defer { batches = [] }
            return batches
        }
        guard !batches.isEmpty else { return Settlement(committed: [], failure: nil) }
        let failed = try await store.commit(epochs: Set(batches.map(\.epoch)))
        let committed = batches.enumerated().filter { failed[$0.element.epoch] == nil }
            .sorted { ($0.element.epoch, $0.offset) < ($1.element.epoch, $1.offset) }.map(\.element)
        let failure = failed.min { $0.key < $1.key }.map { StoreCommitError(epoch: $0.key, message: $0.value) }
        return Settlement(committed: committed, failure: failure)
    }
}

extension RunStore {
    /// A session for one pass's writes; a backfill's summarises first sightings (counted by status,
    /// not kept one by one until the pass settles).
    package func session(summarizingFirstSightings: Bool = false) -> WriteSession {
        WriteSession(store: self, summarizingFirstSightings: summarizingFirstSightings)
    }
}
