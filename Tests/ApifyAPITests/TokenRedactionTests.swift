import ApifyAPI
import ApifySimulator
import RunModel
import TestSupport
import Testing

/// The token never survives in an error, even when a server echoes it and the excerpt cuts it.
@Suite struct TokenRedactionTests {
    static let token = "apify_api_QQseREDACTIONtest0123456789"

    @Test(arguments: [0, 100, 110, 115, 119])
    func anEchoedTokenCutByTheExcerptLeavesNoPartOfItself(padding: Int) async throws {
        let transport = InProcessTransport(token: Self.token)
        let task = transport.withWorld { world in
            let task = world.addTask()
            let body = String(repeating: "x", count: padding) + " token=" + Self.token + " trailing"
            world.inject(.body(status: 200, contentType: "text/plain", bytes: Array(body.utf8)), for: .runList)
            return task
        }
        let client = ApifyClient.inProcess(transport)
        let error = await #expect(throws: ApifyError.self) { try await client.listRuns(.task(task), offset: 0) }
        let text = "\(try #require(error))"
        for length in APIToken.minimumRedactedPrefix...Self.token.count {
            #expect(!text.contains(Self.token.prefix(length)), "\(length) characters of the token in: \(text)")
        }
    }
}
