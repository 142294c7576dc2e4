import VigilCore

/// One rule file's text and the name errors will use for it.
public struct RuleSource: Sendable, Hashable {
    public var name: String
    public var text: String

    public init(name: String, text: String) {
        self.name = name
        self.text = text
    }
}

/// How rules are loaded.
public struct RuleSetOptions: Sendable {
    /// Values for `%name%` placeholders of the `expand` modifier. Default: none, so rules using `expand` are rejected.
    public var placeholders: [String: [String]]

    public init(placeholders: [String: [String]] = [:]) {
        self.placeholders = placeholders
    }
}

/// A compiled, immutable set of Sigma rules, filters and correlations.
///
/// Loading checks every rule; anything unsupported or malformed is an error naming the file, the rule id and
/// the problem. ``evaluate(event:)`` runs the single-event rules; correlations and the built-in detectors keep
/// state and run in a ``RuleEngine``.
public struct RuleSet: Sendable {
    public private(set) var rules: [SigmaRule]
    public private(set) var correlations: [CorrelationRule]
    public private(set) var filters: [SigmaFilter]
    /// Where a rule's matches go: (correlation index, position in its `rules`).
    var ruleFeeds: [[CorrelationFeed]]
    var correlationFeeds: [[CorrelationFeed]]
    let index: RuleIndex
    /// The hot-path view of `rules`, in one reference so that handing the set around costs one retain.
    let core: Core

    final class Core: Sendable {
        let compiled: [CompiledRule]
        let index: RuleIndex

        init(compiled: [CompiledRule], index: RuleIndex) {
            self.compiled = compiled
            self.index = index
        }
    }

    struct CorrelationFeed: Sendable {
        var correlation: Int
        var slot: Int
    }

    init(
        rules: [SigmaRule], correlations: [CorrelationRule], filters: [SigmaFilter], ruleFeeds: [[CorrelationFeed]],
        correlationFeeds: [[CorrelationFeed]], index: RuleIndex
    ) {
        self.rules = rules
        self.correlations = correlations
        self.filters = filters
        self.ruleFeeds = ruleFeeds
        self.correlationFeeds = correlationFeeds
        self.index = index
        self.core = Core(compiled: rules.indices.map { CompiledRule(rules[$0], feeds: ruleFeeds[$0]) }, index: index)
    }

    /// Loads and compiles rules, failing if any rule has a problem.
    /// - Throws: ``RuleLoadFailure`` with every problem found.
    public init(sources: [RuleSource], options: RuleSetOptions = RuleSetOptions()) throws(RuleLoadFailure) {
        let (set, errors) = RuleSet.compile(sources: sources, options: options)
        guard errors.isEmpty else { throw RuleLoadFailure(errors: errors) }
        self = set
    }

    /// Loads every `.yml`/`.yaml` file under `paths` (files or directories, searched recursively, in name order).
    /// - Throws: ``RuleLoadFailure`` with every problem found, unreadable files included.
    public static func load(paths: [String], options: RuleSetOptions = RuleSetOptions()) throws(RuleLoadFailure) -> RuleSet {
        let (sources, readErrors) = RuleFiles.read(paths: paths)
        let (set, errors) = compile(sources: sources, options: options)
        guard readErrors.isEmpty && errors.isEmpty else { throw RuleLoadFailure(errors: readErrors + errors) }
        return set
    }

    /// Compiles what can be compiled and returns the problems with the rest (for `vigil rules check`).
    public static func compile(sources: [RuleSource], options: RuleSetOptions = RuleSetOptions()) -> (RuleSet, [RuleLoadError]) {
        var loader = RuleSetLoader(options: options)
        for source in sources { loader.add(source) }
        return loader.finish()
    }

    /// The single-event rules that match `event` (filters applied; no correlations, no built-ins).
    ///
    /// Rules used only by a correlation (without `generate: true`) report nothing here.
    public func evaluate(event: JSONValue) -> [RuleHit] {
        var hits: [RuleHit] = []
        forEachMatch(event) { rule in
            if rule.generatesHits { hits.append(rule.hit.with(eventID: event.eventID)) }
        }
        return hits
    }

    /// Calls `body` with every rule matching `event`, in rule order.
    @inline(__always)
    func forEachMatch(_ event: JSONValue, _ body: (CompiledRule) -> Void) {
        core.forEachMatch(event, body)
    }
}

extension RuleSet.Core {
    /// Calls `body` with every rule matching `event`, in rule order; returns the event's `eventName` and `eventSource`.
    @inline(__always) @discardableResult
    func forEachMatch(_ event: JSONValue, _ body: (CompiledRule) -> Void) -> (JSONValue?, JSONValue?) {
        let fields = event.objectValue.map { $0.members(RuleIndex.indexedFields[0], RuleIndex.indexedFields[1]) }
        compiled.withUnsafeBufferPointer { rules in
            index.forEachCandidate(fields) { ruleIndex in
                if rules[ruleIndex].matches(event) { body(rules[ruleIndex]) }
            }
        }
        return fields ?? (nil, nil)
    }
}
