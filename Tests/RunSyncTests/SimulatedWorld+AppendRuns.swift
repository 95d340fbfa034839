import ApifySimulator

extension SimulatedWorld {
    /// `createRuns` for long histories. The simulator inserts each run into a copy of the task's whole
    /// list in debug builds (30,000 runs took 30 s), so runs are created a few hundred at a time under
    /// a scratch task, then moved to the end of `taskId`'s list (their `startedAt` is later than any
    /// run there, as with `createRuns`).
    mutating func appendRuns(task taskId: String, count: Int, status: String = "SUCCEEDED") {
        var remaining = count
        while remaining > 0 {
            let scratch = addTask()
            createRuns(task: scratch, count: min(remaining, 500), status: status)
            var runs = tasks.removeValue(forKey: scratch)!.runs
            taskIdByName = taskIdByName.filter { $0.value != scratch }
            for index in runs.indices {
                runs[index].taskId = taskId
                runs[index].actId = tasks[taskId]!.actId
                taskOfRun[runs[index].id] = taskId
            }
            tasks[taskId]!.runs.append(contentsOf: runs)
            remaining -= runs.count
        }
    }
}
