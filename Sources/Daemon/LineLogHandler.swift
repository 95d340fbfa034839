import Foundation
import Logging
import RunModel
import RunSync

#if canImport(Glibc)
    import Glibc
#endif

/// Writes one line per log event to stderr: `key=value` text or JSON lines, with the `<N>` syslog
/// priority prefix when stderr is connected to the journal, so that `journalctl -p err` filters by level.
package struct LineLogHandler: LogHandler {
    package enum Format: String, Sendable, CaseIterable {
        case text
        case json
    }

    package var logLevel: Logger.Level
    package var metadata: Logger.Metadata = [:]
    package let format: Format
    package let toJournal: Bool
    private let output: LineOutput

    package init(format: Format, level: Logger.Level, toJournal: Bool, output: LineOutput = .standardError) {
        self.format = format
        self.logLevel = level
        self.toJournal = toJournal
        self.output = output
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        var fields = metadata
        if let extra = event.metadata { fields.merge(extra) { _, new in new } }
        output.write(render(level: event.level, message: "\(event.message)", fields: fields, date: Date()))
    }

    /// The line for one event, ending in "\n".
    package func render(level: Logger.Level, message: String, fields: Logger.Metadata, date: Date) -> String {
        var line = toJournal ? "<\(Self.syslogPriority(level))>" : ""
        let keys = fields.keys.sorted { a, b in
            // The event name first, then the rest in a stable order.
            a == "event" ? b != "event" : (b == "event" ? false : a < b)
        }
        switch format {
        case .text:
            if !toJournal { line += ISOTimestamp.string(from: date) + " " }
            line += "\(level.rawValue.uppercased()) \(message)"
            for key in keys { line += " \(key)=\(Self.quoted("\(fields[key]!)"))" }
        case .json:
            var object =
                "{\"time\":\(Self.json(ISOTimestamp.string(from: date))),\"level\":\(Self.json(level.rawValue)),"
            object += "\"message\":\(Self.json(message))"
            for key in keys { object += ",\(Self.json(key)):\(Self.jsonValue(fields[key]!))" }
            line += object + "}"
        }
        return line + "\n"
    }

    /// sd-daemon(3) priorities.
    package static func syslogPriority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    /// Whether stderr is the journal stream systemd named in `JOURNAL_STREAM` (`device:inode`).
    package static func stderrIsJournal(environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        guard let value = environment["JOURNAL_STREAM"] else { return false }
        let parts = value.split(separator: ":")
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return false }
        var status = stat()
        guard fstat(STDERR_FILENO, &status) == 0 else { return false }
        return UInt64(status.st_dev) == device && UInt64(status.st_ino) == inode
    }

    private static func quoted(_ value: String) -> String {
        let needsQuotes = value.isEmpty || value.contains { $0 == " " || $0 == "\"" || $0 == "=" || $0.isNewline }
        guard needsQuotes else { return value }
        return json(value)
    }

    /// A metadata value as JSON: numbers and booleans given as such (`.stringConvertible`) stay
    /// numbers and booleans; everything else is a string.
    private static func jsonValue(_ value: Logger.Metadata.Value) -> String {
        if case .stringConvertible(let convertible) = value {
            switch convertible {
            case let bool as Bool: return bool ? "true" : "false"
            case let integer as any BinaryInteger: return "\(integer)"
            case let double as Double where double.isFinite: return "\(double)"
            default: break
            }
        }
        return json("\(value)")
    }

    private static func json(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                out +=
                    "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                    + String(scalar.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
