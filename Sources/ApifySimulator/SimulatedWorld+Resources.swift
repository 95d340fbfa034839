/// The endpoints that answer one object: a run, a task, an Actor.
extension SimulatedWorld {
    /// `GET /v2/actor-runs/:id`: any live run, its task removed or never there included.
    mutating func getRun(_ runId: String) -> SimulatedResponse {
        guard let run = run(runId), !roll(imperfections.runNotFoundPercent) else {
            return .error(404, type: "record-not-found", message: "Actor run was not found")
        }
        var body = Array(#"{"data":"#.utf8)
        run.renderFull(into: &body)
        body.append(UInt8(ascii: "}"))
        return SimulatedResponse(status: 200, body: body)
    }

    /// `GET /v2/actor-tasks/:id`, by ID or `username~task-name`.
    func getTask(_ reference: String) -> SimulatedResponse {
        guard let task = resolveTask(reference) else { return Self.taskNotFound }
        var body = Array(#"{"data":"#.utf8)
        task.render(into: &body)
        body.append(UInt8(ascii: "}"))
        return SimulatedResponse(status: 200, body: body)
    }

    /// `GET /v2/actors/:id`, by ID or `username~actor-name`; its `totalRuns` counts the runs of its
    /// tasks, removed ones included, with its direct runs.
    func getActor(_ reference: String) -> SimulatedResponse {
        guard let actor = resolveActor(reference) else { return Self.actorNotFound }
        let throughTasks = [tasks.values, removedTasks.values].joined().filter { $0.actId == actor.id }
        var body = Array(#"{"data":"#.utf8)
        actor.render(into: &body, totalRuns: throughTasks.reduce(actor.runs.count) { $0 + $1.runs.count })
        body.append(UInt8(ascii: "}"))
        return SimulatedResponse(status: 200, body: body)
    }

    /// `GET /v2/datasets/:id` of a run's default dataset (`D` and the start of the run's ID): its
    /// `itemCount` is what `setItemCount` set, else 0 for a run that did not succeed and 1 to 100
    /// (from the ID) for one that did.
    func getDataset(_ datasetId: String) -> SimulatedResponse {
        guard datasetId.hasPrefix("D"),
            let runId = taskOfRun.keys.first(where: { $0.hasPrefix(datasetId.dropFirst()) })
                ?? actorOfDirectRun.keys.first(where: { $0.hasPrefix(datasetId.dropFirst()) }),
            let run = run(runId)
        else { return .error(404, type: "record-not-found", message: "Dataset was not found") }
        let count =
            datasetItemCounts[runId]
            ?? (run.status == "SUCCEEDED" ? 1 + Int(run.id.utf8.reduce(0) { ($0 &* 31 &+ Int($1)) & 0xffff } % 100) : 0)
        let body = #"{"data":{"id":"\#(datasetId)","name":null,"itemCount":\#(count),"cleanItemCount":\#(count)}}"#
        return SimulatedResponse(status: 200, body: Array(body.utf8))
    }

    /// Sets the item count of a run's default dataset.
    package mutating func setItemCount(run runId: String, to count: Int) { datasetItemCounts[runId] = count }

    /// A live task by ID or `username~task-name`; a removed one is not found.
    func resolveTask(_ reference: String) -> SimulatedTask? {
        if let task = tasks[reference] { return task }
        return taskIdByName[reference].flatMap { tasks[$0] }
    }

    /// An Actor by ID or `username~actor-name`.
    func resolveActor(_ reference: String) -> SimulatedActor? {
        if let actor = actors[reference] { return actor }
        return actorIdByName[reference].flatMap { actors[$0] }
    }

    static var taskNotFound: SimulatedResponse {
        .error(404, type: "record-not-found", message: "Actor task was not found")
    }

    static var actorNotFound: SimulatedResponse {
        .error(404, type: "record-not-found", message: "Actor was not found")
    }
}
