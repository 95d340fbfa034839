import ApifyAPI
import RunModel
import RunSync

/// Runs one pass over one source and reports it, to the log and to the metrics when there are any;
/// shared by `once` and the daemon.
package struct SourcePassRunner: Sendable {
    package let engine: SyncEngine
    package let reporter: PassReporter
    package let directory: SourceDirectory
    package let metrics: SyncMetrics?

    package init(engine: SyncEngine, reporter: PassReporter, directory: SourceDirectory, metrics: SyncMetrics? = nil) {
        self.engine = engine
        self.reporter = reporter
        self.directory = directory
        self.metrics = metrics
    }

    /// The outcome of one pass over the source `reference` names (a configured spelling, resolved by
    /// the directory, or a discovered task's ID): nil on success, or when another configured entry
    /// names the same source; the error otherwise, with the source's consecutive failed passes as the
    /// store counts them, or, when the store holds no count (a name that could not be resolved, a
    /// failure that could not be recorded), `failedBefore` plus this one.
    @discardableResult
    package func pass(_ reference: RunSource, failedBefore: Int = 0) async -> SyncError? {
        let start = ContinuousClock.now
        do {
            guard let source = try await directory.resolve(reference) else { return nil }
            let report = try await engine.sync(source)
            let duration = ContinuousClock.now - start
            reporter.passSucceeded(report, duration: duration)
            metrics?.passEnded(report, .succeeded, duration: duration)
            return nil
        } catch let error as SyncError {
            switch error.underlying {
            case ApifyError.taskNotFound, ApifyError.actorNotFound: await directory.forget(reference)
            default: break
            }
            let counted = SyncError(
                source: error.source,
                underlying: error.underlying,
                report: error.report,
                interrupted: error.interrupted,
                consecutiveFailures: error.interrupted ? nil : error.consecutiveFailures ?? failedBefore + 1
            )
            return ended(counted, after: ContinuousClock.now - start)
        } catch {
            let interrupted = Task.isCancelled || error is CancellationError
            let wrapped = SyncError(
                source: reference,
                underlying: error,
                report: TaskPassReport(source: reference),
                interrupted: interrupted,
                consecutiveFailures: interrupted ? nil : failedBefore + 1
            )
            return ended(wrapped, after: ContinuousClock.now - start)
        }
    }

    /// Reports a pass that failed or was interrupted (with what it committed), and returns its error.
    private func ended(_ error: SyncError, after duration: Duration) -> SyncError {
        if error.interrupted {
            reporter.passInterrupted(error)
        } else {
            reporter.passFailed(error)
        }
        metrics?.passEnded(error.report, error.interrupted ? .interrupted : .failed, duration: duration)
        return error
    }

    /// One pass over every source, at most `concurrency` at a time; the failures, by source.
    package func passOverAll(_ references: [RunSource], concurrency: Int) async -> [SyncError] {
        let limiter = ConcurrencyLimiter(limit: concurrency)
        return await withTaskGroup(of: SyncError?.self) { group in
            for reference in references {
                group.addTask { await limiter.run { await self.pass(reference) } }
            }
            var failures: [SyncError] = []
            for await failure in group {
                if let failure { failures.append(failure) }
            }
            return failures.sorted { $0.source < $1.source }
        }
    }
}
