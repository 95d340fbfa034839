/// What the API may do wrong during one pass, as far as the verdict on the pass depends on it.
struct Flaws: OptionSet {
    let rawValue: Int
    static let ignoresOffset = Flaws(rawValue: 1)
    static let unstableTies = Flaws(rawValue: 2)
    /// A resurrected run is found by the filtered query only (docs/sync.md, "What is not promised").
    static let ignoresStatusFilter = Flaws(rawValue: 4)
    static let runNotFound = Flaws(rawValue: 8)
    static let retentionWhileReading = Flaws(rawValue: 16)
    /// Flaws that can hide a miss from this pass's count check: the pass may then leave runs stale
    /// that a later head check finds, within `HeadCheckSchedule.period` passes (docs/sync.md).
    static let maskingCounts: Flaws = [.runNotFound, .retentionWhileReading]
    static let none: Flaws = []
}
