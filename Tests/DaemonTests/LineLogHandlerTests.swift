import Daemon
import Foundation
import Logging
import Testing

@Suite struct LineLogHandlerTests {
    let date = Date(timeIntervalSince1970: 1_700_000_000)

    @Test func journalLinesCarryTheSyslogPriorityAndStableFields() {
        let handler = LineLogHandler(format: .text, level: .info, toJournal: true, output: .capture())
        let line = handler.render(
            level: .error,
            message: "run failed",
            fields: ["task": "t", "event": "run_failed", "run_id": "r1", "error": "two words"],
            date: date
        )
        #expect(line == "<3>ERROR run failed event=run_failed error=\"two words\" run_id=r1 task=t\n")
        #expect(LineLogHandler.syslogPriority(.warning) == 4)
        #expect(LineLogHandler.syslogPriority(.info) == 6)
    }

    @Test func textLinesOutsideTheJournalStartWithATimestamp() {
        let handler = LineLogHandler(format: .text, level: .info, toJournal: false, output: .capture())
        let line = handler.render(level: .info, message: "task synced", fields: ["event": "task_synced"], date: date)
        #expect(line == "2023-11-14T22:13:20.000Z INFO task synced event=task_synced\n")
    }

    @Test func jsonLinesAreJSON() throws {
        let handler = LineLogHandler(format: .json, level: .info, toJournal: false, output: .capture())
        let line = handler.render(
            level: .warning,
            message: "run \"aborted\"",
            fields: ["event": "run_aborted"],
            date: date
        )
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String]
        #expect(
            object == [
                "time": "2023-11-14T22:13:20.000Z", "level": "warning", "message": "run \"aborted\"",
                "event": "run_aborted",
            ]
        )
    }

    @Test func jsonLinesKeepNumbersAndBooleansTypedAndTextAsText() {
        let handler = LineLogHandler(format: .json, level: .info, toJournal: false, output: .capture())
        let line = handler.render(
            level: .info,
            message: "m",
            fields: [
                "event": "task_synced", "new_runs": .stringConvertible(12), "rate": .stringConvertible(0.5),
                "flag": .stringConvertible(true), "run_id": "12345",
            ],
            date: date
        )
        #expect(
            line == #"{"time":"2023-11-14T22:13:20.000Z","level":"info","message":"m","event":"task_synced","#
                + #""flag":true,"new_runs":12,"rate":0.5,"run_id":"12345"}"# + "\n"
        )
        let text = LineLogHandler(format: .text, level: .info, toJournal: true, output: .capture())
        #expect(
            text.render(level: .info, message: "m", fields: ["new_runs": .stringConvertible(12)], date: date)
                == "<6>INFO m new_runs=12\n"
        )
    }

    @Test func theJournalIsRecognisedOnlyByItsDeviceAndInode() {
        #expect(!LineLogHandler.stderrIsJournal(environment: [:]))
        #expect(!LineLogHandler.stderrIsJournal(environment: ["JOURNAL_STREAM": "1:2"]))
    }
}
