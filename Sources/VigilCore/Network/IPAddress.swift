/// An IPv4 or IPv6 address, parsed strictly from text.
///
/// Parsing rules (the same for ingest, enrichment and rules, so they all agree on what an address is):
/// - IPv4: exactly four dotted decimal parts of 1–3 digits, each 0–255, no signs, no white space, and no leading
///   zeros unless asked for (``LeadingZeros``).
/// - IPv6: RFC 4291 text: eight groups of 1–4 hex digits, at most one `::`, optionally ending in an embedded
///   dotted IPv4 address (`::ffff:192.0.2.1`). Zone ids (`fe80::1%eth0`) and brackets are rejected: a zone only
///   means something on the host that wrote it.
///
/// ``description`` is the canonical text: dotted quad for IPv4, RFC 5952 for IPv6 (lower case, longest run of
/// two or more zero groups shortened to `::`, the first run on a tie, IPv4-mapped addresses as `::ffff:a.b.c.d`).
/// Equality is by family and bits: `10.0.0.1` and `::ffff:10.0.0.1` are different values; use ``unmapped`` to
/// compare them as the same host.
public struct IPAddress: Sendable, Hashable, Comparable, CustomStringConvertible, LosslessStringConvertible {
    /// The address family.
    public enum Family: Sendable, Hashable, Comparable {
        case v4
        case v6

        /// The number of bits in an address of the family (32 or 128).
        public var bitWidth: Int { self == .v4 ? 32 : 128 }
    }

    public let family: Family
    /// The address bits, right-aligned: an IPv4 address uses only the low 32 bits.
    public let bits: UInt128

    /// An IPv4 address from its 32 bits (`0x0A000001` is `10.0.0.1`).
    public init(v4 bits: UInt32) {
        self.family = .v4
        self.bits = UInt128(bits)
    }

    /// An IPv6 address from its 128 bits.
    public init(v6 bits: UInt128) {
        self.family = .v6
        self.bits = bits
    }

    /// How to read an IPv4 part with leading zeros (`010`).
    public enum LeadingZeros: Sendable, Hashable {
        /// Refuse it (default): `inet_aton` reads `010` as octal 8, others as decimal 10, and a parser that
        /// disagrees with its consumer is an access-control bug (CVE-2021-29923).
        case reject
        /// Read it as decimal, as log anonymisers and fixed-width formats mean it (`010.001.000.007` is
        /// `10.1.0.7`). For data that is canonicalised once and used in canonical form afterwards.
        case decimal
    }

    /// Parses an IPv4 or IPv6 address; nil when `text` is not exactly one address.
    ///
    /// - Parameter leadingZeros: whether IPv4 parts (also embedded in IPv6) may have leading zeros.
    public init?(_ text: some StringProtocol, leadingZeros: LeadingZeros = .reject) {
        let utf8 = Array(text.utf8)
        if utf8.contains(UInt8(ascii: ":")) {
            guard let bits = IPAddress.parseV6(utf8[...], leadingZeros: leadingZeros) else { return nil }
            self.init(v6: bits)
        } else {
            guard let bits = IPAddress.parseV4(utf8[...], leadingZeros: leadingZeros) else { return nil }
            self.init(v4: bits)
        }
    }

    /// Parses an address strictly (no leading zeros); the ``LosslessStringConvertible`` initializer.
    public init?(_ description: String) {
        self.init(description, leadingZeros: .reject)
    }

    /// The address as network-order bytes (4 or 16).
    public var bytes: [UInt8] {
        let count = family == .v4 ? 4 : 16
        return (0..<count).map { UInt8(truncatingIfNeeded: bits >> UInt128(8 * (count - 1 - $0))) }
    }

    /// True for an IPv6 address in `::ffff:0:0/96`, which stands for an IPv4 host on a dual-stack socket.
    public var isIPv4Mapped: Bool { family == .v6 && bits >> 32 == 0xFFFF }

    /// The IPv4 address an IPv4-mapped IPv6 address stands for; any other address unchanged.
    public var unmapped: IPAddress { isIPv4Mapped ? IPAddress(v4: UInt32(truncatingIfNeeded: bits)) : self }

    /// The IPv4-mapped IPv6 form of an IPv4 address (`::ffff:a.b.c.d`); an IPv6 address unchanged.
    public var v4Mapped: IPAddress { family == .v4 ? IPAddress(v6: 0xFFFF << 32 | bits) : self }

    /// IPv4 sorts before IPv6, then by numeric value.
    public static func < (lhs: IPAddress, rhs: IPAddress) -> Bool {
        (lhs.family, lhs.bits) < (rhs.family, rhs.bits)
    }

    public var description: String {
        switch family {
        case .v4: IPAddress.formatV4(UInt32(truncatingIfNeeded: bits))
        case .v6: IPAddress.formatV6(bits)
        }
    }
}

extension IPAddress {
    /// Parses a strict dotted quad.
    static func parseV4(_ text: ArraySlice<UInt8>, leadingZeros: LeadingZeros) -> UInt32? {
        var result: UInt32 = 0
        var parts = 0
        var index = text.startIndex
        while true {
            let start = index
            var value: UInt32 = 0
            while index < text.endIndex, text[index] >= 0x30, text[index] <= 0x39 {
                value = value * 10 + UInt32(text[index] - 0x30)
                index += 1
                if index - start > 3 { return nil }
            }
            let length = index - start
            guard length > 0, value <= 255, length == 1 || text[start] != 0x30 || leadingZeros == .decimal else { return nil }
            result = result << 8 | value
            parts += 1
            if parts == 4 { return index == text.endIndex ? result : nil }
            guard index < text.endIndex, text[index] == UInt8(ascii: ".") else { return nil }
            index += 1
        }
    }

    /// Parses RFC 4291 IPv6 text (no zone, no brackets).
    static func parseV6(_ text: ArraySlice<UInt8>, leadingZeros: LeadingZeros) -> UInt128? {
        var head: [UInt16] = []
        var tail: [UInt16] = []
        var sawGap = false
        var index = text.startIndex
        if text.starts(with: [0x3A, 0x3A]) {
            sawGap = true
            index += 2
            if index == text.endIndex { return 0 }
        } else if text.first == 0x3A {
            return nil
        }
        while index < text.endIndex {
            // An embedded IPv4 address may end the text.
            let rest = text[index...]
            if !rest.contains(UInt8(ascii: ":")), rest.contains(UInt8(ascii: ".")) {
                guard let v4 = parseV4(rest, leadingZeros: leadingZeros) else { return nil }
                let groups = [UInt16(v4 >> 16), UInt16(truncatingIfNeeded: v4)]
                if sawGap { tail += groups } else { head += groups }
                index = text.endIndex
                break
            }
            var value: UInt16 = 0
            let start = index
            while index < text.endIndex, let digit = hexDigit(text[index]) {
                guard index - start < 4 else { return nil }
                value = value << 4 | UInt16(digit)
                index += 1
            }
            guard index > start else { return nil }
            if sawGap { tail.append(value) } else { head.append(value) }
            if index == text.endIndex { break }
            guard text[index] == 0x3A else { return nil }
            index += 1
            if index < text.endIndex, text[index] == 0x3A {
                guard !sawGap else { return nil }
                sawGap = true
                index += 1
            } else if index == text.endIndex {
                return nil  // a single trailing colon
            }
        }
        let count = head.count + tail.count
        guard sawGap ? count <= 7 : count == 8 else { return nil }
        let groups = head + Array(repeating: 0, count: 8 - count) + tail
        return groups.reduce(UInt128(0)) { $0 << 16 | UInt128($1) }
    }

    static func hexDigit(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }

    static func formatV4(_ bits: UInt32) -> String {
        "\(bits >> 24).\(bits >> 16 & 0xFF).\(bits >> 8 & 0xFF).\(bits & 0xFF)"
    }

    static func formatV6(_ bits: UInt128) -> String {
        if bits >> 32 == 0xFFFF { return "::ffff:" + formatV4(UInt32(truncatingIfNeeded: bits)) }
        let groups = (0..<8).map { UInt16(truncatingIfNeeded: bits >> UInt128(16 * (7 - $0))) }
        // The longest run of two or more zero groups (the first on a tie) becomes "::".
        var best: Range<Int>? = nil
        var runStart: Int? = nil
        for i in 0...8 {
            if i < 8, groups[i] == 0 {
                if runStart == nil { runStart = i }
            } else if let start = runStart {
                if i - start >= 2, i - start > (best?.count ?? 0) { best = start..<i }
                runStart = nil
            }
        }
        let hex = groups.map { String($0, radix: 16) }
        guard let gap = best else { return hex.joined(separator: ":") }
        return hex[..<gap.lowerBound].joined(separator: ":") + "::" + hex[gap.upperBound...].joined(separator: ":")
    }
}
