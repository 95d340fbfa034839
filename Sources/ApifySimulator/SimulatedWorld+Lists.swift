/// The list endpoints: the run lists of a task, an Actor and the account, which share one page code
/// so that every imperfection and quirk applies to each alike, and the account's task list.
extension SimulatedWorld {
    /// `GET /v2/actor-tasks/:id/runs`: the task's own list, served without copying it unless a filter
    /// or an imperfection must. `startedAfter` and `startedBefore` are ignored: the docs promise them
    /// for the other run lists only.
    mutating func listRuns(
        task reference: String,
        query: [String: String],
        quirk: SimulatedFault.PageQuirk?
    ) -> SimulatedResponse {
        guard let task = resolveTask(reference) else { return Self.taskNotFound }
        let parameters: SimulatedListQuery
        do { parameters = try SimulatedListQuery(query, honoursStartedRange: false) } catch { return error.response }
        return runListPage(of: task.runs, mayHideRuns: task.mayHideRuns, query: parameters, quirk: quirk)
    }

    /// `GET /v2/actors/:id/runs`: the Actor's direct runs and the runs of its tasks, removed ones included.
    mutating func listRuns(
        actor reference: String,
        query: [String: String],
        quirk: SimulatedFault.PageQuirk?
    ) -> SimulatedResponse {
        guard let actor = resolveActor(reference) else { return Self.actorNotFound }
        let parameters: SimulatedListQuery
        do { parameters = try SimulatedListQuery(query, honoursStartedRange: true) } catch { return error.response }
        let (runs, mayHideRuns) = mergedRuns(ofActor: actor.id)
        return runListPage(of: runs, mayHideRuns: mayHideRuns, query: parameters, quirk: quirk)
    }

    /// `GET /v2/actor-runs`: every run of the account.
    mutating func listAccountRuns(query: [String: String], quirk: SimulatedFault.PageQuirk?) -> SimulatedResponse {
        let parameters: SimulatedListQuery
        do { parameters = try SimulatedListQuery(query, honoursStartedRange: true) } catch { return error.response }
        let (runs, mayHideRuns) = mergedRuns(ofActor: nil)
        return runListPage(of: runs, mayHideRuns: mayHideRuns, query: parameters, quirk: quirk)
    }

    /// `GET /v2/actor-tasks`: the account's tasks, removed ones gone, by creation, paged like the run
    /// lists and with their paging imperfections.
    mutating func listTasks(query: [String: String]) -> SimulatedResponse {
        let parameters: SimulatedListQuery
        do { parameters = try SimulatedListQuery(query, honoursStartedRange: false) } catch { return error.response }
        var listed = tasks.values.sorted { ($0.createdAtMs, $0.id) < ($1.createdAtMs, $1.id) }
        if parameters.desc { listed.reverse() }
        let (page, limit) = self.page(of: listed, query: parameters)
        var body: [UInt8] = []
        Self.appendListHead(
            total: listed.count,
            offset: parameters.offset,
            limit: limit,
            desc: parameters.desc,
            count: page.count,
            to: &body
        )
        for (index, task) in page.enumerated() {
            if index > 0 { body.append(UInt8(ascii: ",")) }
            task.render(into: &body)
        }
        body.append(contentsOf: "]}}".utf8)
        return SimulatedResponse(status: 200, body: body)
    }

    /// One page of a run list: `runs` in list order, filtered, then paged, with the world's
    /// imperfections and `quirk` applied. `total` counts the filtered list.
    private mutating func runListPage(
        of runs: [SimulatedRun],
        mayHideRuns: Bool,
        query: SimulatedListQuery,
        quirk: SimulatedFault.PageQuirk?
    ) -> SimulatedResponse {
        var selected = runs
        if mayHideRuns { selected.removeAll { $0.hiddenWhileUnfinished && !$0.isFinal } }
        if let statuses = query.statuses, !imperfections.ignoresStatusFilter {
            selected.removeAll { !statuses.contains($0.status) }
        }
        if query.filtersByStart, !imperfections.ignoresStartedFilter {
            selected.removeAll { !query.admits(startedAtMs: $0.startedAtMs) }
        }
        if imperfections.unstableTieOrder { shuffleTies(&selected) }
        if query.desc { selected.reverse() }
        var (page, limit) = self.page(of: selected, query: query)
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
        Self.appendListHead(total: total, offset: query.offset, limit: limit, desc: query.desc, count: count, to: &body)
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

    /// The part of `items` (filtered and ordered) that a list request gets, with the paging
    /// imperfections applied, and the `limit` its body states.
    private mutating func page<Item>(of items: [Item], query: SimulatedListQuery) -> (items: [Item], limit: Int) {
        let pageSize = min(query.limit, imperfections.pageCap ?? query.limit)
        let start = min(imperfections.ignoresOffset ? 0 : query.offset, items.count)
        var page = Array(items[start..<min(start + pageSize, items.count)])
        if page.count > 1, roll(imperfections.shortPagePercent) {
            page.removeLast(1 + Int(generator.next() % UInt64(page.count - 1)))
        }
        return (page, imperfections.echoesRequestedLimit ? query.limit : pageSize)
    }

    /// `{"data":{"total":…,"offset":…,"limit":…,"desc":…,"count":…,"items":[`, up to the first item.
    private static func appendListHead(
        total: Int,
        offset: Int,
        limit: Int,
        desc: Bool,
        count: Int,
        to body: inout [UInt8]
    ) {
        body.append(contentsOf: #"{"data":{"total":\#(total),"offset":\#(offset),"limit":\#(limit),"#.utf8)
        body.append(contentsOf: #""desc":\#(desc),"count":\#(count),"items":["#.utf8)
    }

    /// The runs of an Actor, or of the account for nil, in list order, merged from the lists that
    /// hold them: Actors' direct runs and tasks' runs, removed tasks included. Runs that share a
    /// `startedAt` keep the order of their lists, taken by the creation of their Actor or task, so the
    /// order is deterministic (`unstableTieOrder` shuffles it later, as for one task). Built on every
    /// request: nothing to invalidate, and a single list is passed on without a copy.
    private func mergedRuns(ofActor actorId: String?) -> (runs: [SimulatedRun], mayHideRuns: Bool) {
        var lists: [(createdAtMs: Int64, id: String, runs: [SimulatedRun], mayHideRuns: Bool)] = []
        for actor in actors.values where actorId == nil || actor.id == actorId {
            lists.append((actor.createdAtMs, actor.id, actor.runs, actor.mayHideRuns))
        }
        for task in [tasks.values, removedTasks.values].joined() where actorId == nil || task.actId == actorId {
            lists.append((task.createdAtMs, task.id, task.runs, task.mayHideRuns))
        }
        lists.sort { ($0.createdAtMs, $0.id) < ($1.createdAtMs, $1.id) }
        return (Self.merged(lists.map(\.runs)), lists.contains { $0.mayHideRuns })
    }

    /// Merges lists, each in list order, pair by pair so that each run is copied about log2(lists) times.
    private static func merged(_ lists: [[SimulatedRun]]) -> [SimulatedRun] {
        var lists = lists.filter { !$0.isEmpty }
        while lists.count > 1 {
            lists = stride(from: 0, to: lists.count, by: 2).map { index in
                index + 1 < lists.count ? merge(lists[index], lists[index + 1]) : lists[index]
            }
        }
        return lists.first ?? []
    }

    /// Merges two lists in list order; of runs that tie, the first list's come first.
    private static func merge(_ first: [SimulatedRun], _ second: [SimulatedRun]) -> [SimulatedRun] {
        var merged: [SimulatedRun] = []
        merged.reserveCapacity(first.count + second.count)
        var (left, right) = (0, 0)
        while left < first.count, right < second.count {
            if sortsBefore(second[right].startedAtMs, first[left].startedAtMs) {
                merged.append(second[right])
                right += 1
            } else {
                merged.append(first[left])
                left += 1
            }
        }
        merged.append(contentsOf: first[left...])
        merged.append(contentsOf: second[right...])
        return merged
    }
}
