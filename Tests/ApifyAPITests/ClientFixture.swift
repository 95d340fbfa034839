import ApifyAPI
import ApifySimulator
import AsyncHTTPClient
import Logging
import Synchronization

/// A simulator on 127.0.0.1:0 and a client pointed at it, with backoff sleeps recorded instead of slept
/// and every attempt's outcome recorded as the metrics would count it.
final class ClientFixture: Sendable {
    static let token = "apify_api_TESTSECRETtokenVALUE0123456789"
    let simulator: ApifySimulator
    let http: HTTPClient
    let client: ApifyClient
    let sleeps = SleepRecorder()
    let attempts = AttemptRecorder()

    init(
        maxRetries: Int = 3,
        requestTimeout: Duration = .seconds(5),
        maximumBodyBytes: Int = 4 * 1024 * 1024,
        token: String = ClientFixture.token
    )
        async throws
    {
        simulator = try await ApifySimulator.start(token: Self.token)
        http = HTTPClient.makeForApify(requestTimeout: requestTimeout, maximumBodyBytes: maximumBodyBytes)
        let sleeps = self.sleeps
        client = ApifyClient(
            configuration: .init(
                baseURL: simulator.baseURL,
                token: APIToken(secret: token, source: "the test"),
                requestTimeout: requestTimeout,
                retry: RetryPolicy(maxRetries: maxRetries),
                maximumBodyBytes: maximumBodyBytes
            ),
            http: http,
            logger: Logger(label: "test"),
            sleep: { duration in sleeps.durations.withLock { $0.append(duration) } },
            observer: attempts
        )
    }

    /// A test that throws before `shutdown()` must not take the whole test process down with it:
    /// AsyncHTTPClient traps in debug builds when a client is freed before its shutdown. (After
    /// `shutdown()`, this one only answers that it was done.)
    deinit {
        http.shutdown { _ in }
    }

    var requests: Int { simulator.withWorld { $0.requestCount } }

    func shutdown() async throws {
        try await http.shutdown()
        try await simulator.stop()
    }
}
