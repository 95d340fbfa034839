/// The API did not behave as a paged list must, so the pass stops rather than loop or skip runs.
package enum SyncFault: Error, CustomStringConvertible, Sendable, Equatable {
    /// A page said it starts at another offset than the one asked for.
    case offsetIgnored(asked: Int, answered: Int)
    /// A page that is not the last held exactly the runs of the previous page, read at another offset.
    case noProgress(offset: Int, previousOffset: Int)
    /// The pass made more requests than its bound (docs/sync.md, "Cost").
    case requestBudgetExceeded(requests: Int)
    /// Complete re-reads of the list found fewer runs than its `total` says it holds.
    case countUnexplained(listed: Int, missing: Int)
    /// A list read with `startedAfter` held a run started before it (or without a `startedAt`): the
    /// parameter is not honoured, and the source is read by offset instead.
    case startedAfterIgnored(asked: String, listed: String?)

    package var description: String {
        switch self {
        case .offsetIgnored(let asked, let answered):
            return "the API answered a run list at offset \(asked) with a page at offset \(answered): "
                + "it does not honour the offset parameter; stopping the pass"
        case .noProgress(let offset, let previous):
            return "the API served the same runs at offset \(offset) as at offset \(previous) though the list "
                + "goes on: it does not seem to honour the offset parameter; stopping the pass"
        case .requestBudgetExceeded(let requests):
            return "the pass made \(requests) requests, more than the list's length can need; "
                + "stopping it (the API may not page as documented)"
        case .startedAfterIgnored(let asked, let listed):
            return "the API answered a run list with startedAfter=\(asked) with a run started at \(listed ?? "null"): "
                + "it does not honour the startedAfter parameter"
        case .countUnexplained(let listed, let missing):
            return "the API says the list holds \(listed) runs, but \(missing) of them were not found by reading it "
                + "whole; the difference is recorded and only a larger one is looked for again"
        }
    }
}
