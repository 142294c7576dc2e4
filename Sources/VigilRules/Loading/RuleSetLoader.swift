import VigilCore
import Yams

/// Collects documents from rule files, then resolves filters and correlations and builds a ``RuleSet``.
struct RuleSetLoader {
    let options: RuleSetOptions
    private var rules: [SigmaRule] = []
    private var filters: [SigmaFilter] = []
    private var correlations: [CorrelationRule] = []
    private var errors: [RuleLoadError] = []
    private var seenIDs: [String: String] = [:]

    init(options: RuleSetOptions) { self.options = options }

    mutating func add(_ source: RuleSource) {
        var nodes: [Node] = []
        do {
            // Parser.nextRoot throws on malformed YAML (iterating compose_all would stop silently).
            let parser = try Parser(yaml: source.text)
            while let node = try parser.nextRoot() { nodes.append(node) }
        } catch {
            errors.append(RuleLoadError(code: .invalidYAML, file: source.name, message: "\(error)"))
            return
        }
        for (number, node) in nodes.enumerated() {
            let documentNumber = nodes.count > 1 ? number + 1 : nil
            var ruleID: String?
            do throws(RuleProblem) {
                let document = try JSONValue(yaml: node)
                ruleID = document["id"]?.scalarText ?? document["title"]?.scalarText
                try addDocument(document, file: source.name)
            } catch {
                errors.append(RuleLoadError(code: error.code, file: source.name, ruleID: ruleID, document: documentNumber, message: error.message))
            }
        }
    }

    private mutating func addDocument(_ document: JSONValue, file: String) throws(RuleProblem) {
        guard case .object(let object) = document else { throw RuleProblem(.invalidField, "a rule document must be a mapping") }
        if object["action"] != nil {
            throw RuleProblem(.unsupported, "Sigma v1 rule collections ('action: global/reset/repeat') are not supported")
        }
        let metadata = try SigmaRuleMetadata(document: document, file: file)
        if let id = metadata.id {
            if let other = seenIDs[id] { throw RuleProblem(.duplicateID, "id already used in \(other)") }
            seenIDs[id] = file
        }
        let compiler = DetectionCompiler(placeholders: options.placeholders)
        if let correlation = object["correlation"] {
            correlations.append(try Self.correlation(correlation, metadata: metadata))
        } else if let filter = object["filter"] {
            filters.append(try Self.filter(filter, metadata: metadata, compiler: compiler))
        } else if let detection = object["detection"] {
            rules.append(try Self.rule(detection, metadata: metadata, compiler: compiler))
        } else {
            throw RuleProblem(.invalidField, "a rule needs 'detection', 'correlation' or 'filter'")
        }
    }

    private static func detections(
        _ object: JSONObject, reserved: Set<String>, compiler: DetectionCompiler
    ) throws(RuleProblem) -> ([Detection], [ConditionExpression], CompiledCondition) {
        var detections: [Detection] = []
        for member in object.members where !reserved.contains(member.key) {
            if member.key == "timeframe" { throw RuleProblem(.unsupported, "'timeframe' is Sigma v1; use a correlation rule") }
            detections.append(try compiler.detection(name: member.key, definition: member.value))
        }
        let conditionTexts: [String]
        switch object["condition"] {
        case .string(let s)?: conditionTexts = [s]
        case .array(let items)?:
            conditionTexts = items.compactMap(\.stringValue)
            if conditionTexts.count != items.count || items.isEmpty {
                throw RuleProblem(.invalidCondition, "'condition' must be a string or a list of strings")
            }
        default: throw RuleProblem(.invalidCondition, "missing 'condition'")
        }
        let names = detections.map(\.name)
        var expressions: [ConditionExpression] = []
        var compiled: [CompiledCondition] = []
        for text in conditionTexts {
            let expression = try ConditionParser.parse(text)
            expressions.append(expression)
            compiled.append(try expression.compile(names: names))
        }
        return (detections, expressions, compiled.count == 1 ? compiled[0] : .or(compiled))
    }

    private static func rule(_ detection: JSONValue, metadata: SigmaRuleMetadata, compiler: DetectionCompiler) throws(RuleProblem) -> SigmaRule {
        guard case .object(let object) = detection else { throw RuleProblem(.invalidField, "'detection' must be a mapping") }
        let (detections, expressions, condition) = try detections(object, reserved: ["condition"], compiler: compiler)
        return SigmaRule(metadata: metadata, detections: detections, conditions: expressions, condition: condition)
    }

    private static func filter(_ filter: JSONValue, metadata: SigmaRuleMetadata, compiler: DetectionCompiler) throws(RuleProblem) -> SigmaFilter {
        guard case .object(let object) = filter else { throw RuleProblem(.invalidField, "'filter' must be a mapping") }
        var references: [String] = []
        switch object["rules"] {
        case .string(let s)?: references = s.lowercased() == "any" ? [] : [s]
        case .array(let items)?:
            references = items.compactMap(\.scalarText)
            if references.count != items.count { throw RuleProblem(.invalidField, "filter 'rules' must list rule ids or names") }
        default: throw RuleProblem(.invalidField, "a filter needs 'rules' (a list of rule ids or names, or 'any')")
        }
        let (detections, _, condition) = try detections(object, reserved: ["condition", "rules"], compiler: compiler)
        return SigmaFilter(metadata: metadata, ruleReferences: references, detections: detections, condition: condition)
    }

    private static func correlation(_ value: JSONValue, metadata: SigmaRuleMetadata) throws(RuleProblem) -> CorrelationRule {
        guard case .object(let object) = value else { throw RuleProblem(.invalidField, "'correlation' must be a mapping") }
        guard let typeText = object["type"]?.stringValue else { throw RuleProblem(.invalidField, "correlation needs 'type'") }
        guard let kind = CorrelationRule.Kind(rawValue: typeText) else {
            throw RuleProblem(.unsupported, "correlation type '\(typeText)' is not supported (event_count, value_count, temporal, temporal_ordered)")
        }
        func strings(_ key: String, required: Bool) throws(RuleProblem) -> [String] {
            switch object[key] {
            case .string(let s)?: return [s]
            case .array(let items)?:
                let out = items.compactMap(\.scalarText)
                guard out.count == items.count else { throw RuleProblem(.invalidField, "correlation '\(key)' must be a list of strings") }
                return out
            case nil, .null?:
                if required { throw RuleProblem(.invalidField, "correlation needs '\(key)'") }
                return []
            default: throw RuleProblem(.invalidField, "correlation '\(key)' must be a list of strings")
            }
        }
        let references = try strings("rules", required: true)
        guard !references.isEmpty else { throw RuleProblem(.invalidField, "correlation 'rules' is empty") }
        let groupBy = try strings("group-by", required: false)
        guard let timespanText = object["timespan"]?.scalarText, let timespan = CorrelationRule.parseTimespan(timespanText) else {
            throw RuleProblem(.invalidField, "correlation needs 'timespan' like 10m, 1h, 2d")
        }
        var bounds: [CorrelationRule.Condition.Bound] = []
        var field: String?
        switch object["condition"] {
        case .object(let condition)?:
            for member in condition.members {
                if member.key == "field" {
                    guard let f = member.value.stringValue else { throw RuleProblem(.invalidField, "correlation condition 'field' must be a string") }
                    field = f
                    continue
                }
                guard let op = CorrelationRule.Condition.Operator(rawValue: member.key) else {
                    throw RuleProblem(.invalidField, "correlation condition operator '\(member.key)' is not one of gt, gte, lt, lte, eq, neq")
                }
                guard let n = member.value.doubleValue else {
                    throw RuleProblem(.invalidField, "correlation condition '\(member.key)' needs a number")
                }
                bounds.append(.init(op: op, value: n))
            }
        case nil, .null?:
            guard kind == .temporal || kind == .temporalOrdered else { throw RuleProblem(.invalidField, "correlation needs 'condition'") }
        case .string?:
            throw RuleProblem(.unsupported, "extended (string) correlation conditions are not supported")
        default:
            throw RuleProblem(.invalidField, "correlation 'condition' must be a mapping")
        }
        if bounds.isEmpty {
            guard kind == .temporal || kind == .temporalOrdered else { throw RuleProblem(.invalidField, "correlation condition has no bound") }
            bounds = [.init(op: .gte, value: Double(references.count))]
        }
        if kind == .valueCount, field == nil { throw RuleProblem(.invalidField, "value_count needs condition 'field'") }
        if kind != .valueCount, field != nil { throw RuleProblem(.invalidField, "condition 'field' applies to value_count only") }
        var aliases: [String: [String: String]] = [:]
        if let aliasValue = object["aliases"], !aliasValue.isNull {
            guard case .object(let aliasObject) = aliasValue else { throw RuleProblem(.invalidField, "correlation 'aliases' must be a mapping") }
            for alias in aliasObject.members {
                guard case .object(let mapping) = alias.value else {
                    throw RuleProblem(.invalidField, "alias '\(alias.key)' must map rules to fields")
                }
                var byRule: [String: String] = [:]
                for entry in mapping.members {
                    guard let f = entry.value.stringValue else {
                        throw RuleProblem(.invalidField, "alias '\(alias.key)' must map rules to field names")
                    }
                    guard references.contains(entry.key) else {
                        throw RuleProblem(.unresolvedReference, "alias '\(alias.key)' names '\(entry.key)', which is not in 'rules'")
                    }
                    byRule[entry.key] = f
                }
                aliases[alias.key] = byRule
            }
        }
        var generate = false
        if let g = object["generate"], !g.isNull {
            guard let b = g.boolValue else { throw RuleProblem(.invalidField, "correlation 'generate' must be a boolean") }
            generate = b
        }
        if let extra = object.keys.first(where: { !["type", "rules", "group-by", "timespan", "condition", "aliases", "generate"].contains($0) }) {
            throw RuleProblem(.unsupported, "correlation field '\(extra)' is not supported")
        }
        return CorrelationRule(metadata: metadata, kind: kind, ruleReferences: references, groupBy: groupBy, timespan: timespan,
            condition: .init(boundList: bounds, field: field), aliases: aliases, generate: generate)
    }

    /// Resolves references and builds the set; rules with unresolved references are dropped with an error.
    mutating func finish() -> (RuleSet, [RuleLoadError]) {
        func key(_ m: SigmaRuleMetadata) -> [String] { [m.id, m.name].compactMap { $0 } }
        var ruleByRef: [String: Int] = [:]
        for (i, rule) in rules.enumerated() { for k in key(rule.metadata) { ruleByRef[k] = ruleByRef[k] ?? i } }
        func error(_ m: SigmaRuleMetadata, _ code: RuleLoadError.Code, _ message: String) -> RuleLoadError {
            RuleLoadError(code: code, file: m.file, ruleID: m.reportedID, message: message)
        }

        for filter in filters {
            var targets: [Int] = []
            if filter.ruleReferences.isEmpty {
                targets = rules.indices.filter { filter.metadata.logSource.accepts(rules[$0].metadata.logSource) }
            } else {
                for reference in filter.ruleReferences {
                    if let i = ruleByRef[reference] { targets.append(i) } else {
                        errors.append(error(filter.metadata, .unresolvedReference, "filter names rule '\(reference)', which is not loaded"))
                    }
                }
            }
            for i in targets { rules[i].apply(filter) }
        }

        // Correlations: drop those with unresolved references or cycles, repeatedly, until all remaining resolve.
        var active = Array(correlations.indices)
        var changed = true
        var reported = Set<Int>()
        while changed {
            changed = false
            var correlationByRef: [String: Int] = [:]
            for c in active { for k in key(correlations[c].metadata) { correlationByRef[k] = correlationByRef[k] ?? c } }
            for c in active {
                for reference in correlations[c].ruleReferences where ruleByRef[reference] == nil && correlationByRef[reference] == nil {
                    if reported.insert(c).inserted {
                        errors.append(error(correlations[c].metadata, .unresolvedReference, "correlation names '\(reference)', which is not loaded"))
                    }
                    active.removeAll { $0 == c }
                    changed = true
                    break
                }
                if changed { break }
            }
            if !changed {
                // Cycle check: depth-first over correlation → correlation references.
                var state: [Int: Int] = [:]
                func visit(_ c: Int) -> Bool {
                    if state[c] == 1 { return false }
                    if state[c] == 2 { return true }
                    state[c] = 1
                    for reference in correlations[c].ruleReferences where ruleByRef[reference] == nil {
                        if let next = correlationByRef[reference], !visit(next) { return false }
                    }
                    state[c] = 2
                    return true
                }
                if let cyclic = active.first(where: { !visit($0) }) {
                    errors.append(error(correlations[cyclic].metadata, .unresolvedReference, "correlation references form a cycle"))
                    active.removeAll { $0 == cyclic }
                    changed = true
                }
            }
        }
        let kept = active.map { correlations[$0] }
        var correlationByRef: [String: Int] = [:]
        for (i, c) in kept.enumerated() { for k in key(c.metadata) { correlationByRef[k] = correlationByRef[k] ?? i } }
        var ruleFeeds = [[RuleSet.CorrelationFeed]](repeating: [], count: rules.count)
        var correlationFeeds = [[RuleSet.CorrelationFeed]](repeating: [], count: kept.count)
        for (c, correlation) in kept.enumerated() {
            for (slot, reference) in correlation.ruleReferences.enumerated() {
                if let r = ruleByRef[reference] {
                    ruleFeeds[r].append(.init(correlation: c, slot: slot))
                } else if let other = correlationByRef[reference] {
                    correlationFeeds[other].append(.init(correlation: c, slot: slot))
                }
            }
        }
        for r in rules.indices where !ruleFeeds[r].isEmpty {
            rules[r].generatesHits = ruleFeeds[r].contains { kept[$0.correlation].generate }
        }
        let set = RuleSet(rules: rules, correlations: kept, filters: filters, ruleFeeds: ruleFeeds,
            correlationFeeds: correlationFeeds, index: RuleIndex(rules: rules))
        return (set, errors)
    }
}
