/// Formats Unix milliseconds as the API writes timestamps, `2025-01-31T07:34:24.202Z`, and parses them back.
///
/// A hand-written civil-date conversion: the simulator renders hundreds of thousands of these a
/// second for the benchmark, and Foundation's formatters would dominate its profile.
package enum ISO8601Milliseconds {
    package static func append(_ milliseconds: Int64, to out: inout [UInt8]) {
        let days = floorDivide(milliseconds, 86_400_000)
        let msOfDay = milliseconds - days * 86_400_000
        let (year, month, day) = civil(fromDays: days)
        appendDigits(year, 4, &out)
        out.append(UInt8(ascii: "-"))
        appendDigits(month, 2, &out)
        out.append(UInt8(ascii: "-"))
        appendDigits(day, 2, &out)
        out.append(UInt8(ascii: "T"))
        appendDigits(msOfDay / 3_600_000, 2, &out)
        out.append(UInt8(ascii: ":"))
        appendDigits(msOfDay / 60_000 % 60, 2, &out)
        out.append(UInt8(ascii: ":"))
        appendDigits(msOfDay / 1000 % 60, 2, &out)
        out.append(UInt8(ascii: "."))
        appendDigits(msOfDay % 1000, 3, &out)
        out.append(UInt8(ascii: "Z"))
    }

    package static func string(_ milliseconds: Int64) -> String {
        var out: [UInt8] = []
        append(milliseconds, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Reads exactly the form `append` writes, the one the API documents for `startedAfter` and
    /// `startedBefore`: a client that sends any other spelling should learn it here, not from the
    /// real API. nil for anything else, impossible instants (`2025-02-30`, `24:00`) included.
    package static func parse(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        guard bytes.count == 24 else { return nil }
        func number(_ range: Range<Int>) -> Int64? {
            var value: Int64 = 0
            for byte in bytes[range] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int64(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
            let millisecond = number(20..<23)
        else { return nil }
        let milliseconds =
            days(fromCivil: (year, month, day)) * 86_400_000 + hour * 3_600_000 + minute * 60_000 + second * 1000
            + millisecond
        // Out-of-range fields and wrong separators do not survive the way back.
        return string(milliseconds) == text ? milliseconds : nil
    }

    private static func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
        a >= 0 ? a / b : (a - b + 1) / b
    }

    /// Howard Hinnant's days-to-civil algorithm, for the proleptic Gregorian calendar.
    private static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = floorDivide(z, 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// Howard Hinnant's days-from-civil algorithm, the inverse of `civil(fromDays:)`.
    private static func days(fromCivil date: (year: Int64, month: Int64, day: Int64)) -> Int64 {
        let year = date.month <= 2 ? date.year - 1 : date.year
        let era = floorDivide(year, 400)
        let yearOfEra = year - era * 400
        let dayOfYear = (153 * (date.month > 2 ? date.month - 3 : date.month + 9) + 2) / 5 + date.day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    private static func appendDigits(_ value: Int64, _ width: Int, _ out: inout [UInt8]) {
        var divisor: Int64 = 1
        for _ in 1..<width { divisor *= 10 }
        var remaining = value
        while divisor > 0 {
            out.append(UInt8(ascii: "0") + UInt8(remaining / divisor % 10))
            remaining %= divisor
            divisor /= 10
        }
    }
}
