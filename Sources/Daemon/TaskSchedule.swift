/// When each source is polled: pure arithmetic, so that tests need no clock.
///
/// Sources poll **together**: every pass is due on one grid, whole intervals from the daemon's
/// start (the anchor), so that sources with the same interval run their passes at the same
/// moments, and threads wake once for all of them instead of once for each (docs/performance.md,
/// "Where the floor is, and passes together", has what that saves).
///
/// A source's first pass (at start-up, when a reload restarts the loops, or when a task is
/// discovered) goes at once and counts as due in the nearest slot, so that the second follows half
/// an interval to an interval and a half later, never right after it; so does a pass that woke more
/// than half an interval late (after a suspend). A failing source backs off: its interval doubles
/// with each consecutive failure, up to 16 times or the whole intervals that fit in 15 minutes,
/// whichever is less, and never less than the interval itself (an interval over 7.5 minutes does
/// not back off). A pass that overran its slot is followed by the next slot of the grid, up to an
/// interval later, never by a pass at once, so that it joins the others.
package enum TaskSchedule {
    /// Times within this of a slot count as that slot: slots computed with a rounding error stay put.
    static let tolerance = 1e-6

    /// The longest backoff, in seconds, unless the interval itself is longer.
    static let backoffCap = 900.0

    /// The wait between a source's passes: the interval after success, backed off after failures, a
    /// whole number of intervals.
    package static func interval(base: Double, consecutiveFailures: Int) -> Double {
        guard consecutiveFailures > 0 else { return base }
        let factor = Double(1 << min(consecutiveFailures - 1, 4))
        let cap = max((backoffCap / base).rounded(.down), 1) * base
        return min(base * factor, cap)
    }

    /// When the next pass is due, in seconds from the anchor, after a pass that was due at `lastDue`
    /// and ended at `now` (both from the anchor too): the first slot of the grid of `base` that is
    /// at least the (backed-off) interval after `lastDue`, and not before `now` (by more than the
    /// tolerance).
    package static func nextDue(lastDue: Double, now: Double, base: Double, consecutiveFailures: Int) -> Double {
        let wait = interval(base: base, consecutiveFailures: consecutiveFailures)
        return slot(atOrAfter: max(lastDue + wait, now), base: base)
    }

    /// The slot of the grid of `base` nearest to `time`: the one a first pass, which starts at
    /// `time` without waiting, counts as.
    package static func slot(nearest time: Double, base: Double) -> Double {
        precondition(base > 0, "an interval is positive")
        return max((time / base).rounded(.toNearestOrAwayFromZero), 0) * base
    }

    /// The slot a pass due at `slot` counts as when its loop woke at `time`: that slot, unless it woke
    /// more than half an interval late (the machine was suspended, the process stopped), when it
    /// counts as a first pass does, in the nearest slot, so that the next does not follow at once.
    package static func slot(due slot: Double, wokeAt time: Double, base: Double) -> Double {
        time - slot > base / 2 ? self.slot(nearest: time, base: base) : slot
    }

    /// The first slot of the grid of `base` at or after `time`. Slots are computed, not added up, and
    /// a time within the tolerance past a slot counts as that slot: a source due at slot k that
    /// computes k·base with a rounding error is not pushed to slot k + 1.
    package static func slot(atOrAfter time: Double, base: Double) -> Double {
        precondition(base > 0, "an interval is positive")
        return max(((time - tolerance) / base).rounded(.up), 0) * base
    }
}
