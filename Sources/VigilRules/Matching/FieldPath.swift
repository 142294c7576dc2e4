import VigilCore

/// A dotted field name (`userIdentity.sessionContext.sessionIssuer.arn`) compiled for lookups.
///
/// Lookup descends through nested objects; a key that itself contains dots is found too (the whole rest of
/// the path is tried as one key first), and an array on the way is searched element by element, the
/// values found being collected into an array.
public struct FieldPath: Sendable, Hashable {
    /// The name as written in the rule.
    public let name: String
    let components: [String]
    /// `suffixes[i]` is components `i…` joined with dots.
    let suffixes: [String]

    public init(_ name: String) {
        self.name = name
        let parts = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        self.components = parts
        self.suffixes = parts.indices.map { parts[$0...].joined(separator: ".") }
    }

    /// The value at this path in `event`, nil when absent.
    public func value(in event: JSONValue) -> JSONValue? {
        resolve(event, 0)
    }

    private func resolve(_ value: JSONValue, _ index: Int) -> JSONValue? {
        switch value {
        case .object(let object):
            let last = components.count - 1
            for member in object.members {
                if member.key == components[index] {
                    if index == last { return member.value }
                    if let found = resolve(member.value, index + 1) { return found }
                    break
                }
            }
            if index < last, let direct = object[suffixes[index]] { return direct }
            return nil
        case .array(let items):
            var found: [JSONValue] = []
            for item in items {
                guard let value = resolve(item, index) else { continue }
                if case .array(let inner) = value { found.append(contentsOf: inner) } else { found.append(value) }
            }
            return found.isEmpty ? nil : .array(found)
        default:
            return nil
        }
    }
}
