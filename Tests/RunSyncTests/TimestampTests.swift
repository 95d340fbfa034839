import Foundation
import RunModel
import RunStore
import RunSync
import Testing

@Suite struct TimestampTests {
    @Test func parsesTheAPIFormatAndOffsets() {
        #expect(ISOTimestamp.milliseconds("1970-01-01T00:00:00.000Z") == 0)
        #expect(ISOTimestamp.milliseconds("2019-11-30T07:34:24.202Z") == 1_575_099_264_202)
        #expect(ISOTimestamp.milliseconds("2019-11-30T07:34:24Z") == 1_575_099_264_000)
        #expect(ISOTimestamp.milliseconds("2019-11-30T08:34:24.202+01:00") == 1_575_099_264_202)
        #expect(ISOTimestamp.milliseconds("2019-11-30T07:34:24.2021Z") == 1_575_099_264_202)
        #expect(ISOTimestamp.milliseconds("2019-13-30T07:34:24Z") == nil)
        #expect(ISOTimestamp.milliseconds("yesterday") == nil)
    }

    @Test func writesTheAPIFormatAndReadsItBackExactly() {
        #expect(ISOTimestamp.string(milliseconds: 1_575_099_264_202) == "2019-11-30T07:34:24.202Z")
        #expect(ISOTimestamp.string(milliseconds: -1) == "1969-12-31T23:59:59.999Z")
        #expect(
            ISOTimestamp.string(from: Date(timeIntervalSince1970: 1_575_099_264.2029)) == "2019-11-30T07:34:24.202Z"
        )
        for milliseconds: Int64 in [0, 951_782_400_000, 1_575_099_264_202, 4_102_444_799_999] {
            let text = ISOTimestamp.string(milliseconds: milliseconds)
            #expect(
                ISOTimestamp.milliseconds(text) == milliseconds && ISOTimestamp.exactMilliseconds(text) == milliseconds
            )
        }
        // The simulator's strict reading: only the form it writes.
        #expect(ISOTimestamp.exactMilliseconds("2019-11-30T07:34:24Z") == nil)
        #expect(ISOTimestamp.exactMilliseconds("2019-11-30T08:34:24.202+01:00") == nil)
        #expect(ISOTimestamp.exactMilliseconds("2025-02-30T00:00:00.000Z") == nil)
        #expect(ISOTimestamp.exactMilliseconds("2019-11-30 07:34:24.202Z") == nil)
    }
}
