import RunSync

/// Runs one pass over one task and reports it; shared by `once` and the daemon.
package struct TaskPassRunner: Sendable {
    package let engine: SyncEngine
    package let reporter: PassReporter

    package init(engine: SyncEngine, reporter: PassReporter) {
        self.engine = engine
        self.reporter = reporter
    }

    /// The outcome of one pass: nil on success, the error otherwise.
    @discardableResult
    package func pass(_ taskId: String) async -> SyncError? {
        let start = ContinuousClock.now
        do {
            let report = try await engine.sync(task: taskId)
            reporter.passSucceeded(report, duration: ContinuousClock.now - start)
            return nil
        } catch let error as SyncError {
            if error.interrupted {
                reporter.passInterrupted(error)
            } else {
                reporter.passFailed(error)
            }
            return error
        } catch {
            let wrapped = SyncError(
                taskId: taskId,
                underlying: error,
                report: TaskPassReport(taskId: taskId),
                interrupted: false
            )
            reporter.passFailed(wrapped)
            return wrapped
        }
    }

    /// One pass over every task, at most `concurrency` at a time; the failures, by task.
    package func passOverAll(_ taskIds: [String], concurrency: Int) async -> [SyncError] {
        let limiter = ConcurrencyLimiter(limit: concurrency)
        return await withTaskGroup(of: SyncError?.self) { group in
            for taskId in taskIds {
                group.addTask { await limiter.run { await self.pass(taskId) } }
            }
            var failures: [SyncError] = []
            for await failure in group {
                if let failure { failures.append(failure) }
            }
            return failures.sorted { $0.taskId < $1.taskId }
        }
    }
}
