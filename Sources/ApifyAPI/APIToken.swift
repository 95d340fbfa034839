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

    /// The shortest start of the secret that `redact` treats as the secret cut off.
    package static let minimumRedactedPrefix = 8

    /// `text` with every occurrence of the secret replaced, for anything that echoes a server's words;
    /// a start of the secret (8 characters or more) that ends the text, where an excerpt cut it off,
    /// is replaced too.
    package func redact(_ text: String) -> String {
        guard !secret.isEmpty else { return text }
        var redacted = text.replacing(secret, with: "<redacted>")
        let longest = min(secret.count - 1, redacted.count)
        if longest >= Self.minimumRedactedPrefix {
            for length in stride(from: longest, through: Self.minimumRedactedPrefix, by: -1)
            where redacted.hasSuffix(secret.prefix(length)) {
                redacted = String(redacted.dropLast(length)) + "<redacted>"
                break
            }
        }
        return redacted
    }
}
