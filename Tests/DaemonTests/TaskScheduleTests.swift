import ApifySimulator
import Daemon
import Testing

@Suite struct TaskScheduleTests {
    @Test func slotsAreWholeIntervalsFromTheAnchor() {
        #expect(TaskSchedule.slot(atOrAfter: 0, base: 60) == 0)
        #expect(TaskSchedule.slot(atOrAfter: 0.5, base: 60) == 60)
        #expect(TaskSchedule.slot(atOrAfter: 120, base: 60) == 120)
        #expect(TaskSchedule.slot(atOrAfter: -5, base: 60) == 0)
        // A slot computed with a rounding error is still that slot, not the next.
        #expect(TaskSchedule.slot(atOrAfter: 0.1 + 0.2, base: 0.1) == 3 * 0.1)
        #expect(TaskSchedule.slot(atOrAfter: 3.000_000_000_1, base: 1) == 3)
        // Past the tolerance, the next one.
        #expect(TaskSchedule.slot(atOrAfter: 3.000_002, base: 1) == 4)
        #expect(TaskSchedule.slot(atOrAfter: 2.3, base: 1.1) == 3 * 1.1)
        #expect(TaskSchedule.slot(nearest: 3.4, base: 1) == 3)
        #expect(TaskSchedule.slot(nearest: 3.6, base: 1) == 4)
        #expect(TaskSchedule.slot(nearest: 0.2, base: 60) == 0)
        // A loop that woke late by more than half an interval counts its pass as a first one.
        #expect(TaskSchedule.slot(due: 6, wokeAt: 6.003, base: 2) == 6)
        #expect(TaskSchedule.slot(due: 6, wokeAt: 6.9, base: 2) == 6)
        #expect(TaskSchedule.slot(due: 6, wokeAt: 7, base: 2) == 6)
        #expect(TaskSchedule.slot(due: 6, wokeAt: 9.9, base: 2) == 10)
        #expect(
            TaskSchedule.nextDue(
                lastDue: TaskSchedule.slot(due: 6, wokeAt: 9.9, base: 2),
                now: 9.95,
                base: 2,
                consecutiveFailures: 0
            ) == 12
        )
    }

    @Test func failuresBackOffUpToACap() {
        #expect(TaskSchedule.interval(base: 60, consecutiveFailures: 0) == 60)
        #expect(TaskSchedule.interval(base: 60, consecutiveFailures: 1) == 60)
        #expect(TaskSchedule.interval(base: 60, consecutiveFailures: 2) == 120)
        #expect(TaskSchedule.interval(base: 60, consecutiveFailures: 4) == 480)
        #expect(TaskSchedule.interval(base: 60, consecutiveFailures: 9) == 900)
        #expect(TaskSchedule.interval(base: 3600, consecutiveFailures: 9) == 3600)
        // The cap is the whole intervals that fit in 15 minutes: never more, and never less than one.
        #expect(TaskSchedule.interval(base: 70, consecutiveFailures: 9) == 840)
        #expect(TaskSchedule.interval(base: 500, consecutiveFailures: 9) == 500)
        #expect(TaskSchedule.interval(base: 899, consecutiveFailures: 9) == 899)
        #expect(TaskSchedule.interval(base: 1.7, consecutiveFailures: 9) == 16 * 1.7)
    }

    @Test func theCadenceIsKeptAndAnOverrunWaitsForTheNextSlot() {
        #expect(TaskSchedule.nextDue(lastDue: 60, now: 62, base: 60, consecutiveFailures: 0) == 120)
        // Overran its slot: the next slot, not a pass at once, so that it polls with the others again.
        #expect(TaskSchedule.nextDue(lastDue: 60, now: 130, base: 60, consecutiveFailures: 0) == 180)
        #expect(TaskSchedule.nextDue(lastDue: 60, now: 180, base: 60, consecutiveFailures: 0) == 180)
        // Backed off by whole intervals: still on the grid, and within the cap.
        #expect(TaskSchedule.nextDue(lastDue: 60, now: 61, base: 60, consecutiveFailures: 2) == 180)
        #expect(TaskSchedule.nextDue(lastDue: 60, now: 61, base: 60, consecutiveFailures: 3) == 300)
        #expect(TaskSchedule.nextDue(lastDue: 70, now: 71, base: 70, consecutiveFailures: 5) == 70 + 840)
        // A first pass counts as the nearest slot: the second follows half an interval to an interval
        // and a half later, never right after it.
        #expect(
            TaskSchedule.nextDue(
                lastDue: TaskSchedule.slot(nearest: 3.4, base: 1),
                now: 3.5,
                base: 1,
                consecutiveFailures: 0
            ) == 4
        )
        #expect(
            TaskSchedule.nextDue(
                lastDue: TaskSchedule.slot(nearest: 119.9, base: 60),
                now: 120.1,
                base: 60,
                consecutiveFailures: 0
            ) == 180
        )
    }

    /// Loops started at different times poll on one grid whatever their passes take (some longer
    /// than the interval), however often they fail and however late they wake; while their passes fit in the interval, they
    /// poll in the very same slots: the point of the grid.
    @Test(arguments: 0..<40) func loopsStartedApartPollTogether(seed: Int) {
        var random = SplitMix64(seed: UInt64(seed))
        let base = [0.5, 1, 1.1, 60][seed % 4]
        let quiet = seed.isMultiple(of: 2)
        var slots: [[Double]] = []
        var starts: [Double] = []
        for _ in 0..<4 {
            let start = Double.random(in: 0..<(10 * base), using: &random)
            starts.append(start)
            var due = TaskSchedule.slot(nearest: start, base: base)
            var (now, begin) = (start, start)
            var seen: [Double] = []
            var failures = 0
            while due < 100 * base {
                // As `pollLoop` does once awake: a loop that woke late counts its pass anew.
                due = TaskSchedule.slot(due: due, wokeAt: begin, base: base)
                let longest = quiet ? 0.9 * base : 1.5 * base
                now = begin + Double.random(in: 0..<longest, using: &random)
                if !quiet { failures = Int.random(in: 0..<10, using: &random) == 0 ? failures + 1 : 0 }
                let next = TaskSchedule.nextDue(lastDue: due, now: now, base: base, consecutiveFailures: failures)
                #expect(next >= now - 1e-6)
                #expect(next - begin >= base / 2 - 1e-6)
                #expect(abs(next / base - (next / base).rounded()) < 1e-9)
                due = next
                begin = max(now, due)
                // Now and then, when not quiet, the loop wakes late (a suspend, a stopped process).
                if !quiet, Int.random(in: 0..<20, using: &random) == 0 {
                    begin += Double.random(in: 0..<(5 * base), using: &random)
                }
                seen.append((due / base).rounded())
            }
            slots.append(seen)
        }
        if quiet {
            // A first pass may end in the slot after its start; from the slot after that, every loop
            // polls in every slot.
            let from = (starts.max()! / base).rounded(.down) + 2
            let after = slots.map { $0.filter { $0 >= from } }
            #expect(after.allSatisfy { $0 == Array(stride(from: from, to: from + Double($0.count), by: 1)) })
            #expect(Set(after.map(\.count)).count == 1)
        }
    }
}
