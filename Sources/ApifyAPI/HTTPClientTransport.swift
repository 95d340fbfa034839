import AsyncHTTPClient
import Logging
import NIOCore
import NIOHTTPCompression

/// `APITransport` over the process's AsyncHTTPClient `HTTPClient` (owned and shut down by the caller).
package struct HTTPClientTransport: APITransport {
    private let http: HTTPClient
    private let logger: Logger

    package init(http: HTTPClient, logger: Logger) {
        self.http = http
        self.logger = logger
    }

    package func get(
        url: String,
        headers: [(name: String, value: String)],
        timeout: Duration,
        maximumBodyBytes: Int
    ) async -> APITransportOutcome {
        var request = HTTPClientRequest(url: url)
        request.method = .GET
        for header in headers { request.headers.add(name: header.name, value: header.value) }
        do {
            let response = try await http.execute(request, timeout: .nanoseconds(timeout.nanoseconds), logger: logger)
            let buffer = try await response.body.collect(upTo: maximumBodyBytes)
            return .response(
                status: Int(response.status.code),
                headers: response.headers.map { (name: $0.name, value: $0.value) },
                body: Array(buffer.readableBytesView)
            )
        } catch is NIOTooManyBytesError {
            return .tooLarge
        } catch let error as NIOHTTPDecompression.DecompressionError where error == .limit {
            return .tooLarge
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            return .timedOut(after: timeout)
        } catch {
            return .failed(TLSFailure.describe(error) ?? String(describing: error))
        }
    }
}
