import RunModel
import Synchronization

/// The one-line summary systemd shows as the service's status after each pass: the sources polled,
/// the passes since start, and how many sources' last pass failed.
///
/// What failed is what each loop last reported, not a count of its own: a source's consecutive
/// failures are the store's (`SyncError.consecutiveFailures`). A source counts while its loop runs;
/// the loop forgets it when it ends (a source a reload removed, a task gone upstream), so that it
/// does not stay "failing" in the line for good.
final class DaemonProgress: Sendable {
    private let state = Mutex<(passes: Int, failing: Set<RunSource>)>((0, []))

    /// Records a pass and returns the new summary.
    func record(source: RunSource, failed: Bool, of total: Int) -> String {
        state.withLock { state in
            state.passes += 1
            if failed { state.failing.insert(source) } else { state.failing.remove(source) }
            let failing = state.failing.isEmpty ? "all sources syncing" : "\(state.failing.count) source(s) failing"
            return "\(total) source(s), \(state.passes) pass(es) since start, \(failing)"
        }
    }

    /// Forgets a source whose loop ended.
    func forget(_ source: RunSource) {
        _ = state.withLock { $0.failing.remove(source) }
    }
}
