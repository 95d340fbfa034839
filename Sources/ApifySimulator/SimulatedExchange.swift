/// What the simulator does with one request once faults are applied: the one decision shared by the
/// HTTP server and in-process transports, which only carry it out.
package enum SimulatedExchange: Sendable {
    /// Send this response after waiting `delay` (an in-process transport may skip the wait).
    case answer(SimulatedResponse, delay: Duration)
    /// Drop the connection without answering.
    case reset
}
