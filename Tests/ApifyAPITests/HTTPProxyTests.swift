import ApifyAPI
import Testing

/// Which proxy the API is reached through: the environment's variables as curl and Go read them.
@Suite struct HTTPProxyTests {
    static let api = "https://api.apify.com"

    @Test func theSchemeOfTheAPIPicksTheVariableAndLowercaseWins() throws {
        let environment = [
            "HTTPS_PROXY": "http://upper.example:3128", "https_proxy": "http://lower.example:8080",
            "HTTP_PROXY": "http://plain.example:80",
        ]
        let https = try #require(try HTTPProxy.forBaseURL(Self.api, environment: environment))
        #expect(https == HTTPProxy(host: "lower.example", port: 8080, variable: "https_proxy"))
        let upper = try #require(
            try HTTPProxy.forBaseURL(Self.api, environment: ["HTTPS_PROXY": "upper.example:3128", "https_proxy": ""])
        )
        #expect(upper == HTTPProxy(host: "upper.example", port: 3128, variable: "HTTPS_PROXY"))
        let http = try HTTPProxy.forBaseURL("http://api.example.org:8080", environment: environment)
        #expect(http == HTTPProxy(host: "plain.example", port: 80, variable: "HTTP_PROXY"))
        // No HTTPS_PROXY: an https API is reached directly even with HTTP_PROXY set.
        #expect(try HTTPProxy.forBaseURL(Self.api, environment: ["HTTP_PROXY": "http://plain.example"]) == nil)
        #expect(try HTTPProxy.forBaseURL(Self.api, environment: [:]) == nil)
    }

    @Test func aLoopbackAPIIsNeverProxied() throws {
        let environment = ["HTTP_PROXY": "http://proxy.example:3128", "HTTPS_PROXY": "http://proxy.example:3128"]
        for url in ["http://127.0.0.1:8080", "http://localhost:1234/", "https://[::1]:8443", "http://127.9.9.9"] {
            #expect(try HTTPProxy.forBaseURL(url, environment: environment) == nil, "\(url)")
        }
    }

    @Test(arguments: [
        // (NO_PROXY, host, port, bypassed)
        ("api.apify.com", "api.apify.com", 443, true),
        ("API.Apify.COM.", "api.apify.com", 443, true),
        ("apify.com", "api.apify.com", 443, true),
        ("apify.com", "notapify.com", 443, false),
        (".apify.com", "api.apify.com", 443, true),
        (".apify.com", "apify.com", 443, false),
        ("*", "api.apify.com", 443, true),
        ("api.apify.com:443", "api.apify.com", 443, true),
        ("api.apify.com:8443", "api.apify.com", 443, false),
        ("localhost, internal.example , api.apify.com", "api.apify.com", 443, true),
        ("localhost,,internal.example", "api.apify.com", 443, false),
        ("10.1.2.3", "10.1.2.3", 80, true),
        ("10.1.2.3", "10.1.2.30", 80, false),
        ("[2001:db8::1]:8080", "2001:db8::1", 8080, true),
        ("2001:db8::1", "2001:db8::1", 8080, true),
        ("", "api.apify.com", 443, false),
        ("*.apify.com", "api.apify.com", 443, false),
    ])
    func noProxyMatching(entry: String, host: String, port: Int, bypassed: Bool) {
        #expect(HTTPProxy.bypasses(host: host, port: port, noProxy: entry) == bypassed)
    }

    @Test func noProxyExemptsTheAPIHost() throws {
        let environment = ["HTTPS_PROXY": "http://proxy.example:3128", "no_proxy": ".apify.com"]
        #expect(try HTTPProxy.forBaseURL(Self.api, environment: environment) == nil)
        let elsewhere = ["HTTPS_PROXY": "http://proxy.example:3128", "NO_PROXY": "example.org"]
        #expect(try HTTPProxy.forBaseURL(Self.api, environment: elsewhere)?.host == "proxy.example")
    }

    @Test func credentialsGoToProxyAuthorizationAndNeverIntoTheDescription() throws {
        let proxy = try #require(
            try HTTPProxy.forBaseURL(
                Self.api,
                environment: ["HTTPS_PROXY": "http://jane%40corp:s3cr%3At@proxy.corp:3128/"]
            )
        )
        #expect(proxy.username == "jane@corp" && proxy.password == "s3cr:t")
        #expect(proxy.host == "proxy.corp" && proxy.port == 3128)
        #expect(proxy.description == "http://proxy.corp:3128 (from HTTPS_PROXY, with credentials)")
        #expect(!proxy.description.contains("s3cr") && !proxy.description.contains("jane"))
    }

    @Test func unusableProxyVariablesAreRefusedNamingTheVariableNotTheCredentials() {
        for value in [
            "https://user:hunter22@proxy:3128", "socks5://user:hunter22@proxy:1080", "http://user:hunter22@proxy:http",
            "http://user:hunter22@proxy:70000", "http://user:hunter22@:3128", "http://user:hunter22@proxy:3128/path",
        ] {
            #expect {
                try HTTPProxy.forBaseURL(Self.api, environment: ["HTTPS_PROXY": value])
            } throws: { error in
                let text = "\(error)"
                return text.hasPrefix("the environment variable HTTPS_PROXY ") && !text.contains("hunter22")
            }
        }
    }

    @Test func anIPv6ProxyAndTheDefaultPort() throws {
        let v6 = try HTTPProxy.forBaseURL(Self.api, environment: ["HTTPS_PROXY": "http://[2001:db8::2]:3128"])
        #expect(v6 == HTTPProxy(host: "2001:db8::2", port: 3128, variable: "HTTPS_PROXY"))
        #expect(v6?.description == "http://[2001:db8::2]:3128 (from HTTPS_PROXY)")
        let bare = try HTTPProxy.forBaseURL(Self.api, environment: ["HTTPS_PROXY": "proxy.corp"])
        #expect(bare == HTTPProxy(host: "proxy.corp", port: 80, variable: "HTTPS_PROXY"))
    }
}
