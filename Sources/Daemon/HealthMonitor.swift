import ApifyAPI
import Foundation
import Logging
import RunModel
import RunStore
import RunSync
import Synchronization

/// The health checks (README, "Health checks"), every `alerts.healthCheckIntervalSeconds`, apart
/// from the passes:
/// - `run_stuck`: a live run unfinished for longer than its task's or Actor's `maxRunSeconds`, or
///   than its own timeout (`options.timeoutSecs`, read once with `GET /v2/actor-runs/:id` when it
///   has run five minutes) plus `alerts.runStuckGraceSeconds`; recovered when it finishes.
/// - `task_silent`: no new run of a task or Actor with `expectEverySeconds` for that long.
/// - `failure_rate`: more failures among the runs of its `failureRate.windowSeconds` than its
///   threshold.
/// - `empty_result`: a run of a task or Actor with `minItems` that SUCCEEDED with fewer items in
///   its default dataset (`GET /v2/datasets/:id`), for runs that finished since `minItems` was set.
/// Each problem is opened once and closed once, with its events, by the store (`reconcile`), so a
/// restart neither repeats nor loses one. The API reads go through the client's budget and
/// retries; a failed read is tried at the next round.
package final class HealthMonitor: Sendable {
    private let store: RunStore
    private let client: ApifyClient?
    private let directory: SourceDirectory
    private let alerts: AlertDispatcher
    private let logger: Logger
    private let metrics: SyncMetrics?
    private let now: @Sendable () -> Date
    private let state: Mutex<State>

    private struct State {
        var configuration: Configuration
        /// Failed dataset reads per run, in this process: a dataset gone for good is left after three.
        var datasetFailures: [String: Int] = [:]
        /// Runs whose details were not found (404), not asked for again in this process.
        var detailsGone: Set<String> = []
    }

    /// How long a run runs before its details are read for its timeout.
    static let detailsAfterSeconds: Double = 300
    /// Reads of run details and datasets per round, at most.
    static let readsPerRound = 20

    package init(
        configuration: Configuration,
        store: RunStore,
        client: ApifyClient?,
        directory: SourceDirectory,
        alerts: AlertDispatcher,
        logger: Logger,
        metrics: SyncMetrics? = nil,
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.metrics = metrics
        self.store = store
        self.client = client
        self.directory = directory
        self.alerts = alerts
        self.logger = logger
        self.now = now
        self.state = Mutex(State(configuration: configuration))
    }

    /// Takes a reloaded configuration's checks.
    package func update(_ configuration: Configuration) { state.withLock { $0.configuration = configuration } }

    /// Checks every interval until cancelled.
    package func run() async {
        while !Task.isCancelled {
            await check()
            let interval = state.withLock { $0.configuration.alerts.healthCheckIntervalSeconds }
            try? await Task.sleep(for: .milliseconds(Int64(interval * 1000)))
        }
    }

    /// One round of every check.
    package func check() async {
        let configuration = state.withLock { $0.configuration }
        let time = now()
        let stamp = ISOTimestamp.string(from: time)
        do {
            var checked: [(source: RunSource, entry: Configuration.SourceEntry)] = []
            var polled = Set<String>()
            var unresolved = false
            var unresolvedLimits = false
            let entries =
                configuration.tasks.map { (RunSource.task($0.id), $0) }
                + configuration.actors.map { (RunSource.actor($0.id), $0) }
            for (reference, entry) in entries {
                // A name the directory cannot resolve now is checked at a later round; meanwhile its
                // open problems stay as they are (neither recovered nor closed).
                guard let source = try? await directory.resolve(reference) else {
                    unresolved = true
                    unresolvedLimits = unresolvedLimits || entry.maxRunSeconds != nil
                    continue
                }
                polled.insert(HealthFinding.subject(of: source))
                if entry.minItems != nil || entry.maxRunSeconds != nil || entry.expectEverySeconds != nil
                    || entry.failureRate != nil
                {
                    checked.append((source, entry))
                }
            }
            // Runs of sources no longer polled are not refreshed, so they are not judged either.
            let everything = configuration.account || configuration.allTasks
            var reads = Self.readsPerRound
            // An unresolved source's runs cannot be told apart: with `maxRunSeconds` of its own they
            // are not judged this round; otherwise the problems of runs not judged stay open.
            if !unresolvedLimits {
                try await checkStuckRuns(
                    checked,
                    polled: everything ? nil : polled,
                    grace: configuration.alerts.runStuckGraceSeconds,
                    closingUnchecked: !unresolved,
                    at: time,
                    reads: &reads
                )
            }
            try await checkSilence(checked, closingUnchecked: !unresolved, at: time)
            try await checkFailureRates(checked, closingUnchecked: !unresolved, at: time)
            try await checkItemCounts(checked, at: stamp, reads: &reads)
            if let metrics { metrics.openProblems(try await store.openProblems()) }
        } catch is CancellationError {
            return
        } catch {
            logger.error("health check failed", metadata: ["event": "health_check_failed", "error": "\(error)"])
        }
        alerts.wake()
    }

    /// `polled`: the subjects (`task:ID`, `actor:ID`) whose runs are judged; nil: every run.
    private func checkStuckRuns(
        _ checked: [(source: RunSource, entry: Configuration.SourceEntry)],
        polled: Set<String>?,
        grace: Double,
        closingUnchecked: Bool,
        at time: Date,
        reads: inout Int
    ) async throws {
        var limits: [String: Double] = [:]
        for (source, entry) in checked {
            if let seconds = entry.maxRunSeconds { limits[HealthFinding.subject(of: source)] = seconds }
        }
        var findings: [HealthFinding] = []
        let unfinished = try await store.unfinishedRunsForHealth()
        // Judged: the runs of polled sources, and every run that is no longer unfinished (its problem,
        // if any, is over). A run of a source no longer polled is not: its problem closes silently.
        var evaluated = Set(try await store.openProblems().compactMap(\.finding.runId))
            .subtracting(unfinished.map(\.id))
        for run in unfinished {
            try Task.checkCancellation()
            if let polled, !polled.contains("task:\(run.taskId)"), !polled.contains("actor:\(run.actorId ?? "")") {
                continue
            }
            evaluated.insert(run.id)
            guard let started = run.startedAt.flatMap(ISOTimestamp.milliseconds) else { continue }
            let age = time.timeIntervalSince1970 - Double(started) / 1000
            let limit: Double
            let why: String
            if let own = limits["task:\(run.taskId)"] ?? run.actorId.flatMap({ limits["actor:\($0)"] }) {
                (limit, why) = (own, "its maxRunSeconds of \(Int(own)) s")
            } else {
                var timeout = run.timeoutSeconds
                let gone = state.withLock { $0.detailsGone.contains(run.id) }
                if timeout == nil, !gone, age > Self.detailsAfterSeconds, reads > 0, let client {
                    reads -= 1
                    // A failed read is tried at a later round; a run not found is not asked for again
                    // in this process (the passes mark it deleted, if its source is polled).
                    let read: RunDetails??
                    do {
                        read = .some(try await client.runDetails(id: run.id))
                    } catch {
                        read = .none
                    }
                    if case .some(.none) = read { state.withLock { _ = $0.detailsGone.insert(run.id) } }
                    if case .some(.some(let details)) = read {
                        try await store.setRunDetails(
                            runId: run.id,
                            status: details.status,
                            statusMessage: details.statusMessage,
                            exitCode: details.exitCode,
                            details: details.detailsJSON
                        )
                        timeout = details.timeoutSeconds ?? 0
                    }
                }
                guard let timeout, timeout > 0 else { continue }
                (limit, why) = (timeout + grace, "its timeout of \(Int(timeout)) s and \(Int(grace)) s of grace")
            }
            guard age > limit else { continue }
            findings.append(
                HealthFinding(
                    subject: run.id,
                    taskId: run.taskId,
                    actorId: run.actorId,
                    runId: run.id,
                    detail: "unfinished for \(Int(age)) s, past \(why)"
                )
            )
        }
        try await store.reconcile(
            .runStuck,
            findings: findings,
            evaluated: evaluated,
            closingUnchecked: closingUnchecked,
            at: ISOTimestamp.string(from: time)
        )
    }

    /// `task_silent`: no new run for longer than `expectEverySeconds`.
    private func checkSilence(
        _ checked: [(source: RunSource, entry: Configuration.SourceEntry)],
        closingUnchecked: Bool,
        at time: Date
    ) async throws {
        try await checkSources(.taskSilent, checked, closingUnchecked: closingUnchecked, at: time) { source, entry in
            guard let expected = entry.expectEverySeconds else { return nil }
            let (latest, since) = try await self.store.latestStart(of: source)
            // Not synced yet: nothing to say.
            guard let reference = (latest ?? since).flatMap(ISOTimestamp.milliseconds) else { return nil }
            let quiet = time.timeIntervalSince1970 - Double(reference) / 1000
            guard quiet > expected else { return .some(nil) }
            return latest == nil
                ? "no run at all in \(Int(quiet)) s (expected one every \(Int(expected)) s)"
                : "no new run for \(Int(quiet)) s (expected one every \(Int(expected)) s)"
        }
    }

    /// `failure_rate`: more failures among the runs of the window than the threshold.
    private func checkFailureRates(
        _ checked: [(source: RunSource, entry: Configuration.SourceEntry)],
        closingUnchecked: Bool,
        at time: Date
    ) async throws {
        try await checkSources(.failureRate, checked, closingUnchecked: closingUnchecked, at: time) { source, entry in
            guard let rule = entry.failureRate else { return nil }
            let since = ISOTimestamp.string(from: time.addingTimeInterval(-rule.windowSeconds))
            let (failed, finished) = try await self.store.outcomes(of: source, since: since)
            guard finished >= rule.minRuns, Double(failed) > rule.threshold * Double(finished) else {
                return .some(nil)
            }
            return "\(failed) of \(finished) runs failed in the last \(Int(rule.windowSeconds)) s, "
                + "above \(Int((rule.threshold * 100).rounded())) %"
        }
    }

    /// A check of whole tasks and Actors: `judge` says nil when the source is not checked (no key,
    /// nothing to judge yet), `.some(nil)` when it is fine, and what is wrong otherwise; the problems
    /// are then reconciled with the open ones.
    private func checkSources(
        _ kind: EventKind,
        _ checked: [(source: RunSource, entry: Configuration.SourceEntry)],
        closingUnchecked: Bool,
        at time: Date,
        judge: (RunSource, Configuration.SourceEntry) async throws -> String??
    ) async throws {
        var findings: [HealthFinding] = []
        var evaluated = Set<String>()
        for (source, entry) in checked {
            guard let verdict = try await judge(source, entry) else { continue }
            evaluated.insert(HealthFinding.subject(of: source))
            if let detail = verdict { findings.append(HealthFinding(source: source, detail: detail)) }
        }
        try await store.reconcile(
            kind,
            findings: findings,
            evaluated: evaluated,
            closingUnchecked: closingUnchecked,
            at: ISOTimestamp.string(from: time)
        )
    }

    private func checkItemCounts(
        _ checked: [(source: RunSource, entry: Configuration.SourceEntry)],
        at stamp: String,
        reads: inout Int
    ) async throws {
        guard let client else { return }
        for (source, entry) in checked {
            guard let minItems = entry.minItems else { continue }
            let since = try await store.watching("minItems", HealthFinding.subject(of: source), from: stamp)
            // Runs that finished since then started at most a day before it (longer runs are not
            // checked), and none older than a week is still news.
            let startedFrom = max(
                ISOTimestamp.milliseconds(since).map { $0 - 86_400_000 } ?? 0,
                (ISOTimestamp.milliseconds(stamp) ?? 0) - 7 * 86_400_000
            )
            let waiting = try await store.runsAwaitingItemCount(
                of: source,
                since: since,
                startedFrom: ISOTimestamp.string(milliseconds: startedFrom),
                limit: 50
            )
            for (runId, datasetId) in waiting {
                guard reads > 0 else { return }
                guard state.withLock({ $0.datasetFailures[runId, default: 0] }) < 3 else { continue }
                reads -= 1
                do {
                    guard let dataset = try await client.dataset(id: datasetId) else {
                        throw ApifyError.rejected(
                            status: 404,
                            path: "/v2/datasets/\(datasetId)",
                            type: "record-not-found",
                            message: "the run's default dataset no longer exists"
                        )
                    }
                    try await store.setItemCount(dataset.itemCount, of: runId, minItems: minItems, at: stamp)
                } catch let error as CancellationError {
                    throw error
                } catch {
                    let failures = state.withLock { state -> Int in
                        state.datasetFailures[runId, default: 0] += 1
                        return state.datasetFailures[runId]!
                    }
                    logger.warning(
                        "dataset item count not read",
                        metadata: [
                            "event": "dataset_read_failed", "run_id": "\(runId)", "error": "\(error)",
                            "attempts": .stringConvertible(failures),
                        ]
                    )
                }
            }
        }
    }
}
