import VigilCore

/// One compiled test of a field's value, the result of a rule value after its modifiers.
public enum ValueTest: Sendable {
    /// Sigma string matching (also applied to numbers and booleans through their text, and to objects and
    /// arrays through their JSON text).
    case string(StringMatcher)
    case regex(RegexMatcher)
    case cidr(CIDRRange)
    /// `lt`, `lte`, `gt`, `gte`: a numeric comparison with the rule's number on the right.
    case compare(ComparisonOperator, Double)
    /// `null`: the field is absent or null.
    case null
    /// `exists`: the field is present (true) or absent (false).
    case exists(Bool)
    /// `fieldref`: the field's value equals (or starts, ends with, contains) another field's.
    case fieldReference(FieldPath, FieldReferenceMode, caseSensitive: Bool)
    /// `minute` … `year`: a part of the field's timestamp equals the number.
    case timePart(TimePart, Int)

    public enum ComparisonOperator: String, Sendable {
        case lt, lte, gt, gte

        func holds(_ lhs: Double, _ rhs: Double) -> Bool {
            switch self {
            case .lt: lhs < rhs
            case .lte: lhs <= rhs
            case .gt: lhs > rhs
            case .gte: lhs >= rhs
            }
        }
    }

    public enum FieldReferenceMode: Sendable {
        case equals, startsWith, endsWith, contains
    }

    public enum TimePart: String, Sendable, CaseIterable {
        case minute, hour, day, week, month, year
    }

    /// Tests the value found at the item's field (`nil` when the field is absent) in `event`.
    func matches(_ value: JSONValue?, event: JSONValue) -> Bool {
        switch self {
        case .null:
            return value == nil || value == .null
        case .exists(let wanted):
            return (value != nil) == wanted
        default:
            break
        }
        guard let value else { return false }
        switch value {
        case .null:
            return false
        case .string(let s):
            return matchesScalar(s, value, event: event)
        case .int, .double, .bool:
            return matchesScalar(value.scalarText ?? "", value, event: event)
        case .array(let items):
            if items.contains(where: { matches($0, event: event) }) { return true }
            return matchesStructured(value)
        case .object:
            return matchesStructured(value)
        }
    }

    /// Objects and arrays: string tests see their compact JSON text, as the reference tools do.
    private func matchesStructured(_ value: JSONValue) -> Bool {
        switch self {
        case .string(let m): m.matches(value.jsonText)
        case .regex(let r): r.matches(value.jsonText)
        default: false
        }
    }

    private func matchesScalar(_ text: String, _ value: JSONValue, event: JSONValue) -> Bool {
        switch self {
        case .string(let m): return m.matches(text)
        case .regex(let r): return r.matches(text)
        case .cidr(let range): return range.contains(text)
        case .compare(let op, let rhs):
            guard let lhs = value.doubleValue ?? Double(text) else { return false }
            return op.holds(lhs, rhs)
        case .fieldReference(let path, let mode, let cased):
            guard let other = path.value(in: event)?.scalarText else { return false }
            var pattern = SigmaPattern(literal: other)
            switch mode {
            case .equals: break
            case .startsWith: pattern = pattern.suffixed()
            case .endsWith: pattern = pattern.prefixed()
            case .contains: pattern = pattern.surrounded()
            }
            return StringMatcher(pattern, caseSensitive: cased).matches(text)
        case .timePart(let part, let wanted):
            guard let time = EventTime.parse(text) else { return false }
            return time.part(part) == wanted
        case .null, .exists:
            return false
        }
    }
}
