// A stand-in for the client's default that the configuration names: the fuzzer builds the parser
// without ApifyClient.swift (AsyncHTTPClient). The value does not matter to what is fuzzed (parsing).
enum ApifyClient { enum Configuration { static let defaultRequestTimeout: Duration = .seconds(30) } }
