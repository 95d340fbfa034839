import AsyncHTTPClient
import Logging
import RunModel
import Synchronization

/// A client for the few Apify API v2 endpoints the daemon reads.
///
/// It sends each attempt through an `APITransport` (the process's one `HTTPClient`, or an in-process
/// simulator in tests), authenticates with a Bearer header only, retries 429, 5xx, connection
/// failures and timeouts with backoff, and turns every other outcome into an `ApifyError` that names
/// what was asked for.
package final class ApifyClient: Sendable {
    package struct Configuration: Sendable {
        /// e.g. `https://api.apify.com`; `http://` is accepted for a local simulator.
        package var baseURL: String
        package var token: APIToken
        package var requestTimeout: Duration
        package var retry: RetryPolicy
        /// Larger bodies are refused; a page of 1000 runs is well under 2 MiB.
        package var maximumBodyBytes: Int
        package var userAgent: String
        /// Requests per second to one resource (a task's run list, a run), at most; the API allows 60.
        package var maxRequestsPerSecond: Double
        /// Requests per second in all, at most.
        package var maxRequestsPerSecondTotal: Double

        /// Per attempt, unless configured (`requestTimeoutSeconds`).
        package static let defaultRequestTimeout: Duration = .seconds(30)
        /// The largest body read, after decompression.
        package static let defaultMaximumBodyBytes = 32 * 1024 * 1024

        package init(
            baseURL: String = "https://api.apify.com",
            token: APIToken,
            requestTimeout: Duration = defaultRequestTimeout,
            retry: RetryPolicy = RetryPolicy(),
            maximumBodyBytes: Int = defaultMaximumBodyBytes,
            userAgent: String = "apify-runs-sync",
            maxRequestsPerSecond: Double = 50,
            maxRequestsPerSecondTotal: Double = 200
        ) {
            self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
            self.token = token
            self.requestTimeout = requestTimeout
            self.retry = retry
            self.maximumBodyBytes = maximumBodyBytes
            self.userAgent = userAgent
            self.maxRequestsPerSecond = maxRequestsPerSecond
            self.maxRequestsPerSecondTotal = maxRequestsPerSecondTotal
        }
    }

    /// The API's largest page (and its default).
    package static let maximumPageSize = 1000

    package let configuration: Configuration
    private let transport: any APITransport
    private let logger: Logger
    private let sleep: @Sendable (Duration) async throws -> Void
    private let pacer: RequestPacer
    private let observer: (any APIRequestObserver)?
    private let throttled = Atomic<Int>(0)
    private let lastRoundTripNanoseconds = Atomic<Int64>(-1)

    /// How many 429 answers the client has had: readers ahead slow down when it grows.
    package var throttledResponses: Int { throttled.load(ordering: .relaxed) }

    /// How long the last request took on the wire (its pacing and retries left out), if one was made.
    package var lastRoundTrip: Duration? {
        let nanoseconds = lastRoundTripNanoseconds.load(ordering: .relaxed)
        return nanoseconds < 0 ? nil : .nanoseconds(nanoseconds)
    }

    package init(
        configuration: Configuration,
        transport: any APITransport,
        logger: Logger,
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
        observer: (any APIRequestObserver)? = nil
    ) {
        self.configuration = configuration
        self.transport = transport
        self.logger = logger
        self.sleep = sleep
        self.observer = observer
        self.pacer = RequestPacer(
            perResource: configuration.maxRequestsPerSecond,
            total: configuration.maxRequestsPerSecondTotal
        )
    }

    /// A client over the process's `HTTPClient`, which the caller owns and shuts down.
    package convenience init(
        configuration: Configuration,
        http: HTTPClient,
        logger: Logger,
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
        observer: (any APIRequestObserver)? = nil
    ) {
        self.init(
            configuration: configuration,
            transport: HTTPClientTransport(http: http, logger: logger),
            logger: logger,
            sleep: sleep,
            observer: observer
        )
    }

    // MARK: Endpoints

    /// One page of a source's run list in `startedAt` order: `GET /v2/actor-tasks/:id/runs`,
    /// `GET /v2/actors/:id/runs` or `GET /v2/actor-runs`, which share their parameters and shape.
    /// `startedAfter` (inclusive; the Actor and account lists only, `RunSource.acceptsStartedAfter`)
    /// restricts the list to runs started at or after that instant.
    package func listRuns(
        _ source: RunSource,
        offset: Int,
        limit: Int = ApifyClient.maximumPageSize,
        desc: Bool = false,
        statuses: [String] = [],
        startedAfter: String? = nil
    ) async throws -> RunListPage {
        var query = "offset=\(max(0, offset))&limit=\(min(max(1, limit), Self.maximumPageSize))"
        if desc { query += "&desc=1" }
        if !statuses.isEmpty { query += "&status=" + statuses.map(Self.escapeQueryValue).joined(separator: ",") }
        if let startedAfter { query += "&startedAfter=" + Self.escapeQueryValue(startedAfter) }
        let path = Self.runListPath(of: source)
        let requestedAt = ContinuousClock.now
        let (status, body) = try await get(
            path: path,
            query: query,
            resource: source.description,
            notFound: Self.notFound(of: source)
        )
        do {
            var page = try ResponseDecoder.runListPage(from: body)
            (page.requestedAt, page.answeredAt) = (requestedAt, .now)
            return page
        } catch {
            throw invalidResponse(status: status, path: path, error: error, body: body)
        }
    }

    /// The path of a source's run list.
    package static func runListPath(of source: RunSource) -> String {
        switch source {
        case .task(let id): "/v2/actor-tasks/\(escapePathSegment(id))/runs"
        case .actor(let id): "/v2/actors/\(escapePathSegment(id))/runs"
        case .account: "/v2/actor-runs"
        }
    }

    private static func notFound(of source: RunSource) -> NotFoundMeaning {
        switch source {
        case .task(let id): .task(id)
        case .actor(let id): .actor(id)
        case .account: .rejected
        }
    }

    /// `GET /v2/actor-runs/:runId`: the run, or nil when it no longer exists (404).
    package func run(id runId: String) async throws -> RunRecord? {
        let path = "/v2/actor-runs/\(Self.escapePathSegment(runId))"
        do {
            let (status, body) = try await get(path: path, query: nil, resource: "run \(runId)", notFound: .absent)
            do {
                return try ResponseDecoder.run(from: body)
            } catch {
                throw invalidResponse(status: status, path: path, error: error, body: body)
            }
        } catch NotFound.absent {
            return nil
        }
    }

    /// `GET /v2/datasets/:datasetId`: how many items the dataset holds, or nil when it no longer
    /// exists.
    package func dataset(id datasetId: String) async throws -> DatasetSummary? {
        let path = "/v2/datasets/\(Self.escapePathSegment(datasetId))"
        do {
            let (status, body) = try await get(
                path: path,
                query: nil,
                resource: "dataset \(datasetId)",
                notFound: .absent
            )
            do {
                return try DatasetSummary.decode(from: body)
            } catch {
                throw invalidResponse(status: status, path: path, error: error, body: body)
            }
        } catch NotFound.absent {
            return nil
        }
    }

    /// `GET /v2/actor-runs/:runId` with what a list item lacks (`RunDetails`), or nil when the run
    /// no longer exists.
    package func runDetails(id runId: String) async throws -> RunDetails? {
        let path = "/v2/actor-runs/\(Self.escapePathSegment(runId))"
        do {
            let (status, body) = try await get(path: path, query: nil, resource: "run \(runId)", notFound: .absent)
            do {
                return try RunDetails.decode(from: body)
            } catch {
                throw invalidResponse(status: status, path: path, error: error, body: body)
            }
        } catch NotFound.absent {
            return nil
        }
    }

    /// `GET /v2/actor-tasks/:task` (an ID or `username~task-name`): the task, or
    /// `ApifyError.taskNotFound`.
    package func task(_ reference: String) async throws -> ResourceSummary {
        let path = "/v2/actor-tasks/\(Self.escapePathSegment(reference))"
        return try await resource(path: path, name: "task \(reference)", notFound: .task(reference))
    }

    /// `GET /v2/actors/:actor` (an ID or `username~actor-name`): the Actor, or
    /// `ApifyError.actorNotFound`.
    package func actor(_ reference: String) async throws -> ResourceSummary {
        let path = "/v2/actors/\(Self.escapePathSegment(reference))"
        return try await resource(path: path, name: "actor \(reference)", notFound: .actor(reference))
    }

    /// One page of `GET /v2/actor-tasks`: the account's tasks, oldest first.
    package func tasks(offset: Int, limit: Int = ApifyClient.maximumPageSize) async throws -> TaskListPage {
        let path = "/v2/actor-tasks"
        let query = "offset=\(max(0, offset))&limit=\(min(max(1, limit), Self.maximumPageSize))"
        let (status, body) = try await get(path: path, query: query, resource: "the task list", notFound: .rejected)
        do {
            return try ResponseDecoder.taskListPage(from: body)
        } catch {
            throw invalidResponse(status: status, path: path, error: error, body: body)
        }
    }

    private func resource(path: String, name: String, notFound: NotFoundMeaning) async throws -> ResourceSummary {
        let (status, body) = try await get(path: path, query: nil, resource: name, notFound: notFound)
        do {
            return try ResponseDecoder.resource(from: body)
        } catch {
            throw invalidResponse(status: status, path: path, error: error, body: body)
        }
    }

    // MARK: Transport

    private enum NotFoundMeaning {
        case task(String)
        case actor(String)
        /// Not an answer the endpoint should give: rejected like any other 4xx.
        case rejected
        case absent
    }

    private enum NotFound: Error {
        case absent
    }

    /// What one attempt's outcome calls for, when it does not end the request with an error.
    private enum AttemptVerdict {
        case answered(status: Int, body: [UInt8])
        case retry(cause: String, retryAfter: Duration?)
    }

    /// One GET with retries; returns the status and body of a 2xx answer.
    private func get(
        path: String,
        query: String?,
        resource: String,
        notFound: NotFoundMeaning
    )
        async throws -> (Int, [UInt8])
    {
        let url = configuration.baseURL + path + (query.map { "?" + $0 } ?? "")
        let headers = requestHeaders()
        var attempt = 0
        while true {
            attempt += 1
            try Task.checkCancellation()
            try await pace(path)
            let outcome = await send(url: url, headers: headers)
            // A request cancelled on the wire (its pass ended, the daemon stops) failed for that
            // reason: it ends so, neither counted, nor announced as retried, nor reported as exhausted.
            if Task.isCancelled, !outcome.isAnswer { throw CancellationError() }
            let mayRetry = attempt <= configuration.retry.maxRetries
            switch try verdict(on: outcome, path: path, resource: resource, notFound: notFound, mayRetry: mayRetry) {
            case .answered(let status, let body):
                return (status, body)
            case .retry(let cause, let retryAfter):
                // An answer to retry (429, 5xx) that came as the request was cancelled ends it too.
                try Task.checkCancellation()
                guard mayRetry else {
                    throw ApifyError.retriesExhausted(path: path, attempts: attempt, lastCause: cause)
                }
                try await backOff(path: path, attempt: attempt, cause: cause, retryAfter: retryAfter)
            }
        }
    }

    private func requestHeaders() -> [(name: String, value: String)] {
        [
            (name: "Authorization", value: "Bearer \(configuration.token.secret)"),
            (name: "Accept", value: "application/json"),
            (name: "Accept-Encoding", value: "gzip, deflate"),
            (name: "User-Agent", value: configuration.userAgent),
        ]
    }

    /// Waits for the request budget of `path` (the retry backoff is `sleep`'s, which tests replace;
    /// pacing waits on the clock itself).
    private func pace(_ path: String) async throws {
        let wait = pacer.reserve(path)
        if wait > .zero { try await Task.sleep(for: wait) }
    }

    /// One attempt on the wire; remembers how long it took.
    private func send(url: String, headers: [(name: String, value: String)]) async -> APITransportOutcome {
        let sent = ContinuousClock.now
        let outcome = await transport.get(
            url: url,
            headers: headers,
            timeout: configuration.requestTimeout,
            maximumBodyBytes: configuration.maximumBodyBytes
        )
        lastRoundTripNanoseconds.store((ContinuousClock.now - sent).nanoseconds, ordering: .relaxed)
        return outcome
    }

    /// Judges one attempt: the answer, a retry with its cause, or (thrown) the error that ends the
    /// request. Tells the observer, which counts the attempt as retried only when it will be (an
    /// answer to retry that came as the request was cancelled is not).
    private func verdict(
        on outcome: APITransportOutcome,
        path: String,
        resource: String,
        notFound: NotFoundMeaning,
        mayRetry: Bool
    ) throws -> AttemptVerdict {
        func observe(_ outcome: APIRequestOutcome, retryable: Bool) {
            observer?.attemptEnded(outcome, willRetry: retryable && mayRetry && !Task.isCancelled)
        }
        switch outcome {
        case .response(let status, let headers, let body):
            observe(APIRequestOutcome(status: status), retryable: RetryPolicy.isRetryable(status: status))
            logger.debug(
                "response",
                metadata: [
                    "http_path": "\(path)", "http_status": .stringConvertible(status),
                    "bytes": .stringConvertible(body.count),
                ]
            )
            return try verdict(
                status: status,
                headers: headers,
                body: body,
                path: path,
                resource: resource,
                notFound: notFound
            )
        case .tooLarge:
            observe(.bodyTooLarge, retryable: false)
            throw ApifyError.bodyTooLarge(path: path, limitBytes: configuration.maximumBodyBytes)
        case .failed(let description):
            observe(.networkError, retryable: true)
            return .retry(cause: configuration.token.redact(description), retryAfter: nil)
        case .timedOut(let after):
            observe(.timeout, retryable: true)
            return .retry(cause: "timed out after \(after)", retryAfter: nil)
        }
    }

    /// Judges an HTTP answer by its status.
    private func verdict(
        status: Int,
        headers: [(name: String, value: String)],
        body: [UInt8],
        path: String,
        resource: String,
        notFound: NotFoundMeaning
    ) throws -> AttemptVerdict {
        switch status {
        case 200..<300:
            return .answered(status: status, body: body)
        case 401:
            let apiError = ResponseDecoder.apiError(from: body)
            throw ApifyError.unauthorized(tokenSource: configuration.token.source, apiType: apiError?.type)
        case 403:
            throw ApifyError.forbidden(resource: resource, message: redactedMessage(body))
        case 404:
            switch notFound {
            case .task(let task): throw ApifyError.taskNotFound(task: task)
            case .actor(let actor): throw ApifyError.actorNotFound(actor: actor)
            case .absent: throw NotFound.absent
            case .rejected: throw rejected(status: status, path: path, body: body)
            }
        case _ where RetryPolicy.isRetryable(status: status):
            if status == 429 { throttled.add(1, ordering: .relaxed) }
            let retryAfter = headers.first { $0.name.lowercased() == "retry-after" }.flatMap {
                RetryAfter.parse($0.value)
            }
            let cause = "HTTP \(status)" + (redactedMessage(body).map { " (\($0))" } ?? "")
            return .retry(cause: cause, retryAfter: retryAfter)
        default:
            throw rejected(status: status, path: path, body: body)
        }
    }

    private func backOff(path: String, attempt: Int, cause: String, retryAfter: Duration?) async throws {
        let delay = configuration.retry.delay(
            beforeRetry: attempt,
            jitter: Double.random(in: 1...2),
            retryAfter: retryAfter
        )
        logger.notice(
            "request failed, retrying",
            metadata: [
                "http_path": "\(path)", "cause": "\(cause)", "attempt": .stringConvertible(attempt),
                "retry_in_ms": .stringConvertible(delay.milliseconds),
            ]
        )
        try await sleep(delay)
    }

    private func rejected(status: Int, path: String, body: [UInt8]) -> ApifyError {
        let apiError = ResponseDecoder.apiError(from: body)
        return .rejected(
            status: status,
            path: path,
            type: apiError?.type,
            message: apiError?.message.map(configuration.token.redact)
        )
    }

    private func redactedMessage(_ body: [UInt8]) -> String? {
        ResponseDecoder.apiError(from: body)?.message.map(configuration.token.redact)
    }

    private func invalidResponse(status: Int, path: String, error: Error, body: [UInt8]) -> ApifyError {
        let reason: String
        if let scanError = error as? JSONScanError {
            reason = body.isEmpty ? "the body is empty" : "\(scanError.message) at byte \(scanError.offset)"
        } else {
            reason = String(describing: error)
        }
        // Redacted before it is cut, so that a cut cannot leave part of the token behind (and what a
        // cut leaves at the end is redacted again).
        let head = configuration.token.redact(String(decoding: body.prefix(4096), as: UTF8.self))
        let prefix = String(head.prefix(120))
        return .invalidResponse(
            status: status,
            path: path,
            reason: reason,
            bodyPrefix: configuration.token.redact(prefix)
        )
    }

    // MARK: Escaping

    /// Percent-encodes everything but RFC 3986's unreserved characters (so `~` stays as it is).
    package static func escapePathSegment(_ segment: String) -> String {
        var escaped = ""
        for byte in segment.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                escaped.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".utf8)
                escaped += "%"
                escaped.unicodeScalars.append(Unicode.Scalar(hex[Int(byte >> 4)]))
                escaped.unicodeScalars.append(Unicode.Scalar(hex[Int(byte & 0xF)]))
            }
        }
        return escaped
    }

    private static func escapeQueryValue(_ value: String) -> String { escapePathSegment(value) }
}
