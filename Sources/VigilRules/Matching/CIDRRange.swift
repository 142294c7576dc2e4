/// An IPv4 or IPv6 network (`10.0.0.0/8`, `2001:db8::/32`) for the `cidr` modifier.
public struct CIDRRange: Sendable, Hashable {
    /// The address as 16 bytes (IPv4 addresses are kept as 4 bytes followed by zeros).
    let network: [UInt8]
    let prefixLength: Int
    let isIPv6: Bool

    /// Parses `address/length`; a bare address is a single host.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let (bytes, v6) = Self.parseAddress(String(parts[0])) else { return nil }
        let maxLength = v6 ? 128 : 32
        var length = maxLength
        if parts.count == 2 {
            guard let n = Int(parts[1]), (0...maxLength).contains(n) else { return nil }
            length = n
        }
        self.isIPv6 = v6
        self.prefixLength = length
        self.network = Self.mask(bytes, length)
    }

    /// True when `address` is an address inside the network (of the same family).
    public func contains(_ address: String) -> Bool {
        guard let (bytes, v6) = Self.parseAddress(address), v6 == isIPv6 else { return false }
        return Self.mask(bytes, prefixLength) == network
    }

    private static func mask(_ bytes: [UInt8], _ length: Int) -> [UInt8] {
        var out = bytes
        for i in 0..<out.count {
            let bits = max(0, min(8, length - i * 8))
            out[i] &= bits == 0 ? 0 : UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
        }
        return out
    }

    /// Parses a dotted-quad IPv4 or an IPv6 address (with `::` and an optional embedded IPv4 tail).
    static func parseAddress(_ text: String) -> ([UInt8], Bool)? {
        if !text.contains(":") {
            guard let v4 = parseIPv4(Substring(text)) else { return nil }
            return (v4 + [UInt8](repeating: 0, count: 12), false)
        }
        var text = Substring(text)
        if let percent = text.firstIndex(of: "%") { text = text[..<percent] }
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        func groups(_ part: String) -> [UInt8]? {
            if part.isEmpty { return [] }
            var out: [UInt8] = []
            let fields = part.split(separator: ":", omittingEmptySubsequences: false)
            for (i, field) in fields.enumerated() {
                if i == fields.count - 1, field.contains(".") {
                    guard let v4 = parseIPv4(field) else { return nil }
                    out += v4
                } else {
                    guard (1...4).contains(field.count), let g = UInt16(field, radix: 16) else { return nil }
                    out += [UInt8(g >> 8), UInt8(g & 0xFF)]
                }
            }
            return out
        }
        guard let head = groups(halves[0]) else { return nil }
        if halves.count == 1 { return head.count == 16 ? (head, true) : nil }
        guard let tail = groups(halves[1]), head.count + tail.count <= 14 else { return nil }
        return (head + [UInt8](repeating: 0, count: 16 - head.count - tail.count) + tail, true)
    }

    private static func parseIPv4(_ text: Substring) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var out: [UInt8] = []
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy(\.isASCII), let n = UInt8(part) else { return nil }
            out.append(n)
        }
        return out
    }
}

extension StringProtocol {
    fileprivate func components(separatedBy separator: String) -> [String] {
        var out: [String] = []
        var rest = Substring(self)
        while let range = rest.firstRange(of: separator) {
            out.append(String(rest[..<range.lowerBound]))
            rest = rest[range.upperBound...]
        }
        out.append(String(rest))
        return out
    }
}
