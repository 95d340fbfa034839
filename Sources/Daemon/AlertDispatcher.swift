import ApifyAPI
import Foundation
import Logging
import RunModel
import RunStore
import RunSync
import Synchronization

/// Delivers the outbox (`events`) to the sinks, apart from the passes that fill it.
///
/// A round prepares events (a failure waits for its run's `statusMessage` and `exitCode`, one
/// `GET /v2/actor-runs/:id`, tried a few times, then sent without them), then hands each sink the
/// events not yet final for it, oldest first: events of one task (or Actor, or source) in order,
/// one after another, so that a task's events never overtake each other; different tasks at once,
/// up to the sink's `maxConcurrent`. Every attempt is recorded after it is made, so a crash between
/// the two makes the delivery again (at least once per sink). A failed attempt holds back that
/// task's later events for that sink until it is delivered or given up (logged once).
///
/// The daemon runs `run()` beside its passes and calls `wake()` after each one; `once` calls
/// `drain()`, which tries everything pending now, whatever its schedule; `test-alert` calls
/// `sendTest`, which stores nothing.
package final class AlertDispatcher: Sendable {
    private let store: RunStore
    private let client: ApifyClient?
    private let logger: Logger
    private let metrics: SyncMetrics?
    private let now: @Sendable () -> Date
    private let state: Mutex<State>

    private struct State {
        var sinks: [any AlertSink]
        var retentionDays: Double
        /// Whether `alert_sinks` knows every sink of `generation` (the sinks since the last replace).
        var registered = false
        var generation = 0
        /// When the sinks were configured: a new sink starts with the events from then on.
        var configuredAt: Date
        var woken = true
        /// The earliest retry the last round scheduled.
        var nextDue: Date?
        /// Failed reads of a run's details, per event (lost on restart: the reads start over).
        var detailAttempts: [Int64: Int] = [:]
        var lastRetention: Date?
    }

    /// Reads of a run's details before its failure is sent without them.
    static let detailAttemptLimit = 3
    /// Events looked at per sink and round: a task whose events wait behind a retry holds up the
    /// others only past this many.
    static let batchSize = 1000

    package init(
        store: RunStore,
        sinks: [any AlertSink],
        client: ApifyClient?,
        logger: Logger,
        retentionDays: Double = 90,
        metrics: SyncMetrics? = nil,
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.store = store
        self.client = client
        self.logger = logger
        self.metrics = metrics
        self.now = now
        self.state = Mutex(State(sinks: sinks, retentionDays: retentionDays, configuredAt: now()))
    }

    package var sinkNames: [String] { state.withLock { $0.sinks.map(\.name) } }

    /// Replaces the sinks (a reloaded configuration); events pending for a sink no longer named stay
    /// in the database, and go if it comes back.
    package func replaceSinks(_ sinks: [any AlertSink], retentionDays: Double) {
        state.withLock { state in
            (state.sinks, state.retentionDays, state.registered, state.woken) = (sinks, retentionDays, false, true)
            state.generation += 1
            state.configuredAt = now()
        }
    }

    /// Asks for a round soon: a pass committed, and may have written events.
    package func wake() { state.withLock { $0.woken = true } }

    /// Delivers until cancelled: a round when woken or when a retry is due, checked five times a
    /// second (a flag and a date; the database is read only for a round).
    package func run() async {
        while !Task.isCancelled {
            let due = state.withLock { state -> Bool in
                let due = state.woken || (state.nextDue.map { $0 <= now() } ?? false)
                state.woken = false
                return due
            }
            if due { await round(ignoringSchedule: false) }
            try? await Task.sleep(for: .milliseconds(200))
        }
    }

    /// One round: every pending delivery is tried now, retries included, unless `ignoringSchedule`
    /// is false (then only those due). For `once` and tests.
    package func drain(ignoringSchedule: Bool = true) async {
        await round(ignoringSchedule: ignoringSchedule)
    }

    private func round(ignoringSchedule: Bool) async {
        let (sinks, registered, configuredAt, generation) = state.withLock {
            ($0.sinks, $0.registered, $0.configuredAt, $0.generation)
        }
        do {
            if !registered {
                try await store.registerSinks(sinks.map(\.name), at: ISOTimestamp.string(from: configuredAt))
                // Sinks replaced meanwhile are registered by the next round.
                state.withLock { if $0.generation == generation { $0.registered = true } }
            }
            var (more, nextDue) = try await prepare(finalAttempt: ignoringSchedule)
            for sink in sinks {
                let (sinkMore, sinkDue) = try await deliver(to: sink, ignoringSchedule: ignoringSchedule)
                more = more || sinkMore
                if let sinkDue { nextDue = min(nextDue ?? sinkDue, sinkDue) }
            }
            try await deleteOldEvents()
            state.withLock { state in
                state.nextDue = nextDue
                if more { state.woken = true }
            }
        } catch is CancellationError {
            return
        } catch {
            logger.error("alert delivery round failed", metadata: ["event": "alerts_failed", "error": "\(error)"])
            state.withLock { $0.nextDue = now().addingTimeInterval(30) }
        }
    }

    /// Gives events their payload; returns whether more are waiting than one round takes, and when
    /// details that could not be read are to be read again.
    private func prepare(finalAttempt: Bool) async throws -> (Bool, Date?) {
        let events = try await store.unreadyEvents(limit: Self.batchSize)
        let failures = events.filter { EventKind.failure($0.toStatus ?? "") != nil && $0.kind.isAboutARun }
        var details: [Int64: RunDetails?] = [:]
        var due: Date?
        var prepared = 0
        if let client, !failures.isEmpty {
            details = await withTaskGroup(of: (Int64, RunDetails??).self) { group in
                var started = 0
                var results: [Int64: RunDetails?] = [:]
                for event in failures where !event.hasRunDetails {
                    guard let runId = event.runId else { continue }
                    if started >= 4, let (id, result) = await group.next() { results[id] = result }
                    started += 1
                    group.addTask {
                        do {
                            return (event.id, .some(try await client.runDetails(id: runId)))
                        } catch {
                            return (event.id, nil)
                        }
                    }
                }
                for await (id, result) in group { results[id] = result }
                return results.compactMapValues { $0 }
            }
        }
        for var event in events {
            if event.kind.isAboutARun, EventKind.failure(event.toStatus ?? "") != nil, !event.hasRunDetails,
                client != nil
            {
                if let found = details[event.id] {
                    if let found, let runId = event.runId {
                        try await store.setRunDetails(
                            runId: runId,
                            status: found.status,
                            statusMessage: found.statusMessage,
                            exitCode: found.exitCode,
                            details: found.detailsJSON
                        )
                        event.message = found.statusMessage
                        event.exitCode = found.exitCode
                    }
                } else {
                    let attempts = state.withLock { state -> Int in
                        state.detailAttempts[event.id, default: 0] += 1
                        return state.detailAttempts[event.id]!
                    }
                    guard finalAttempt || attempts >= Self.detailAttemptLimit else {
                        due = now().addingTimeInterval(10)
                        continue
                    }
                    logger.warning(
                        "run details not read; alerting without them",
                        metadata: ["event": "run_details_failed", "run_id": "\(event.runId ?? "")"]
                    )
                }
            }
            state.withLock { _ = $0.detailAttempts.removeValue(forKey: event.id) }
            try await store.setPayload(AlertPayload(event).json, of: event.id)
            prepared += 1
            metrics?.eventPrepared(event.kind)
        }
        return (events.count == Self.batchSize && prepared > 0, due)
    }

    /// Hands `sink` its pending events; returns whether more are waiting, and the next retry.
    private func deliver(to sink: any AlertSink, ignoringSchedule: Bool) async throws -> (Bool, Date?) {
        let pending = try await store.undelivered(to: sink.name, limit: Self.batchSize)
        guard !pending.isEmpty else { return (false, nil) }
        // In order per task; the groups in the order of their first event.
        var groups: [String: [PendingDelivery]] = [:]
        var order: [String] = []
        for delivery in pending {
            let key = delivery.event.orderKey
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(delivery)
        }
        let limiter = ConcurrencyLimiter(limit: sink.maxConcurrent)
        let results = try await withThrowingTaskGroup(of: (due: Date?, recorded: Int).self) { group in
            for key in order {
                let deliveries = groups[key]!
                group.addTask {
                    try await limiter.run {
                        try await self.deliverInOrder(deliveries, to: sink, ignoringSchedule: ignoringSchedule)
                    }
                }
            }
            var results: [(due: Date?, recorded: Int)] = []
            for try await result in group { results.append(result) }
            return results
        }
        // More than one round takes, and this one got somewhere: another round at once. (Events
        // that all wait for a retry would otherwise make rounds back to back that do nothing.)
        let recorded = results.reduce(0) { $0 + $1.recorded }
        return (pending.count == Self.batchSize && recorded > 0, results.compactMap(\.due).min())
    }

    /// Delivers one task's events in order, stopping at the first that is not delivered (or not
    /// ready); returns when that one is due again, and how many deliveries it recorded.
    private func deliverInOrder(
        _ deliveries: [PendingDelivery],
        to sink: any AlertSink,
        ignoringSchedule: Bool
    ) async throws -> (due: Date?, recorded: Int) {
        var recorded = 0
        for delivery in deliveries {
            try Task.checkCancellation()
            let event = delivery.event
            guard let payload = event.payload else { return (nil, recorded) }
            let time = now()
            if !ignoringSchedule, let due = delivery.nextAttemptAt.flatMap(Self.date), due > time {
                return (due, recorded)
            }
            recorded += 1
            guard sink.takes(event) else {
                try await store.recordDelivery(
                    of: event.id,
                    to: sink.name,
                    state: .skipped,
                    at: ISOTimestamp.string(from: time),
                    attempted: false
                )
                metrics?.eventDelivery(event.kind, sink: sink.name, result: "skipped")
                continue
            }
            let outcome = await sink.deliver(event, payload: payload)
            let finished = now()
            let stamp = ISOTimestamp.string(from: finished)
            switch outcome {
            case .delivered:
                try await store.recordDelivery(of: event.id, to: sink.name, state: .delivered, at: stamp)
                metrics?.eventDelivery(event.kind, sink: sink.name, result: "delivered")
            case .failed(let reason):
                // Cut short by shutdown (a command stopped): not an attempt; made again at the next
                // start. A delivery that went through is recorded whatever happens meanwhile.
                try Task.checkCancellation()
                let attempts = delivery.attempts + 1
                let first = delivery.firstAttemptAt.flatMap(Self.date) ?? time
                if let retry = sink.retryDate(afterAttempts: attempts, firstAttempt: first, now: finished) {
                    try await store.recordDelivery(
                        of: event.id,
                        to: sink.name,
                        state: .pending,
                        at: stamp,
                        nextAttemptAt: ISOTimestamp.string(from: retry),
                        error: reason
                    )
                    metrics?.eventDelivery(event.kind, sink: sink.name, result: "retry")
                    logger.warning(
                        "alert not delivered; will retry",
                        metadata: metadata(
                            event,
                            sink,
                            ["error": "\(reason)", "attempts": .stringConvertible(attempts)]
                        )
                    )
                    return (retry, recorded)
                }
                try await store.recordDelivery(of: event.id, to: sink.name, state: .failed, at: stamp, error: reason)
                metrics?.eventDelivery(event.kind, sink: sink.name, result: "failed")
                logger.error(
                    "alert delivery given up",
                    metadata: metadata(
                        event,
                        sink,
                        ["event": "alert_failed", "error": "\(reason)", "attempts": .stringConvertible(attempts)]
                    )
                )
            // Given up: the task's next events may go.
            }
        }
        return (nil, recorded)
    }

    private func metadata(_ event: StoredEvent, _ sink: any AlertSink, _ extra: Logger.Metadata) -> Logger.Metadata {
        var metadata: Logger.Metadata = [
            "event": "alert_retry", "sink": "\(sink.name)", "alert": "\(event.kind.rawValue)",
            "event_id": .stringConvertible(event.id),
        ]
        if let runId = event.runId { metadata["run_id"] = "\(runId)" }
        return metadata.merging(extra) { $1 }
    }

    /// Deletes events past `eventRetentionDays`, at most once an hour.
    private func deleteOldEvents() async throws {
        let time = now()
        let due = state.withLock { state -> Bool in
            guard state.lastRetention.map({ time.timeIntervalSince($0) >= 3600 }) ?? true else { return false }
            state.lastRetention = time
            return true
        }
        guard due else { return }
        let retentionDays = state.withLock { $0.retentionDays }
        let cutoff = ISOTimestamp.string(from: time.addingTimeInterval(-retentionDays * 86_400))
        let deleted = try await store.deleteEvents(before: cutoff)
        if deleted > 0 {
            logger.info(
                "old events deleted",
                metadata: ["event": "events_deleted", "events": .stringConvertible(deleted), "before": "\(cutoff)"]
            )
        }
    }

    private static func date(_ text: String) -> Date? {
        ISOTimestamp.milliseconds(text).map { Date(timeIntervalSince1970: Double($0) / 1000) }
    }
}

extension AlertDispatcher {
    /// Sends a synthetic `run_failed` (event ID 0, run `TEST-ALERT`) to each sink once, whatever its
    /// filters, and tells how each went; nothing is stored. For `apify-runs-sync test-alert`.
    package static func sendTest(
        to sinks: [any AlertSink],
        task: String?,
        at date: Date
    ) async -> [(sink: String, outcome: DeliveryOutcome)] {
        var event = StoredEvent(id: 0, kind: .runFailed, occurredAt: ISOTimestamp.string(from: date))
        event.runId = "TEST-ALERT"
        event.taskId = task ?? ""
        event.fromStatus = "RUNNING"
        event.toStatus = "FAILED"
        event.startedAt = ISOTimestamp.string(from: date.addingTimeInterval(-60))
        event.finishedAt = event.occurredAt
        event.message = "This is a test alert from apify-runs-sync test-alert; no run failed."
        event.exitCode = 1
        let payload = AlertPayload(event).json
        var results: [(sink: String, outcome: DeliveryOutcome)] = []
        for sink in sinks { results.append((sink.name, await sink.deliver(event, payload: payload))) }
        return results
    }
}
