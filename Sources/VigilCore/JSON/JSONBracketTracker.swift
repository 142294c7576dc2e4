/// String-aware bracket tracking over JSON text read byte by byte: the nesting depth outside strings.
///
/// It does not validate: it only tells brackets, commas and quotes that structure the text from those inside
/// strings (after a backslash escape too), so a reader can split an array into its elements without parsing them.
/// The CloudTrail loader's stream and the rule path's CloudTrail reader both split with it.
@frozen
public struct JSONBracketTracker: Sendable {
    public enum Event: Sendable {
        case open
        case close
        case comma
        case stringStart
        case stringEnd
    }

    /// Opened minus closed brackets (negative once more were closed than this tracker saw opened).
    @inlinable public var depth: Int { level }
    @usableFromInline var level = 0
    @usableFromInline var inString = false
    @usableFromInline var escaped = false

    @inlinable public init() {}

    /// What `byte` is at this point of the text, nil for bytes that change nothing.
    @inlinable
    public mutating func feed(_ byte: UInt8) -> Event? {
        if inString {
            if escaped {
                escaped = false
            } else if byte == 0x5C {
                escaped = true
            } else if byte == 0x22 {
                inString = false
                return .stringEnd
            }
            return nil
        }
        switch byte {
        case 0x22:
            inString = true
            return .stringStart
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            level += 1
            return .open
        case UInt8(ascii: "}"), UInt8(ascii: "]"):
            level -= 1
            return .close
        case UInt8(ascii: ","): return .comma
        default: return nil
        }
    }
}
