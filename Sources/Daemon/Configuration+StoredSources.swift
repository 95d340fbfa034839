import RunModel

extension Configuration {
    /// Whether a source the database knows is one this configuration polls: a task or Actor listed by
    /// its ID or by the `username~name` the database knows it by (`name`), a task `allTasks` still
    /// finds (not removed upstream), or the account. What a start reads back from the database (the
    /// last successes) is limited to these, so that a source taken out of the file does not look
    /// like one that stopped syncing.
    package func polls(_ source: RunSource, name: String?, removedUpstream: Bool) -> Bool {
        switch source {
        case .account:
            return account
        case .task(let id):
            return (allTasks && !removedUpstream) || tasks.contains { $0.id == id || $0.id == name }
        case .actor(let id):
            return actors.contains { $0.id == id || $0.id == name }
        }
    }
}
