import ApifyAPI
import Foundation
import RunModel
import RunsSyncService
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
        (#"{"database":"x","actors":[{"id":"a","every":5}]}"#, "actors[0].every", "an actor object takes id"),
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

@Suite struct TokenSourceTests {
    let directory: TemporaryDirectory

    init() throws {
        directory = try TemporaryDirectory()
    }

    private func configuration(_ extra: String) throws -> Configuration {
        let path = directory.path("config.json")
        try Data(#"{"database":"x.db","tasks":["a"]\#(extra)}"#.utf8).write(to: URL(fileURLWithPath: path))
        return try Configuration.load(path: path)
    }

    @Test func precedenceIsTokenThenFileThenEnvironmentThenCredential() throws {
        let tokenFile = directory.path("token")
        try Data("from-file-0123456789\n".utf8).write(to: URL(fileURLWithPath: tokenFile))
        let credentials = directory.path("creds")
        try FileManager.default.createDirectory(atPath: credentials, withIntermediateDirectories: true)
        try Data("from-credential-0123456789".utf8).write(to: URL(fileURLWithPath: credentials + "/apify-token"))
        let environment = ["APIFY_TOKEN": "from-env-0123456789", "CREDENTIALS_DIRECTORY": credentials]

        let all = try configuration(#","token":"from-config-0123456789","tokenFile":"token""#)
        #expect(try TokenSource.resolve(all, environment: environment).secret == "from-config-0123456789")
        let file = try configuration(#","tokenFile":"token""#)
        let fromFile = try TokenSource.resolve(file, environment: environment)
        #expect(fromFile.secret == "from-file-0123456789")
        #expect(fromFile.source == "the file \(tokenFile)")
        let none = try configuration("")
        #expect(try TokenSource.resolve(none, environment: environment).secret == "from-env-0123456789")
        #expect(
            try TokenSource.resolve(none, environment: ["CREDENTIALS_DIRECTORY": credentials]).secret
                == "from-credential-0123456789"
        )
        #expect(throws: ConfigurationError.self) { try TokenSource.resolve(none, environment: [:]) }
    }

    @Test func aTokenTooShortToBeOneIsRefused() throws {
        let configuration = try configuration(#","token":"t""#)
        #expect {
            try TokenSource.resolve(configuration, environment: [:])
        } throws: { error in
            (error as? ConfigurationError)?.key == "token" && "\(error)".contains("1 characters long")
                && "\(error)".contains("at least 16")
        }
        let sixteen = try self.configuration(#","token":"0123456789abcdef""#)
        #expect(try TokenSource.resolve(sixteen, environment: [:]).secret.count == 16)
    }

    @Test func anUnreadableTokenFileIsAConfigurationError() throws {
        let configuration = try configuration(#","tokenFile":"missing""#)
        #expect {
            try TokenSource.resolve(configuration, environment: [:])
        } throws: { error in
            (error as? ConfigurationError)?.key == "tokenFile" && "\(error)".contains(directory.path("missing"))
        }
    }

    @Test func aWorldReadableConfigHoldingATokenIsFlagged() throws {
        let configuration = try configuration(#","token":"secret""#)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: configuration.path)
        #expect(TokenSource.exposedFile(configuration) == configuration.path)
        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: configuration.path)
        #expect(TokenSource.exposedFile(configuration) == nil)
        // A token file is held to the same rule.
        let tokenFile = directory.path("token")
        try Data("0123456789abcdef".utf8).write(to: URL(fileURLWithPath: tokenFile))
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: tokenFile)
        let withFile = try self.configuration(#","tokenFile":"token""#)
        #expect(TokenSource.exposedFile(withFile) == tokenFile)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: tokenFile)
        #expect(TokenSource.exposedFile(withFile) == nil)
        let withoutToken = try self.configuration("")
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: withoutToken.path)
        #expect(TokenSource.exposedFile(withoutToken) == nil)
    }
}

@Suite struct ShippedFilesTests {
    private static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test func theExampleConfigurationIsValid() throws {
        let configuration = try Configuration.load(path: Self.root.appendingPathComponent("config.example.json").path)
        #expect(configuration.tasks.count == 2)
        #expect(configuration.database == "/var/lib/apify-runs-sync/runs.db")
        #expect(configuration.interval(of: configuration.tasks[1]) == 300)
    }
}
