import Foundation
import Testing

/// The man page (docs/apify-runs-sync.1) against the binary's own `--help`: a command or an option
/// added to the CLI without its place in the man page fails here.
@Suite struct ManPageTests {
    static let page = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/apify-runs-sync.1")

    /// The page's sections: `.SH` and `.SS` titles to their text, roff's `\-` read as `-`.
    static func sections() throws -> [String: String] {
        let text = try String(contentsOf: page, encoding: .utf8).replacingOccurrences(of: "\\-", with: "-")
        var sections: [String: String] = [:]
        var title = ""
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix(".SH ") || line.hasPrefix(".SS ") {
                title = line.dropFirst(4).trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
            } else {
                sections[title, default: ""] += line + "\n"
            }
        }
        return sections
    }

    /// The subcommands `--help` lists.
    static func subcommands() async throws -> [String] {
        let help = try await ProgramRun.run(["--help"]).stdout
        let listed = help.components(separatedBy: "SUBCOMMANDS:").last ?? ""
        return listed.split(separator: "\n").compactMap { line in
            guard let match = line.firstMatch(of: #/^  ([a-z][a-z-]*)  /#) else { return nil }
            return String(match.1)
        }
    }

    /// Every `--option` of a help text's OPTIONS (`--compress/--no-compress` gives both).
    static func options(inHelp help: String) -> Set<String> {
        let options = help.components(separatedBy: "OPTIONS:").last ?? ""
        var found = Set<String>()
        // An option's own line is indented by two spaces; its help's continuation lines, further.
        for line in options.split(separator: "\n") where line.hasPrefix("  -") {
            let head = line.trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? ""
            for part in head.split(separator: "/") where part.hasPrefix("--") { found.insert(String(part)) }
            if head.hasPrefix("-h,") { found.insert("--help") }
        }
        return found
    }

    @Test func everyCommandHasASectionAndEverySectionACommand() async throws {
        let commands = try await Self.subcommands()
        #expect(commands == ["run", "once", "status", "check-config", "test-alert", "demo", "simulate"], "\(commands)")
        let sections = try Self.sections()
        for command in commands { #expect(sections[command] != nil, "no .SS \(command) in the man page") }
        let known = Set(commands + ["", "NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "OPTIONS", "CONFIGURATION"])
            .union(["ENVIRONMENT", "EXIT STATUS", "FILES", "SEE ALSO"])
        #expect(Set(sections.keys).subtracting(known).isEmpty, "\(sections.keys.sorted())")
    }

    @Test func everyOptionOfEveryCommandIsInTheManPage() async throws {
        let sections = try Self.sections()
        let shared = sections["OPTIONS", default: ""]
        for command in try await Self.subcommands() {
            let help = try await ProgramRun.run(["help", command]).stdout
            let options = Self.options(inHelp: help)
            #expect(options.contains("--help") && options.count > 2, "\(command): \(options)")
            for option in options.sorted() {
                let documented = [sections[command, default: ""], shared].contains { text in
                    text.range(of: option + "(?![a-z-])", options: .regularExpression) != nil
                }
                #expect(documented, "apify-runs-sync \(command) \(option) is not in docs/apify-runs-sync.1")
            }
        }
        let top = Self.options(inHelp: try await ProgramRun.run(["--help"]).stdout)
        #expect(top == ["--version", "--help"])
        #expect(top.allSatisfy { shared.contains($0) })
    }

    @Test func theTitleLineCarriesTheVersion() async throws {
        let version = try await ProgramRun.run(["--version"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let text = try String(contentsOf: Self.page, encoding: .utf8)
        #expect(text.contains(".TH APIFY-RUNS-SYNC 1 ") && text.contains("\"apify-runs-sync \(version)\""))
    }
}
