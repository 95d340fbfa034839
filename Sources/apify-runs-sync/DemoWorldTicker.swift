import ApifySimulator
import Foundation
import ServiceLifecycle

/// Moves the demo's simulated world on every second, and ends the demo after its duration, if one was given.
struct DemoWorldTicker: Service {
    let simulator: ApifySimulator
    let stopAfter: Duration?

    func run() async throws {
        let start = ContinuousClock.now
        try? await cancelWhenGracefulShutdown {
            while true {
                try await Task.sleep(for: .seconds(1))
                let now = Int64(Date().timeIntervalSince1970 * 1000)
                simulator.withWorld { $0.advanceDemo(nowMs: now) }
                if let stopAfter, ContinuousClock.now - start >= stopAfter { return }
            }
        }
    }
}
