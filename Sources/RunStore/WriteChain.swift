import Synchronization

/// The batches one caller queues on the store in order, each written only if all before it were.
///
/// A caller that queues its next batch while the previous one is still being written (so that the
/// store's thread goes from one to the next without waiting for the caller) cannot know yet whether
/// the previous one will fail, nor which transaction it joins. The chain carries that along the
/// store's actor: each batch adds the epoch it joined, so that a later batch refuses when that
/// transaction was lost, and a batch that is not written breaks the chain, so that the batches
/// after it refuse too.
///
/// Only the store's actor reads and writes it, one batch at a time; the lock is never contended and
/// is what makes it `Sendable` between the caller that holds it and that actor.
package final class WriteChain: Sendable {
    /// Thrown for a batch queued after one that was not written.
    package struct Broken: Error, CustomStringConvertible, Sendable {
        package let description: String
    }

    private struct Links {
        /// Why the first batch that was not written was not.
        var failure: String?
        var epochs: Set<UInt64> = []
    }

    private let links = Mutex(Links())

    package init() {}

    /// Throws if an earlier batch of the chain failed, or a transaction it joined was lost in
    /// `transaction`.
    func checkUnbroken(_ transaction: SharedTransaction) throws {
        let (failure, epochs) = links.withLock { ($0.failure, $0.epochs) }
        if let failure { throw Broken(description: "an earlier batch of this pass was not written: \(failure)") }
        try transaction.checkNotLost(epochs)
    }

    /// Records that a batch of the chain joined the transaction `epoch`.
    func recordJoined(epoch: UInt64) {
        _ = links.withLock { $0.epochs.insert(epoch) }
    }

    /// Records that a batch of the chain was not written, so that every later one refuses.
    func markBroken(by error: any Error) {
        links.withLock { links in
            if links.failure == nil { links.failure = "\(error)" }
        }
    }
}
