import Logging
import Synchronization

/// A logger whose records are kept in memory, for tests that assert what was logged and how often.
package final class CapturedLog: Sendable {
    /// One record: its level, message and metadata rendered as text.
    package struct Record: Sendable {
        package var level: Logger.Level
        package var message: String
        package var metadata: [String: String]
    }

    private let records = Mutex<[Record]>([])

    package init() {}

    /// A logger writing into this capture, at `level` and above.
    package func logger(level: Logger.Level = .info) -> Logger {
        var logger = Logger(label: "captured") { _ in Handler(capture: self) }
        logger.logLevel = level
        return logger
    }

    package var all: [Record] { records.withLock { $0 } }

    /// The records whose `event` is `event`.
    package func events(_ event: String) -> [Record] { all.filter { $0.metadata["event"] == event } }

    fileprivate func append(_ record: Record) { records.withLock { $0.append(record) } }

    private struct Handler: LogHandler {
        let capture: CapturedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
            capture.append(
                Record(
                    level: event.level,
                    message: "\(event.message)",
                    metadata: merged.mapValues { "\($0)" }
                )
            )
        }
    }
}
