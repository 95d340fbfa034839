import RunModel
import Synchronization

/// The sources whose list was found to ignore `startedAfter` since start: they are read by offset,
/// as a task is, until the daemon restarts and tries again.
final class StartedAfterSupport: Sendable {
    private let refused = Mutex<Set<RunSource>>([])

    func isRefused(_ source: RunSource) -> Bool { refused.withLock { $0.contains(source) } }

    /// Records that `source` ignored the parameter; true the first time.
    func refuse(_ source: RunSource) -> Bool { refused.withLock { $0.insert(source).inserted } }
}
