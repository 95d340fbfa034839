import ApifyAPI
import Synchronization

/// A transport whose requests wait until their task is cancelled, then fail as a cancelled HTTP
/// request does (AsyncHTTPClient reports the cancellation as the request's error).
final class StalledTransport: APITransport {
    private let started = Atomic<Int>(0)

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
        return .failed("CancellationError()")
    }
}
