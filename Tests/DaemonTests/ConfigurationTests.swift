import ApifyAPI
import Daemon
import Foundation
import RunModel
import TestSupport
import Testing

@Suite struct ConfigurationTests {
    private func parse(_ json: String) throws(ConfigurationError) -> Configuration {
        try Configuration.parse(Data(json.utf8), path: "/etc/ars/config.json")
    }

    @Test func aFullConfigurationParsesWithDefaultsAndRelativePaths() throws {
        let configuration = try parse(
            #"{"database":"runs.db","tasks":["abcDEF123","jane~my-task",{"id":"xyz","pollIntervalSeconds":300}]}"#
        )
        #expect(configuration.database == "/etc/ars/runs.db")
        #expect(configuration.apiBaseUrl == "https://api.apify.com")
        #expect(configuration.pollIntervalSeconds == 60)
        #expect(configuration.maxRetries == 8 && configuration.requestTimeoutSeconds == 30)
        #expect(configuration.tasks.map(\.id) == ["abcDEF123", "jane~my-task", "xyz"])
        #expect(configuration.interval(of: configuration.tasks[2]) == 300)
        #expect(configuration.interval(of: configuration.tasks[0]) == 60)
    }

    static let errors: [(String, String?, String)] = [
        (#"{"database":"x","tasks":["a"],"pollIntervalSecs":5}"#, "pollIntervalSecs", "unknown key"),
        (#"{"database":"x","tasks":[]}"#, "tasks", "is required unless another source"),
        (#"{"database":"x"}"#, "tasks", "is required"),
        (#"{"database":"x","account":false,"allTasks":false}"#, "tasks", "is required unless another source"),
        (#"{"database":"x","account":"yes"}"#, "account", "true or false"),
        (#"{"database":"x","allTasks":1}"#, "allTasks", "true or false"),
        (#"{"database":"x","allTasks":true,"discoveryIntervalSeconds":10}"#, "discoveryIntervalSeconds", "between 60"),
        (#"{"database":"x","actors":"a"}"#, "actors", "must be an array"),
        (#"{"database":"x","account":true,"maxRequestsPerSecond":0}"#, "maxRequestsPerSecond", "between 1"),
        (#"{"database":"x","account":true,"maxRequestsPerSecondTotal":"9"}"#, "maxRequestsPerSecondTotal", "a number"),
        (#"{"database":"x","actors":["a b"]}"#, "actors[0]", "is not an actor ID"),
        (#"{"database":"x","actors":["u~a","u~a"]}"#, "actors[1]", "actor u~a is listed twice"),
        (
            #"{"database":"x","actors":[{"id":"a","every":5}]}"#, "actors[0].every",
            "an actor object takes expectEverySeconds"
        ),
        (#"{"tasks":["a"]}"#, "database", "is required"),
        (#"{"database":"x","tasks":"a"}"#, "tasks", "must be an array"),
        (#"{"database":"x","tasks":["a"],"pollIntervalSeconds":0.5}"#, "pollIntervalSeconds", "between 1"),
        (#"{"database":"x","tasks":["a"],"pollIntervalSeconds":"60"}"#, "pollIntervalSeconds", "must be a number"),
        (#"{"database":"x","tasks":["a"],"pollIntervalSeconds":true}"#, "pollIntervalSeconds", "must be a number"),
        (#"{"database":5,"tasks":["a"]}"#, "database", "must be a string"),
        (#"{"database":"x","tasks":["a",{"id":"b","interval":5}]}"#, "tasks[1].interval", "unknown key"),
        (#"{"database":"x","tasks":[{"pollIntervalSeconds":5}]}"#, "tasks[0].id", "is required"),
        (
            #"{"database":"x","tasks":[{"id":"b","pollIntervalSeconds":0}]}"#, "tasks[0].pollIntervalSeconds",
            "between 1"
        ),
        (#"{"database":"x","tasks":["a b"]}"#, "tasks[0]", "is not a task ID"),
        (#"{"database":"x","tasks":["a/../b"]}"#, "tasks[0]", "is not a task ID"),
        (#"{"database":"x","tasks":["a","a"]}"#, "tasks[1]", "listed twice"),
        (#"{"database":"x","tasks":[5]}"#, "tasks[0]", "must be a task ID"),
        (#"{"database":"x","tasks":["a"],"maxRetries":2.5}"#, "maxRetries", "whole number"),
        (#"{"database":"x","tasks":["a"],"apiBaseUrl":"ftp://x"}"#, "apiBaseUrl", "http(s) URL"),
        (#"{"database":"x","tasks":["a"],"apiBaseUrl":"http://10.99.99.1:8080"}"#, "apiBaseUrl", "clear text"),
        (
            #"{"database":"x","tasks":["a"],"apiBaseUrl":"http://api.example.com","allowInsecureHttp":"yes"}"#,
            "allowInsecureHttp", "true or false"
        ),
        (
            #"{"database":"x","tasks":["a"],"apiBaseUrl":"https://u:p@api.apify.com"}"#, "apiBaseUrl",
            "without credentials"
        ),
        (#"{"database":"x","tasks":["a"],"#, nil, "not valid JSON"),
        (
            #"{"database":"x","tasks":["a"],"pollIntervalSeconds":1e999}"#, "pollIntervalSeconds",
            "a number too large"
        ),
        (#"["a"]"#, nil, "one JSON object"),
        (#"{"database":"x","account":true,"metricsListen":9464}"#, "metricsListen", "must be a string"),
        (#"{"database":"x","account":true,"metricsListen":""}"#, "metricsListen", "must not be empty"),
    ]

    @Test(arguments: 0..<errors.count)
    func errorsNameTheKeyAndTheFile(index: Int) {
        let (json, key, message) = Self.errors[index]
        #expect {
            try parse(json)
        } throws: { error in
            guard let error = error as? ConfigurationError else { return false }
            return error.key == key && error.description.contains(message)
                && error.description.contains("/etc/ars/config.json")
        }
    }

    @Test func metricsListenIsOffUnlessSetAndTakesAnIPv4OrBracketedIPv6AddressWithAPort() throws {
        #expect(try parse(#"{"database":"x","account":true}"#).metricsListen == nil)
        #expect(try parse(#"{"database":"x","account":true,"metricsListen":null}"#).metricsListen == nil)
        let valid: [(String, String, Int)] = [
            ("127.0.0.1:9464", "127.0.0.1", 9464), ("0.0.0.0:1", "0.0.0.0", 1),
            ("255.255.255.255:65535", "255.255.255.255", 65535), ("[::1]:9464", "::1", 9464),
            ("[::]:80", "::", 80), ("[2001:db8::7]:9464", "2001:db8::7", 9464),
            ("[::ffff:127.0.0.1]:9464", "::ffff:127.0.0.1", 9464),
        ]
        for (text, host, port) in valid {
            let configuration = try parse(#"{"database":"x","account":true,"metricsListen":"\#(text)"}"#)
            #expect(configuration.metricsListen == ListenAddress(host: host, port: port), "\(text)")
            #expect(configuration.metricsListen?.description == text)
        }
    }

    static let invalidListenAddresses: [(text: String, reason: String)] = [
        ("9464", "has no port"), ("127.0.0.1", "has no port"), ("127.0.0.1:", "the port must be"),
        ("127.0.0.1:0", "the port must be"), ("127.0.0.1:65536", "the port must be"),
        ("127.0.0.1:-1", "the port must be"), ("127.0.0.1:+80", "the port must be"),
        ("127.0.0.1:09464", "the port must be"), ("127.0.0.1:1e3", "the port must be"),
        ("127.0.0.1:9464/metrics", "the port must be"), ("127.0.0.1:99999999999999999999", "the port must be"),
        ("localhost:9464", "is not an IPv4 address"), ("example.com:9464", "is not an IPv4 address"),
        ("256.0.0.1:9464", "is not an IPv4 address"), ("1.2.3:9464", "is not an IPv4 address"),
        ("01.2.3.4:9464", "is not an IPv4 address"), ("1.2.3.4.5:9464", "is not an IPv4 address"),
        (":9464", "is not an IPv4 address"), ("::1:9464", "goes in brackets"), ("[::1]", "no \"]:\""),
        ("[::1]9464", "no \"]:\""), ("[::1:9464", "no \"]:\""), ("[127.0.0.1]:9464", "is not an IPv6 address"),
        ("[fe80::1%eth0]:9464", "is not an IPv6 address"), ("[]:9464", "is not an IPv6 address"),
        ("[::1]:0", "the port must be"), (" 127.0.0.1:9464", "printable ASCII"),
        ("127.0.0.1:9464\n", "printable ASCII"), ("127.0.0.1\u{0}:9464", "printable ASCII"),
        ("http://127.0.0.1:9464", "is a URL"),
    ]

    @Test(arguments: 0..<invalidListenAddresses.count)
    func aMetricsListenThatIsNotHostColonPortIsRefusedSayingWhy(index: Int) throws {
        let (text, reason) = Self.invalidListenAddresses[index]
        let json = try String(
            decoding: JSONSerialization.data(withJSONObject: [
                "database": "x", "account": true, "metricsListen": text,
            ]),
            as: UTF8.self
        )
        #expect {
            try parse(json)
        } throws: { error in
            guard let error = error as? ConfigurationError else { return false }
            return error.key == "metricsListen" && error.description.contains(reason)
                && error.description.contains(#"such as "127.0.0.1:9464" or "[::1]:9464""#)
        }
    }

    @Test func aStoredSourceIsPolledWhenListedByIDOrKnownNameOrAsOneOfAllTasksOrTheAccount() throws {
        let listed = try parse(#"{"database":"x","tasks":["T1","jane~news"],"actors":["A1","jane~crawler"]}"#)
        #expect(listed.polls(.task("T1"), name: nil, removedUpstream: false))
        #expect(listed.polls(.task("T9"), name: "jane~news", removedUpstream: false))
        #expect(!listed.polls(.task("T9"), name: "jane~other", removedUpstream: false))
        #expect(!listed.polls(.task("A1"), name: nil, removedUpstream: false), "an Actor's ID is not a task's")
        #expect(listed.polls(.actor("A1"), name: nil, removedUpstream: false))
        #expect(listed.polls(.actor("A7"), name: "jane~crawler", removedUpstream: false))
        #expect(!listed.polls(.actor("T1"), name: nil, removedUpstream: false))
        #expect(!listed.polls(.account, name: nil, removedUpstream: false))
        let everything = try parse(#"{"database":"x","allTasks":true,"account":true}"#)
        #expect(everything.polls(.task("T9"), name: nil, removedUpstream: false))
        #expect(!everything.polls(.task("T9"), name: nil, removedUpstream: true), "gone upstream")
        #expect(everything.polls(.account, name: nil, removedUpstream: false))
        #expect(!everything.polls(.actor("A1"), name: nil, removedUpstream: false))
    }

    @Test func plainHTTPIsForThisMachineUnlessAllowed() throws {
        for url in ["http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:9", "https://api.example.com"] {
            let configuration = try parse(#"{"database":"x","tasks":["a"],"apiBaseUrl":"\#(url)"}"#)
            #expect(!configuration.sendsTokenInClear, "\(url)")
        }
        let allowed = try parse(
            #"{"database":"x","tasks":["a"],"apiBaseUrl":"http://10.99.99.1:8080","allowInsecureHttp":true}"#
        )
        #expect(allowed.sendsTokenInClear && allowed.allowInsecureHttp)
    }

    @Test func brokenJSONIsPlacedByLineAndColumn() {
        #expect {
            try parse("{\n  \"database\": \"x\",\n  \"tasks\": [\"a\" \"b\"]\n}\n")
        } throws: { error in
            "\(error)".contains("not valid JSON") && "\(error)".contains("line 3, column 17")
        }
    }

    @Test func alertSinksParseWithTheirDefaultsAndFilters() throws {
        let configuration = try parse(
            #"""
            {"database":"x","tasks":["a"],"alerts":{"eventRetentionDays":30,"sinks":[
              {"name":"mail","type":"exec","command":["/usr/local/bin/mail-alert","--to","ops"],
               "events":["run_failed","run_timed_out"],"tasks":["jane~news"]},
              {"name":"slack","type":"webhook","urlFile":"/run/credentials/x/slack","format":"slack",
               "timeout":null,"maxConcurrent":2}]}}
            """#.replacingOccurrences(of: #""timeout":null,"#, with: "")
        )
        let alerts = configuration.alerts
        #expect(alerts.eventRetentionDays == 30 && alerts.webhookRetryHours == 24)
        #expect(alerts.sinks.map(\.name) == ["mail", "slack"])
        #expect(
            alerts.sinks[0].kind
                == .exec(
                    command: ["/usr/local/bin/mail-alert", "--to", "ops"],
                    timeoutSeconds: 30,
                    maxConcurrent: 2,
                    maxAttempts: 5
                )
        )
        #expect(alerts.sinks[0].events == [.runFailed, .runTimedOut] && alerts.sinks[0].tasks == ["jane~news"])
        #expect(
            alerts.sinks[1].kind
                == .webhook(
                    url: nil,
                    urlFile: "/run/credentials/x/slack",
                    format: .slack,
                    headersFile: nil,
                    maxConcurrent: 2
                )
        )
        #expect(try parse(#"{"database":"x","tasks":["a"]}"#).alerts == AlertsConfiguration())
    }

    static let alertErrors: [(String, String, String)] = [
        (#"{"sinks":{}}"#, "alerts.sinks", "must be an array"),
        (#"{"retention":1}"#, "alerts.retention", "unknown key"),
        (#"{"eventRetentionDays":0}"#, "alerts.eventRetentionDays", "from 1 to 3650"),
        (#"{"sinks":[{"type":"exec","command":["/bin/true"]}]}"#, "alerts.sinks[0].name", "is required"),
        (#"{"sinks":[{"name":"a","type":"mail"}]}"#, "alerts.sinks[0].type", "\"exec\" or \"webhook\""),
        (#"{"sinks":[{"name":"a","type":"exec"}]}"#, "alerts.sinks[0].command", "is required"),
        (#"{"sinks":[{"name":"a","type":"exec","command":["notify"]}]}"#, "alerts.sinks[0].command", "absolute path"),
        (
            #"{"sinks":[{"name":"a","type":"exec","command":["/bin/true"],"url":"x"}]}"#, "alerts.sinks[0].url",
            "unknown key"
        ),
        (#"{"sinks":[{"name":"a","type":"webhook"}]}"#, "alerts.sinks[0].url", "either"),
        (#"{"sinks":[{"name":"a","type":"webhook","url":"http://10.0.0.1/x"}]}"#, "alerts.sinks[0].url", "https://"),
        (
            #"{"sinks":[{"name":"a","type":"webhook","url":"https://h/x","format":"teams"}]}"#,
            "alerts.sinks[0].format", "slack"
        ),
        (
            #"{"sinks":[{"name":"a","type":"webhook","urlFile":"slack.url"}]}"#, "alerts.sinks[0].urlFile",
            "absolute path"
        ),
        (
            #"{"sinks":[{"name":"a","type":"exec","command":["/bin/true"],"events":["run_lost"]}]}"#,
            "alerts.sinks[0].events", "is not an event"
        ),
        (#"{"sinks":[{"name":"journal","type":"exec","command":["/bin/true"]}]}"#, "alerts.sinks[0].name", "is taken"),
        (
            #"{"sinks":[{"name":"a","type":"exec","command":["/bin/true"],"maxAttempts":0}]}"#,
            "alerts.sinks[0].maxAttempts", "from 1"
        ),
    ]

    @Test(arguments: 0..<alertErrors.count)
    func alertErrorsNameTheKey(index: Int) {
        let (alerts, key, message) = Self.alertErrors[index]
        #expect {
            try parse(#"{"database":"x","tasks":["a"],"alerts":"# + alerts + "}")
        } throws: { error in
            guard let error = error as? ConfigurationError else { return false }
            return error.key == key && error.message.contains(message)
        }
    }

    @Test func aMissingFileSaysSo() {
        #expect {
            try Configuration.load(path: "/nonexistent/config.json")
        } throws: { error in
            "\(error)".contains("/nonexistent/config.json") && "\(error)".contains("does not exist")
        }
    }

    @Test func sourcesBesideTheTasks() throws {
        let configuration = try parse(
            #"""
            {"database":"/d.db","pollIntervalSeconds":30,"tasks":["t1"],
             "actors":["jane~crawler",{"id":"ACT1","pollIntervalSeconds":600}],
             "allTasks":true,"account":true,"discoveryIntervalSeconds":900}
            """#
        )
        #expect(configuration.actors.map(\.id) == ["jane~crawler", "ACT1"])
        #expect(configuration.allTasks && configuration.account && configuration.discoveryIntervalSeconds == 900)
        #expect(
            configuration.polledSources.map { "\($0.reference)@\(Int($0.pollIntervalSeconds))" } == [
                "task t1@30", "actor jane~crawler@30", "actor ACT1@600", "account@30",
            ]
        )
        #expect(configuration.sourceSummary == "1 task(s), 2 actor(s), all tasks, the account")
        let accountOnly = try parse(#"{"database":"/d.db","account":true}"#)
        #expect(accountOnly.tasks.isEmpty && accountOnly.polledSources.map(\.reference) == [.account])
        #expect(try parse(#"{"database":"/d.db","allTasks":true}"#).discoveryIntervalSeconds == 3600)
    }
}
