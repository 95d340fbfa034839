import RunModel

/// An Actor in the simulator, with the runs started from it directly, without a task, in list order
/// (as `SimulatedTask` keeps its runs). Its runs through tasks stay with those tasks: the Actor's
/// list merges them in when it is served.
package struct SimulatedActor: Sendable {
    package var id: String
    package var username: String
    package var name: String
    /// Unix milliseconds, in creation order like the tasks'.
    package var createdAtMs: Int64
    package var runs: [SimulatedRun] = []
    /// Set once one of its direct runs is hidden while unfinished: only then do lists pay for filtering them.
    package var mayHideRuns = false

    /// `username~actor-name`, the other way to name an Actor in a path.
    package var qualifiedName: String { "\(username)~\(name)" }

    /// The Actor object of `GET /v2/actors/:id`; `totalRuns` counts its runs through tasks too,
    /// which the Actor does not hold.
    func render(into out: inout [UInt8], totalRuns: Int) {
        let createdAt = ISOTimestamp.string(milliseconds: createdAtMs)
        out.append(contentsOf: #"{"id":"\#(id)","userId":"\#(SimulatedWorld.userId)","name":"\#(name)","#.utf8)
        out.append(
            contentsOf: #""username":"\#(username)","createdAt":"\#(createdAt)","modifiedAt":"\#(createdAt)","#.utf8
        )
        out.append(contentsOf: #""stats":{"totalRuns":\#(totalRuns)}}"#.utf8)
    }
}
