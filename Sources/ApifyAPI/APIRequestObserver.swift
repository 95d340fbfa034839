/// Told of every HTTP attempt the client makes, for counting (the daemon's metrics): how it ended
/// and whether the client retries it; an attempt abandoned without an answer because its request
/// was cancelled (its pass ended, the daemon stops) is not counted. Called on the requesting task;
/// it must return at once.
package protocol APIRequestObserver: Sendable {
    func attemptEnded(_ outcome: APIRequestOutcome, willRetry: Bool)
}
