/// One GET over some transport, without retries or interpretation: the seam between `ApifyClient`
/// and the network, so that tests can serve the client in-process (no sockets, no waiting) while
/// the daemon uses `HTTPClientTransport`.
package protocol APITransport: Sendable {
    /// Sends one GET and waits at most `timeout` for the whole answer. Never throws: every failure is
    /// an outcome for the client to retry or report.
    func get(
        url: String,
        headers: [(name: String, value: String)],
        timeout: Duration,
        maximumBodyBytes: Int
    ) async -> APITransportOutcome
}
