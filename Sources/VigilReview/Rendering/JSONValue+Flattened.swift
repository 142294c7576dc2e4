import VigilCore

extension JSONValue {
    /// One leaf of a JSON document: its path (`ai.tool_calls[0].name`) and its value as display text.
    public struct FlatEntry: Sendable, Hashable {
        public var path: String
        public var value: String
    }

    /// Every leaf of the document with its path, in document order, for showing a record whose shape this
    /// code does not know (the triage record grows as the worker learns more). Strings are shown as they
    /// are (the renderer escapes them); empty arrays and objects appear as `[]` and `{}`; at most `limit`
    /// entries, then one `…` entry saying how many were left out.
    public func flattened(prefix: String = "", limit: Int = 2000) -> [FlatEntry] {
        var entries: [FlatEntry] = []
        var omitted = 0
        func visit(_ value: JSONValue, _ path: String) {
            switch value {
            case .object(let object):
                if object.isEmpty { append(path, "{}") }
                for member in object { visit(member.value, path.isEmpty ? member.key : path + "." + member.key) }
            case .array(let array):
                if array.isEmpty { append(path, "[]") }
                for (index, element) in array.enumerated() { visit(element, path + "[\(index)]") }
            case .string(let text): append(path, text)
            case .null: append(path, "null")
            default: append(path, value.jsonText)
            }
        }
        func append(_ path: String, _ text: String) {
            if entries.count < limit { entries.append(FlatEntry(path: path.isEmpty ? "(value)" : path, value: text)) } else { omitted += 1 }
        }
        visit(self, prefix)
        if omitted > 0 { entries.append(FlatEntry(path: "…", value: "\(omitted) more values not shown")) }
        return entries
    }
}
