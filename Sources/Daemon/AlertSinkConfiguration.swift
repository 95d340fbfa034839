import Foundation
import RunModel

/// One sink of `alerts.sinks`: a command or a webhook, with the events it takes.
package struct AlertSinkConfiguration: Sendable, Equatable {
    /// What the sink does with an event.
    package enum Kind: Sendable, Equatable {
        /// Runs `command` (no shell) with the payload on stdin, at most `maxConcurrent` at once; a
        /// non-zero exit or a timeout is tried again, up to `maxAttempts` in all.
        case exec(command: [String], timeoutSeconds: Double, maxConcurrent: Int, maxAttempts: Int)
        /// POSTs the payload (or a Slack message) to the URL in `url` or read from `urlFile`, with
        /// the headers of `headersFile`; tried again for `alerts.webhookRetryHours`.
        case webhook(url: String?, urlFile: String?, format: WebhookFormat, headersFile: String?, maxConcurrent: Int)
    }

    /// The body a webhook sink sends.
    package enum WebhookFormat: String, Sendable, Equatable {
        /// The event's JSON payload, as `exec` sinks get it on stdin.
        case json
        /// `{"text": "…"}`, which Slack's incoming webhooks (and Mattermost, Rocket.Chat…) take.
        case slack
    }

    /// The name the built-in journal sink has in `event_deliveries`.
    package static let journalName = "journal"

    /// Names the sink in `event_deliveries` and in logs (never the URL, which holds a secret).
    package var name: String
    package var kind: Kind
    /// The events, tasks and Actors the sink takes; nil: all.
    package var events: Set<EventKind>?
    package var tasks: Set<String>?
    package var actors: Set<String>?

    package init(
        name: String,
        kind: Kind,
        events: Set<EventKind>? = nil,
        tasks: Set<String>? = nil,
        actors: Set<String>? = nil
    ) {
        self.name = name
        self.kind = kind
        self.events = events
        self.tasks = tasks
        self.actors = actors
    }

    private static let commonKeys: Set<String> = ["name", "type", "events", "tasks", "actors", "maxConcurrent"]
    private static let execKeys: Set<String> = ["command", "timeoutSeconds", "maxAttempts"]
    private static let webhookKeys: Set<String> = ["url", "urlFile", "format", "headersFile"]

    /// Validates one sink object; `key` is its place in the file, for errors.
    static func parse(
        _ value: JSONValue,
        key: String,
        fail: (String?, String) -> ConfigurationError
    ) throws(ConfigurationError) -> AlertSinkConfiguration {
        guard case .object(let object) = value else {
            throw fail(key, "must be an object with \"name\" and \"type\" (\"exec\" or \"webhook\")")
        }
        guard case .string(let name) = object["name"] ?? .null, Self.isValidName(name) else {
            throw fail("\(key).name", "is required: letters, digits, - and _ (it names the sink in the database)")
        }
        guard case .string(let type) = object["type"] ?? .null, type == "exec" || type == "webhook" else {
            throw fail("\(key).type", "must be \"exec\" or \"webhook\"")
        }
        let allowed = commonKeys.union(type == "exec" ? execKeys : webhookKeys)
        if let unknown = object.keys.filter({ !allowed.contains($0) }).sorted().first {
            throw fail(
                "\(key).\(unknown)",
                "unknown key for a \(type) sink; its keys are \(allowed.sorted().joined(separator: ", "))"
            )
        }
        func number(_ name: String, _ range: ClosedRange<Double>) throws(ConfigurationError) -> Double? {
            guard let value = object[name], value != .null else { return nil }
            guard case .number(let number) = value, range.contains(number) else {
                throw fail(
                    "\(key).\(name)",
                    "must be a number from \(Int(range.lowerBound)) to \(Int(range.upperBound))"
                )
            }
            return number
        }
        func integer(_ name: String, _ range: ClosedRange<Double>) throws(ConfigurationError) -> Int? {
            guard let number = try number(name, range) else { return nil }
            guard number.rounded() == number else { throw fail("\(key).\(name)", "must be a whole number") }
            return Int(number)
        }
        func string(_ name: String) throws(ConfigurationError) -> String? {
            guard let value = object[name], value != .null else { return nil }
            guard case .string(let text) = value, !text.isEmpty else {
                throw fail("\(key).\(name)", "must be a non-empty string")
            }
            return text
        }
        func strings(_ name: String) throws(ConfigurationError) -> [String]? {
            guard let value = object[name], value != .null else { return nil }
            guard case .array(let list) = value else { throw fail("\(key).\(name)", "must be an array of strings") }
            var strings: [String] = []
            for item in list {
                guard case .string(let text) = item, !text.isEmpty else {
                    throw fail("\(key).\(name)", "must be an array of non-empty strings")
                }
                strings.append(text)
            }
            return strings
        }
        let maxConcurrent = try integer("maxConcurrent", 1...64)
        let kind: Kind
        if type == "exec" {
            guard let command = try strings("command"), let program = command.first else {
                throw fail(
                    "\(key).command",
                    "is required: the program and its arguments, e.g. [\"/usr/local/bin/notify\"]"
                )
            }
            guard program.hasPrefix("/") else {
                throw fail("\(key).command", "must start with an absolute path (no shell or PATH search is used)")
            }
            kind = .exec(
                command: command,
                timeoutSeconds: try number("timeoutSeconds", 1...3600) ?? 30,
                maxConcurrent: maxConcurrent ?? 2,
                maxAttempts: try integer("maxAttempts", 1...100) ?? 5
            )
        } else {
            let url = try string("url")
            let urlFile = try string("urlFile")
            guard (url == nil) != (urlFile == nil) else {
                throw fail(
                    "\(key).url",
                    "give either \"url\" or \"urlFile\" (a file holding the URL, e.g. a credential)"
                )
            }
            if let url, let problem = Self.problem(with: url) { throw fail("\(key).url", problem) }
            for (name, path) in [("urlFile", urlFile), ("headersFile", try string("headersFile"))] {
                if let path, !path.hasPrefix("/") { throw fail("\(key).\(name)", "must be an absolute path") }
            }
            let format = try string("format") ?? "json"
            guard let webhookFormat = WebhookFormat(rawValue: format) else {
                throw fail("\(key).format", "must be \"json\" or \"slack\"")
            }
            kind = .webhook(
                url: url,
                urlFile: urlFile,
                format: webhookFormat,
                headersFile: try string("headersFile"),
                maxConcurrent: maxConcurrent ?? 4
            )
        }
        var sink = AlertSinkConfiguration(name: name, kind: kind)
        if let events = try strings("events") {
            var kinds = Set<EventKind>()
            for event in events {
                guard let kind = EventKind(rawValue: event) else {
                    throw fail(
                        "\(key).events",
                        "\(event.debugDescription) is not an event; the events are "
                            + EventKind.allCases.map(\.rawValue).joined(separator: ", ")
                    )
                }
                kinds.insert(kind)
            }
            sink.events = kinds
        }
        sink.tasks = try strings("tasks").map(Set.init)
        sink.actors = try strings("actors").map(Set.init)
        return sink
    }

    private static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64
            && name.unicodeScalars.allSatisfy {
                $0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" || $0 == "_"
            }
    }

    /// Why `url` cannot be a webhook: not https (http is allowed to this machine only), no host.
    static func problem(with url: String) -> String? {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            let host = components.host?.lowercased(), !host.isEmpty
        else { return "is not a URL (https://host/path)" }
        let loopback = host == "localhost" || host == "::1" || host.hasPrefix("127.")
        guard scheme == "https" || (scheme == "http" && loopback) else {
            return "must be an https:// URL (http:// only to this machine)"
        }
        return nil
    }
}
