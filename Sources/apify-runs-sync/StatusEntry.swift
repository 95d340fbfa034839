import RunModel
import RunStore

/// One source in `status --json`: `kind`, the `reference` as configured (or the stored ID), `task`
/// too for a task (as releases before sources printed it), and its `state` when it has one.
struct StatusEntry: Encodable {
    var kind: String
    var reference: String
    var task: String?
    var configured: Bool
    var state: SourceSyncStatus?
    /// The open health problems about this task or Actor or its runs (for the account: all).
    var problems: [Problem]

    /// An open health problem.
    struct Problem: Encodable {
        var problem: String
        var runId: String?
        var taskId: String?
        var actorId: String?
        var detail: String
        var openedAt: String
    }

    init(_ row: Status.Row, problems: [HealthProblem]) {
        let source = row.state?.source ?? row.reference
        self.problems = problems.filter { problem in
            switch source {
            case .account: true
            case .task(let id): problem.finding.taskId == id
            case .actor(let id): problem.finding.actorId == id
            }
        }.map {
            Problem(
                problem: $0.kind.rawValue,
                runId: $0.finding.runId,
                taskId: $0.finding.taskId,
                actorId: $0.finding.actorId,
                detail: $0.finding.detail,
                openedAt: $0.openedAt
            )
        }
        kind = row.reference.kind.rawValue
        reference = row.reference.id
        task = row.reference.kind == .task ? row.reference.id : nil
        configured = row.configured
        state = row.state
    }
}
