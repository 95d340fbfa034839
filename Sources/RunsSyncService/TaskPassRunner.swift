import ApifyAPI
import RunSync

/// Runs one pass over one configured task and reports it; shared by `once` and the daemon.
package struct TaskPassRunner: Sendable {
    package let engine: SyncEngine
    package let reporter: PassReporter
    package let directory: TaskDirectory

    package init(engine: SyncEngine, reporter: PassReporter, directory: TaskDirectory) {
        self.engine = engine
        self.reporter = reporter
        self.directory = directory
    }

    /// The outcome of one pass over the task `reference` names (an ID or `username~task-name`): nil on
    /// success, or when another configured entry names the same task; the error otherwise.
    @discardableResult
    package func pass(_ reference: String) async -> SyncError? {
        let start = ContinuousClock.now
        do {
            guard let taskId = try await directory.id(of: reference) else { return nil }
            let report = try await engine.sync(task: taskId)
            reporter.passSucceeded(report, duration: ContinuousClock.now - start)
            return nil
        } catch let error as SyncError {
            if case ApifyError.taskNotFound = error.underlying { await directory.forget(reference) }
            if error.interrupted {
                reporter.passInterrupted(error)
            } else {
                reporter.passFailed(error)
            }
            return error
        } catch {
            let interrupted = Task.isCancelled || error is CancellationError
            let wrapped = SyncError(
                taskId: reference,
                underlying: error,
                report: TaskPassReport(taskId: reference),
                interrupted: interrupted
            )
            if interrupted {
                reporter.passInterrupted(wrapped)
            } else {
                reporter.passFailed(wrapped)
            }
            return wrapped
        }
    }

    /// One pass over every task, at most `concurrency` at a time; the failures, by task.
    package func passOverAll(_ references: [String], concurrency: Int) async -> [SyncError] {
        let limiter = ConcurrencyLimiter(limit: concurrency)
        return await withTaskGroup(of: SyncError?.self) { group in
            for reference in references {
                group.addTask { await limiter.run { await self.pass(reference) } }
            }
            var failures: [SyncError] = []
            for await failure in group {
                if let failure { failures.append(failure) }
            }
            return failures.sorted { $0.taskId < $1.taskId }
        }
    }
}
