import RunModel

/// A health problem open in the database (`health_problems`), for `status`.
package struct HealthProblem: Sendable, Equatable {
    package var kind: EventKind
    package var finding: HealthFinding
    package var openedAt: String
}
