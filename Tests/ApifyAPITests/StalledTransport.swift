import ApifyAPI
import Synchronization

/// A transport whose requests wait until their task is cancelled, then end with `outcome`: by default
/// as a cancelled HTTP request does (AsyncHTTPClient reports the cancellation as the request's
/// error), or with an answer that came just as the request was cancelled.
final class StalledTransport: APITransport {
    private let outcome: APITransportOutcome
    private let started = Atomic<Int>(0)

    init(outcome: APITransportOutcome = .failed("CancellationError()")) {
        self.outcome = outcome
    }

    /// Requests that reached the transport.
    var requests: Int { started.load(ordering: .relaxed) }

    func get(
        url: String,
        headers: [(name: String, value: String)],
        timeout: Duration,
        maximumBodyBytes: Int
    ) async -> APITransportOutcome {
        started.add(1, ordering: .relaxed)
        try? await Task.sleep(for: .seconds(60))
        return outcome
    }
}
