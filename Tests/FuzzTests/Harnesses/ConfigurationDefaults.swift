// Stand-ins for the lower layers' defaults that the configuration names: the fuzzer builds the
// parser alone, without those modules. The values do not matter to what is fuzzed (parsing).
enum RunStore { static let defaultBusyTimeoutMilliseconds: Int32 = 5000 }
struct RetryPolicy { static let defaultMaxRetries = 8 }
enum ApifyClient { enum Configuration { static let defaultRequestTimeout: Duration = .seconds(30) } }
