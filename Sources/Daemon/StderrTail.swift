import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The last bytes a child writes to a pipe, read on a thread of its own, which stops when asked
/// even if the pipe stays open (a child's own children may hold it).
final class StderrTail: Sendable {
    private struct State {
        var bytes: [UInt8] = []
        var stopping = false
        var done: CheckedContinuation<Void, Never>?
        var finished = false
    }

    private let state = Mutex(State())
    static let limit = 300

    /// Starts reading `descriptor`, which the tail closes when done.
    init(descriptor: Int32) {
        Thread.detachNewThread { [self] in
            var buffer = [UInt8](repeating: 0, count: 4096)
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            while true {
                let stopping = state.withLock { $0.stopping }
                let ready = poll(&poller, 1, stopping ? 0 : 200)
                if ready < 0 && errno == EINTR { continue }
                if ready <= 0 {
                    if stopping { break }
                    continue
                }
                let count = read(descriptor, &buffer, buffer.count)
                if count <= 0 { break }
                state.withLock { state in
                    state.bytes.append(contentsOf: buffer[0..<count])
                    if state.bytes.count > Self.limit { state.bytes.removeFirst(state.bytes.count - Self.limit) }
                }
            }
            close(descriptor)
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                state.finished = true
                defer { state.done = nil }
                return state.done
            }
            waiter?.resume()
        }
    }

    /// Stops reading (after what is already in the pipe) and returns the tail on one line.
    func finish() async -> String {
        await withCheckedContinuation { continuation in
            let finished = state.withLock { state -> Bool in
                state.stopping = true
                if state.finished { return true }
                state.done = continuation
                return false
            }
            if finished { continuation.resume() }
        }
        let raw = state.withLock { String(decoding: $0.bytes, as: UTF8.self) }
        return raw.split(whereSeparator: \.isNewline).joined(separator: " / ").trimmingCharacters(in: .whitespaces)
    }
}
