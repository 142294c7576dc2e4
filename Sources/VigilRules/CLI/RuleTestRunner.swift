import VigilCore

/// The logic behind `vigil rules check` and `vigil rules test`, kept out of the executable so it can be tested.
public struct RuleTestRunner: Sendable {
    /// What `rules check` found.
    public struct CheckReport: Sendable {
        public var files: Int
        public var rules: Int
        public var correlations: Int
        public var filters: Int
        public var errors: [RuleLoadError]
    }

    /// What `rules test` did.
    public struct TestSummary: Sendable {
        public var events: Int
        public var hits: Int
    }

    public var ruleSet: RuleSet
    public var builtins: Bool

    /// Loads the rules under `rulePaths`, plus the built-in Sigma rules and detectors when `builtins` is true.
    /// - Throws: ``RuleLoadFailure`` listing every rule that does not load.
    public init(rulePaths: [String], builtins: Bool = true, options: RuleSetOptions = RuleSetOptions()) throws(RuleLoadFailure) {
        let (sources, readErrors) = RuleFiles.read(paths: rulePaths)
        let (set, errors) = RuleSet.compile(sources: sources + (builtins ? BuiltinRules.sources : []), options: options)
        guard readErrors.isEmpty && errors.isEmpty else { throw RuleLoadFailure(errors: readErrors + errors) }
        self.ruleSet = set
        self.builtins = builtins
    }

    /// Loads every rule under `paths` and reports what loaded and every problem (file, rule id, what is wrong).
    public static func check(paths: [String], options: RuleSetOptions = RuleSetOptions()) -> CheckReport {
        let (sources, readErrors) = RuleFiles.read(paths: paths)
        let (set, errors) = RuleSet.compile(sources: sources, options: options)
        return CheckReport(files: sources.count, rules: set.rules.count, correlations: set.correlations.count,
            filters: set.filters.count, errors: readErrors + errors)
    }

    /// Reads the events of `files`, orders them by event time (stable, so equal times keep file order), evaluates
    /// them with a fresh ``RuleEngine`` and writes one JSON line per hit.
    /// - Throws: ``CloudTrailReader/ReadError`` for a file that cannot be read or parsed.
    public func run(files: [String], write: (String) -> Void) throws(CloudTrailReader.ReadError) -> TestSummary {
        var events: [JSONValue] = []
        for file in files { events += try CloudTrailReader.events(path: file) }
        let ordered = Self.timeOrdered(events)
        var engine = RuleEngine(ruleSet: ruleSet, builtins: builtins ? BuiltinDetectors() : nil)
        var hitCount = 0
        for event in ordered {
            for hit in engine.evaluate(event: event) {
                hitCount += 1
                write(Self.line(for: hit))
            }
        }
        return TestSummary(events: events.count, hits: hitCount)
    }

    /// Events sorted by ``EventTime`` (events without a time keep their place relative to their neighbours' order).
    public static func timeOrdered(_ events: [JSONValue]) -> [JSONValue] {
        let keyed = events.enumerated().map { (time: EventTime.of($0.element)?.seconds ?? -.infinity, index: $0.offset) }
        return keyed.sorted { ($0.time, $0.index) < ($1.time, $1.index) }.map { events[$0.index] }
    }

    /// `{"rule_id":…,"event_id":…,"title":…,"level":…,"author":…}`
    public static func line(for hit: RuleHit) -> String {
        let object: JSONValue = [
            "rule_id": .string(hit.ruleID),
            "event_id": hit.eventID.map(JSONValue.string) ?? .null,
            "title": .string(hit.title),
            "level": .string(hit.level),
            "author": hit.author.map(JSONValue.string) ?? .null,
        ]
        return object.jsonText
    }
}
