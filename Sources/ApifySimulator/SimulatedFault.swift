/// A misbehaviour the simulator applies to the next matching request, for tests of the client's resilience.
package enum SimulatedFault: Sendable, Equatable {
    /// Answer with this status and an Apify error body; `retryAfter` becomes the `Retry-After` header.
    case status(Int, retryAfter: String? = nil)
    /// Close the connection without answering.
    case reset
    /// Answer normally, after a delay.
    case delay(Duration)
    /// Answer with this body verbatim (malformed JSON, an HTML page, an empty body, …).
    case body(status: Int, contentType: String, bytes: [UInt8])

    /// Which requests a fault applies to.
    package enum Target: Sendable, Equatable {
        case any
        /// `GET /v2/actor-tasks/:id/runs`.
        case runList
        /// `GET /v2/actor-runs/:id`.
        case run
        /// `GET /v2/actor-tasks/:id`.
        case task
    }
}
