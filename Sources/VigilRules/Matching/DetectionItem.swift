import VigilCore

/// One `field|modifiers: values` line of a detection (or a keyword list when `field` is nil).
public final class DetectionItem: Sendable {
    /// The field, or nil for keywords, which are searched in every value of the event.
    public let field: FieldPath?
    public let tests: [ValueTest]
    /// `all`: every test must match (otherwise one is enough).
    public let requiresAll: Bool
    /// `neq`: the item matches when the field does not match.
    public let negated: Bool
    /// The plain (case-insensitive, wildcard-free) values, when the item is a plain equality: used by the prefilter.
    let plainValues: [String]?

    init(field: FieldPath?, tests: [ValueTest], requiresAll: Bool, negated: Bool, plainValues: [String]?) {
        self.field = field
        self.tests = tests
        self.requiresAll = requiresAll
        self.negated = negated
        self.plainValues = plainValues
    }

    func matches(_ event: JSONValue) -> Bool {
        var result: Bool
        if let field {
            result = field.withValue(in: event) { value in
                for i in tests.indices where tests[i].matches(value, event: event) != requiresAll { return !requiresAll }
                return requiresAll
            }
        } else {
            result = requiresAll
                ? tests.allSatisfy { test in Self.anyLeaf(event) { test.matches($0, event: event) } }
                : Self.anyLeaf(event) { leaf in tests.contains { $0.matches(leaf, event: event) } }
        }
        return negated ? !result : result
    }

    /// Keyword search: true when `body` holds for some scalar anywhere in the event.
    private static func anyLeaf(_ value: JSONValue, _ body: (JSONValue) -> Bool) -> Bool {
        switch value {
        case .object(let object): object.members.contains { anyLeaf($0.value, body) }
        case .array(let items): items.contains { anyLeaf($0, body) }
        case .null: false
        default: body(value)
        }
    }
}

/// A named detection (`selection`, `filter_main_*`): an AND of items, or an OR of such groups.
public final class Detection: Sendable {
    public let name: String
    /// OR over groups, AND within a group.
    public let groups: [[DetectionItem]]

    init(name: String, groups: [[DetectionItem]]) {
        self.name = name
        self.groups = groups
    }

    func matches(_ event: JSONValue) -> Bool {
        for g in groups.indices {
            var all = true
            for i in groups[g].indices where !groups[g][i].matches(event) {
                all = false
                break
            }
            if all { return true }
        }
        return false
    }
}
