/// The Apify API token, which never shows itself: not in logs, errors, descriptions or dumps.
package struct APIToken: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The secret itself; read only to build the `Authorization` header.
    package let secret: String
    /// Where the token was read from ("the config key \"token\"", "the file /x", …), for error messages.
    package let source: String

    package init(secret: String, source: String) {
        self.secret = secret
        self.source = source
    }

    package var description: String { "<token from \(source), redacted>" }
    package var debugDescription: String { description }
    package var customMirror: Mirror { Mirror(self, children: ["source": source]) }

    /// `text` with every occurrence of the secret replaced, for anything that echoes a server's words.
    package func redact(_ text: String) -> String {
        guard !secret.isEmpty else { return text }
        return text.replacing(secret, with: "<redacted>")
    }
}
