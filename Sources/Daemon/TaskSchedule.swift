/// When each source is polled: pure arithmetic, so that tests need no clock.
///
/// Sources poll **together**: every pass is due on one grid, whole intervals from the daemon's
/// start (the anchor), so that sources with the same interval run their passes at the same
/// moments. Threads then wake once for all of them instead of once for each: an idle pass of
/// twenty sources polled every second cost 2.5 ms of CPU spread over the second, 1.4 ms together
/// (docs/performance.md, "An idle pass's CPU"). The API is not burst by it: requests are paced
/// (`maxRequestsPerSecondTotal`) and at most `maxConcurrentTasks` passes run at once.
///
/// A failing source backs off: its interval doubles with each consecutive failure, up to 16 times
/// or 15 minutes, whichever is larger than the interval itself. A pass that overran its slot is
/// followed by the next slot of the grid, never by a pass at once, so that it joins the others.
package enum TaskSchedule {
    /// The wait between a source's passes: the interval after success, backed off after failures.
    package static func interval(base: Double, consecutiveFailures: Int) -> Double {
        guard consecutiveFailures > 0 else { return base }
        let factor = Double(1 << min(consecutiveFailures - 1, 4))
        return min(base * factor, max(base, 900))
    }

    /// When the next pass is due, in seconds from the anchor, after a pass that was due at `lastDue`
    /// and ended at `now` (both from the anchor too): the first slot of the grid of `base` that is
    /// at least the (backed-off) interval after `lastDue`, and not before `now`.
    package static func nextDue(lastDue: Double, now: Double, base: Double, consecutiveFailures: Int) -> Double {
        let wait = interval(base: base, consecutiveFailures: consecutiveFailures)
        return slot(atOrAfter: max(lastDue + wait, now), base: base)
    }

    /// The slot of the grid of `base` that `time` falls in: where a pass that starts at `time`
    /// without waiting (a source's first, a task discovered later) counts as due.
    package static func slot(atOrBefore time: Double, base: Double) -> Double {
        guard base > 0, time > 0 else { return max(time, 0) }
        return ((time + 1e-6) / base).rounded(.down) * base
    }

    /// The first slot of the grid of `base` at or after `time`. Slots are computed, not added up, and
    /// a time within a microsecond past a slot counts as that slot: a source due at slot k that
    /// computes k·base with a rounding error is not pushed to slot k + 1.
    package static func slot(atOrAfter time: Double, base: Double) -> Double {
        guard base > 0, time > 0 else { return max(time, 0) }
        let index = ((time - 1e-6) / base).rounded(.up)
        return max(index, 0) * base
    }
}
