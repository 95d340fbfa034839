/// When each task is polled: pure arithmetic, so that tests need no clock.
///
/// Every task keeps a fixed phase (from a hash of its ID) so that many tasks with one interval do
/// not all fire at once, plus a little random jitter on each pass. A failing task backs off:
/// its interval doubles with each consecutive failure, up to 16 times or 15 minutes, whichever
/// is larger than the interval itself.
package enum TaskSchedule {
    /// Seconds after start-up of a task's first pass: its phase within the first interval, at most 10 s.
    package static func firstDelay(taskId: String, interval: Double) -> Double {
        phaseFraction(of: taskId) * min(interval, 10)
    }

    /// A stable number in 0..<1 derived from the task ID (FNV-1a).
    package static func phaseFraction(of taskId: String) -> Double {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in taskId.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x100_0000_01B3
        }
        return Double(hash % 10_000) / 10_000
    }

    /// The wait between a task's passes: the interval after success, backed off after failures.
    package static func interval(base: Double, consecutiveFailures: Int) -> Double {
        guard consecutiveFailures > 0 else { return base }
        let factor = Double(1 << min(consecutiveFailures - 1, 4))
        return min(base * factor, max(base, 900))
    }

    /// Seconds from now to the next pass, given when the last one was due and how long it took.
    ///
    /// The cadence is kept (due times advance by whole intervals) unless a pass overran its slot,
    /// in which case the next one starts after the jitter alone.
    package static func nextDelay(
        lastDue: Double,
        now: Double,
        base: Double,
        consecutiveFailures: Int,
        jitterFraction: Double
    ) -> Double {
        let wait = interval(base: base, consecutiveFailures: consecutiveFailures)
        let jitter = min(wait * 0.02, 1) * min(max(jitterFraction, 0), 1)
        return max(0, lastDue + wait - now) + jitter
    }
}
