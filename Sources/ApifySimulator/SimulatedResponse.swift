/// What the simulator answers to one request, before faults are applied.
package struct SimulatedResponse: Sendable {
    package var status: Int
    package var contentType = "application/json; charset=utf-8"
    package var headers: [(String, String)] = []
    package var body: [UInt8]

    package init(status: Int, body: [UInt8]) {
        self.status = status
        self.body = body
    }

    /// An Apify error body: `{"error":{"type":…,"message":…}}`.
    package static func error(_ status: Int, type: String, message: String) -> SimulatedResponse {
        SimulatedResponse(status: status, body: Array(#"{"error":{"type":"\#(type)","message":"\#(message)"}}"#.utf8))
    }
}
