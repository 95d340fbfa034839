/// Runs written during a pass were lost because the shared transaction holding them did not commit.
package struct StoreCommitError: Error, CustomStringConvertible, Sendable {
    /// The transaction that was lost (see `RunStore.commit(epochs:)`).
    package let epoch: UInt64
    package let message: String

    package init(epoch: UInt64, message: String) {
        self.epoch = epoch
        self.message = message
    }

    package var description: String { "the database could not commit the pass's runs: \(message)" }
}
