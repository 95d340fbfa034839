import ApifySimulator
import Foundation
import RunStore
import RunSync
import SQLiteCore
import Testing

/// Passes interrupted at random moments over a real connection: whatever committed stays, the rest
/// is read again. The model of what a pass must store is `ModelCheckedSyncTests`.
@Suite struct RandomizedSyncTests {
    static var seeds: [UInt64] {
        if let seed = ProcessInfo.processInfo.environment["SYNC_SEED"].flatMap(UInt64.init) { return [seed] }
        return [1, 2, 3]
    }

    @Test(arguments: seeds)
    func interruptedPassesLoseNothing(seed: UInt64) async throws {
        let fixture = try await SyncFixture(seed: seed, maxRetries: 4)
        var random = SplitMix64(seed: seed &* 104_729)
        for _ in 0..<25 {
            mutate(fixture, &random)
            // Interrupt a pass at a random moment: whatever committed stays, the rest is redone.
            let interrupted = Task { try await fixture.engine.sync(.task(fixture.task)) }
            try await Task.sleep(for: .microseconds(Int64(random.next() % 20_000)))
            interrupted.cancel()
            _ = await interrupted.result
            _ = try await fixture.engine.sync(.task(fixture.task))
            try await fixture.expectMatchesTruth()
        }
        try await fixture.shutdown()
    }

    /// One step of change between passes: new runs, transitions, resurrections, deletions, late inserts, faults.
    private func mutate(_ fixture: SyncFixture, _ random: inout SplitMix64) {
        let task = fixture.task
        fixture.world { world in
            let statuses = [
                "READY", "RUNNING", "SUCCEEDED", "FAILED", "TIMED-OUT", "ABORTED", "TIMING-OUT", "ABORTING",
            ]
            for _ in 0..<Int(random.next() % 4) {
                let count = Int(random.next() % 3 == 0 ? random.next() % 1500 : random.next() % 30)
                world.createRuns(
                    task: task,
                    count: count,
                    status: statuses[Int(random.next() % UInt64(statuses.count))]
                )
            }
            let runs = world.tasks[task]!.runs
            if !runs.isEmpty {
                for _ in 0..<Int(random.next() % 6) {
                    let run = runs[Int(random.next() % UInt64(runs.count))]
                    let next: String
                    switch run.status {
                    case "READY": next = ["RUNNING", "ABORTED"][Int(random.next() % 2)]
                    case "RUNNING": next = ["SUCCEEDED", "FAILED", "TIMING-OUT", "ABORTING"][Int(random.next() % 4)]
                    case "TIMING-OUT": next = "TIMED-OUT"
                    case "ABORTING": next = "ABORTED"
                    default: next = "RUNNING"  // resurrection
                    }
                    world.setStatus(run: run.id, to: next, usageTotalUsd: Double(random.next() % 1000) / 1000)
                }
            }
            switch random.next() % 10 {
            case 0, 1: world.deleteOldest(task: task, count: Int(random.next() % 60))
            case 2: world.deleteOldest(task: task, count: Int(random.next() % 1200))
            case 3:
                if world.tasks[task]!.runs.count > 10 {
                    world.insertRun(task: task, positionFromEnd: Int(random.next() % 10))
                }
            case 4: world.createRunWithSameStart(task: task)
            case 5:
                if let victim = world.tasks[task]!.runs.randomElement(using: &random) { world.delete(run: victim.id) }
            default: break
            }
            switch random.next() % 8 {
            case 0: world.inject(.status(500))
            case 1: world.inject(.status(429, retryAfter: "0"))
            case 2: world.inject(.reset)
            default: break
            }
        }
    }
}
