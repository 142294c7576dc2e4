import Synchronization

/// What ``HygieneSession``s have learnt about short texts that held no secret, shared between sessions: by default
/// every session of the process (``shared``), so an alert's triage does not scrub and inspect again the event names,
/// regions, ARNs, user agents and keys that earlier alerts' tool results already held.
///
/// Only what is a function of the text alone is kept: the scrubbed text, the detector's signals, and the text after
/// redaction, which for a text without a secret is the scrubbed text itself. A text in which the redactor found a
/// secret is never kept (its placeholder is numbered per session, and a secret stays out of shared memory); findings
/// are still recorded by each session, at its own path, each time the text is met. The signals depend on the
/// detector's settings, so a memo serves only sessions whose detector equals its ``detector``.
///
/// Bounded: at most ``capacity`` texts (two for a capacity of one) of up to ``HygieneSession/inspectedTextBytes`` UTF-8
/// bytes each (a few megabytes at most), in two generations of half that each (at least one). New texts go into the young one; when it is full it
/// becomes the old one and the previous old one is dropped; a text found in the old one moves to the young one. So
/// the texts that keep coming back (event names, regions, the principals of the day) stay, while the ones met once
/// (event and request ids, timestamps) pass through.
public final class HygieneMemo: Sendable {
    /// The memo of sessions with the default detector.
    public static let shared = HygieneMemo()

    public let detector: InjectionDetector
    public let capacity: Int
    private let generations: Mutex<Generations>

    private struct Generations {
        var young: [String: HygieneSession.Inspection] = [:]
        var old: [String: HygieneSession.Inspection] = [:]
    }

    /// - Precondition: `capacity > 0`.
    public init(detector: InjectionDetector = InjectionDetector(), capacity: Int = 8_192) {
        precondition(capacity > 0, "a memo needs room for one text")
        self.detector = detector
        self.capacity = capacity
        self.generations = Mutex(Generations())
    }

    /// How many texts it holds.
    public var count: Int { generations.withLock { $0.young.count + $0.old.count } }

    /// Whether it holds `text`.
    public func holds(_ text: String) -> Bool { generations.withLock { $0.young[text] != nil || $0.old[text] != nil } }

    func inspection(of text: String) -> HygieneSession.Inspection? {
        generations.withLock { generations in
            if let young = generations.young[text] { return young }
            guard let old = generations.old.removeValue(forKey: text) else { return nil }
            Self.insert(old, of: text, into: &generations, capacity: capacity)
            return old
        }
    }

    /// Keeps `inspection` of `text`, which must have been redacted without finding a secret.
    func remember(_ inspection: HygieneSession.Inspection, of text: String) {
        precondition(inspection.redacted != nil, "only texts without a secret are shared")
        generations.withLock { Self.insert(inspection, of: text, into: &$0, capacity: capacity) }
    }

    private static func insert(_ inspection: HygieneSession.Inspection, of text: String, into generations: inout Generations, capacity: Int) {
        if generations.young.count >= max(1, capacity / 2) {
            generations.old = generations.young
            generations.young = [:]
        }
        generations.young[text] = inspection
    }
}
