import Foundation

extension TemporaryDirectory {
    /// Writes the daemon's configuration here as `config.json`, readable by its owner alone (as a file
    /// that holds a token must be), and returns its path. `more`: further members, each `,"name":value`.
    package func writeConfig(
        apiBaseURL: String,
        database: String,
        tasks: [String],
        token: String?,
        more: String = ""
    ) throws -> String {
        let path = path("config.json")
        let taskList = tasks.map { "\"\($0)\"" }.joined(separator: ",")
        let tokenField = token.map { #","token":"\#($0)""# } ?? ""
        let json =
            #"{"apiBaseUrl":"\#(apiBaseURL)","database":"\#(database)","tasks":[\#(taskList)]\#(tokenField)\#(more)}"#
        try Data(json.utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        return path
    }
}
