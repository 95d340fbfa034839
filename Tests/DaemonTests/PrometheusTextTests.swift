import TestSupport
import Testing

/// The test's reader of the text format: what it accepts and, above all, what it refuses, so that the
/// endpoint's tests can rely on it.
@Suite struct PrometheusTextTests {
    @Test func aDocumentWithEveryFeatureIsReadWithItsEscapes() throws {
        let text = #"""
            # A comment, then an empty line.

            # HELP requests_total Requests, by "code" \\ with a \n newline.
            # TYPE requests_total counter
            requests_total{code="200",path="/a\"b\\c\nd",} 1027 1395066363000
            requests_total{ code = "500" , path = "" } 3
            # TYPE temperature gauge
            temperature -2.5e+01
            temperature{place="out"} NaN
            temperature{place="sun"} +Inf
            temperature{place="space"} -Inf
            # TYPE latency_seconds histogram
            latency_seconds_bucket{le="0.05"} 1
            latency_seconds_bucket{le="0.5"} 3
            latency_seconds_bucket{le="+Inf"} 4
            latency_seconds_sum .75
            latency_seconds_count 4
            # TYPE rpc summary
            rpc{quantile="0.5"} 4.7
            rpc_sum 1.7560473e+07
            rpc_count 2693
            something_untyped 1.

            """#
        let parsed = try PrometheusText(parsing: text)
        let requests = try #require(parsed.families["requests_total"])
        #expect(requests.type == .counter && requests.help == "Requests, by \"code\" \\ with a \n newline.")
        #expect(parsed.value("requests_total", ["code": "200", "path": "/a\"b\\c\nd"]) == 1027)
        #expect(requests.samples.first?.timestamp == 1_395_066_363_000)
        #expect(parsed.value("requests_total", ["code": "500", "path": ""]) == 3)
        #expect(parsed.sum("requests_total") == 1030)
        #expect(parsed.value("temperature") == -25)
        #expect(parsed.value("temperature", ["place": "out"])?.isNaN == true)
        #expect(parsed.value("temperature", ["place": "sun"]) == .infinity)
        #expect(parsed.value("temperature", ["place": "space"]) == -.infinity)
        #expect(parsed.families["latency_seconds"]?.type == .histogram)
        #expect(parsed.value("latency_seconds_bucket", ["le": "+Inf"]) == 4)
        #expect(parsed.value("latency_seconds_sum") == 0.75)
        #expect(parsed.value("rpc_count") == 2693)
        #expect(parsed.families["something_untyped"]?.type == .untyped)
        #expect(parsed.value("something_untyped") == 1)
        #expect(try PrometheusText(parsing: "").families.isEmpty)
    }

    static let refused: [(text: String, reason: String)] = [
        ("a 1", "does not end with a newline"),
        ("1a 1\n", "not a metric name"),
        ("a-b 1\n", "not a metric name"),
        ("a{1b=\"x\"} 1\n", "not a label name"),
        ("a{__name__=\"x\"} 1\n", "is reserved"),
        ("a{x=\"1\",x=\"2\"} 1\n", "appears twice"),
        ("a{x=\"\\t\"} 1\n", "escape"),
        ("a{x=\"y} 1\n", "not closed"),
        ("a{x=y} 1\n", "not quoted"),
        ("a{x=\"y\" z=\"w\"} 1\n", "neither , nor }"),
        ("a{x=\"y\"}\n", "no blank before the value"),
        ("a{x=\"y\"}1\n", "no blank before the value"),
        ("a 1.2.3\n", "not a float"),
        ("a inf\n", "not a float"),
        ("a nan\n", "not a float"),
        ("a 0x10\n", "not a float"),
        ("a 1 12.5\n", "not an integer timestamp"),
        ("a 1 2 3\n", "a sample is a name"),
        ("a 1 \n", "a sample is a name"),
        ("# HELP a x\\ty\n", "escape"),
        ("# HELP a one\n# HELP a two\n", "a second HELP"),
        ("# TYPE a gauge\n# TYPE a gauge\n", "a second TYPE"),
        ("# TYPE a meter\n", "one of the five types"),
        ("# TYPE a gauge extra\n", "one of the five types"),
        ("a 1\n# TYPE a gauge\n", "after its samples"),
        ("# TYPE a gauge\na 1\nb 2\na{x=\"1\"} 3\n", "not all together"),
        ("a 1\na 2\n", "appears twice"),
        ("# TYPE a_total counter\na_total -1\n", "counter a_total is -1"),
        ("# TYPE h histogram\nh 1\n", "in histogram h"),
        ("# TYPE h histogram\nh_bucket 1\n", "without a float le"),
        ("# TYPE h histogram\nh_bucket{le=\"x\"} 1\n", "without a float le"),
        (
            "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n",
            "not cumulative"
        ),
        (
            "# TYPE h histogram\nh_bucket{le=\"2\"} 1\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n",
            "le not increasing"
        ),
        ("# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n", "no +Inf bucket"),
        ("# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 1\n", "+Inf bucket 2.0, _count 1.0"),
        ("# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\n", "lacks _sum or _count"),
        ("# TYPE s summary\ns 1\n", "without a float quantile"),
    ]

    @Test(arguments: 0..<refused.count)
    func whatTheFormatDoesNotAllowIsRefused(index: Int) {
        let (text, reason) = Self.refused[index]
        #expect("\(text)") {
            try PrometheusText(parsing: text)
        } throws: { error in
            "\(error)".contains(reason)
        }
    }
}
