import AsyncHTTPClient
import Logging

extension Configuration {
    /// The journal and the configured sinks, their files read (a webhook's URL and headers).
    package func makeSinks(http: HTTPClient, logger: Logger) throws(ConfigurationError) -> [any AlertSink] {
        var sinks: [any AlertSink] = [JournalSink(logger: logger)]
        for sink in alerts.sinks {
            switch sink.kind {
            case .exec: sinks.append(ExecSink(sink))
            case .webhook:
                sinks.append(
                    try WebhookSink(
                        sink,
                        retryHours: alerts.webhookRetryHours,
                        http: http,
                        configurationPath: path,
                        timeout: requestTimeout
                    )
                )
            }
        }
        return sinks
    }
}
