/// What the daemon reads of a task or an Actor: its ID and its name, from `GET /v2/actor-tasks`,
/// `GET /v2/actor-tasks/:id` or `GET /v2/actors/:id`.
package struct ResourceSummary: Sendable, Equatable {
    package var id: String
    /// The task's or Actor's own name, without the owner (`daily-news-crawl`).
    package var name: String?
    /// The owner's username.
    package var username: String?
    /// For a task, its Actor.
    package var actId: String?

    package init(id: String, name: String? = nil, username: String? = nil, actId: String? = nil) {
        self.id = id
        self.name = name
        self.username = username
        self.actId = actId
    }

    /// `username~name`, the spelling the API accepts in place of the ID, when both parts are known.
    package var qualifiedName: String? {
        guard let name, !name.isEmpty else { return nil }
        guard let username, !username.isEmpty else { return name }
        return "\(username)~\(name)"
    }
}
