import Synchronization

/// Backoff waits asked for by the client, in order.
final class SleepRecorder: Sendable {
    let durations = Mutex<[Duration]>([])

    func withLock<T>(_ body: (inout [Duration]) -> T) -> T { durations.withLock { body(&$0) } }
}
