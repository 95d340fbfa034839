// A stand-in for the store's default that the configuration names: the fuzzer builds the parser
// without the RunStore module. The value does not matter to what is fuzzed (parsing).
enum RunStore { static let defaultBusyTimeoutMilliseconds: Int32 = 5000 }
