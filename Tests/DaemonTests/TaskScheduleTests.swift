import Daemon
import Foundation
import Logging
import Testing

@Suite struct TaskScheduleTests {
    @Test func slotsAreWholeIntervalsFromTheAnchor() {
        #expect(TaskSchedule.slot(atOrAfter: 0, base: 60) == 0)
        #expect(TaskSchedule.slot(atOrAfter: 0.5, base: 60) == 60)
        #expect(TaskSchedule.slot(atOrAfter: 120, base: 60) == 120)
        // A slot computed with a rounding error is still that slot, not the next.
        #expect(TaskSchedule.slot(atOrAfter: 0.1 + 0.2, base: 0.1) == 3 * 0.1)
        #expect(TaskSchedule.slot(atOrAfter: 3.000_000_000_1, base: 1) == 3)
        #expect(TaskSchedule.slot(atOrBefore: 3.4, base: 1) == 3)
        #expect(TaskSchedule.slot(atOrBefore: 2.999_999_9, base: 1) == 3)
        #expect(TaskSchedule.slot(atOrBefore: 0.2, base: 60) == 0)
    }

    @Test func failuresBackOffUpToACap() {
        #expect(TaskSchedule.interval(base: 60, consecutiveFailures: 0) == 60)
        #expect(TaskSchedule.interval(base: 60, consecutiveFailures: 1) == 60)
        #expect(TaskSchedule.interval(base: 60, consecutiveFailures: 2) == 120)
        #expect(TaskSchedule.interval(base: 60, consecutiveFailures: 4) == 480)
        #expect(TaskSchedule.interval(base: 60, consecutiveFailures: 9) == 900)
        #expect(TaskSchedule.interval(base: 3600, consecutiveFailures: 9) == 3600)
    }

    @Test func theCadenceIsKeptAndAnOverrunWaitsForTheNextSlot() {
        #expect(TaskSchedule.nextDue(lastDue: 60, now: 62, base: 60, consecutiveFailures: 0) == 120)
        // Overran its slot: the next slot, not a pass at once, so that it polls with the others again.
        #expect(TaskSchedule.nextDue(lastDue: 60, now: 130, base: 60, consecutiveFailures: 0) == 180)
        #expect(TaskSchedule.nextDue(lastDue: 60, now: 180, base: 60, consecutiveFailures: 0) == 180)
        // Backed off by whole intervals: still on the grid.
        #expect(TaskSchedule.nextDue(lastDue: 60, now: 61, base: 60, consecutiveFailures: 2) == 180)
        #expect(TaskSchedule.nextDue(lastDue: 60, now: 61, base: 60, consecutiveFailures: 3) == 300)
        // A first pass in the middle of a slot is followed by the next slot, not the one after.
        let first = TaskSchedule.slot(atOrBefore: 3.4, base: 1)
        #expect(TaskSchedule.nextDue(lastDue: first, now: 3.5, base: 1, consecutiveFailures: 0) == 4)
    }

    /// Loops started at different times poll on one grid whatever their passes take (some longer
    /// than the interval) and however often they fail; while their passes fit in the interval, they
    /// poll in the very same slots: the point of the grid.
    @Test func loopsStartedApartPollTogether() {
        var random = SystemRandomNumberGenerator()
        for round in 0..<400 {
            let base = [0.5, 1, 60][round % 3]
            let quiet = round % 2 == 0
            var slots: [[Double]] = []
            var starts: [Double] = []
            for _ in 0..<4 {
                var now = Double.random(in: 0..<(10 * base), using: &random)
                starts.append(now)
                var due = TaskSchedule.slot(atOrBefore: now, base: base)
                var seen: [Double] = []
                var failures = 0
                while due < 100 * base {
                    let longest = quiet ? 0.9 * base : 1.5 * base
                    now = max(now, due) + Double.random(in: 0..<longest, using: &random)
                    if !quiet { failures = Int.random(in: 0..<10, using: &random) == 0 ? failures + 1 : 0 }
                    due = TaskSchedule.nextDue(lastDue: due, now: now, base: base, consecutiveFailures: failures)
                    #expect(due >= now)
                    #expect(abs(due / base - (due / base).rounded()) < 1e-9)
                    seen.append((due / base).rounded())
                }
                slots.append(seen)
            }
            if quiet {
                // A first pass starts in the middle of a slot and may end in the next; from the slot
                // after that, every loop polls in every slot.
                let from = (starts.max()! / base).rounded(.down) + 2
                let after = slots.map { $0.filter { $0 >= from } }
                #expect(after.allSatisfy { $0 == Array(stride(from: from, to: from + Double($0.count), by: 1)) })
                #expect(Set(after.map(\.count)).count == 1)
            }
        }
    }
}
