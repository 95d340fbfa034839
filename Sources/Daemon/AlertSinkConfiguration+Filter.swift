import RunStore

extension AlertSinkConfiguration {
    /// Whether the sink takes `event`: its kind is listed (or no list), and its task or Actor,
    /// by ID or `username~name`, is listed (or neither list is given). Source events (`sync_error`,
    /// `sync_recovered`) match the source they are about.
    package func takes(_ event: StoredEvent) -> Bool {
        if let events, !events.contains(event.kind) { return false }
        guard tasks != nil || actors != nil else { return true }
        var taskNames: [String?] = [event.taskId, event.taskName]
        var actorNames: [String?] = [event.actorId, event.actorName]
        if case .task(let id)? = event.source { taskNames.append(id) }
        if case .actor(let id)? = event.source { actorNames.append(id) }
        let inTasks = tasks.map { list in taskNames.contains { $0.map(list.contains) ?? false } } ?? false
        let inActors = actors.map { list in actorNames.contains { $0.map(list.contains) ?? false } } ?? false
        return inTasks || inActors
    }
}
