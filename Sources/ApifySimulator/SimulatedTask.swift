/// A task in the simulator, with its runs in the order the API lists them (ascending `startedAt`).
package struct SimulatedTask: Sendable {
    package var id: String
    package var username: String
    package var name: String
    package var actId: String
    package var runs: [SimulatedRun] = []

    /// `username~task-name`, the other way to name a task in a path.
    package var qualifiedName: String { "\(username)~\(name)" }
}
