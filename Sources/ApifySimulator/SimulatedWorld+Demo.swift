/// A world that lives on its own, for `apify-runs-sync demo`: runs start, finish, fail and time out.
extension SimulatedWorld {
    /// Sets up `taskCount` tasks and one Actor run without a task (`demo~sitemap-generator`), with
    /// `historyPerTask` runs each; returns the Actor's ID.
    @discardableResult
    package mutating func seedDemo(taskCount: Int, historyPerTask: Int, nowMs: Int64) -> String {
        runSpacingMs = 60_000
        // Each history's last run starts eleven minutes before now, so that it has finished too (a
        // finished run lasts at most ten minutes): none of the history lies in the future.
        let historyStartMs = nowMs - Int64(historyPerTask + 11) * 60_000
        for index in 0..<taskCount {
            self.nowMs = historyStartMs
            let names = ["daily-news-crawl", "price-monitor", "job-board-scraper", "sitemap-checker"]
            let task = addTask(
                username: "demo",
                name: names[index % names.count] + (index < names.count ? "" : "-\(index)")
            )
            for _ in 0..<historyPerTask { createRuns(task: task, count: 1, status: demoHistoryStatus()) }
        }
        self.nowMs = historyStartMs
        let actor = addActor(username: "demo", name: "sitemap-generator")
        for _ in 0..<historyPerTask { createActorRuns(actor: actor, count: 1, status: demoHistoryStatus()) }
        self.nowMs = nowMs
        runSpacingMs = 1
        return actor
    }

    /// One tick of life: new runs start, running ones move on, old ones are deleted by retention.
    /// Every task lives, and every Actor that has runs of its own: the Actors behind tasks have none.
    ///
    /// Each event of the tick (a run started, a status changed) takes the next millisecond on the
    /// world's clock, and the tick's events end at `nowMs` at the latest: no run starts or finishes
    /// in the future, as on the real API.
    package mutating func advanceDemo(nowMs: Int64) {
        let living = tasks.values.map(\.runs) + actors.values.filter { !$0.runs.isEmpty }.map(\.runs)
        let events = living.reduce(0) { $0 + 1 + $1.count { !$0.isFinal } }
        self.nowMs = max(self.nowMs, nowMs - Int64(events))
        let spacing = runSpacingMs
        runSpacingMs = 1
        defer { runSpacingMs = spacing }
        for taskId in tasks.keys.sorted() {
            for run in tasks[taskId]!.runs where !run.isFinal { advanceDemo(run: run) }
            if generator.next() % 100 < 35 { createRuns(task: taskId, count: 1, status: demoStartStatus()) }
            if tasks[taskId]!.runs.count > 60 { deleteOldest(task: taskId, count: 1) }
        }
        for actorId in actors.keys.sorted() where !actors[actorId]!.runs.isEmpty {
            for run in actors[actorId]!.runs where !run.isFinal { advanceDemo(run: run) }
            if generator.next() % 100 < 35 { createActorRuns(actor: actorId, count: 1, status: demoStartStatus()) }
            if actors[actorId]!.runs.count > 60 { deleteOldest(actor: actorId, count: 1) }
        }
    }

    /// Moves an unfinished run one step on, or leaves it, at random.
    private mutating func advanceDemo(run: SimulatedRun) {
        let roll = generator.next() % 100
        switch run.status {
        case "READY": setStatus(run: run.id, to: "RUNNING")
        case "RUNNING" where roll < 30: setStatus(run: run.id, to: "SUCCEEDED")
        case "RUNNING" where roll < 40: setStatus(run: run.id, to: "FAILED")
        case "RUNNING" where roll < 45: setStatus(run: run.id, to: "TIMING-OUT")
        case "RUNNING" where roll < 48: setStatus(run: run.id, to: "ABORTING")
        case "TIMING-OUT": setStatus(run: run.id, to: "TIMED-OUT")
        case "ABORTING": setStatus(run: run.id, to: "ABORTED")
        default: break
        }
    }

    /// A final status for a run of the seeded history: mostly successes.
    private mutating func demoHistoryStatus() -> String {
        let roll = generator.next() % 100
        return roll < 80 ? "SUCCEEDED" : roll < 90 ? "FAILED" : roll < 95 ? "TIMED-OUT" : "ABORTED"
    }

    /// The status of a run that starts now: waiting for a worker or already running.
    private mutating func demoStartStatus() -> String {
        generator.next() % 2 == 0 ? "READY" : "RUNNING"
    }
}
