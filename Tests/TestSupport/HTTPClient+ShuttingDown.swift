import AsyncHTTPClient

extension HTTPClient {
    /// Runs `body`, then shuts the client down, also when `body` throws: a client freed before its
    /// shutdown stops the whole test process (AsyncHTTPClient's check in debug builds), not just the
    /// test that failed.
    package func shuttingDown<T>(after body: () async throws -> T) async throws -> T {
        do {
            let result = try await body()
            try await shutdown()
            return result
        } catch {
            try? await shutdown()
            throw error
        }
    }
}
