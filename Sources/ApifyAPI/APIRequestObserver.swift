/// Told of every HTTP attempt the client makes, for counting (the daemon's metrics): how it ended
/// and whether the client retries it. Called on the requesting task; it must return at once.
package protocol APIRequestObserver: Sendable {
    func attemptEnded(_ outcome: APIRequestOutcome, willRetry: Bool)
}
