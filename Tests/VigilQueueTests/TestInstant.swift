import VigilCore
import VigilQueue

/// A manual timeline for tests: an offset from an arbitrary origin.
struct TestInstant: InstantProtocol, Sendable, CustomStringConvertible {
    var offset: Duration

    static let zero = TestInstant(offset: .zero)

    static func seconds(_ seconds: Int64) -> TestInstant { TestInstant(offset: .seconds(seconds)) }

    func advanced(by duration: Duration) -> TestInstant { TestInstant(offset: offset + duration) }

    func duration(to other: TestInstant) -> Duration { other.offset - offset }

    static func < (lhs: TestInstant, rhs: TestInstant) -> Bool { lhs.offset < rhs.offset }

    var description: String { "t+\(offset)" }
}
