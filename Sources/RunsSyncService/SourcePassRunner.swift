import ApifyAPI
import RunModel
import RunSync

/// Runs one pass over one source and reports it; shared by `once` and the daemon.
package struct SourcePassRunner: Sendable {
    package let engine: SyncEngine
    package let reporter: PassReporter
    package let directory: SourceDirectory

    package init(engine: SyncEngine, reporter: PassReporter, directory: SourceDirectory) {
        self.engine = engine
        self.reporter = reporter
        self.directory = directory
    }

    /// The outcome of one pass over the source `reference` names (a configured spelling, resolved by
    /// the directory, or a discovered task's ID): nil on success, or when another configured entry
    /// names the same source; the error otherwise.
    @discardableResult
    package func pass(_ reference: RunSource) async -> SyncError? {
        do {
            guard let source = try await directory.resolve(reference) else { return nil }
            let start = ContinuousClock.now
            let report = try await engine.sync(source)
            reporter.passSucceeded(report, duration: ContinuousClock.now - start)
            return nil
        } catch let error as SyncError {
            switch error.underlying {
            case ApifyError.taskNotFound, ApifyError.actorNotFound: await directory.forget(reference)
            default: break
            }
            if error.interrupted {
                reporter.passInterrupted(error)
            } else {
                reporter.passFailed(error)
            }
            return error
        } catch {
            let interrupted = Task.isCancelled || error is CancellationError
            let wrapped = SyncError(
                source: reference,
                underlying: error,
                report: TaskPassReport(source: reference),
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
