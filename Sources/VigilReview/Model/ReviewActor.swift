import Foundation

/// Who performs a review action: the name of the bearer token (or of the console session's token) and its id.
public struct ReviewActor: Sendable, Hashable {
    public var name: String
    public var tokenID: UUID?

    public init(name: String, tokenID: UUID? = nil) {
        self.name = name
        self.tokenID = tokenID
    }
}
