import Synchronization

/// The one-line summary systemd shows as the service's status after each pass.
final class DaemonProgress: Sendable {
    private let state = Mutex<(passes: Int, failing: Set<String>)>((0, []))

    /// Records a pass and returns the new summary.
    func record(task: String, failed: Bool, of total: Int) -> String {
        state.withLock { state in
            state.passes += 1
            if failed { state.failing.insert(task) } else { state.failing.remove(task) }
            let failing = state.failing.isEmpty ? "all tasks syncing" : "\(state.failing.count) task(s) failing"
            return "\(total) task(s), \(state.passes) pass(es) since start, \(failing)"
        }
    }
}
