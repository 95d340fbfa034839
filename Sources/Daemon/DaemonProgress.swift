import RunModel
import Synchronization

/// The one-line summary systemd shows as the service's status after each pass.
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
}
