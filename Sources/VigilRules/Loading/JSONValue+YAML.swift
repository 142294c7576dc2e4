import VigilCore
import Yams

extension JSONValue {
    /// Converts a composed YAML node, resolving plain scalars by the YAML core schema
    /// (quoted scalars stay strings); mapping keys keep their order.
    init(yaml node: Node) throws(RuleProblem) {
        switch node {
        case .scalar(let scalar):
            if scalar.style != .plain {
                self = .string(scalar.string)
                return
            }
            switch node.tag.rawValue {
            case Tag.Name.null.rawValue: self = .null
            case Tag.Name.bool.rawValue: self = node.bool.map { .bool($0) } ?? .string(scalar.string)
            case Tag.Name.int.rawValue: self = node.int.map { .int(Int64($0)) } ?? .string(scalar.string)
            case Tag.Name.float.rawValue: self = node.float.map { .double($0) } ?? .string(scalar.string)
            default: self = .string(scalar.string)
            }
        case .sequence(let sequence):
            var items: [JSONValue] = []
            for item in sequence { items.append(try JSONValue(yaml: item)) }
            self = .array(items)
        case .mapping(let mapping):
            var members: [JSONObject.Member] = []
            var seen = Set<String>()
            for (key, value) in mapping {
                guard case .scalar(let keyScalar) = key else {
                    throw RuleProblem(.invalidYAML, "mapping keys must be scalars")
                }
                guard seen.insert(keyScalar.string).inserted else {
                    throw RuleProblem(.invalidYAML, "duplicate key '\(keyScalar.string)'")
                }
                members.append(.init(key: keyScalar.string, value: try JSONValue(yaml: value)))
            }
            self = .object(JSONObject(members))
        case .alias:
            throw RuleProblem(.unsupported, "YAML aliases are not supported in rules")
        }
    }

    /// The scalar as text (strings, numbers, booleans), nil for null, arrays and objects.
    var scalarText: String? {
        switch self {
        case .string(let s): s
        case .int(let i): String(i)
        case .double(let d): d.rounded() == d && abs(d) < 1e15 ? String(Int64(d)) : String(d)
        case .bool(let b): b ? "true" : "false"
        default: nil
        }
    }
}
