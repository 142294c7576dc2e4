/// Parses Sigma condition strings.
///
/// Grammar, loosest first: `or` < `and` < `not` < parentheses, `1 of X`, `all of X`, identifiers.
/// Keywords are case-insensitive; identifiers are case-sensitive and may hold `*` in `of` patterns.
struct ConditionParser {
    private var tokens: [Substring]
    private var position = 0
    private let source: String

    /// Parses `text`.
    /// - Throws: ``RuleProblem`` (`.invalidCondition`) naming the unexpected token.
    static func parse(_ text: String) throws(RuleProblem) -> ConditionExpression {
        var parser = ConditionParser(text)
        guard !parser.tokens.isEmpty else { throw RuleProblem(.invalidCondition, "empty condition") }
        let expression = try parser.parseOr()
        if parser.position < parser.tokens.count {
            throw RuleProblem(.invalidCondition, "unexpected '\(parser.tokens[parser.position])' in '\(text)'")
        }
        return expression
    }

    private init(_ text: String) {
        source = text
        var tokens: [Substring] = []
        var index = text.startIndex
        while index < text.endIndex {
            let c = text[index]
            if c.isWhitespace {
                index = text.index(after: index)
            } else if c == "(" || c == ")" {
                tokens.append(text[index...index])
                index = text.index(after: index)
            } else {
                var end = index
                while end < text.endIndex, !text[end].isWhitespace, text[end] != "(", text[end] != ")" { end = text.index(after: end) }
                tokens.append(text[index..<end])
                index = end
            }
        }
        self.tokens = tokens
    }

    private func peekKeyword() -> String? { position < tokens.count ? tokens[position].lowercased() : nil }

    private mutating func parseOr() throws(RuleProblem) -> ConditionExpression {
        var items = [try parseAnd()]
        while peekKeyword() == "or" {
            position += 1
            items.append(try parseAnd())
        }
        return items.count == 1 ? items[0] : .or(items)
    }

    private mutating func parseAnd() throws(RuleProblem) -> ConditionExpression {
        var items = [try parseNot()]
        while peekKeyword() == "and" {
            position += 1
            items.append(try parseNot())
        }
        return items.count == 1 ? items[0] : .and(items)
    }

    private mutating func parseNot() throws(RuleProblem) -> ConditionExpression {
        if peekKeyword() == "not" {
            position += 1
            return .not(try parseNot())
        }
        return try parsePrimary()
    }

    private mutating func parsePrimary() throws(RuleProblem) -> ConditionExpression {
        guard position < tokens.count else { throw RuleProblem(.invalidCondition, "condition ends early: '\(source)'") }
        let token = tokens[position]
        let keyword = token.lowercased()
        position += 1
        switch keyword {
        case "(":
            let inner = try parseOr()
            guard position < tokens.count, tokens[position] == ")" else {
                throw RuleProblem(.invalidCondition, "missing ')' in '\(source)'")
            }
            position += 1
            return inner
        case ")", "and", "or", "of", "|":
            throw RuleProblem(.invalidCondition, "unexpected '\(token)' in '\(source)'")
        case "1", "all":
            guard peekKeyword() == "of" else {
                throw RuleProblem(.invalidCondition, "expected 'of' after '\(token)' in '\(source)'")
            }
            position += 1
            guard position < tokens.count, tokens[position] != "(", tokens[position] != ")" else {
                throw RuleProblem(.invalidCondition, "expected a name pattern or 'them' after 'of' in '\(source)'")
            }
            let target = tokens[position]
            position += 1
            let pattern = target.lowercased() == "them" ? nil : String(target)
            return keyword == "all" ? .allOf(pattern: pattern) : .oneOf(pattern: pattern)
        default:
            if position < tokens.count, tokens[position].lowercased() == "of" {
                throw RuleProblem(.invalidCondition, "only '1 of' and 'all of' are supported, not '\(token) of', in '\(source)'")
            }
            if token.contains("|") {
                throw RuleProblem(.unsupported, "aggregation conditions ('|') are Sigma v1; use a correlation rule")
            }
            return .identifier(String(token))
        }
    }
}
