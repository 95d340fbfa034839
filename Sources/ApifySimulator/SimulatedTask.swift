import RunModel

/// A task in the simulator, with its runs in the order the API lists them: runs without `startedAt`
/// first, then ascending `startedAt`, runs of one millisecond in insertion order.
package struct SimulatedTask: Sendable {
    package var id: String
    package var username: String
    package var name: String
    package var actId: String
    /// Unix milliseconds; creation order, which `GET /v2/actor-tasks` follows.
    package var createdAtMs: Int64
    package var runs: [SimulatedRun] = []
    /// Set once one of its runs is hidden while unfinished: only then do lists pay for filtering them.
    package var mayHideRuns = false

    /// `username~task-name`, the other way to name a task in a path.
    package var qualifiedName: String { "\(username)~\(name)" }

    /// The task object, as `GET /v2/actor-tasks/:id` and the items of `GET /v2/actor-tasks` carry it.
    func render(into out: inout [UInt8]) {
        let createdAt = ISOTimestamp.string(milliseconds: createdAtMs)
        out.append(
            contentsOf:
                #"{"id":"\#(id)","userId":"\#(SimulatedWorld.userId)","actId":"\#(actId)","name":"\#(name)","#
                .utf8
        )
        out.append(
            contentsOf: #""username":"\#(username)","createdAt":"\#(createdAt)","modifiedAt":"\#(createdAt)","#.utf8
        )
        out.append(contentsOf: #""stats":{"totalRuns":\#(runs.count)}}"#.utf8)
    }
}
