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
}
