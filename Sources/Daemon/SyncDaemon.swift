import ApifyAPI
import Foundation
import Logging
import RunModel
import RunStore
import ServiceLifecycle
import Synchronization
import UnixSignals

/// The long-running service: polls every source on its schedule until a graceful shutdown.
///
/// Each source has its own loop (interval and backoff on a grid all loops share: `TaskSchedule`),
/// and a shared limiter bounds the passes in flight. With `allTasks`, a discovery loop lists the
/// account's tasks at start and every `discoveryIntervalSeconds`: a new task gets a loop, a task
/// gone upstream has its loop end after its current pass. On shutdown every loop is cancelled: a
/// request on the wire is abandoned, a page being written commits or rolls back as a whole (SQLite
/// work is not interruptible half-way), and `run()` returns. SIGHUP reads the configuration again:
/// when it is valid and changes something, the loops stop as on shutdown and start again with it;
/// when not, they go on (`reload`).
package final class SyncDaemon: Service {
    private let context: SyncComponents
    private let notifier: SystemdNotifier
    private let logger: Logger
    private let progress = DaemonProgress()
    /// The discovered tasks whose loops should go on, each with the number of its loop: a loop whose
    /// task left, or was discovered again (and got a new loop), ends.
    private let discovered = Mutex<[String: Int]>([:])
    private let loopNumbers = Atomic<Int>(0)
    /// Where the grid of every loop's due times starts (`TaskSchedule`): loops started later, by a
    /// discovery or a reload, poll in step with the others.
    private let scheduleAnchor = ContinuousClock.now

    package init(context: SyncComponents, notifier: SystemdNotifier, logger: Logger) {
        self.context = context
        self.notifier = notifier
        self.logger = logger
    }

    package func run() async throws {
        let configuration = context.configuration
        logger.info(
            "daemon started",
            metadata: [
                "event": "daemon_started", "sources": "\(configuration.sourceSummary)",
                "database": "\(configuration.database)",
                "api": "\(configuration.apiBaseUrl)",
            ]
        )
        // Trapped before the service says it is ready: from then on SIGHUP reloads, never kills.
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        notifier.ready(status: "watching \(configuration.sourceSummary)")
        await cancelWhenGracefulShutdown { [self] in
            // Events are delivered beside the passes, across reloads, until shutdown.
            let alerts = Task { await context.alerts.run() }
            let health = Task { await context.health.run() }
            let trim = Task { await MemoryTrim.run(logger: logger) }
            // The running configuration, the one a reload validated, and the loops of the running one.
            let state = Mutex<(running: Configuration, next: Configuration?, loops: Task<Void, Never>?)>(
                (configuration, nil, nil)
            )
            let watcher = Task {
                for await _ in hangups {
                    let running = state.withLock { $0.next ?? $0.running }
                    guard let next = self.reload(replacing: running) else { continue }
                    let loops = state.withLock { state -> Task<Void, Never>? in
                        state.next = next
                        return state.loops
                    }
                    loops?.cancel()
                }
            }
            while !Task.isCancelled {
                let current = state.withLock { state -> Configuration in
                    if let next = state.next { (state.running, state.next) = (next, nil) }
                    return state.running
                }
                let loops = Task { await self.pollEverything(current) }
                // A reload validated before the loops were recorded cancels them here.
                if state.withLock({ state -> Bool in
                    state.loops = loops
                    return state.next != nil
                }) {
                    loops.cancel()
                }
                await withTaskCancellationHandler {
                    await loops.value
                } onCancel: {
                    loops.cancel()
                }
                guard !Task.isCancelled, state.withLock({ $0.next != nil }) else { break }
                notifier.status("watching \(state.withLock { $0.next?.sourceSummary ?? "" })")
            }
            watcher.cancel()
            trim.cancel()
            // A delivery in flight is recorded or, if cut short, made again at the next start.
            health.cancel()
            alerts.cancel()
            await health.value
            await alerts.value
        }
        notifier.stopping()
        logger.info("daemon stopping", metadata: ["event": "daemon_stopping"])
    }

    /// Every loop of one configuration: its sources, the discovery of the account's tasks, names,
    /// the watchdog. Returns when cancelled (shutdown or reload).
    private func pollEverything(_ configuration: Configuration) async {
        discovered.withLock { $0 = [:] }
        await context.runner.directory.beginGeneration()
        await withTaskGroup(of: Void.self) { group in
            let limiter = ConcurrencyLimiter(limit: configuration.maxConcurrentTasks)
            for source in configuration.polledSources {
                group.addTask {
                    await self.poll(
                        source.reference,
                        every: source.pollIntervalSeconds,
                        limiter: limiter,
                        configuration: configuration
                    )
                }
            }
            if let interval = notifier.watchdogInterval {
                group.addTask { await self.pingWatchdog(every: interval / 2) }
            }
            group.addTask { await self.refreshNames() }
            if configuration.allTasks {
                await discover(into: &group, limiter: limiter, configuration: configuration)
            }
            await group.waitForAll()
        }
    }

    /// The configuration file read again after SIGHUP, or nil when it is invalid (the running one
    /// stays, and the log says why) or changes nothing that applies now (the loops go on). Sources,
    /// intervals, discovery, concurrency, alerts and health checks change at once; what the HTTP
    /// client, the store and the metrics endpoint were built with changes at the next start, as
    /// logged.
    private func reload(replacing running: Configuration) -> Configuration? {
        let next: Configuration
        do {
            next = try Configuration.load(path: running.path)
        } catch {
            logger.error(
                "configuration reload failed; the running configuration stays",
                metadata: ["event": "config_reload_failed", "error": "\(error)"]
            )
            return nil
        }
        if next.alerts != running.alerts {
            do {
                let sinks = try next.makeSinks(http: context.http, logger: logger)
                context.alerts.replaceSinks(sinks, retentionDays: next.alerts.eventRetentionDays)
            } catch {
                logger.error(
                    "configuration reload failed; the running configuration stays",
                    metadata: ["event": "config_reload_failed", "error": "\(error)"]
                )
                return nil
            }
        }
        context.health.update(next)
        let fixed: [(String, Bool)] = [
            ("apiBaseUrl", next.apiBaseUrl != running.apiBaseUrl), ("database", next.database != running.database),
            ("token", next.token != running.token), ("tokenFile", next.tokenFile != running.tokenFile),
            ("requestTimeoutSeconds", next.requestTimeoutSeconds != running.requestTimeoutSeconds),
            ("maxRetries", next.maxRetries != running.maxRetries),
            ("busyTimeoutMilliseconds", next.busyTimeoutMilliseconds != running.busyTimeoutMilliseconds),
            ("maxRequestsPerSecond", next.maxRequestsPerSecond != running.maxRequestsPerSecond),
            ("maxRequestsPerSecondTotal", next.maxRequestsPerSecondTotal != running.maxRequestsPerSecondTotal),
            ("allowInsecureHttp", next.allowInsecureHttp != running.allowInsecureHttp),
            ("caFile", next.caFile != running.caFile),
            ("metricsListen", next.metricsListen != running.metricsListen),
        ]
        let later = fixed.filter(\.1).map(\.0)
        // Those keys keep their running values until a restart; the rest is the new file's.
        var effective = next
        (effective.apiBaseUrl, effective.database, effective.token, effective.tokenFile) =
            (running.apiBaseUrl, running.database, running.token, running.tokenFile)
        (effective.requestTimeoutSeconds, effective.maxRetries, effective.busyTimeoutMilliseconds) =
            (running.requestTimeoutSeconds, running.maxRetries, running.busyTimeoutMilliseconds)
        (effective.maxRequestsPerSecond, effective.maxRequestsPerSecondTotal, effective.allowInsecureHttp) =
            (running.maxRequestsPerSecond, running.maxRequestsPerSecondTotal, running.allowInsecureHttp)
        effective.caFile = running.caFile
        effective.metricsListen = running.metricsListen
        // A reload that changes nothing (the same file again, or only keys for the next start) keeps
        // the loops: restarted, every source would poll at once, off the grid.
        let restart = effective != running
        var metadata: Logger.Metadata = ["event": "config_reloaded", "sources": "\(next.sourceSummary)"]
        if !later.isEmpty { metadata["at_next_start"] = "\(later.joined(separator: ","))" }
        if !restart { metadata["loops"] = "kept" }
        logger.notice("configuration reloaded", metadata: metadata)
        return restart ? effective : nil
    }

    /// Lists the account's tasks now and every discovery interval, starting a loop for each new one
    /// and letting the loops of tasks gone upstream end. A failed discovery keeps the loops running
    /// and is tried again after a poll interval.
    private func discover(
        into group: inout TaskGroup<Void>,
        limiter: ConcurrencyLimiter,
        configuration: Configuration
    ) async {
        while !Task.isCancelled {
            var wait = configuration.discoveryIntervalSeconds
            do {
                let tasks = try await context.runner.directory.discoverTasks(
                    besides: configuration.polledSources.map(\.reference)
                )
                let started = discovered.withLock { running -> [(String, Int)] in
                    let listed = Set(tasks)
                    running = running.filter { listed.contains($0.key) }
                    var new: [(String, Int)] = []
                    for task in tasks where running[task] == nil {
                        let number = loopNumbers.add(1, ordering: .relaxed).newValue
                        running[task] = number
                        new.append((task, number))
                    }
                    return new
                }
                for (taskId, number) in started {
                    group.addTask {
                        await self.poll(
                            .task(taskId),
                            every: configuration.pollIntervalSeconds,
                            limiter: limiter,
                            configuration: configuration,
                            whileDiscovered: (taskId, number)
                        )
                    }
                }
            } catch is CancellationError {
                return
            } catch {
                logger.error(
                    "discovering the account's tasks failed; trying again",
                    metadata: ["event": "discovery_error", "error": "\(error)"]
                )
                wait = min(wait, configuration.pollIntervalSeconds)
            }
            do {
                try await Task.sleep(for: .seconds(wait))
            } catch {
                return
            }
        }
    }

    /// One source's loop; when it ends, another entry naming the same source may poll it.
    private func poll(
        _ reference: RunSource,
        every interval: Double,
        limiter: ConcurrencyLimiter,
        configuration: Configuration,
        whileDiscovered discoveredTask: (id: String, loop: Int)? = nil
    ) async {
        await pollLoop(
            reference,
            every: interval,
            limiter: limiter,
            configuration: configuration,
            whileDiscovered: discoveredTask
        )
        progress.forget(reference)
        await context.runner.directory.release(reference)
    }

    private func pollLoop(
        _ reference: RunSource,
        every interval: Double,
        limiter: ConcurrencyLimiter,
        configuration: Configuration,
        whileDiscovered discoveredTask: (id: String, loop: Int)? = nil
    ) async {
        let clock = ContinuousClock()
        // The first pass goes at once, counted as due in the nearest slot; the next ones on the grid
        // that every loop shares (`TaskSchedule`), a pass that woke late counted anew.
        var due = clock.now
        var slot = TaskSchedule.slot(nearest: (due - scheduleAnchor).seconds, base: interval)
        var failures = 0
        while !Task.isCancelled {
            do {
                try await clock.sleep(until: due)
            } catch {
                return
            }
            slot = TaskSchedule.slot(due: slot, wokeAt: (clock.now - scheduleAnchor).seconds, base: interval)
            if let discoveredTask, discovered.withLock({ $0[discoveredTask.id] }) != discoveredTask.loop { return }
            let failedBefore = failures
            let error = await limiter.run { await self.context.runner.pass(reference, failedBefore: failedBefore) }
            context.alerts.wake()
            if error?.interrupted == true { return }
            failures = error?.consecutiveFailures ?? 0
            let total = configuration.polledSources.count + discovered.withLock { $0.count }
            notifier.status(progress.record(source: reference, failed: error != nil, of: total))
            slot = TaskSchedule.nextDue(
                lastDue: slot,
                now: (clock.now - scheduleAnchor).seconds,
                base: interval,
                consecutiveFailures: failures
            )
            due = scheduleAnchor + .seconds(slot)
        }
    }

    /// Keeps the names of tasks and Actors fresh for `status` and the views: shortly after start,
    /// then hourly, at most a hundred lookups each time, each name at most once a day.
    private func refreshNames() async {
        var wait = Duration.seconds(30)
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: wait)
            } catch {
                return
            }
            wait = .seconds(3600)
            do {
                try await context.runner.directory.refreshNames()
            } catch is CancellationError {
                return
            } catch {
                logger.warning(
                    "looking up task and Actor names failed; trying again in an hour",
                    metadata: ["event": "names_error", "error": "\(error)"]
                )
            }
        }
    }

    /// Pings the watchdog while the database still answers: a wedged store stops the pings.
    private func pingWatchdog(every interval: Duration) async {
        while !Task.isCancelled {
            if (try? await context.store.ping()) != nil {
                notifier.watchdog()
            }
            do {
                try await Task.sleep(for: interval)
            } catch {
                return
            }
        }
    }
}
