import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Where log lines go: stderr, or a buffer in tests. Lines are written whole, under a lock.
package final class LineOutput: Sendable {
    private let capturing: Bool
    private let lines = Mutex<[String]>([])

    private init(capturing: Bool) {
        self.capturing = capturing
    }

    package static let standardError = LineOutput(capturing: false)

    /// An output that keeps lines in memory instead of writing them.
    package static func capture() -> LineOutput { LineOutput(capturing: true) }

    package var captured: [String] { lines.withLock { $0 } }

    func write(_ line: String) {
        if capturing {
            lines.withLock { $0.append(line) }
            return
        }
        var bytes = Array(line.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeMutableBytes {
                Glibc.write(STDERR_FILENO, $0.baseAddress! + offset, $0.count - offset)
            }
            if written <= 0 {
                if errno == EINTR { continue }
                return
            }
            offset += written
        }
    }
}
