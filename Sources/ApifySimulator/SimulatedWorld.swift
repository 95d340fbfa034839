/// The simulator's state: tasks, their runs, the virtual clock, queued faults and traffic counters.
///
/// A plain value: the HTTP handler and the scripting API reach it under the simulator's lock, and
/// every method here is deterministic given the seed, so tests replay exactly.
package struct SimulatedWorld: Sendable {
    package var token: String
    package var tasks: [String: SimulatedTask] = [:]
    package var taskIdByName: [String: String] = [:]
    /// Which task each live run belongs to.
    package var taskOfRun: [String: String] = [:]
    /// Virtual time in Unix milliseconds; each created run starts one `runSpacingMs` after the last.
    package var nowMs: Int64 = 1_735_689_600_000
    package var runSpacingMs: Int64 = 1000
    package var generator: SplitMix64
    package var faults: [(target: SimulatedFault.Target, fault: SimulatedFault)] = []
    /// Departures from the documented API, all off by default.
    package var imperfections = SimulatedImperfections()
    /// Added to every answer, for shutdown-under-load tests and demos of a slow API.
    package var responseDelay: Duration = .zero
    package var requestCount = 0
    /// Paths and queries of requests, kept only while `recordsRequests` is set.
    package var recordsRequests = false
    package var requestLog: [String] = []

    package init(token: String, seed: UInt64) {
        self.token = token
        self.generator = SplitMix64(seed: seed)
    }

    // MARK: Scripting

    @discardableResult
    package mutating func addTask(id: String? = nil, username: String = "janedoe", name: String? = nil) -> String {
        let taskId = id ?? randomId()
        let taskName = name ?? "task-\(tasks.count + 1)"
        tasks[taskId] = SimulatedTask(id: taskId, username: username, name: taskName, actId: randomId())
        taskIdByName["\(username)~\(taskName)"] = taskId
        return taskId
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
        let run = makeRun(task: taskId, status: status, startedAtMs: startedAtMs)
        let runs = tasks[taskId]!.runs
        var (low, high) = (0, runs.count)
        while low < high {
            let middle = (low + high) / 2
            if Self.sortsBefore(startedAtMs, runs[middle].startedAtMs) { high = middle } else { low = middle + 1 }
        }
        tasks[taskId]!.runs.insert(run, at: low)
        taskOfRun[run.id] = taskId
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
        let run = makeRun(task: taskId, status: status, startedAtMs: startedAt)
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
        guard let taskId = taskOfRun[runId], let index = tasks[taskId]!.runs.firstIndex(where: { $0.id == runId })
        else { return }
        nowMs += 1
        var run = tasks[taskId]!.runs[index]
        run.status = status
        run.finishedAtMs = run.isFinal ? max(nowMs, (run.startedAtMs ?? nowMs) + 1) : nil
        if let usageTotalUsd { run.usageTotalUsd = usageTotalUsd }
        tasks[taskId]!.runs[index] = run
    }

    /// Leaves a run out of every list while it is not final (see `SimulatedRun.hiddenWhileUnfinished`).
    package mutating func setHiddenWhileUnfinished(run runId: String, to hidden: Bool = true) {
        guard let taskId = taskOfRun[runId], let index = tasks[taskId]!.runs.firstIndex(where: { $0.id == runId })
        else { return }
        tasks[taskId]!.runs[index].hiddenWhileUnfinished = hidden
        if hidden { tasks[taskId]!.mayHideRuns = true }
    }

    /// Deletes the `count` oldest runs of a task, as data retention does.
    @discardableResult
    package mutating func deleteOldest(task taskId: String, count: Int) -> [String] {
        let removed = tasks[taskId]!.runs.prefix(count).map(\.id)
        tasks[taskId]!.runs.removeFirst(min(count, tasks[taskId]!.runs.count))
        for id in removed { taskOfRun[id] = nil }
        return removed
    }

    /// Deletes one run, as `DELETE /v2/actor-runs/:runId` does.
    package mutating func delete(run runId: String) {
        guard let taskId = taskOfRun[runId] else { return }
        tasks[taskId]!.runs.removeAll { $0.id == runId }
        taskOfRun[runId] = nil
    }

    package func run(_ runId: String) -> SimulatedRun? {
        guard let taskId = taskOfRun[runId] else { return nil }
        return tasks[taskId]!.runs.first { $0.id == runId }
    }

    package mutating func inject(_ fault: SimulatedFault, for target: SimulatedFault.Target = .any, times: Int = 1) {
        for _ in 0..<times { faults.append((target, fault)) }
    }

    private mutating func makeRun(task taskId: String, status: String, startedAtMs: Int64?) -> SimulatedRun {
        let task = tasks[taskId]!
        let origins = ["SCHEDULER", "SCHEDULER", "SCHEDULER", "API", "WEB"]
        var run = SimulatedRun(
            id: randomId(),
            taskId: taskId,
            actId: task.actId,
            userId: "uSeR0000000000001",
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

    /// The list order: runs without `startedAt` first, then by `startedAt`.
    private static func sortsBefore(_ left: Int64?, _ right: Int64?) -> Bool {
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
        applyRetentionIfDue()
        let fault = takeFault(for: Self.target(ofPath: path) ?? .any)
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

    /// Which endpoint a path addresses.
    package static func target(ofPath path: String) -> SimulatedFault.Target? {
        let segments = pathSegments(path)
        switch (segments.count, segments.first, segments.dropFirst().first) {
        case (4, "v2", "actor-tasks") where segments[3] == "runs": return .runList
        case (3, "v2", "actor-tasks"): return .task
        case (3, "v2", "actor-runs"): return .run
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
        case .task: return getTask(segments[2])
        case .run: return getRun(segments[2])
        case .any: preconditionFailure("target(ofPath:) never returns .any")
        }
    }

    /// Counts a request (and logs it when asked), whatever its answer will be.
    private mutating func record(path: String, query: [String: String]) {
        requestCount += 1
        if recordsRequests { requestLog.append(query.isEmpty ? path : path + "?" + Self.describe(query)) }
    }

    private func resolveTask(_ reference: String) -> SimulatedTask? {
        if let task = tasks[reference] { return task }
        return taskIdByName[reference].flatMap { tasks[$0] }
    }

    private func getTask(_ reference: String) -> SimulatedResponse {
        guard let task = resolveTask(reference) else {
            return .error(404, type: "record-not-found", message: "Actor task was not found")
        }
        let body =
            #"{"data":{"id":"\#(task.id)","userId":"uSeR0000000000001","actId":"\#(task.actId)","#
            + #""name":"\#(task.name)","username":"\#(task.username)","createdAt":"2024-01-01T00:00:00.000Z","#
            + #""modifiedAt":"2024-01-01T00:00:00.000Z"}}"#
        return SimulatedResponse(status: 200, body: Array(body.utf8))
    }

    private mutating func getRun(_ runId: String) -> SimulatedResponse {
        guard let run = run(runId), !roll(imperfections.runNotFoundPercent) else {
            return .error(404, type: "record-not-found", message: "Actor run was not found")
        }
        var body = Array(#"{"data":"#.utf8)
        run.renderFull(into: &body)
        body.append(UInt8(ascii: "}"))
        return SimulatedResponse(status: 200, body: body)
    }

    private mutating func listRuns(
        task reference: String,
        query: [String: String],
        quirk: SimulatedFault.PageQuirk?
    )
        -> SimulatedResponse
    {
        guard let task = resolveTask(reference) else {
            return .error(404, type: "record-not-found", message: "Actor task was not found")
        }
        guard let offset = Self.nonNegativeInteger(query["offset"], default: 0),
            let requestedLimit = Self.nonNegativeInteger(query["limit"], default: 1000)
        else {
            return .error(
                400,
                type: "invalid-input",
                message: "Invalid input: offset and limit must be non-negative integers"
            )
        }
        let limit = requestedLimit == 0 ? 1000 : min(requestedLimit, 1000)
        let desc = query["desc"] == "1" || query["desc"] == "true"
        var selected = task.runs
        if task.mayHideRuns { selected.removeAll { $0.hiddenWhileUnfinished && !$0.isFinal } }
        if let statuses = query["status"], !statuses.isEmpty, !imperfections.ignoresStatusFilter {
            let wanted = Set(statuses.split(separator: ",").map(String.init))
            selected.removeAll { !wanted.contains($0.status) }
        }
        if imperfections.unstableTieOrder { shuffleTies(&selected) }
        if desc { selected.reverse() }
        let pageSize = min(limit, imperfections.pageCap ?? limit)
        let echoedLimit = imperfections.echoesRequestedLimit ? limit : pageSize
        let start = min(imperfections.ignoresOffset ? 0 : offset, selected.count)
        var page = Array(selected[start..<min(start + pageSize, selected.count)])
        if page.count > 1, roll(imperfections.shortPagePercent) {
            page.removeLast(1 + Int(generator.next() % UInt64(page.count - 1)))
        }
        if roll(imperfections.staleDuplicatePercent) { insertStaleDuplicate(into: &page) }
        var total = selected.count
        var count = page.count
        switch quirk {
        case .duplicateItem: if let first = page.first { page.insert(first, at: 1) }
        case .reversedOrder: page.reverse()
        case .wrongCount: count += 5
        case .shrunkTotal: total = max(0, total - 100)
        default: break
        }
        var body: [UInt8] = []
        body.reserveCapacity(page.count * 640 + 128)
        body.append(contentsOf: #"{"data":{"total":\#(total),"offset":\#(offset),"limit":\#(echoedLimit),"#.utf8)
        body.append(contentsOf: #""desc":\#(desc),"count":\#(count),"items":["#.utf8)
        for (index, run) in page.enumerated() {
            if index > 0 { body.append(UInt8(ascii: ",")) }
            let itemStart = body.count
            run.renderShort(into: &body)
            guard index == 0 else { continue }
            switch quirk {
            case .hugeField(let size):
                body.removeLast()
                body.append(contentsOf: #","statusMessage":""#.utf8)
                body.append(contentsOf: repeatElement(UInt8(ascii: "x"), count: size))
                body.append(contentsOf: #""}"#.utf8)
            case .invalidUTF8:
                let marker = Array(#""buildNumber":""#.utf8)
                if let range = body[itemStart...].firstRange(of: marker) {
                    body.insert(contentsOf: [0xC3, 0x28], at: range.upperBound)
                }
            default: break
            }
        }
        body.append(contentsOf: "]}}".utf8)
        return SimulatedResponse(status: 200, body: body)
    }

    private static func nonNegativeInteger(_ text: String?, default value: Int) -> Int? {
        guard let text else { return value }
        guard let number = Int(text), number >= 0 else { return nil }
        return number
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
