/// A strict reader of the Prometheus text exposition format, version 0.0.4
/// (prometheus.io/docs/instrumenting/exposition_formats), for tests that scrape `/metrics`: it
/// refuses what the format does not allow rather than guess, so that output Prometheus would reject
/// or misread fails the test.
///
/// Checked: the final newline; `# HELP` (escapes `\\` and `\n` only) and `# TYPE` (one each per
/// family, TYPE before the family's samples); metric and label names; reserved `__` label names;
/// duplicate labels; label values (escapes `\\`, `\"` and `\n` only); values (decimal floats,
/// `+Inf`, `-Inf`, `NaN`); integer timestamps; a family's lines kept together; no series twice;
/// counters not negative; histograms (`_bucket` with a float `le` in increasing order and
/// cumulative counts, ending at `+Inf` equal to `_count`, with `_sum` and `_count`) and summaries.
package struct PrometheusText: Sendable {
    package enum MetricType: String, Sendable {
        case counter, gauge, histogram, summary, untyped
    }

    package struct Sample: Equatable, Sendable {
        package var name: String
        package var labels: [String: String]
        package var value: Double
        package var timestamp: Int64?
    }

    package struct Family: Sendable {
        package var name: String
        package var type: MetricType
        package var help: String?
        package var samples: [Sample] = []
        /// Whether a TYPE line gave the type (a family without one is untyped).
        package var typed = false
    }

    package struct ParseError: Error, CustomStringConvertible {
        package var line: Int
        package var message: String

        package var description: String { "line \(line): \(message)" }
    }

    package private(set) var families: [String: Family] = [:]

    package init(parsing text: String) throws(ParseError) {
        guard text.isEmpty || text.hasSuffix("\n") else {
            throw ParseError(line: 0, message: "the text does not end with a newline")
        }
        var reader = Reader()
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().enumerated() {
            do {
                try reader.read(line)
            } catch {
                throw ParseError(line: index + 1, message: error.message)
            }
        }
        do {
            try reader.finish()
        } catch {
            throw ParseError(line: 0, message: error.message)
        }
        families = reader.families
    }

    /// The value of the sample with exactly these labels.
    package func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples(name).first { $0.labels == labels }?.value
    }

    /// Every sample of this name (a family's name, or a histogram's `_bucket`, `_sum`, `_count`).
    package func samples(_ name: String) -> [Sample] {
        families.values.flatMap { $0.samples.filter { $0.name == name } }
    }

    /// The sum of the samples of this name whose labels include `matching`.
    package func sum(_ name: String, matching: [String: String] = [:]) -> Double {
        samples(name).filter { sample in matching.allSatisfy { sample.labels[$0.key] == $0.value } }
            .reduce(0) { $0 + $1.value }
    }

    // MARK: Reading

    private struct Failure: Error {
        var message: String
        init(_ message: String) { self.message = message }
    }

    private struct Reader {
        var families: [String: Family] = [:]
        /// The family whose lines are being read, and those whose lines have ended.
        var current: String?
        var ended: Set<String> = []
        var series: Set<String> = []

        mutating func read(_ line: Substring) throws(Failure) {
            if line.isEmpty { return }
            if line.hasPrefix("# HELP ") {
                try readHelp(line.dropFirst("# HELP ".count))
            } else if line.hasPrefix("# TYPE ") {
                try readType(line.dropFirst("# TYPE ".count))
            } else if line.hasPrefix("#") {
                return  // a comment
            } else {
                try readSample(line)
            }
        }

        /// Lines of `name` begin or go on: a family's lines must come together.
        mutating func enter(_ name: String) throws(Failure) {
            guard current != name else { return }
            guard !ended.contains(name) else { throw Failure("the lines of \(name) are not all together") }
            if let current { ended.insert(current) }
            current = name
        }

        mutating func readHelp(_ rest: Substring) throws(Failure) {
            let name = rest.prefix { $0 != " " }
            guard Self.isMetricName(name) else { throw Failure("HELP names no valid metric: \(rest)") }
            var text = rest.dropFirst(name.count)
            if text.first == " " { text = text.dropFirst() }
            let help = try Self.unescape(text, quotes: false)
            try enter(String(name))
            guard families[String(name)]?.help == nil else { throw Failure("a second HELP for \(name)") }
            families[String(name), default: Family(name: String(name), type: .untyped)].help = help
        }

        mutating func readType(_ rest: Substring) throws(Failure) {
            let parts = rest.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2, Self.isMetricName(parts[0]), let type = MetricType(rawValue: String(parts[1]))
            else { throw Failure("TYPE is not a metric name and one of the five types: \(rest)") }
            let name = String(parts[0])
            try enter(name)
            if let family = families[name] {
                guard family.samples.isEmpty else { throw Failure("TYPE of \(name) after its samples") }
                guard !family.typed else { throw Failure("a second TYPE for \(name)") }
            }
            families[name, default: Family(name: name, type: type)].type = type
            families[name]!.typed = true
        }

        mutating func readSample(_ line: Substring) throws(Failure) {
            var rest = line[...]
            let name = rest.prefix { $0 != "{" && $0 != " " && $0 != "\t" }
            guard Self.isMetricName(name) else { throw Failure("not a metric name: \(name)") }
            rest = rest.dropFirst(name.count)
            var labels: [String: String] = [:]
            if rest.first == "{" {
                rest = rest.dropFirst()
                labels = try Self.readLabels(&rest)
            }
            guard let blank = rest.first, blank == " " || blank == "\t" else {
                throw Failure("no blank before the value of \(name)")
            }
            let fields = rest.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard rest.last != " ", rest.last != "\t", (1...2).contains(fields.count) else {
                throw Failure("a sample is a name, labels, a value and perhaps a timestamp: \(line)")
            }
            guard let value = Self.float(fields[0]) else { throw Failure("not a float value: \(fields[0])") }
            var timestamp: Int64?
            if fields.count == 2 {
                guard let milliseconds = Int64(fields[1]), fields[1].first != "+" else {
                    throw Failure("not an integer timestamp: \(fields[1])")
                }
                timestamp = milliseconds
            }
            let sample = Sample(name: String(name), labels: labels, value: value, timestamp: timestamp)
            let familyName = familyName(of: sample.name)
            try enter(familyName)
            var family = families[familyName, default: Family(name: familyName, type: .untyped)]
            try Self.check(sample, in: family)
            let key = Self.series(sample.name, labels)
            guard series.insert(key).inserted else { throw Failure("the series \(key) appears twice") }
            family.samples.append(sample)
            families[familyName] = family
        }

        /// The family a sample belongs to: its own name, or the histogram's or summary's it is part of.
        func familyName(of name: String) -> String {
            if families[name]?.typed == true { return name }
            for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) {
                let base = String(name.dropLast(suffix.count))
                let type = families[base]?.type
                if type == .histogram || (type == .summary && suffix != "_bucket") { return base }
            }
            return name
        }

        static func check(_ sample: Sample, in family: Family) throws(Failure) {
            switch family.type {
            case .counter:
                guard sample.name == family.name else { throw Failure("\(sample.name) in counter \(family.name)") }
                guard sample.value >= 0 else { throw Failure("counter \(family.name) is \(sample.value)") }
            case .gauge, .untyped:
                guard sample.name == family.name else { throw Failure("\(sample.name) in \(family.name)") }
            case .histogram:
                switch String(sample.name.dropFirst(family.name.count)) {
                case "_bucket":
                    guard let le = sample.labels["le"], float(le[...]) != nil else {
                        throw Failure("a bucket of \(family.name) without a float le")
                    }
                case "_sum": guard sample.labels["le"] == nil else { throw Failure("le on \(sample.name)") }
                case "_count": guard sample.labels["le"] == nil else { throw Failure("le on \(sample.name)") }
                default: throw Failure("\(sample.name) in histogram \(family.name)")
                }
            case .summary:
                if sample.name == family.name {
                    guard let quantile = sample.labels["quantile"], float(quantile[...]) != nil else {
                        throw Failure("a quantile of \(family.name) without a float quantile label")
                    }
                }
            }
        }

        /// The histograms' shape, once every line is read.
        mutating func finish() throws(Failure) {
            /// The samples of one histogram that share their labels (`le` aside).
            struct Series {
                var buckets: [(le: Double, count: Double)] = []
                var sum: Double?
                var count: Double?
            }
            for family in families.values where family.type == .histogram {
                var histograms: [[String: String]: Series] = [:]
                for sample in family.samples {
                    var labels = sample.labels
                    let le = labels.removeValue(forKey: "le")
                    switch String(sample.name.dropFirst(family.name.count)) {
                    case "_bucket":
                        histograms[labels, default: Series()].buckets.append((Self.float(le![...])!, sample.value))
                    case "_sum": histograms[labels, default: Series()].sum = sample.value
                    default: histograms[labels, default: Series()].count = sample.value
                    }
                }
                for (labels, histogram) in histograms {
                    let name = Self.series(family.name, labels)
                    guard let count = histogram.count, histogram.sum != nil else {
                        throw Failure("\(name) lacks _sum or _count")
                    }
                    guard count >= 0, count.rounded() == count else { throw Failure("\(name) counts \(count)") }
                    for (previous, next) in zip(histogram.buckets, histogram.buckets.dropFirst()) {
                        guard previous.le < next.le else { throw Failure("\(name): le not increasing") }
                        guard previous.count <= next.count else { throw Failure("\(name): buckets not cumulative") }
                    }
                    guard let last = histogram.buckets.last, last.le == .infinity else {
                        throw Failure("\(name) has no +Inf bucket last")
                    }
                    guard last.count == count else {
                        throw Failure("\(name): +Inf bucket \(last.count), _count \(count)")
                    }
                }
            }
        }

        /// A series' name and labels, in one order, for messages and to find one given twice.
        static func series(_ name: String, _ labels: [String: String]) -> String {
            name + "{"
                + labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.debugDescription)" }
                .joined(separator: ",") + "}"
        }

        static func readLabels(_ rest: inout Substring) throws(Failure) -> [String: String] {
            var labels: [String: String] = [:]
            while true {
                rest = rest.drop { $0 == " " || $0 == "\t" }
                if rest.first == "}" {
                    rest = rest.dropFirst()
                    return labels
                }
                let name = rest.prefix { $0 != "=" && $0 != " " && $0 != "\t" }
                guard isLabelName(name) else { throw Failure("not a label name: \(name)") }
                guard !name.hasPrefix("__") else { throw Failure("the label name \(name) is reserved") }
                rest = rest.dropFirst(name.count).drop { $0 == " " || $0 == "\t" }
                guard rest.first == "=" else { throw Failure("no = after the label \(name)") }
                rest = rest.dropFirst().drop { $0 == " " || $0 == "\t" }
                guard rest.first == "\"" else { throw Failure("the value of \(name) is not quoted") }
                rest = rest.dropFirst()
                var end = rest.startIndex
                var escaped = false
                while end < rest.endIndex, escaped || rest[end] != "\"" {
                    escaped = !escaped && rest[end] == "\\"
                    end = rest.index(after: end)
                }
                guard end < rest.endIndex else { throw Failure("the value of \(name) is not closed") }
                guard labels.updateValue(try unescape(rest[..<end], quotes: true), forKey: String(name)) == nil else {
                    throw Failure("the label \(name) appears twice")
                }
                rest = rest[rest.index(after: end)...].drop { $0 == " " || $0 == "\t" }
                if rest.first == "," {
                    rest = rest.dropFirst()
                } else if rest.first != "}" {
                    throw Failure("neither , nor } after the label \(name)")
                }
            }
        }

        /// A HELP text or label value with its escapes read: `\\`, `\n`, and in label values `\"`.
        static func unescape(_ text: Substring, quotes: Bool) throws(Failure) -> String {
            var result = ""
            var iterator = text.makeIterator()
            while let character = iterator.next() {
                guard character == "\\" else {
                    result.append(character)
                    continue
                }
                switch iterator.next() {
                case "\\": result.append("\\")
                case "n": result.append("\n")
                case "\"" where quotes: result.append("\"")
                case let other: throw Failure("the escape \\\(other.map(String.init) ?? "") is not allowed")
                }
            }
            return result
        }

        static func isMetricName(_ name: Substring) -> Bool {
            guard let first = name.first, first.isASCII, first.isLetter || first == "_" || first == ":" else {
                return false
            }
            return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == ":") }
        }

        static func isLabelName(_ name: Substring) -> Bool {
            guard let first = name.first, first.isASCII, first.isLetter || first == "_" else { return false }
            return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
        }

        /// A decimal float (`1`, `-2.5`, `.5`, `1e+09`), `+Inf`, `-Inf` or `NaN`; nothing else.
        static func float(_ text: Substring) -> Double? {
            switch text {
            case "+Inf": return .infinity
            case "-Inf": return -.infinity
            case "NaN": return .nan
            default: break
            }
            var rest = text.drop { $0 == "+" || $0 == "-" }
            guard text.count - rest.count <= 1 else { return nil }
            let integer = rest.prefix { $0.isASCII && $0.isNumber }
            rest = rest.dropFirst(integer.count)
            var fraction: Substring = ""
            if rest.first == "." {
                fraction = rest.dropFirst().prefix { $0.isASCII && $0.isNumber }
                rest = rest.dropFirst(1 + fraction.count)
            }
            guard !integer.isEmpty || !fraction.isEmpty else { return nil }
            if rest.first == "e" || rest.first == "E" {
                rest = rest.dropFirst()
                if rest.first == "+" || rest.first == "-" { rest = rest.dropFirst() }
                let exponent = rest.prefix { $0.isASCII && $0.isNumber }
                guard !exponent.isEmpty else { return nil }
                rest = rest.dropFirst(exponent.count)
            }
            return rest.isEmpty ? Double(text) : nil
        }
    }
}
