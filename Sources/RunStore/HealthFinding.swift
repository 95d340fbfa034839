import RunModel

/// Something a health check found wrong, about a run or a task or Actor.
package struct HealthFinding: Sendable, Equatable {
    /// What the problem is about, unique per problem kind: a run ID, or `task:ID` / `actor:ID`.
    package var subject: String
    package var taskId: String?
    package var actorId: String?
    package var runId: String?
    /// What was found, for people ("running for 4,210 s, past its timeout of 3,600 s + 600 s").
    package var detail: String

    package init(subject: String, taskId: String? = nil, actorId: String? = nil, runId: String? = nil, detail: String) {
        self.subject = subject
        self.taskId = taskId
        self.actorId = actorId
        self.runId = runId
        self.detail = detail
    }

    /// A problem about a whole task or Actor.
    package init(source: RunSource, detail: String) {
        self.init(
            subject: Self.subject(of: source),
            taskId: source.kind == .task ? source.id : nil,
            actorId: source.kind == .actor ? source.id : nil,
            detail: detail
        )
    }

    /// The subject of a problem about a whole task or Actor.
    package static func subject(of source: RunSource) -> String { "\(source.kind.rawValue):\(source.id)" }

    /// The task or Actor a problem is about, when it is about one rather than a run.
    package var source: RunSource? {
        guard runId == nil, let colon = subject.firstIndex(of: ":") else { return nil }
        return RunSource(kind: String(subject[..<colon]), id: String(subject[subject.index(after: colon)...]))
    }
}
