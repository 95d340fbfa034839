/// The moving parts of `SimulatedImperfections`, applied while serving.
extension SimulatedWorld {
    /// True with a chance of `percent` in 100. Draws nothing when the chance is 0, so that a world
    /// without imperfections replays as it did before they existed.
    mutating func roll(_ percent: Int) -> Bool {
        percent > 0 && generator.next() % 100 < UInt64(percent)
    }

    /// Every `retentionEveryRequests` requests, deletes the `retentionCount` oldest runs of every task
    /// (removed ones too: their runs outlive them) and of every Actor's direct runs.
    mutating func applyRetentionIfDue() {
        guard let every = imperfections.retentionEveryRequests, every > 0, requestCount % every == 0,
            imperfections.retentionCount > 0
        else { return }
        let count = imperfections.retentionCount
        for taskId in tasks.keys.sorted() + removedTasks.keys.sorted() { deleteOldest(task: taskId, count: count) }
        for actorId in actors.keys.sorted() { deleteOldest(actor: actorId, count: count) }
    }

    /// Shuffles each run of equal `startedAt` (runs without one are equal too) in an ascending list.
    mutating func shuffleTies(_ runs: inout [SimulatedRun]) {
        var start = 0
        while start < runs.count {
            var end = start + 1
            while end < runs.count, runs[end].startedAtMs == runs[start].startedAtMs { end += 1 }
            if end - start > 1 { runs[start..<end].shuffle(using: &generator) }
            start = end
        }
    }

    /// Inserts, right before a random item that has an earlier status, a copy of it in that status.
    mutating func insertStaleDuplicate(into page: inout [SimulatedRun]) {
        let candidates = page.indices.filter { Self.earlierStatus(than: page[$0].status) != nil }
        guard !candidates.isEmpty else { return }
        let index = candidates[Int(generator.next() % UInt64(candidates.count))]
        var stale = page[index]
        stale.status = Self.earlierStatus(than: stale.status)!
        if !stale.isFinal { stale.finishedAtMs = nil }
        page.insert(stale, at: index)
    }

    /// A status the run had before `status`; nil for READY and statuses the simulator does not know.
    private static func earlierStatus(than status: String) -> String? {
        switch status {
        case "RUNNING": "READY"
        case "SUCCEEDED", "FAILED", "TIMED-OUT", "ABORTED", "TIMING-OUT", "ABORTING": "RUNNING"
        default: nil
        }
    }
}
