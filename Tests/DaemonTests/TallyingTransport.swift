import ApifyAPI
import Synchronization
import TestSupport

/// An in-process transport that counts what it gave the client, by class of outcome (`2xx`, `4xx`,
/// `429`, `5xx`, `network_error`, `timeout`, `body_too_large`): the truth the client's own counts
/// are checked against.
final class TallyingTransport: APITransport {
    let inner: InProcessTransport
    private let counts = Mutex<[String: Int]>([:])

    init(_ inner: InProcessTransport) {
        self.inner = inner
    }

    var tally: [String: Int] { counts.withLock { $0 } }

    func get(
        url: String,
        headers: [(name: String, value: String)],
        timeout: Duration,
        maximumBodyBytes: Int
    ) async -> APITransportOutcome {
        let outcome = await inner.get(url: url, headers: headers, timeout: timeout, maximumBodyBytes: maximumBodyBytes)
        let key =
            switch outcome {
            case .response(let status, _, _) where status == 429: "429"
            case .response(let status, _, _): "\(status / 100)xx"
            case .failed: "network_error"
            case .timedOut: "timeout"
            case .tooLarge: "body_too_large"
            }
        counts.withLock { $0[key, default: 0] += 1 }
        return outcome
    }
}
