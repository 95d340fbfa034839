import Synchronization

/// The requests one pass may make, so that an API that misbehaves in a way no rule catches still
/// costs a bounded number of calls. The bound grows with the list's length once it is known.
package final class RequestBudget: Sendable {
    private let state: Mutex<(spent: Int, limit: Int)>

    init(limit: Int) {
        state = Mutex((0, limit))
    }

    /// Counts one request; throws once the budget is spent.
    func spend() throws(SyncFault) {
        let (spent, limit) = state.withLock { state in
            state.spent += 1
            return (state.spent, state.limit)
        }
        if spent > limit { throw .requestBudgetExceeded(requests: spent - 1) }
    }

    /// Lets a new phase of the pass make `requests` more requests: the bound is the sum of what each
    /// phase may need.
    func allow(_ requests: Int) {
        state.withLock { $0.limit += requests }
    }

    /// What reading a list of `total` runs, `pageSize` at a time, may cost: every page shrunk to a
    /// sixteenth (a body too large, a capped API), plus searches.
    static func forList(total: Int, pageSize: Int) -> Int { 64 + 16 * (total / max(1, pageSize) + 1) }
}
