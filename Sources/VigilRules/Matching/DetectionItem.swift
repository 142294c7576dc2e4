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

    // Hot-path views: borrowed (unretained) references to objects that `field` and `tests` keep alive.
    private let fieldRef: Unmanaged<FieldPath>?
    /// Set when every test is a string test, the common case, which then skips the general dispatch.
    private let stringMatchers: [Unmanaged<StringMatcher>]?

    init(field: FieldPath?, tests: [ValueTest], requiresAll: Bool, negated: Bool, plainValues: [String]?) {
        self.field = field
        self.tests = tests
        self.requiresAll = requiresAll
        self.negated = negated
        self.plainValues = plainValues
        self.fieldRef = field.map { Unmanaged.passUnretained($0) }
        let matchers = tests.compactMap { test -> Unmanaged<StringMatcher>? in
            if case .string(let m) = test { return Unmanaged.passUnretained(m) }
            return nil
        }
        self.stringMatchers = matchers.count == tests.count ? matchers : nil
    }

    func matches(_ event: JSONValue) -> Bool {
        var result: Bool
        if let fieldRef {
            result = fieldRef._withUnsafeGuaranteedRef { field in
                field.withValue(in: event) { value in
                    if case .string(let text)? = value, let stringMatchers {
                        return stringMatchers.withUnsafeBufferPointer { matchers in
                            for i in matchers.indices where matchers[i]._withUnsafeGuaranteedRef({ $0.matches(text) }) != requiresAll {
                                return !requiresAll
                            }
                            return requiresAll
                        }
                    }
                    for i in tests.indices where tests[i].matches(value, event: event) != requiresAll { return !requiresAll }
                    return requiresAll
                }
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
    /// The items of all groups in one run, unretained (`groups` keeps them alive), and where each group ends.
    private let items: [Unmanaged<DetectionItem>]
    private let groupEnds: [Int]

    init(name: String, groups: [[DetectionItem]]) {
        self.name = name
        self.groups = groups
        self.items = groups.flatMap { $0.map { Unmanaged.passUnretained($0) } }
        var end = 0
        self.groupEnds = groups.map { group in
            end += group.count
            return end
        }
    }

    func matches(_ event: JSONValue) -> Bool {
        items.withUnsafeBufferPointer { items in
            groupEnds.withUnsafeBufferPointer { ends in
                var start = 0
                for end in ends {
                    var all = true
                    var i = start
                    while i < end {
                        if !items[i]._withUnsafeGuaranteedRef({ $0.matches(event) }) {
                            all = false
                            break
                        }
                        i += 1
                    }
                    if all { return true }
                    start = end
                }
                return false
            }
        }
    }
}
