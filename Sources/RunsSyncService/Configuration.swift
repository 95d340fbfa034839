import ApifyAPI
import Foundation
import RunModel
import RunStore

/// The daemon's configuration file, validated strictly: every problem names the key and the file.
///
/// Its sources of runs (docs/sync.md, "Sources"): the `tasks` and `actors` it lists, every task of
/// the account (`allTasks`, discovered and rediscovered every `discoveryIntervalSeconds`), and the
/// account's whole run list (`account`). At least one is required.
package struct Configuration: Sendable, Equatable {
    /// A task or Actor the file lists.
    package struct SourceEntry: Sendable, Equatable {
        /// An ID or `username~name`, as the API takes it.
        package var id: String
        /// This source's own interval, overriding `pollIntervalSeconds`.
        package var pollIntervalSeconds: Double?
        /// Health checks (README, "Health checks"): a SUCCEEDED run whose default dataset holds
        /// fewer items is an `empty_result`; a run unfinished for longer is `run_stuck` (instead of
        /// its own timeout plus `alerts.runStuckGraceSeconds`); no new run for longer is
        /// `task_silent`; too many failures are `failure_rate`.
        package var minItems: Int?
        package var maxRunSeconds: Double?
        package var expectEverySeconds: Double?
        package var failureRate: FailureRateRule?

        package init(id: String, pollIntervalSeconds: Double? = nil) {
            self.id = id
            self.pollIntervalSeconds = pollIntervalSeconds
        }

        static let keys: Set<String> = [
            "id", "pollIntervalSeconds", "minItems", "maxRunSeconds", "expectEverySeconds", "failureRate",
        ]
    }

    /// A configured list to poll, as the file names it (not yet resolved to IDs), and its interval.
    package struct PolledSource: Sendable, Equatable {
        /// `.task` or `.actor` with the configured spelling, or `.account`.
        package var reference: RunSource
        package var pollIntervalSeconds: Double
    }

    package var path: String
    package var apiBaseUrl = "https://api.apify.com"
    package var token: String?
    package var tokenFile: String?
    package var database: String
    package var pollIntervalSeconds: Double = 60
    package var tasks: [SourceEntry]
    package var actors: [SourceEntry] = []
    /// Polls every task of the account, discovered with `GET /v2/actor-tasks`.
    package var allTasks = false
    /// Polls the account's whole run list, `GET /v2/actor-runs`.
    package var account = false
    package var discoveryIntervalSeconds: Double = 3600
    package var maxConcurrentTasks = 4
    package var requestTimeoutSeconds = Double(ApifyClient.Configuration.defaultRequestTimeout.components.seconds)
    package var maxRetries = RetryPolicy.defaultMaxRetries
    package var busyTimeoutMilliseconds = Int(RunStore.defaultBusyTimeoutMilliseconds)
    /// Requests per second to one resource (a source's run list), at most: pages read ahead are
    /// paced by it. The API allows 60.
    package var maxRequestsPerSecond: Double = 50
    /// Requests per second in all, at most, whatever the number of sources.
    package var maxRequestsPerSecondTotal: Double = 200
    /// Lets `apiBaseUrl` be `http://` to another machine, the token then crossing the network in clear.
    package var allowInsecureHttp = false
    /// Where events go besides the journal (README, "Alerts").
    package var alerts = AlertsConfiguration()
    /// A PEM file of certificate authorities trusted beside the system's (a corporate CA).
    package var caFile: String?
    /// Where Prometheus text is served on `/metrics`; nil: no endpoint and no metrics at all.
    package var metricsListen: ListenAddress?

    package init(
        path: String,
        apiBaseUrl: String = "https://api.apify.com",
        database: String,
        pollIntervalSeconds: Double = 60,
        tasks: [SourceEntry]
    ) {
        self.path = path
        self.apiBaseUrl = apiBaseUrl
        self.database = database
        self.pollIntervalSeconds = pollIntervalSeconds
        self.tasks = tasks
    }

    /// The keys a configuration file may hold.
    package static let keys: Set<String> = [
        "apiBaseUrl", "token", "tokenFile", "database", "pollIntervalSeconds", "tasks", "maxConcurrentTasks",
        "requestTimeoutSeconds", "maxRetries", "busyTimeoutMilliseconds", "allowInsecureHttp", "actors", "allTasks",
        "account", "discoveryIntervalSeconds", "maxRequestsPerSecond", "maxRequestsPerSecondTotal", "caFile",
        "alerts", "metricsListen",
    ]

    /// Whether the API is reached over plain HTTP on another machine than this one.
    package var sendsTokenInClear: Bool {
        guard let components = URLComponents(string: apiBaseUrl), components.scheme?.lowercased() == "http",
            let host = components.host?.lowercased()
        else { return false }
        let loopback = host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
        return !loopback
    }

    /// The poll interval of a task or Actor: its own, or the global one.
    package func interval(of entry: SourceEntry) -> Double { entry.pollIntervalSeconds ?? pollIntervalSeconds }

    /// The lists named in the file, tasks first, then Actors, then the account (the tasks that
    /// `allTasks` discovers come at run time).
    package var polledSources: [PolledSource] {
        tasks.map { PolledSource(reference: .task($0.id), pollIntervalSeconds: interval(of: $0)) }
            + actors.map { PolledSource(reference: .actor($0.id), pollIntervalSeconds: interval(of: $0)) }
            + (account ? [PolledSource(reference: .account, pollIntervalSeconds: pollIntervalSeconds)] : [])
    }

    /// `3 tasks, 1 actor, all tasks, account`, for messages.
    package var sourceSummary: String {
        var parts: [String] = []
        if !tasks.isEmpty { parts.append("\(tasks.count) task(s)") }
        if !actors.isEmpty { parts.append("\(actors.count) actor(s)") }
        if allTasks { parts.append("all tasks") }
        if account { parts.append("the account") }
        return parts.joined(separator: ", ")
    }

    /// Validates configuration JSON; `path` is only used in messages and to resolve relative paths.
    package static func parse(_ data: Data, path: String) throws(ConfigurationError) -> Configuration {
        func fail(_ key: String?, _ message: String) -> ConfigurationError {
            ConfigurationError(path: path, key: key, message: message)
        }
        let parsed: JSONValue
        do {
            parsed = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch DecodingError.dataCorrupted(let context) where context.debugDescription.hasPrefix("a number too large")
        {
            throw fail(
                context.codingPath.map(\.stringValue).joined(separator: "."),
                "holds a number too large for a 64-bit float (beyond ±1.8e308)"
            )
        } catch {
            // Where it breaks, by line and column, when the strict scanner can tell.
            let bytes = Array(data)
            if let syntax = ResponseDecoder.syntaxError(in: bytes) {
                let before = bytes.prefix(syntax.offset)
                let line = before.count { $0 == UInt8(ascii: "\n") } + 1
                let column = syntax.offset - (before.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0) + 1
                throw fail(nil, "it is not valid JSON: \(syntax.message) at line \(line), column \(column)")
            }
            throw fail(nil, "it is not valid JSON (\(Self.describe(error)))")
        }
        guard case .object(let object) = parsed else { throw fail(nil, "the file must hold one JSON object") }
        if let unknown = object.keys.filter({ !keys.contains($0) }).sorted().first {
            throw fail(unknown, "unknown key; the keys are \(keys.sorted().joined(separator: ", "))")
        }

        func string(_ key: String) throws(ConfigurationError) -> String? {
            guard let value = object[key], value != .null else { return nil }
            guard case .string(let text) = value else { throw fail(key, "must be a string") }
            guard !text.isEmpty else { throw fail(key, "must not be empty") }
            return text
        }
        func number(
            _ key: String,
            minimum: Double,
            maximum: Double = .greatestFiniteMagnitude
        ) throws(ConfigurationError)
            -> Double?
        {
            guard let value = object[key], value != .null else { return nil }
            guard case .number(let double) = value else { throw fail(key, "must be a number") }
            guard double.isFinite, double >= minimum, double <= maximum else {
                throw fail(
                    key,
                    "must be between \(minimum.cleanDescription) and \(maximum.cleanDescription), not \(double.cleanDescription)"
                )
            }
            return double
        }
        func integer(_ key: String, minimum: Int, maximum: Int) throws(ConfigurationError) -> Int? {
            guard let value = try number(key, minimum: Double(minimum), maximum: Double(maximum)) else { return nil }
            guard value.rounded() == value else { throw fail(key, "must be a whole number") }
            return Int(value)
        }

        guard let database = try string("database") else {
            throw fail("database", "is required: the path of the SQLite file, e.g. /var/lib/apify-runs-sync/runs.db")
        }
        var configuration = Configuration(path: path, database: Self.resolve(database, relativeTo: path), tasks: [])
        if let url = try string("apiBaseUrl") {
            guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
                scheme == "https" || scheme == "http", components.host?.isEmpty == false,
                components.query == nil, components.user == nil
            else {
                throw fail(
                    "apiBaseUrl",
                    "must be an http(s) URL such as https://api.apify.com, without credentials or query"
                )
            }
            configuration.apiBaseUrl = url
        }
        if let value = object["allowInsecureHttp"], value != .null {
            guard case .bool(let allowed) = value else { throw fail("allowInsecureHttp", "must be true or false") }
            configuration.allowInsecureHttp = allowed
        }
        if configuration.sendsTokenInClear && !configuration.allowInsecureHttp {
            throw fail(
                "apiBaseUrl",
                "is http:// to another machine: the token would cross the network in clear text; use https://, "
                    + "or set \"allowInsecureHttp\": true if the network is yours"
            )
        }
        configuration.token = try string("token")
        configuration.tokenFile = try string("tokenFile").map { Self.resolve($0, relativeTo: path) }
        configuration.caFile = try string("caFile").map { Self.resolve($0, relativeTo: path) }
        configuration.pollIntervalSeconds =
            try number("pollIntervalSeconds", minimum: 1, maximum: 86_400) ?? configuration.pollIntervalSeconds
        configuration.maxConcurrentTasks =
            try integer("maxConcurrentTasks", minimum: 1, maximum: 64) ?? configuration.maxConcurrentTasks
        configuration.requestTimeoutSeconds =
            try number("requestTimeoutSeconds", minimum: 1, maximum: 600) ?? configuration.requestTimeoutSeconds
        configuration.maxRetries = try integer("maxRetries", minimum: 0, maximum: 20) ?? configuration.maxRetries
        configuration.busyTimeoutMilliseconds =
            try integer("busyTimeoutMilliseconds", minimum: 0, maximum: 600_000)
            ?? configuration.busyTimeoutMilliseconds
        func flag(_ key: String) throws(ConfigurationError) -> Bool {
            guard let value = object[key], value != .null else { return false }
            guard case .bool(let set) = value else { throw fail(key, "must be true or false") }
            return set
        }
        configuration.maxRequestsPerSecond =
            try number("maxRequestsPerSecond", minimum: 1, maximum: 1000) ?? configuration.maxRequestsPerSecond
        configuration.maxRequestsPerSecondTotal =
            try number("maxRequestsPerSecondTotal", minimum: 1, maximum: 4000)
            ?? configuration.maxRequestsPerSecondTotal
        configuration.allTasks = try flag("allTasks")
        configuration.account = try flag("account")
        configuration.discoveryIntervalSeconds =
            try number("discoveryIntervalSeconds", minimum: 60, maximum: 604_800)
            ?? configuration.discoveryIntervalSeconds
        if let listen = try string("metricsListen") {
            do {
                configuration.metricsListen = try ListenAddress.parse(listen)
            } catch {
                throw fail("metricsListen", error.message)
            }
        }
        if let alerts = object["alerts"], alerts != .null {
            configuration.alerts = try AlertsConfiguration.parse(alerts, fail: fail)
        }
        configuration.tasks = try entries("tasks", of: "task", in: object, fail: fail)
        configuration.actors = try entries("actors", of: "actor", in: object, fail: fail)
        guard
            !configuration.tasks.isEmpty || !configuration.actors.isEmpty || configuration.allTasks
                || configuration.account
        else {
            throw fail(
                "tasks",
                "is required unless another source is set: list task IDs or username~task-name in \"tasks\", "
                    + "Actors in \"actors\", or set \"allTasks\" or \"account\" to true"
            )
        }
        return configuration
    }

    /// The entries of `tasks` or `actors`: IDs or `username~name` strings, or objects with an `id`
    /// and a `pollIntervalSeconds`.
    private static func entries(
        _ listKey: String,
        of kind: String,
        in object: [String: JSONValue],
        fail: (String?, String) -> ConfigurationError
    ) throws(ConfigurationError) -> [SourceEntry] {
        guard let raw = object[listKey], raw != .null else { return [] }
        guard case .array(let list) = raw else { throw fail(listKey, "must be an array") }
        var entries: [SourceEntry] = []
        var seen = Set<String>()
        for (index, entry) in list.enumerated() {
            let key = "\(listKey)[\(index)]"
            var source: SourceEntry
            if case .string(let id) = entry {
                source = SourceEntry(id: id)
            } else if case .object(let object) = entry {
                if let unknown = object.keys.filter({ !SourceEntry.keys.contains($0) }).sorted().first {
                    throw fail(
                        "\(key).\(unknown)",
                        "unknown key; a\(kind == "actor" ? "n" : "") \(kind) object takes "
                            + SourceEntry.keys.sorted().joined(separator: ", ")
                    )
                }
                guard case .string(let id) = object["id"] else {
                    throw fail("\(key).id", "is required and must be a string")
                }
                source = SourceEntry(id: id)
                if let interval = object["pollIntervalSeconds"], interval != .null {
                    guard case .number(let seconds) = interval else {
                        throw fail("\(key).pollIntervalSeconds", "must be a number")
                    }
                    guard seconds >= 1, seconds <= 86_400 else {
                        throw fail(
                            "\(key).pollIntervalSeconds",
                            "must be between 1 and 86400, not \(seconds.cleanDescription)"
                        )
                    }
                    source.pollIntervalSeconds = seconds
                }
                try parseChecks(of: &source, from: object, key: key, fail: fail)
            } else {
                throw fail(
                    key,
                    "must be a\(kind == "actor" ? "n" : "") \(kind) ID, a username~\(kind)-name string, or an object with an id"
                )
            }
            guard Self.isValidTaskReference(source.id) else {
                throw fail(
                    key,
                    "\(source.id.debugDescription) is not a\(kind == "actor" ? "n" : "") \(kind) ID or username~\(kind)-name"
                )
            }
            guard seen.insert(source.id).inserted else { throw fail(key, "\(kind) \(source.id) is listed twice") }
            entries.append(source)
        }
        return entries
    }

    /// The health checks of a task or Actor object.
    private static func parseChecks(
        of source: inout SourceEntry,
        from object: [String: JSONValue],
        key: String,
        fail: (String?, String) -> ConfigurationError
    ) throws(ConfigurationError) {
        func number(
            _ name: String,
            in object: [String: JSONValue],
            at key: String,
            _ range: ClosedRange<Double>
        )
            throws(ConfigurationError) -> Double?
        {
            guard let value = object[name], value != .null else { return nil }
            guard case .number(let number) = value, range.contains(number) else {
                throw fail(
                    "\(key).\(name)",
                    "must be a number from \(range.lowerBound.cleanDescription) to \(range.upperBound.cleanDescription)"
                )
            }
            return number
        }
        if let items = try number("minItems", in: object, at: key, 1...1e12) {
            guard items.rounded() == items else { throw fail("\(key).minItems", "must be a whole number") }
            source.minItems = Int(items)
        }
        source.maxRunSeconds = try number("maxRunSeconds", in: object, at: key, 1...31_536_000)
        source.expectEverySeconds = try number("expectEverySeconds", in: object, at: key, 1...31_536_000)
        guard let rate = object["failureRate"], rate != .null else { return }
        let rateKey = "\(key).failureRate"
        guard case .object(let rule) = rate else {
            throw fail(rateKey, "must be an object such as {\"threshold\": 0.5, \"windowSeconds\": 86400}")
        }
        if let unknown = rule.keys.filter({ !["threshold", "windowSeconds", "minRuns"].contains($0) }).sorted().first {
            throw fail("\(rateKey).\(unknown)", "unknown key; failureRate takes threshold, windowSeconds and minRuns")
        }
        guard let threshold = try number("threshold", in: rule, at: rateKey, 0...1) else {
            throw fail("\(rateKey).threshold", "is required: the fraction of finished runs that failed, e.g. 0.5")
        }
        var parsed = FailureRateRule(threshold: threshold)
        parsed.windowSeconds =
            try number("windowSeconds", in: rule, at: rateKey, 60...31_536_000) ?? parsed.windowSeconds
        if let runs = try number("minRuns", in: rule, at: rateKey, 1...100_000) {
            guard runs.rounded() == runs else { throw fail("\(rateKey).minRuns", "must be a whole number") }
            parsed.minRuns = Int(runs)
        }
        source.failureRate = parsed
    }

    /// A task or Actor ID (letters and digits) or `username~name` (no slashes, spaces or control
    /// characters).
    package static func isValidTaskReference(_ reference: String) -> Bool {
        guard !reference.isEmpty, reference.count <= 200 else { return false }
        let parts = reference.split(separator: "~", omittingEmptySubsequences: false)
        guard parts.count <= 2, parts.allSatisfy({ !$0.isEmpty }) else { return false }
        return reference.unicodeScalars.allSatisfy { scalar in
            scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "-_.~".unicodeScalars.contains(scalar)
        }
    }

    private static func describe(_ error: any Error) -> String {
        if case DecodingError.dataCorrupted(let context) = error {
            let underlying = (context.underlyingError as? NSError)?.userInfo[NSDebugDescriptionErrorKey] as? String
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return (path.isEmpty ? "" : "\(path): ") + (underlying ?? context.debugDescription)
        }
        return String(describing: error)
    }

    /// Relative paths in the file are relative to the file's own directory.
    private static func resolve(_ path: String, relativeTo configPath: String) -> String {
        guard !path.hasPrefix("/") else { return path }
        let directory = (configPath as NSString).deletingLastPathComponent
        return directory.isEmpty ? path : (directory as NSString).appendingPathComponent(path)
    }
}

/// A configuration problem: the file, the key and what is wrong. Exit status 78 (EX_CONFIG).
package struct ConfigurationError: Error, CustomStringConvertible, Sendable, Equatable {
    package let path: String
    package let key: String?
    package let message: String

    package var description: String {
        if let key { return "configuration \(path): \"\(key)\" \(message)" }
        return "configuration \(path): \(message)"
    }
}

extension Double {
    fileprivate var cleanDescription: String {
        rounded() == self && abs(self) < 1e15 ? String(Int64(self)) : String(self)
    }
}
