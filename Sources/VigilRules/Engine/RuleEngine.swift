import VigilCore

/// Runs a ``RuleSet`` with state: single-event rules, correlations and the built-in baseline detectors.
///
/// Feed events in time order; time comes from each event (``EventTime``, `eventTime` for CloudTrail), and an
/// event without a readable time is taken to happen at the latest time seen so far, so results never depend on
/// the machine's clock. State is bounded by ``StateLimits`` and ``BuiltinDetectors/Configuration``.
/// A value type: keep one per stream (for example inside an actor or a `Mutex`).
public struct RuleEngine: Sendable {
    public let ruleSet: RuleSet
    private let core: RuleSet.Core
    private var correlations: [CorrelationState]
    /// The built-in baseline detectors, nil when disabled.
    public private(set) var builtins: BuiltinDetectors?
    private var latestTime = 0.0
    private let timeFields: [FieldPath]

    /// - Parameters:
    ///   - ruleSet: the compiled rules (add ``BuiltinRules/sources`` when loading it to include the built-in Sigma rules).
    ///   - builtins: the baseline detectors to run, nil for none.
    ///   - limits: memory limits for correlation state.
    ///   - timeFields: fields read, in order, for an event's time.
    public init(
        ruleSet: RuleSet, builtins: BuiltinDetectors? = BuiltinDetectors(), limits: StateLimits = StateLimits(),
        timeFields: [String] = ["eventTime", "@timestamp", "timestamp", "time"]
    ) {
        self.ruleSet = ruleSet
        self.core = ruleSet.core
        self.builtins = builtins
        self.correlations = ruleSet.correlations.map { CorrelationState(rule: $0, limits: limits) }
        self.timeFields = timeFields.map(FieldPath.init)
    }

    /// Groups held by all correlations together.
    public var correlationGroupCount: Int { correlations.reduce(0) { $0 + $1.groupCount } }

    /// Evaluates one event: the hits of matching rules (in rule order), then of correlations it completes, then of
    /// the built-in detectors.
    public mutating func evaluate(event: JSONValue) -> [RuleHit] {
        evaluate(event: event, fallbackTime: nil)
    }

    /// - Parameter fallbackTime: the time to use when the event has none (before the latest time seen).
    mutating func evaluate(event: JSONValue, fallbackTime: Double?) -> [RuleHit] {
        var hits: [RuleHit] = []
        var fed: [(RuleSet.CorrelationFeed)] = []
        let (name, source) = core.forEachMatch(event) { rule in
            if rule.generatesHits { hits.append(rule.hit.with(eventID: event.eventID)) }
            if !rule.feeds.isEmpty { fed += rule.feeds }
        }
        let kind = builtins != nil ? BuiltinDetectors.kind(of: event, eventName: name?.stringValue, eventSource: source?.stringValue) : nil
        // Reading the time costs a lookup and a parse: only done when something keeps state for this event.
        guard !fed.isEmpty || kind != nil else { return hits }
        let time: Double
        if let t = EventTime.of(event, fields: timeFields)?.seconds {
            time = t
            latestTime = max(latestTime, t)
        } else if let fallbackTime {
            time = fallbackTime
            latestTime = max(latestTime, fallbackTime)
        } else {
            time = latestTime
        }
        let eventID = event.eventID
        for feed in fed { feedCorrelation(feed, event: event, time: time, eventID: eventID, into: &hits) }
        if let kind { hits += builtins!.observe(event, kind: kind, time: time) }
        return hits
    }

    private mutating func feedCorrelation(
        _ feed: RuleSet.CorrelationFeed, event: JSONValue, time: Double, eventID: String?, into hits: inout [RuleHit]
    ) {
        guard let groupValues = correlations[feed.correlation].record(slot: feed.slot, event: event, time: time) else { return }
        let correlation = ruleSet.correlations[feed.correlation]
        hits.append(correlation.metadata.hit(eventID: eventID))
        // A chained correlation sees this one's hit as an event carrying its group-by values.
        let synthetic = JSONValue.object(JSONObject(groupValues.map { JSONObject.Member(key: $0.0, value: $0.1) }))
        for next in ruleSet.correlationFeeds[feed.correlation].reversed() {
            feedCorrelation(next, event: synthetic, time: time, eventID: eventID, into: &hits)
        }
    }
}

extension JSONValue {
    /// CloudTrail's `eventID`, when the event is an object that has one.
    var eventID: String? {
        guard case .object(let object) = self else { return nil }
        return object.member("eventID")?.stringValue
    }
}
