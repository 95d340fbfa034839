import Foundation
import RunModel

extension Configuration {
    /// Validates configuration JSON; `path` is only used in messages and to resolve relative paths.
    package static func parse(_ data: Data, path: String) throws(ConfigurationError) -> Configuration {
        let file = try ConfigurationFile(data, path: path, keys: keys)
        guard let database = try file.resolvedPath("database") else {
            throw file.fail(
                "database",
                "is required: the path of the SQLite file, e.g. /var/lib/apify-runs-sync/runs.db"
            )
        }
        var configuration = Configuration(path: path, database: database, tasks: [])
        try configuration.readAPI(from: file)
        try configuration.readLimits(from: file)
        try configuration.readOutputs(from: file)
        try configuration.readSources(from: file)
        return configuration
    }

    /// Where the API is and how to reach it: its URL, the token, the certificate authorities.
    private mutating func readAPI(from file: ConfigurationFile) throws(ConfigurationError) {
        if let url = try file.string("apiBaseUrl") {
            guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
                scheme == "https" || scheme == "http", components.host?.isEmpty == false,
                components.query == nil, components.user == nil
            else {
                throw file.fail(
                    "apiBaseUrl",
                    "must be an http(s) URL such as https://api.apify.com, without credentials or query"
                )
            }
            apiBaseUrl = url
        }
        allowInsecureHttp = try file.flag("allowInsecureHttp")
        if sendsTokenInClear && !allowInsecureHttp {
            throw file.fail(
                "apiBaseUrl",
                "is http:// to another machine: the token would cross the network in clear text; use https://, "
                    + "or set \"allowInsecureHttp\": true if the network is yours"
            )
        }
        token = try file.string("token")
        tokenFile = try file.resolvedPath("tokenFile")
        caFile = try file.resolvedPath("caFile")
    }

    /// How often, how much at once, how long and how fast.
    private mutating func readLimits(from file: ConfigurationFile) throws(ConfigurationError) {
        pollIntervalSeconds = try file.number("pollIntervalSeconds", minimum: 1, maximum: 86_400) ?? pollIntervalSeconds
        maxConcurrentTasks = try file.integer("maxConcurrentTasks", minimum: 1, maximum: 64) ?? maxConcurrentTasks
        requestTimeoutSeconds =
            try file.number("requestTimeoutSeconds", minimum: 1, maximum: 600) ?? requestTimeoutSeconds
        maxRetries = try file.integer("maxRetries", minimum: 0, maximum: 20) ?? maxRetries
        busyTimeoutMilliseconds =
            try file.integer("busyTimeoutMilliseconds", minimum: 0, maximum: 600_000) ?? busyTimeoutMilliseconds
        maxRequestsPerSecond =
            try file.number("maxRequestsPerSecond", minimum: 1, maximum: 1000) ?? maxRequestsPerSecond
        maxRequestsPerSecondTotal =
            try file.number("maxRequestsPerSecondTotal", minimum: 1, maximum: 4000) ?? maxRequestsPerSecondTotal
        discoveryIntervalSeconds =
            try file.number("discoveryIntervalSeconds", minimum: 60, maximum: 604_800) ?? discoveryIntervalSeconds
    }

    /// Where the daemon speaks besides the journal: alert sinks and the metrics endpoint.
    private mutating func readOutputs(from file: ConfigurationFile) throws(ConfigurationError) {
        if let listen = try file.string("metricsListen") {
            do {
                metricsListen = try ListenAddress.parse(listen)
            } catch {
                throw file.fail("metricsListen", error.message)
            }
        }
        if let alerts = file.object["alerts"], alerts != .null {
            self.alerts = try AlertsConfiguration.parse(alerts, fail: file.fail)
        }
    }

    /// The lists to poll; at least one is required.
    private mutating func readSources(from file: ConfigurationFile) throws(ConfigurationError) {
        allTasks = try file.flag("allTasks")
        account = try file.flag("account")
        tasks = try Self.entries("tasks", of: "task", in: file)
        actors = try Self.entries("actors", of: "actor", in: file)
        guard !tasks.isEmpty || !actors.isEmpty || allTasks || account else {
            throw file.fail(
                "tasks",
                "is required unless another source is set: list task IDs or username~task-name in \"tasks\", "
                    + "Actors in \"actors\", or set \"allTasks\" or \"account\" to true"
            )
        }
    }

    /// The entries of `tasks` or `actors`: IDs or `username~name` strings, or objects with an `id`
    /// and a `pollIntervalSeconds`.
    private static func entries(
        _ listKey: String,
        of kind: String,
        in file: ConfigurationFile
    ) throws(ConfigurationError) -> [SourceEntry] {
        let fail = file.fail
        guard let raw = file.object[listKey], raw != .null else { return [] }
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
}
