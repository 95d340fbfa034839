/// A task in the simulator, with its runs in the order the API lists them: runs without `startedAt`
/// first, then ascending `startedAt`, runs of one millisecond in insertion order.
package struct SimulatedTask: Sendable {
    package var id: String
    package var username: String
    package var name: String
    package var actId: String
    package var runs: [SimulatedRun] = []
    /// Set once one of its runs is hidden while unfinished: only then do lists pay for filtering them.
    package var mayHideRuns = false

    /// `username~task-name`, the other way to name a task in a path.
    package var qualifiedName: String { "\(username)~\(name)" }
}
