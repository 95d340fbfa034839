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
}
