import Daemon
import Foundation
import Logging
import Testing

@Suite struct TaskScheduleTests {
    @Test func phasesAreStableAndSpread() {
        let phases = (0..<50).map { TaskSchedule.phaseFraction(of: "task\($0)") }
        #expect(phases == (0..<50).map { TaskSchedule.phaseFraction(of: "task\($0)") })
        #expect(phases.allSatisfy { $0 >= 0 && $0 < 1 })
        #expect(Set(phases.map { Int($0 * 10) }).count >= 8)
        #expect(TaskSchedule.firstDelay(taskId: "x", interval: 600) <= 10)
    }

    @Test func failuresBackOffUpToACap() {
        #expect(TaskSchedule.interval(base: 60, consecutiveFailures: 0) == 60)
        #expect(TaskSchedule.interval(base: 60, consecutiveFailures: 1) == 60)
        #expect(TaskSchedule.interval(base: 60, consecutiveFailures: 2) == 120)
        #expect(TaskSchedule.interval(base: 60, consecutiveFailures: 4) == 480)
        #expect(TaskSchedule.interval(base: 60, consecutiveFailures: 9) == 900)
        #expect(TaskSchedule.interval(base: 3600, consecutiveFailures: 9) == 3600)
    }

    @Test func theCadenceIsKeptUnlessAPassOverruns() {
        #expect(TaskSchedule.nextDelay(lastDue: 10, now: 12, base: 60, consecutiveFailures: 0, jitterFraction: 0) == 58)
        #expect(TaskSchedule.nextDelay(lastDue: 10, now: 100, base: 60, consecutiveFailures: 0, jitterFraction: 0) == 0)
        let jittered = TaskSchedule.nextDelay(lastDue: 10, now: 12, base: 60, consecutiveFailures: 0, jitterFraction: 1)
        #expect(jittered > 58 && jittered <= 59)
    }
}
