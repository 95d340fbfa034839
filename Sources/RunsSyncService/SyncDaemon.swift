import ApifyAPI
import Foundation
import Logging
import RunModel
import RunStore
import ServiceLifecycle
import Synchronization

/// The long-running service: polls every source on its schedule until a graceful shutdown.
///
/// Each source has its own loop (phase, interval, backoff: `TaskSchedule`), and a shared limiter
/// bounds the passes in flight. With `allTasks`, a discovery loop lists the account's tasks at start
/// and every `discoveryIntervalSeconds`: a new task gets a loop, a task gone upstream has its loop
/// end after its current pass. On shutdown every loop is cancelled: a request on the wire is
/// abandoned, a page being written commits or rolls back as a whole (SQLite work is not
/// interruptible half-way), and `run()` returns.
package final class SyncDaemon: Service {
    private let context: SyncContext
    private let notifier: SystemdNotifier
    private let logger: Logger
    private let progress = DaemonProgress()
    /// The discovered tasks whose loops should go on; a loop whose task left it ends.
    private let discovered = Mutex<Set<String>>([])

    package init(context: SyncContext, notifier: SystemdNotifier, logger: Logger) {
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
        notifier.ready(status: "watching \(configuration.sourceSummary)")
        await cancelWhenGracefulShutdown { [self] in
            await withTaskGroup(of: Void.self) { group in
                let limiter = ConcurrencyLimiter(limit: configuration.maxConcurrentTasks)
                for source in configuration.polledSources {
                    group.addTask {
                        await self.poll(source.reference, every: source.pollIntervalSeconds, limiter: limiter)
                    }
                }
                if let interval = notifier.watchdogInterval {
                    group.addTask { await self.pingWatchdog(every: interval / 2) }
                }
                group.addTask { await self.refreshNames() }
                if configuration.allTasks {
                    await discover(into: &group, limiter: limiter)
                }
                await group.waitForAll()
            }
        }
        notifier.stopping()
        logger.info("daemon stopping", metadata: ["event": "daemon_stopping"])
    }

    /// Lists the account's tasks now and every discovery interval, starting a loop for each new one
    /// and letting the loops of tasks gone upstream end. A failed discovery keeps the loops running
    /// and is tried again after a poll interval.
    private func discover(into group: inout TaskGroup<Void>, limiter: ConcurrencyLimiter) async {
        let configuration = context.configuration
        while !Task.isCancelled {
            var wait = configuration.discoveryIntervalSeconds
            do {
                let tasks = try await context.runner.directory.discoverTasks(
                    besides: configuration.polledSources.map(\.reference)
                )
                let started = discovered.withLock { running -> [String] in
                    let new = tasks.filter { !running.contains($0) }
                    running = Set(tasks)
                    return new
                }
                for taskId in started {
                    group.addTask {
                        await self.poll(
                            .task(taskId),
                            every: configuration.pollIntervalSeconds,
                            limiter: limiter,
                            whileDiscovered: taskId
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

    private func poll(
        _ reference: RunSource,
        every interval: Double,
        limiter: ConcurrencyLimiter,
        whileDiscovered discoveredTask: String? = nil
    ) async {
        let clock = ContinuousClock()
        let start = clock.now
        var due = start + .seconds(TaskSchedule.firstDelay(taskId: "\(reference)", interval: interval))
        var failures = 0
        while !Task.isCancelled {
            do {
                try await clock.sleep(until: due)
            } catch {
                return
            }
            if let discoveredTask, !discovered.withLock({ $0.contains(discoveredTask) }) { return }
            let error = await limiter.run { await self.context.runner.pass(reference) }
            if error?.interrupted == true { return }
            failures = error == nil ? 0 : failures + 1
            let total = context.configuration.polledSources.count + discovered.withLock { $0.count }
            notifier.status(progress.record(source: reference, failed: error != nil, of: total))
            let now = clock.now
            let delay = TaskSchedule.nextDelay(
                lastDue: (due - start).seconds,
                now: (now - start).seconds,
                base: interval,
                consecutiveFailures: failures,
                jitterFraction: Double.random(in: 0...1)
            )
            due = now + .seconds(delay)
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
            if (try? await context.store.queue.perform { _ in true }) == true {
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
