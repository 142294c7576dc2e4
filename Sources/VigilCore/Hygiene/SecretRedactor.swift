/// Replaces secrets in untrusted text with stable placeholders such as `[REDACTED:aws_access_key_id:1]`.
///
/// Stable: within one redactor (one alert's triage), the same secret always gets the same placeholder, and
/// different secrets of one kind get different numbers, so a model can still tell "the same key was used twice".
/// The redactor keeps the secrets it has seen only in memory, to number them; nothing it reports (``Redaction``,
/// `description`) contains a secret.
///
/// Recognised, by shape: AWS access key ids (`AKIA…`, `ASIA…`), AWS session tokens (the STS prefixes), PEM private
/// key blocks, passwords in URLs (`scheme://user:password@host`), `Authorization: Bearer|Basic …`, API keys
/// (`sk-…`, `sk_live_…`, `AIza…`, `glpat-…`, `npm_…`), GitHub tokens (`ghp_…`, `github_pat_…`), Slack tokens
/// (`xox?-…`), JWTs. By context: a 40-character AWS secret key near the word "secret", long base64 near "session"
/// or "token", and `name=value` / `name: value` / `--name value` pairs whose name says password, secret, token or
/// key. By field name: the whole value of a JSON member named like a secret (see ``isSecretFieldName(_:)``).
public struct SecretRedactor: Sendable {
    private var placeholders: [String: String] = [:]
    private var counters: [SecretKind: Int] = [:]

    public init() {}

    /// How many distinct secrets were redacted, by kind.
    public var counts: [SecretKind: Int] { counters }

    /// The placeholder for `secret` of `kind`: the same one every time for the same secret.
    public mutating func placeholder(for secret: String, kind: SecretKind) -> String {
        if let existing = placeholders[secret] { return existing }
        let number = (counters[kind] ?? 0) + 1
        counters[kind] = number
        let placeholder = "[REDACTED:\(kind.rawValue):\(number)]"
        placeholders[secret] = placeholder
        return placeholder
    }

    /// Redacts every secret found in `text`; returns the new text and the kinds replaced (one entry per match).
    public mutating func redact(_ text: String) -> (text: String, kinds: [SecretKind]) {
        let bytes = Array(text.utf8)
        guard bytes.count >= 8 else { return (text, []) }
        let matches = SecretScanner(bytes: bytes).scan()
        guard !matches.isEmpty else { return (text, []) }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var kinds: [SecretKind] = []
        var cursor = 0
        for match in matches {
            out.append(contentsOf: bytes[cursor..<match.range.lowerBound])
            let secret = String(decoding: bytes[match.range], as: UTF8.self)
            out.append(contentsOf: placeholder(for: secret, kind: match.kind).utf8)
            kinds.append(match.kind)
            cursor = match.range.upperBound
        }
        out.append(contentsOf: bytes[cursor...])
        return (String(decoding: out, as: UTF8.self), kinds)
    }

    /// Redacts the whole of `value`, the value of a field whose name says it is secret.
    ///
    /// Empty values, AWS's own `HIDDEN_DUE_TO_SECURITY_REASONS` and existing placeholders are left as they are.
    public mutating func redactWhole(_ value: String, fieldName: String) -> String? {
        guard !value.isEmpty, value != "HIDDEN_DUE_TO_SECURITY_REASONS", !Self.isPlaceholder(value) else { return nil }
        return placeholder(for: value, kind: Self.kind(forFieldName: fieldName))
    }

    /// Whether `text` is exactly one redaction placeholder.
    public static func isPlaceholder(_ text: String) -> Bool {
        text.hasPrefix("[REDACTED:") && text.hasSuffix("]") && !text.dropFirst(10).contains("[")
    }

    /// Whether a JSON member named `name` holds a secret.
    ///
    /// Compares the name lower-cased without `_`, `-`, `.` and spaces: it is secret when it ends in `password`,
    /// `passwd`, `passphrase`, `secret`, `secretkey`, `secretaccesskey`, `privatekey`, `apikey`, `token` (except
    /// pagination and idempotency tokens such as `nextToken`, `clientToken`), `credential(s)` when scalar,
    /// or is `pwd`, `authorization`, `cookie`, `setcookie`, `secretstring`, `secretbinary`.
    public static func isSecretFieldName(_ name: String) -> Bool {
        let key = normalizedFieldName(name)
        if exactSecretNames.contains(key) { return true }
        if notSecretNames.contains(key) { return false }
        return secretNameSuffixes.contains { key.hasSuffix($0) }
    }

    static func kind(forFieldName name: String) -> SecretKind {
        let key = normalizedFieldName(name)
        if key.hasSuffix("secretaccesskey") { return .awsSecretAccessKey }
        if key.hasSuffix("sessiontoken") { return .awsSessionToken }
        if key.contains("pass") || key == "pwd" { return .password }
        if key == "authorization" { return .bearerToken }
        if key.hasSuffix("apikey") { return .apiKey }
        if key.hasSuffix("privatekey") { return .privateKey }
        return .secret
    }

    static func normalizedFieldName(_ name: String) -> String {
        String(String.UnicodeScalarView(name.lowercased().unicodeScalars.filter { !"_-. ".unicodeScalars.contains($0) }))
    }

    static let exactSecretNames: Set<String> = ["pwd", "authorization", "cookie", "setcookie", "secretstring", "secretbinary", "credentials"]
    static let notSecretNames: Set<String> = [
        "nexttoken", "paginationtoken", "continuationtoken", "clienttoken", "idempotencytoken", "startingtoken",
        "marker", "tokentype", "maxtoken", "maxtokens", "tokencount", "nextcontinuationtoken", "clientrequesttoken",
    ]
    static let secretNameSuffixes = [
        "password", "passwd", "passphrase", "secret", "secretkey", "secretaccesskey", "privatekey", "apikey", "token",
    ]
}

/// One secret found in text: its byte range and kind.
struct SecretMatch {
    var range: Range<Int>
    var kind: SecretKind
}

/// Finds secrets in UTF-8 bytes. Secrets are ASCII, so byte scanning is exact.
struct SecretScanner {
    let bytes: [UInt8]

    /// Matches, sorted and non-overlapping (an earlier start wins; at the same start the longer one).
    ///
    /// One pass over the bytes: each detector is tried only where its first byte occurs.
    func scan() -> [SecretMatch] {
        var found: [SecretMatch] = []
        for i in bytes.indices {
            let b = bytes[i]
            switch b {
            case 0x2D where matches("-----BEGIN ", at: i): scanPEM(at: i, into: &found)
            case 0x3A where matches("://", at: i): scanURLPassword(at: i, into: &found)
            default: break
            }
            if let candidates = Self.prefixIndex[b] {
                for index in candidates where matches(Self.prefixedTokens[index].0, at: i) { scanPrefixedToken(index, at: i, into: &found) }
            }
            if b == 0x65, matches("eyJ", at: i) { scanJWT(at: i, into: &found) }
            let lowered = Self.lower(b)
            if let names = Self.namesByFirstByte[lowered] {
                for name in names where matches(name, at: i, caseInsensitive: true) {
                    if let kind = Self.authorizationSchemes[name] {
                        scanAuthorization(name, kind: kind, at: i, into: &found)
                    } else {
                        scanNamedValue(name, at: i, into: &found)
                    }
                }
            }
        }
        scanBase64Runs(into: &found)
        guard found.count > 1 else { return found }
        found.sort { $0.range.lowerBound != $1.range.lowerBound ? $0.range.lowerBound < $1.range.lowerBound : $0.range.count > $1.range.count }
        var result: [SecretMatch] = []
        for match in found {
            if let last = result.last, match.range.lowerBound < last.range.upperBound {
                if match.range.upperBound > last.range.upperBound {
                    result[result.count - 1].range = last.range.lowerBound..<match.range.upperBound
                }
                continue
            }
            result.append(match)
        }
        return result
    }

    static let authorizationSchemes: [String: SecretKind] = ["bearer ": .bearerToken, "basic ": .basicCredentials, "token ": .bearerToken]

    /// Secret names and authorization schemes by their lower-cased first byte.
    static let namesByFirstByte: [UInt8: [String]] = {
        var index: [UInt8: [String]] = [:]
        for name in secretNames + authorizationSchemes.keys.sorted() { index[name.utf8.first!, default: []].append(name) }
        return index
    }()

    /// Indexes into ``prefixedTokens`` by first byte.
    static let prefixIndex: [UInt8: [Int]] = {
        var index: [UInt8: [Int]] = [:]
        for (i, entry) in prefixedTokens.enumerated() { index[entry.0.utf8.first!, default: []].append(i) }
        return index
    }()

    // MARK: byte classes

    @inline(__always) static func isAlnum(_ b: UInt8) -> Bool { isUpper(b) || isLower(b) || isDigit(b) }
    @inline(__always) static func isUpper(_ b: UInt8) -> Bool { b >= 0x41 && b <= 0x5A }
    @inline(__always) static func isLower(_ b: UInt8) -> Bool { b >= 0x61 && b <= 0x7A }
    @inline(__always) static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
    @inline(__always) static func isBase64(_ b: UInt8) -> Bool { isAlnum(b) || b == 0x2B || b == 0x2F }
    /// Characters of URL-safe tokens: alphanumerics, `_` and `-`.
    @inline(__always) static func isTokenChar(_ b: UInt8) -> Bool { isAlnum(b) || b == 0x5F || b == 0x2D }
    @inline(__always) static func lower(_ b: UInt8) -> UInt8 { isUpper(b) ? b | 0x20 : b }

    /// Whether `literal` occurs at `index`, ASCII case-insensitively when `caseInsensitive`.
    func matches(_ literal: String, at index: Int, caseInsensitive: Bool = false) -> Bool {
        var i = index
        for c in literal.utf8 {
            guard i < bytes.count else { return false }
            if caseInsensitive ? Self.lower(bytes[i]) != Self.lower(c) : bytes[i] != c { return false }
            i += 1
        }
        return true
    }

    /// The end of the run starting at `start` of bytes satisfying `predicate`.
    func runEnd(from start: Int, while predicate: (UInt8) -> Bool) -> Int {
        var i = start
        while i < bytes.count, predicate(bytes[i]) { i += 1 }
        return i
    }

    func hasContext(_ words: [String], before index: Int, within distance: Int) -> Bool {
        let start = max(0, index - distance)
        guard start < index else { return false }
        let window = String(decoding: bytes[start..<index], as: UTF8.self).lowercased()
        return words.contains { window.contains($0) }
    }

    // MARK: detectors

    func scanPEM(at start: Int, into found: inout [SecretMatch]) {
        guard let headerEnd = firstIndex(of: "-----", from: start + 11) else { return }
        let header = String(decoding: bytes[start..<headerEnd], as: UTF8.self)
        guard header.hasSuffix("PRIVATE KEY") || header.contains("PRIVATE KEY BLOCK") else { return }
        var end = bytes.count
        if let footer = firstIndex(of: "-----END ", from: headerEnd + 5),
            let footerEnd = firstIndex(of: "-----", from: footer + 9)
        {
            end = footerEnd + 5
        }
        found.append(SecretMatch(range: start..<end, kind: .privateKey))
    }

    func firstIndex(of literal: String, from: Int) -> Int? {
        guard from < bytes.count else { return nil }
        var i = from
        let count = literal.utf8.count
        while i + count <= bytes.count {
            if matches(literal, at: i) { return i }
            i += 1
        }
        return nil
    }

    func scanURLPassword(at separator: Int, into found: inout [SecretMatch]) {
        var i = separator + 3
        var colon: Int?
        while i < bytes.count {
            let b = bytes[i]
            if b == 0x40 /* @ */ { break }
            // `?` and `#` do not end the user info here: unescaped, they occur in real passwords in connection strings.
            if b == 0x2F || b == 0x20 || b == 0x22 || b == 0x27 || b == 0x0A || b == 0x3C || b == 0x3E {
                i = -1
                break
            }
            if b == 0x3A, colon == nil { colon = i }
            i += 1
        }
        guard i > 0, i < bytes.count, let colon, i > colon + 1 else { return }
        found.append(SecretMatch(range: (colon + 1)..<i, kind: .urlPassword))
    }

    func scanAuthorization(_ scheme: String, kind: SecretKind, at start: Int, into found: inout [SecretMatch]) {
        if start > 0, Self.isAlnum(bytes[start - 1]) { return }
        if scheme == "token ", !hasContext(["authorization"], before: start, within: 24) { return }
        var valueStart = start + scheme.utf8.count
        while valueStart < bytes.count, bytes[valueStart] == 0x20 { valueStart += 1 }
        let end = runEnd(from: valueStart) { Self.isTokenChar($0) || $0 == 0x2E || $0 == 0x2B || $0 == 0x2F || $0 == 0x3D || $0 == 0x7E }
        // A real credential has a digit or mixed case; "Bearer authentication failed" is not one.
        if end - valueStart >= 8, looksLikeCredential(valueStart..<end) { found.append(SecretMatch(range: valueStart..<end, kind: kind)) }
    }

    func looksLikeCredential(_ range: Range<Int>) -> Bool {
        var upper = false
        var lower = false
        var digit = false
        for b in bytes[range] {
            if Self.isUpper(b) { upper = true } else if Self.isLower(b) { lower = true } else if Self.isDigit(b) { digit = true }
        }
        return digit || (upper && lower)
    }

    /// Tokens recognised by a fixed prefix: (prefix, kind, minimum length after the prefix, allowed characters).
    static let prefixedTokens: [(String, SecretKind, Int, @Sendable (UInt8) -> Bool)] = [
        ("AKIA", .awsAccessKeyID, 16, { isUpper($0) || isDigit($0) }),
        ("ASIA", .awsAccessKeyID, 16, { isUpper($0) || isDigit($0) }),
        ("ghp_", .githubToken, 36, isAlnum), ("gho_", .githubToken, 36, isAlnum), ("ghu_", .githubToken, 36, isAlnum),
        ("ghs_", .githubToken, 36, isAlnum), ("ghr_", .githubToken, 36, isAlnum),
        ("github_pat_", .githubToken, 22, { isAlnum($0) || $0 == 0x5F }),
        ("xoxb-", .slackToken, 10, isTokenChar), ("xoxp-", .slackToken, 10, isTokenChar), ("xoxa-", .slackToken, 10, isTokenChar),
        ("xoxr-", .slackToken, 10, isTokenChar), ("xoxs-", .slackToken, 10, isTokenChar), ("xoxe-", .slackToken, 10, isTokenChar),
        ("xapp-", .slackToken, 10, isTokenChar),
        ("sk-", .apiKey, 20, isTokenChar), ("sk_live_", .apiKey, 16, isAlnum), ("sk_test_", .apiKey, 16, isAlnum),
        ("rk_live_", .apiKey, 16, isAlnum), ("AIza", .apiKey, 35, isTokenChar), ("glpat-", .apiKey, 20, isTokenChar),
        ("npm_", .apiKey, 36, isAlnum),
        ("IQoJb3JpZ2luX2Vj", .awsSessionToken, 60, isBase64OrPad), ("FwoGZXIvYXdz", .awsSessionToken, 60, isBase64OrPad),
        ("FQoGZXIvYXdz", .awsSessionToken, 60, isBase64OrPad), ("AgoJb3JpZ2luX2Vj", .awsSessionToken, 60, isBase64OrPad),
    ]

    @inline(__always) static func isBase64OrPad(_ b: UInt8) -> Bool { isBase64(b) || b == 0x3D }

    func scanPrefixedToken(_ index: Int, at start: Int, into found: inout [SecretMatch]) {
        let (prefix, kind, minimum, allowed) = Self.prefixedTokens[index]
        if start > 0, Self.isAlnum(bytes[start - 1]) { return }
        let bodyStart = start + prefix.utf8.count
        let end = runEnd(from: bodyStart, while: allowed)
        guard end - bodyStart >= minimum else { return }
        // An access key id is exactly 20 characters, not glued to more alphanumerics.
        if kind == .awsAccessKeyID, end - start != 20 { return }
        found.append(SecretMatch(range: start..<end, kind: kind))
    }

    /// JWT: three base64url parts, the first two JSON objects ("eyJ").
    func scanJWT(at start: Int, into found: inout [SecretMatch]) {
        if start > 0, Self.isTokenChar(bytes[start - 1]) { return }
        let first = runEnd(from: start, while: Self.isTokenChar)
        guard first - start >= 10, first < bytes.count, bytes[first] == 0x2E, matches("eyJ", at: first + 1) else { return }
        let second = runEnd(from: first + 1, while: Self.isTokenChar)
        guard second - first >= 10 else { return }
        var end = second
        if second < bytes.count, bytes[second] == 0x2E { end = runEnd(from: second + 1, while: Self.isTokenChar) }
        found.append(SecretMatch(range: start..<end, kind: .jwt))
    }

    /// Context-aware: 40-character AWS secret keys near "secret", long base64 near "session"/"token".
    func scanBase64Runs(into found: inout [SecretMatch]) {
        var i = 0
        while i < bytes.count {
            guard Self.isBase64(bytes[i]) else {
                i += 1
                continue
            }
            let start = i
            var end = runEnd(from: start, while: Self.isBase64)
            let coreEnd = end
            while end < bytes.count, bytes[end] == 0x3D { end += 1 }
            i = max(end, start + 1)
            let length = coreEnd - start
            if length == 40, looksRandom(start..<coreEnd),
                hasContext(["secret", "aws_secret", "secretaccesskey", "secret_key"], before: start, within: 64)
            {
                found.append(SecretMatch(range: start..<coreEnd, kind: .awsSecretAccessKey))
            } else if length >= 100, looksRandom(start..<coreEnd),
                hasContext(["session", "token", "security-token", "x-amz-security-token"], before: start, within: 64)
            {
                found.append(SecretMatch(range: start..<end, kind: .awsSessionToken))
            }
        }
    }

    /// Mixed case and at least one digit or `+`/`/`: how random keys look, unlike words or hex digests.
    func looksRandom(_ range: Range<Int>) -> Bool {
        var upper = false
        var lower = false
        var other = false
        for b in bytes[range] {
            if Self.isUpper(b) { upper = true } else if Self.isLower(b) { lower = true } else { other = true }
        }
        return upper && lower && other
    }

    static let secretNames = [
        "password", "passwd", "passphrase", "pwd", "secret", "token", "api_key", "apikey", "api-key", "access_key",
        "private_key", "auth_key", "client_secret",
    ]

    /// `name=value`, `name: value`, `"name": "value"`, `--name value` where the name ends in a secret-ish word.
    func scanNamedValue(_ name: String, at start: Int, into found: inout [SecretMatch]) {
        var i = start + name.utf8.count
        // The name must end here (`password_hint=` is not a password).
        if i < bytes.count, Self.isAlnum(bytes[i]) || bytes[i] == 0x5F { return }
        // `…:secret:name` is an ARN segment, not a name/value pair.
        if start > 0, bytes[start - 1] == 0x3A || bytes[start - 1] == 0x2F { return }
        let isFlag = start >= 2 && bytes[start - 1] == 0x2D && bytes[start - 2] == 0x2D
        if i < bytes.count, bytes[i] == 0x22 || bytes[i] == 0x27 { i += 1 }
        while i < bytes.count, bytes[i] == 0x20 { i += 1 }
        guard i < bytes.count else { return }
        if bytes[i] == 0x3D || bytes[i] == 0x3A {
            if bytes[i] == 0x3D, i + 1 < bytes.count, bytes[i + 1] == 0x3D { return }
            i += 1
        } else if !isFlag || i == start + name.utf8.count {
            return
        }
        while i < bytes.count, bytes[i] == 0x20 { i += 1 }
        var quote: UInt8?
        if i < bytes.count, bytes[i] == 0x22 || bytes[i] == 0x27 {
            quote = bytes[i]
            i += 1
        }
        let valueStart = i
        let end = runEnd(from: valueStart) { b in
            if let quote { return b != quote && b != 0x0A }
            return b > 0x20 && b != 0x26 && b != 0x2C && b != 0x3B && b != 0x22 && b != 0x27 && b != 0x7D && b != 0x5D
        }
        guard end > valueStart else { return }
        let value = String(decoding: bytes[valueStart..<end], as: UTF8.self)
        if value.hasPrefix("[REDACTED:") || ["null", "true", "false", "none", "undefined", "HIDDEN_DUE_TO_SECURITY_REASONS"].contains(value) {
            return
        }
        let kind: SecretKind = name.hasPrefix("pass") || name == "pwd" ? .password : (name.contains("key") ? .apiKey : .secret)
        found.append(SecretMatch(range: valueStart..<end, kind: kind))
    }
}
