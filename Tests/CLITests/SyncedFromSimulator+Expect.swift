import TestSupport
import Testing

extension SyncedFromSimulator {
    /// Every listed run is stored, live, as listed, and the database keeps its invariants.
    func expectMatchesTruth(sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let problems = try await truthProblems()
        #expect(problems.isEmpty, "\(problems)", sourceLocation: sourceLocation)
    }
}
