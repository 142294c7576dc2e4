/// Runs `body` with `resource`, then awaits `cleanup(resource)`, after a return and after a throw alike (then rethrows):
/// no cleanup is left to a task that could outlive the test.
public func withCleanup<Resource, T>(
    _ resource: Resource, cleanup: (Resource) async -> Void, _ body: (Resource) async throws -> T
) async throws -> T {
    do {
        let value = try await body(resource)
        await cleanup(resource)
        return value
    } catch {
        await cleanup(resource)
        throw error
    }
}
