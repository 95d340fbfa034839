/// What one `APITransport.get` came to.
package enum APITransportOutcome: Sendable {
    /// An answer, of any status, with a body of at most the allowed size.
    case response(status: Int, headers: [(name: String, value: String)], body: [UInt8])
    /// The body (inflated, when compressed) exceeded the allowed size.
    case tooLarge
    /// No answer: connection failure, reset. The description may quote anything the transport saw,
    /// so the client redacts the token from it before it goes anywhere.
    case failed(String)
    /// No whole answer within the timeout.
    case timedOut(after: Duration)

    /// Whether the server answered (with any status, or a body over the limit).
    package var isAnswer: Bool {
        switch self {
        case .response, .tooLarge: true
        case .failed, .timedOut: false
        }
    }
}
