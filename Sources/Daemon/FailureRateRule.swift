/// When a task's or Actor's failures are too many: more than `threshold` (a fraction) of its runs
/// that finished among those started in the last `windowSeconds`, once at least `minRuns` did.
package struct FailureRateRule: Sendable, Equatable {
    package var threshold: Double
    package var windowSeconds: Double = 86_400
    package var minRuns = 3

    package init(threshold: Double, windowSeconds: Double = 86_400, minRuns: Int = 3) {
        self.threshold = threshold
        self.windowSeconds = windowSeconds
        self.minRuns = minRuns
    }
}
