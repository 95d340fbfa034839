import ApifyAPI
import Foundation
import Logging
import RunStore
import ServiceLifecycle

/// The long-running service: polls every task on its schedule until a graceful shutdown.
///
/// Each task has its own loop (phase, interval, backoff: `TaskSchedule`), and a shared limiter
/// bounds the passes in flight. On shutdown every loop is cancelled: a request on the wire is
/// abandoned, a page being written commits or rolls back as a whole (SQLite work is not
/// interruptible half-way), and `run()` returns.
package final class SyncDaemon: Service {
    private let context: SyncContext
    private let notifier: SystemdNotifier
    private let logger: Logger
    private let progress = DaemonProgress()

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
                "event": "daemon_started", "tasks": "\(configuration.tasks.count)",
                "database": "\(configuration.database)",
                "api": "\(configuration.apiBaseUrl)",
            ]
        )
        notifier.ready(status: "watching \(configuration.tasks.count) task(s)")
        await cancelWhenGracefulShutdown { [self] in
            await withTaskGroup(of: Void.self) { group in
                let limiter = ConcurrencyLimiter(limit: configuration.maxConcurrentTasks)
                for task in configuration.tasks {
                    group.addTask { await self.poll(task, limiter: limiter) }
                }
                if let interval = notifier.watchdogInterval {
                    group.addTask { await self.pingWatchdog(every: interval / 2) }
                }
                await group.waitForAll()
            }
        }
        notifier.stopping()
        logger.info("daemon stopping", metadata: ["event": "daemon_stopping"])
    }

    private func poll(_ task: Configuration.TaskEntry, limiter: ConcurrencyLimiter) async {
        let interval = context.configuration.interval(of: task)
        let clock = ContinuousClock()
        let start = clock.now
        var due = start + .seconds(TaskSchedule.firstDelay(taskId: task.id, interval: interval))
        var failures = 0
        while !Task.isCancelled {
            do {
                try await clock.sleep(until: due)
            } catch {
                return
            }
            let error = await limiter.run { await self.context.runner.pass(task.id) }
            if error?.interrupted == true { return }
            failures = error == nil ? 0 : failures + 1
            notifier.status(progress.record(task: task.id, failed: error != nil, of: context.configuration.tasks.count))
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
