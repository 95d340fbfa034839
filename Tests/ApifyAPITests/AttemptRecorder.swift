import ApifyAPI
import Synchronization

/// The attempts the client reported, in order: how each ended and whether it was retried.
final class AttemptRecorder: APIRequestObserver {
    private let recorded = Mutex<[String]>([])

    /// `outcome` or `outcome+retry`, per attempt.
    var attempts: [String] { recorded.withLock { $0 } }

    func attemptEnded(_ outcome: APIRequestOutcome, willRetry: Bool) {
        recorded.withLock { $0.append(outcome.rawValue + (willRetry ? "+retry" : "")) }
    }
}
