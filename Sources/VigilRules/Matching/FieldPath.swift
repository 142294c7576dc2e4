import VigilCore

/// A dotted field name (`userIdentity.sessionContext.sessionIssuer.arn`) compiled for lookups.
///
/// Lookup descends through nested objects; a key that itself contains dots is found too (the whole rest of
/// the path is tried as one key first), and an array on the way is searched element by element, the
/// values found being collected into an array.
public final class FieldPath: Sendable {
    /// The name as written in the rule.
    public let name: String
    let components: [String]
    /// `suffixes[i]` is components `i…` joined with dots.
    let suffixes: [String]

    public convenience init(_ name: String) {
        self.init(name: name)
    }

    init(name: String) {
        self.name = name
        let parts = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        self.components = parts
        self.suffixes = parts.indices.map { parts[$0...].joined(separator: ".") }
    }

    /// The value at this path in `event`, nil when absent.
    public func value(in event: JSONValue) -> JSONValue? {
        resolve(event, 0)
    }

    /// Calls `body` with the value at this path (nil when absent), lending it rather than copying it out when the
    /// path runs through objects only.
    @inline(__always)
    func withValue<R>(in event: JSONValue, _ body: (JSONValue?) -> R) -> R {
        guard case .object(let object) = event else { return body(resolve(event, 0)) }
        return Self.descend(object, self, 0, body)
    }

    private static func descend<R>(_ object: JSONObject, _ path: FieldPath, _ index: Int, _ body: (JSONValue?) -> R) -> R {
        let key = path.components[index]
        let length = key.utf8.count
        let last = path.components.count - 1
        return object.members.withUnsafeBufferPointer { members -> R in
            for i in members.indices where members[i].key.utf8.count == length && members[i].key == key {
                if index == last { return body(members[i].value) }
                if case .object(let child) = members[i].value {
                    return descend(child, path, index + 1, { value in
                        if value != nil { return body(value) }
                        return body(path.resolve(.object(object), index))
                    })
                }
                return body(path.resolve(.object(object), index))
            }
            if index < last, let direct = object.member(path.suffixes[index]) { return body(direct) }
            return body(nil)
        }
    }

    fileprivate func resolve(_ value: JSONValue, _ index: Int) -> JSONValue? {
        switch value {
        case .object(let object):
            let last = components.count - 1
            if let child = object.member(components[index]) {
                if index == last { return child }
                if let found = resolve(child, index + 1) { return found }
            }
            if index < last, let direct = object.member(suffixes[index]) { return direct }
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
