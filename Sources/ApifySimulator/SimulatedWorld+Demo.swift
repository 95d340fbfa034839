/// A world that lives on its own, for `apify-runs-sync demo`: runs start, finish, fail and time out.
extension SimulatedWorld {
    /// Sets up `taskCount` tasks with a short history each.
    package mutating func seedDemo(taskCount: Int, historyPerTask: Int, nowMs: Int64) {
        runSpacingMs = 60_000
        for index in 0..<taskCount {
            // Each task's history ends a minute before now: none of it lies in the future.
            self.nowMs = nowMs - Int64(historyPerTask + 1) * 60_000
            let names = ["daily-news-crawl", "price-monitor", "job-board-scraper", "sitemap-checker"]
            let task = addTask(
                username: "demo",
                name: names[index % names.count] + (index < names.count ? "" : "-\(index)")
            )
            for _ in 0..<historyPerTask {
                let roll = generator.next() % 100
                let status = roll < 80 ? "SUCCEEDED" : roll < 90 ? "FAILED" : roll < 95 ? "TIMED-OUT" : "ABORTED"
                createRuns(task: task, count: 1, status: status)
            }
        }
        self.nowMs = nowMs
        runSpacingMs = 1
    }

    /// One tick of life: new runs start, running ones move on, old ones are deleted by retention.
    package mutating func advanceDemo(nowMs: Int64) {
        self.nowMs = max(self.nowMs, nowMs)
        for taskId in tasks.keys.sorted() {
            for run in tasks[taskId]!.runs where !run.isFinal {
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
            if generator.next() % 100 < 35 {
                createRuns(task: taskId, count: 1, status: generator.next() % 2 == 0 ? "READY" : "RUNNING")
            }
            if tasks[taskId]!.runs.count > 60 { deleteOldest(task: taskId, count: 1) }
        }
    }
}
