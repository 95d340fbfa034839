/// Runs written during a pass were lost because the transaction holding them failed to commit.
package struct StoreCommitError: Error, CustomStringConvertible, Sendable {
    package let message: String
    package var description: String { "the database could not commit the pass's runs: \(message)" }
}
