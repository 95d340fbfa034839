import ApifyAPI
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import RunStore

/// POSTs each event to a URL: the JSON payload, or `{"text": …}` for Slack-compatible hooks. A 2xx
/// answer is delivered; anything else is tried again with exponential backoff for
/// `alerts.webhookRetryHours`, then given up. The URL (whose path is often the secret, as in
/// Slack's) and the headers never appear in logs or errors.
package struct WebhookSink: AlertSink {
    package let name: String
    private let configuration: AlertSinkConfiguration
    private let url: String
    private let format: AlertSinkConfiguration.WebhookFormat
    private let headers: [(String, String)]
    package let maxConcurrent: Int
    private let retryWindow: TimeInterval
    private let http: HTTPClient
    private let timeout: TimeAmount

    /// Reads the URL and the headers from their files; throws a `ConfigurationError` naming the key.
    package init(
        _ configuration: AlertSinkConfiguration,
        retryHours: Double,
        http: HTTPClient,
        configurationPath: String,
        timeout: Duration = ApifyClient.Configuration.defaultRequestTimeout
    ) throws(ConfigurationError) {
        guard case .webhook(let url, let urlFile, let format, let headersFile, let maxConcurrent) = configuration.kind
        else { preconditionFailure("WebhookSink takes a webhook sink's configuration") }
        func fail(_ key: String, _ message: String) -> ConfigurationError {
            ConfigurationError(
                path: configurationPath,
                key: "alerts.sinks[\(configuration.name)].\(key)",
                message: message
            )
        }
        var resolved = url ?? ""
        if let urlFile {
            guard let text = try? String(contentsOfFile: urlFile, encoding: .utf8) else {
                throw fail("urlFile", "\(urlFile) cannot be read")
            }
            resolved = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if let problem = AlertSinkConfiguration.problem(with: resolved) {
                throw fail("urlFile", "\(urlFile): \(problem)")
            }
        }
        var headers: [(String, String)] = []
        if let headersFile {
            guard let text = try? String(contentsOfFile: headersFile, encoding: .utf8) else {
                throw fail("headersFile", "\(headersFile) cannot be read")
            }
            for (index, line) in text.split(whereSeparator: \.isNewline).enumerated() {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                guard !trimmed.isEmpty, !trimmed.hasPrefix("#") else { continue }
                guard let colon = trimmed.firstIndex(of: ":"), colon != trimmed.startIndex else {
                    throw fail("headersFile", "\(headersFile) line \(index + 1) is not \"Name: value\"")
                }
                let value = trimmed[trimmed.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                headers.append((String(trimmed[..<colon]), value))
            }
        }
        self.name = configuration.name
        self.configuration = configuration
        self.url = resolved
        self.format = format
        self.headers = headers
        self.maxConcurrent = maxConcurrent
        self.retryWindow = retryHours * 3600
        self.http = http
        self.timeout = .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000)
    }

    package func takes(_ event: StoredEvent) -> Bool { configuration.takes(event) }

    package func retryDate(afterAttempts attempts: Int, firstAttempt: Date, now: Date) -> Date? {
        let next = alertBackoff(afterAttempts: attempts, now: now)
        return next.timeIntervalSince(firstAttempt) <= retryWindow ? next : nil
    }

    package func deliver(_ event: StoredEvent, payload: String) async -> DeliveryOutcome {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: ApifyRunsSyncVersion.userAgent)
        for (name, value) in headers { request.headers.replaceOrAdd(name: name, value: value) }
        let body = format == .slack ? AlertPayload(event).slackJSON : payload
        request.body = .bytes(ByteBuffer(string: body))
        do {
            let response = try await http.execute(request, timeout: timeout)
            // The answer's body is not needed; read a little of it so the connection can be reused.
            _ = try? await response.body.collect(upTo: 64 * 1024)
            guard (200..<300).contains(response.status.code) else {
                return .failed("the webhook answered HTTP \(response.status.code)")
            }
            return .delivered
        } catch let error as HTTPClientError where error == .deadlineExceeded {
            return .failed("the webhook did not answer within \(timeout.nanoseconds / 1_000_000_000) s")
        } catch let error as IOError {
            return .failed("the webhook could not be reached: \(String(cString: strerror(error.errnoCode)))")
        } catch let error as HTTPClientError {
            // The kind of failure (connectTimeout, remoteConnectionClosed…) without its associated values,
            // which can quote a header.
            return .failed("the webhook could not be reached: \(error.shortDescription)")
        } catch {
            // Other errors can quote the URL, whose path is often the secret: only the kind of error.
            return .failed("the webhook could not be reached (\(String(describing: type(of: error))))")
        }
    }
}
