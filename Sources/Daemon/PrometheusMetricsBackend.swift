import CoreMetrics
import Prometheus

/// swift-metrics over a Prometheus registry of its own, with a help text (and, for timers, buckets)
/// per metric name: swift-prometheus' own factory writes no `# HELP` lines, which Prometheus and
/// Grafana show beside a metric. Metrics it has no description for (another library's) go through
/// that factory into the same registry, without help.
package final class PrometheusMetricsBackend: MetricsFactory {
    /// What a metric is, for `# HELP`, and the buckets of a timer's histogram.
    package struct Description: Sendable {
        package var help: String
        package var buckets: [Duration]

        package init(help: String, buckets: [Duration] = []) {
            self.help = help
            self.buckets = buckets
        }
    }

    package let registry: PrometheusCollectorRegistry
    private let descriptions: [String: Description]
    private let undescribed: PrometheusMetricsFactory

    package init(descriptions: [String: Description]) {
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        self.descriptions = descriptions
        self.undescribed = PrometheusMetricsFactory(registry: registry)
    }

    /// Every registered metric in the Prometheus text format, version 0.0.4.
    package func exposition() -> [UInt8] {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }

    private func descriptor(_ label: String, _ description: Description) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: label, unitName: "", helpText: description.help)
    }

    package func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        guard let description = descriptions[label] else {
            return undescribed.makeCounter(label: label, dimensions: dimensions)
        }
        return registry.makeCounter(descriptor: descriptor(label, description), labels: dimensions)
    }

    package func makeFloatingPointCounter(
        label: String,
        dimensions: [(String, String)]
    ) -> any FloatingPointCounterHandler {
        guard let description = descriptions[label] else {
            return undescribed.makeFloatingPointCounter(label: label, dimensions: dimensions)
        }
        return registry.makeCounter(descriptor: descriptor(label, description), labels: dimensions)
    }

    package func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        guard let description = descriptions[label], !aggregate else {
            return undescribed.makeRecorder(label: label, dimensions: dimensions, aggregate: aggregate)
        }
        return registry.makeGauge(descriptor: descriptor(label, description), labels: dimensions)
    }

    package func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        guard let description = descriptions[label] else {
            return undescribed.makeMeter(label: label, dimensions: dimensions)
        }
        return registry.makeGauge(descriptor: descriptor(label, description), labels: dimensions)
    }

    package func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        guard let description = descriptions[label] else {
            return undescribed.makeTimer(label: label, dimensions: dimensions)
        }
        return registry.makeDurationHistogram(
            descriptor: descriptor(label, description),
            labels: dimensions,
            buckets: description.buckets
        )
    }

    package func destroyCounter(_ handler: any CounterHandler) { undescribed.destroyCounter(handler) }

    package func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {
        undescribed.destroyFloatingPointCounter(handler)
    }

    package func destroyMeter(_ handler: any MeterHandler) { undescribed.destroyMeter(handler) }

    package func destroyRecorder(_ handler: any RecorderHandler) { undescribed.destroyRecorder(handler) }

    package func destroyTimer(_ handler: any TimerHandler) { undescribed.destroyTimer(handler) }
}
