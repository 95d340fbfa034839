import Foundation

/// The simulator's state: Actors, tasks, their runs, the virtual clock, queued faults and traffic counters.
///
/// A plain value: the HTTP handler and the scripting API reach it under the simulator's lock, and
/// every method here is deterministic given the seed, so tests replay exactly.
package struct SimulatedWorld: Sendable {
    /// The account every task, Actor and run belongs to.
    package static let userId = "uSeR0000000000001"

    package var token: String
    package var tasks: [String: SimulatedTask] = [:]
    package var taskIdByName: [String: String] = [:]
    /// Tasks deleted upstream (`removeTask`): gone from the task endpoints, kept for their runs, which
    /// the API still lists under their Actor and the account.
    package var removedTasks: [String: SimulatedTask] = [:]
    package var actors: [String: SimulatedActor] = [:]
    package var actorIdByName: [String: String] = [:]
    /// Which task each live run belongs to, the task live or removed.
    package var taskOfRun: [String: String] = [:]
    /// Which Actor each live run started without a task belongs to.
    package var actorOfDirectRun: [String: String] = [:]
    /// Virtual time in Unix milliseconds; each created run starts one `runSpacingMs` after the last.
    package var nowMs: Int64 = 1_735_689_600_000
    /// Item counts of runs' default datasets set by `setItemCount`; others derive from the run.
    package var datasetItemCounts: [String: Int] = [:]
    package var runSpacingMs: Int64 = 1000
    package var generator: SplitMix64
    package var faults: [(target: SimulatedFault.Target, fault: SimulatedFault)] = []
    /// Departures from the documented API, all off by default.
    package var imperfections = SimulatedImperfections()
    /// Added to every answer, for shutdown-under-load tests and demos of a slow API.
    package var responseDelay: Duration = .zero
    /// The per-resource rate limit, when one is enforced (nil: none, as in tests).
    package var rateLimit: SimulatedRateLimit?
    /// Where `rateLimit` reads the time: the wall clock, in milliseconds.
    package var wallClockMs: @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }
    package var requestCount = 0
    /// Paths and queries of requests, kept only while `recordsRequests` is set.
    package var recordsRequests = false
    package var requestLog: [String] = []
    /// How many tasks and Actors were created; their creation times follow it, not the virtual clock,
    /// so that creating one never moves the runs' timeline.
    private var resourcesCreated = 0

    package init(token: String, seed: UInt64) {
        self.token = token
        self.generator = SplitMix64(seed: seed)
    }

    // MARK: Scripting

    @discardableResult
    package mutating func addActor(id: String? = nil, username: String = "janedoe", name: String? = nil) -> String {
        let actorId = id ?? randomId()
        precondition(actors[actorId] == nil, "the Actor \(actorId) exists already")
        let actorName = name ?? "actor-\(actors.count + 1)"
        actors[actorId] = SimulatedActor(
            id: actorId,
            username: username,
            name: actorName,
            createdAtMs: nextCreationTime()
        )
        actorIdByName["\(username)~\(actorName)"] = actorId
        return actorId
    }

    /// Adds a task of the Actor `actId`, or of a new one without it. An Actor the world does not know
    /// yet is registered (`actor-N`, the task's username), so that every task's Actor can be looked up.
    @discardableResult
    package mutating func addTask(
        id: String? = nil,
        username: String = "janedoe",
        name: String? = nil,
        actId: String? = nil
    ) -> String {
        let taskId = id ?? randomId()
        let taskName = name ?? "task-\(tasks.count + removedTasks.count + 1)"
        let actorId = actId ?? randomId()
        if actors[actorId] == nil { addActor(id: actorId, username: username) }
        tasks[taskId] = SimulatedTask(
            id: taskId,
            username: username,
            name: taskName,
            actId: actorId,
            createdAtMs: nextCreationTime()
        )
        taskIdByName["\(username)~\(taskName)"] = taskId
        return taskId
    }

    /// Deletes a task upstream: the task endpoints no longer know it, but its runs stay, listed under
    /// its Actor and the account and readable one by one, as on the platform.
    package mutating func removeTask(_ taskId: String) {
        guard let task = tasks.removeValue(forKey: taskId) else { return }
        if taskIdByName[task.qualifiedName] == taskId { taskIdByName[task.qualifiedName] = nil }
        removedTasks[taskId] = task
    }

    /// Creates `count` runs, each started one spacing after the last on the virtual clock (at the end
    /// of the task's list unless runs were created in the future).
    @discardableResult
    package mutating func createRuns(task taskId: String, count: Int, status: String = "SUCCEEDED") -> [String] {
        var ids: [String] = []
        ids.reserveCapacity(count)
        for _ in 0..<count {
            nowMs += runSpacingMs
            ids.append(createRun(task: taskId, status: status, startedAtMs: nowMs))
        }
        return ids
    }

    /// Creates a run started at any instant, the future included, or without `startedAt` (nil); it
    /// goes after the runs that started no later, so a tie lists it after the runs already there.
    /// The clock does not move.
    @discardableResult
    package mutating func createRun(task taskId: String, status: String = "SUCCEEDED", startedAtMs: Int64?) -> String {
        let run = makeRun(task: taskId, actor: tasks[taskId]!.actId, status: status, startedAtMs: startedAtMs)
        Self.insertInListOrder(run, into: &tasks[taskId]!.runs)
        taskOfRun[run.id] = taskId
        return run.id
    }

    /// `createRuns(task:count:status:)` for runs started from the Actor directly, without a task.
    @discardableResult
    package mutating func createActorRuns(actor actorId: String, count: Int, status: String = "SUCCEEDED") -> [String] {
        (0..<count).map { _ in
            nowMs += runSpacingMs
            return createActorRun(actor: actorId, status: status, startedAtMs: nowMs)
        }
    }

    /// `createRun(task:status:startedAtMs:)` for a run started from the Actor directly, without a task.
    @discardableResult
    package mutating func createActorRun(
        actor actorId: String,
        status: String = "SUCCEEDED",
        startedAtMs: Int64?
    ) -> String {
        let run = makeRun(task: nil, actor: actorId, status: status, startedAtMs: startedAtMs)
        Self.insertInListOrder(run, into: &actors[actorId]!.runs)
        actorOfDirectRun[run.id] = actorId
        return run.id
    }

    /// Creates a run whose `startedAt` places it `positionFromEnd` places before the end of the list.
    @discardableResult
    package mutating func insertRun(
        task taskId: String,
        positionFromEnd: Int,
        status: String = "SUCCEEDED"
    )
        -> String
    {
        let runs = tasks[taskId]!.runs
        let index = max(0, runs.count - positionFromEnd)
        guard index < runs.count else { return createRuns(task: taskId, count: 1, status: status)[0] }
        // Between its neighbours: halfway from the previous run to the next, just before the next
        // when there is no previous start, without one when the next has none.
        let startedAt: Int64?
        if let next = runs[index].startedAtMs {
            let previous = index > 0 ? runs[index - 1].startedAtMs : nil
            startedAt = previous.map { ($0 + next) / 2 } ?? next - 1
        } else {
            startedAt = nil
        }
        let run = makeRun(task: taskId, actor: tasks[taskId]!.actId, status: status, startedAtMs: startedAt)
        tasks[taskId]!.runs.insert(run, at: index)
        taskOfRun[run.id] = taskId
        return run.id
    }

    /// Creates a run that starts at exactly the same millisecond as the last one.
    @discardableResult
    package mutating func createRunWithSameStart(task taskId: String, status: String = "SUCCEEDED") -> String {
        let runs = tasks[taskId]!.runs
        return createRun(
            task: taskId,
            status: status,
            startedAtMs: runs.isEmpty ? nowMs : runs[runs.count - 1].startedAtMs
        )
    }

    /// Moves a run to a new status; a final one gets `finishedAt`, a resurrected one loses it.
    package mutating func setStatus(run runId: String, to status: String, usageTotalUsd: Double? = nil) {
        let now = nowMs + 1
        let found = modifyRun(runId) { run in
            run.status = status
            run.finishedAtMs = run.isFinal ? max(now, (run.startedAtMs ?? now) + 1) : nil
            if let usageTotalUsd { run.usageTotalUsd = usageTotalUsd }
        }
        if found { nowMs = now }
    }

    /// Leaves a run out of every list while it is not final (see `SimulatedRun.hiddenWhileUnfinished`).
    package mutating func setHiddenWhileUnfinished(run runId: String, to hidden: Bool = true) {
        guard modifyRun(runId, { $0.hiddenWhileUnfinished = hidden }), hidden else { return }
        if let taskId = taskOfRun[runId] {
            tasks[taskId]?.mayHideRuns = true
            removedTasks[taskId]?.mayHideRuns = true
        } else if let actorId = actorOfDirectRun[runId] {
            actors[actorId]!.mayHideRuns = true
        }
    }

    /// Deletes the `count` oldest runs of a task, live or removed, as data retention does.
    @discardableResult
    package mutating func deleteOldest(task taskId: String, count: Int) -> [String] {
        let removed =
            tasks[taskId] != nil
            ? Self.removeOldest(count, from: &tasks[taskId]!.runs)
            : Self.removeOldest(count, from: &removedTasks[taskId]!.runs)
        for id in removed { taskOfRun[id] = nil }
        return removed
    }

    /// Deletes the `count` oldest runs an Actor started without a task, as data retention does.
    @discardableResult
    package mutating func deleteOldest(actor actorId: String, count: Int) -> [String] {
        let removed = Self.removeOldest(count, from: &actors[actorId]!.runs)
        for id in removed { actorOfDirectRun[id] = nil }
        return removed
    }

    /// Deletes one run, as `DELETE /v2/actor-runs/:runId` does.
    package mutating func delete(run runId: String) {
        modifyRuns(holding: runId) { $0.removeAll { $0.id == runId } }
        taskOfRun[runId] = nil
        actorOfDirectRun[runId] = nil
    }

    package func run(_ runId: String) -> SimulatedRun? {
        let runs =
            if let taskId = taskOfRun[runId] {
                (tasks[taskId] ?? removedTasks[taskId])?.runs
            } else {
                actorOfDirectRun[runId].flatMap { actors[$0]?.runs }
            }
        return runs?.first { $0.id == runId }
    }

    package mutating func inject(_ fault: SimulatedFault, for target: SimulatedFault.Target = .any, times: Int = 1) {
        for _ in 0..<times { faults.append((target, fault)) }
    }

    /// A new run of the Actor `actId`, through the task `taskId` or, for nil, started directly.
    private mutating func makeRun(
        task taskId: String?,
        actor actId: String,
        status: String,
        startedAtMs: Int64?
    ) -> SimulatedRun {
        let origins = ["SCHEDULER", "SCHEDULER", "SCHEDULER", "API", "WEB"]
        var run = SimulatedRun(
            id: randomId(),
            taskId: taskId,
            actId: actId,
            userId: Self.userId,
            status: status,
            startedAtMs: startedAtMs,
            finishedAtMs: nil,
            buildNumber: "0.1.\(1 + generator.next() % 40)",
            origin: origins[Int(generator.next() % UInt64(origins.count))],
            usageTotalUsd: Double(generator.next() % 100_000) / 100_000
        )
        if run.isFinal { run.finishedAtMs = (startedAtMs ?? nowMs) + 1000 + Int64(generator.next() % 600_000) }
        return run
    }

    /// Applies `body` to the runs of the list that holds `runId`: its task's (live or removed) or its
    /// Actor's direct runs; nil when no list holds it.
    @discardableResult
    private mutating func modifyRuns<T>(holding runId: String, _ body: (inout [SimulatedRun]) -> T) -> T? {
        if let taskId = taskOfRun[runId] {
            return tasks[taskId] != nil ? body(&tasks[taskId]!.runs) : body(&removedTasks[taskId]!.runs)
        }
        return actorOfDirectRun[runId].map { body(&actors[$0]!.runs) }
    }

    /// Applies `body` to a run in place; false when no list holds it.
    private mutating func modifyRun(_ runId: String, _ body: (inout SimulatedRun) -> Void) -> Bool {
        let found = modifyRuns(holding: runId) { runs in
            guard let index = runs.firstIndex(where: { $0.id == runId }) else { return false }
            body(&runs[index])
            return true
        }
        return found ?? false
    }

    /// Inserts a run after every run that started no later. In place: a copy of a long list per
    /// insert made debug builds quadratic.
    private static func insertInListOrder(_ run: SimulatedRun, into runs: inout [SimulatedRun]) {
        var (low, high) = (0, runs.count)
        while low < high {
            let middle = (low + high) / 2
            if sortsBefore(run.startedAtMs, runs[middle].startedAtMs) { high = middle } else { low = middle + 1 }
        }
        runs.insert(run, at: low)
    }

    /// Removes the `count` first runs of a list, the oldest; returns their IDs.
    private static func removeOldest(_ count: Int, from runs: inout [SimulatedRun]) -> [String] {
        let removed = runs.prefix(count).map(\.id)
        runs.removeFirst(removed.count)
        return removed
    }

    /// Creation times of tasks and Actors: a minute apart from 2024-01-01, before any run the
    /// scripting API creates by default.
    private mutating func nextCreationTime() -> Int64 {
        resourcesCreated += 1
        return 1_704_067_200_000 + Int64(resourcesCreated) * 60_000
    }

    /// The list order: runs without `startedAt` first, then by `startedAt`.
    static func sortsBefore(_ left: Int64?, _ right: Int64?) -> Bool {
        guard let right else { return false }
        guard let left else { return true }
        return left < right
    }

    /// A 17-character id in Apify's alphabet.
    package mutating func randomId() -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(17)
        for _ in 0..<17 { bytes.append(alphabet[Int(generator.next() % UInt64(alphabet.count))]) }
        return String(decoding: bytes, as: UTF8.self)
    }

    // MARK: Serving

    /// Handles one request as the API would, faults and imperfections included: counts it, lets
    /// retention strike when due, then applies the next queued fault for its endpoint, if any.
    package mutating func serve(
        method: String,
        path: String,
        query: [String: String],
        authorization: String?
    ) -> SimulatedExchange {
        record(path: path, query: query)
        if rateLimit?.admit(path: path, nowMs: wallClockMs()) == false {
            var response = SimulatedResponse.error(
                429,
                type: "rate-limit-exceeded",
                message: "You have exceeded the rate limit of \(rateLimit!.perSecond) requests per second."
            )
            response.headers.append(("Retry-After", "1"))
            return .answer(response, delay: responseDelay)
        }
        applyRetentionIfDue()
        let fault = takeFault(for: Self.faultTarget(path: path, query: query))
        switch fault {
        case .status(let code, let retryAfter):
            var response = SimulatedResponse.error(
                code,
                type: code == 429 ? "rate-limit-exceeded" : "internal-server-error",
                message: code == 429 ? "You have exceeded the rate limit." : "Server error"
            )
            if let retryAfter { response.headers.append(("Retry-After", retryAfter)) }
            return .answer(response, delay: responseDelay)
        case .body(let status, let contentType, let bytes):
            var response = SimulatedResponse(status: status, body: bytes)
            response.contentType = contentType
            return .answer(response, delay: responseDelay)
        case .reset:
            return .reset
        case .quirk(let quirk):
            let response = respond(method: method, path: path, query: query, authorization: authorization, quirk: quirk)
            return .answer(response, delay: responseDelay)
        case .delay(let extra):
            let response = respond(method: method, path: path, query: query, authorization: authorization)
            return .answer(response, delay: responseDelay + extra)
        case nil:
            let response = respond(method: method, path: path, query: query, authorization: authorization)
            return .answer(response, delay: responseDelay)
        }
    }

    /// Splits a request target (`/v2/x/runs?offset=0&status=A%2CB`) into its path and its query, with
    /// every `%XX` in the query's values decoded; `+` stays as it is.
    package static func split(requestTarget: String) -> (path: String, query: [String: String]) {
        guard let mark = requestTarget.firstIndex(of: "?") else { return (requestTarget, [:]) }
        var query: [String: String] = [:]
        for pair in requestTarget[requestTarget.index(after: mark)...].split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            query[String(parts[0])] = parts.count > 1 ? String(parts[1]).removingPercentEncoding : ""
        }
        return (String(requestTarget[..<mark]), query)
    }

    /// The next queued fault for a request of this kind, removed from the queue.
    private mutating func takeFault(for target: SimulatedFault.Target) -> SimulatedFault? {
        guard let index = faults.firstIndex(where: { $0.target == .any || $0.target == target }) else { return nil }
        return faults.remove(at: index).fault
    }

    /// The target a queued fault must name to meet this request: its endpoint's, or for a run list
    /// filtered by status, the filtered list's.
    package static func faultTarget(path: String, query: [String: String]) -> SimulatedFault.Target {
        let target = target(ofPath: path)
        guard query["status"] != nil else { return target ?? .any }
        switch target {
        case .runList: return .filteredRunList
        case .actorRunList: return .filteredActorRunList
        case .accountRunList: return .filteredAccountRunList
        default: return target ?? .any
        }
    }

    /// Which endpoint a path addresses. The old `/v2/acts/` prefix is served like `/v2/actors/`, as
    /// the API still does.
    package static func target(ofPath path: String) -> SimulatedFault.Target? {
        let segments = pathSegments(path)
        guard (2...4).contains(segments.count), segments[0] == "v2", segments.count < 4 || segments[3] == "runs"
        else { return nil }
        switch (segments[1], segments.count) {
        case ("datasets", 3): return .dataset
        case ("actor-tasks", 2): return .taskList
        case ("actor-tasks", 3): return .task
        case ("actor-tasks", 4): return .runList
        case ("actors", 3), ("acts", 3): return .actor
        case ("actors", 4), ("acts", 4): return .actorRunList
        case ("actor-runs", 2): return .accountRunList
        case ("actor-runs", 3): return .run
        default: return nil
        }
    }

    private static func pathSegments(_ path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map { String($0).removingPercentEncoding }
    }

    /// Answers one request, with the real API's routes, authentication (a Bearer header or
    /// `?token=`) and list semantics, imperfections included but no queued fault.
    package mutating func respond(
        method: String = "GET",
        path: String,
        query: [String: String],
        authorization: String?,
        quirk: SimulatedFault.PageQuirk? = nil
    ) -> SimulatedResponse {
        guard let target = Self.target(ofPath: path) else {
            return .error(
                404,
                type: "page-not-found",
                message: "We have bad news: there is no API endpoint at this URL."
            )
        }
        guard method == "GET" else {
            var response = SimulatedResponse.error(
                405,
                type: "method-not-allowed",
                message: "This API endpoint can only be accessed using the following HTTP methods: GET"
            )
            response.headers.append(("Allow", "GET"))
            return response
        }
        let bearer = authorization.flatMap { $0.hasPrefix("Bearer ") ? $0.dropFirst("Bearer ".count) : nil }
        guard let presented = bearer.map(String.init) ?? query["token"] else {
            return .error(401, type: "token-not-provided", message: "Authentication token was not provided")
        }
        guard presented == token else {
            return .error(401, type: "invalid-token", message: "Authentication token is not valid")
        }
        let segments = Self.pathSegments(path)
        switch target {
        case .runList: return listRuns(task: segments[2], query: query, quirk: quirk)
        case .actorRunList: return listRuns(actor: segments[2], query: query, quirk: quirk)
        case .accountRunList: return listAccountRuns(query: query, quirk: quirk)
        case .run: return getRun(segments[2])
        case .taskList: return listTasks(query: query)
        case .task: return getTask(segments[2])
        case .actor: return getActor(segments[2])
        case .dataset: return getDataset(segments[2])
        case .any, .filteredRunList, .filteredActorRunList, .filteredAccountRunList:
            preconditionFailure("target(ofPath:) never returns \(target)")
        }
    }

    /// Counts a request (and logs it when asked), whatever its answer will be.
    private mutating func record(path: String, query: [String: String]) {
        requestCount += 1
        if recordsRequests { requestLog.append(query.isEmpty ? path : path + "?" + Self.describe(query)) }
    }

    private static func describe(_ query: [String: String]) -> String {
        query.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "&")
    }
}

extension String {
    /// Decodes %XX escapes; a malformed escape stays as it is.
    fileprivate var removingPercentEncoding: String {
        let bytes = Array(utf8)
        var decoded: [UInt8] = []
        decoded.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count,
                let high = Self.hexValue(bytes[index + 1]), let low = Self.hexValue(bytes[index + 2])
            {
                decoded.append(high << 4 | low)
                index += 3
            } else {
                decoded.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: decoded, as: UTF8.self)
    }

    private static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        default: nil
        }
    }
}
