import VigilCore

/// A parsed Sigma condition, before detection names are bound.
public indirect enum ConditionExpression: Sendable, Hashable {
    case identifier(String)
    /// `1 of pattern`, `all of pattern`; `pattern` nil means `them`.
    case oneOf(pattern: String?)
    case allOf(pattern: String?)
    case not(ConditionExpression)
    case and([ConditionExpression])
    case or([ConditionExpression])
}

/// A condition bound to compiled detections: what the engine evaluates per event.
indirect enum CompiledCondition: Sendable {
    case detection(Int)
    case not(CompiledCondition)
    case and([CompiledCondition])
    case or([CompiledCondition])
    case constant(Bool)

    func evaluate(_ event: JSONValue, _ detections: [Detection]) -> Bool {
        let refs = detections.map { Unmanaged.passUnretained($0) }
        return withExtendedLifetime(detections) { refs.withUnsafeBufferPointer { evaluate(event, $0) } }
    }

    /// Evaluates over unretained references (the hot path; the caller keeps the detections alive).
    func evaluate(_ event: JSONValue, _ detections: UnsafeBufferPointer<Unmanaged<Detection>>) -> Bool {
        switch self {
        case .detection(let i): return detections[i]._withUnsafeGuaranteedRef { $0.matches(event) }
        case .not(let inner): return !inner.evaluate(event, detections)
        case .and(let items):
            for item in items where !item.evaluate(event, detections) { return false }
            return true
        case .or(let items):
            for item in items where item.evaluate(event, detections) { return true }
            return false
        case .constant(let value): return value
        }
    }
}

extension ConditionExpression {
    /// Binds names to detection indices.
    ///
    /// `them` covers every detection whose name does not start with `_`; a pattern (`selection_*`) covers
    /// every detection its wildcards match, `_` names included.
    /// - Throws: ``RuleProblem`` (`.invalidCondition`) for an unknown name or a pattern that matches nothing.
    func compile(names: [String]) throws(RuleProblem) -> CompiledCondition {
        func matching(_ pattern: String?) throws(RuleProblem) -> [CompiledCondition] {
            let indices: [Int]
            if let pattern {
                let matcher = StringMatcher(SigmaPattern(sigma: pattern), caseSensitive: true)
                indices = names.indices.filter { matcher.matches(names[$0]) }
                if indices.isEmpty { throw RuleProblem(.invalidCondition, "'\(pattern)' matches no detection") }
            } else {
                indices = names.indices.filter { !names[$0].hasPrefix("_") }
                if indices.isEmpty { throw RuleProblem(.invalidCondition, "'them' covers no detection") }
            }
            return indices.map { .detection($0) }
        }
        switch self {
        case .identifier(let name):
            guard let index = names.firstIndex(of: name) else {
                throw RuleProblem(.invalidCondition, "unknown detection '\(name)'")
            }
            return .detection(index)
        case .oneOf(let pattern): return .or(try matching(pattern))
        case .allOf(let pattern): return .and(try matching(pattern))
        case .not(let inner): return .not(try inner.compile(names: names))
        case .and(let items):
            var out: [CompiledCondition] = []
            for item in items { out.append(try item.compile(names: names)) }
            return .and(out)
        case .or(let items):
            var out: [CompiledCondition] = []
            for item in items { out.append(try item.compile(names: names)) }
            return .or(out)
        }
    }
}
