/// The batches one caller queues on the store in order, each written only if all before it were.
///
/// A caller that queues its next batch while the previous one is still being written (so that the
/// store's thread goes from one to the next without waiting for the caller) cannot know yet whether
/// the previous one will fail, nor which transaction it joins. The chain carries that along the
/// store's queue: each batch adds the epoch it joined, so that a later batch refuses when that
/// transaction was lost (as `apply(_:after:)` does for the epochs its caller knows), and a batch
/// that fails breaks the chain, so that the batches after it refuse too.
package final class WriteChain: @unchecked Sendable {
    // @unchecked Sendable: read and written only inside the store's `DatabaseQueue` blocks, which
    // run one at a time, in the order they were queued.

    /// Thrown for a batch queued after one that was not written.
    package struct Broken: Error, CustomStringConvertible, Sendable {
        package let description: String
    }

    private var failure: String?
    private var epochs: Set<UInt64> = []

    package init() {}

    /// Throws if an earlier batch of the chain failed or its transaction was lost.
    func check(_ shared: SharedTransaction) throws {
        if let failure { throw Broken(description: "an earlier batch of this pass was not written: \(failure)") }
        try shared.checkNotLost(epochs)
    }

    func joined(_ epoch: UInt64) { epochs.insert(epoch) }

    func broke(_ error: any Error) {
        if failure == nil { failure = "\(error)" }
    }
}
