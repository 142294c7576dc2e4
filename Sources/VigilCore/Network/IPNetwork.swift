/// A block of addresses in CIDR notation (`10.0.0.0/8`, `2001:db8::/32`).
///
/// The stored ``address`` is always the network address: host bits given in the text are cleared
/// (`10.1.2.3/8` is `10.0.0.0/8`), as rule and allow-list authors mean. A bare address is a network of one
/// (`/32` or `/128`).
///
/// ``contains(_:)-(IPAddress)`` treats an IPv4-mapped IPv6 address and its IPv4 address as the same host, in both
/// directions: `10.0.0.0/8` contains `::ffff:10.1.2.3`, and `::ffff:0:0/96` contains `10.1.2.3`.
public struct IPNetwork: Sendable, Hashable, CustomStringConvertible, LosslessStringConvertible {
    /// The first address of the block.
    public let address: IPAddress
    /// The number of leading bits that are fixed (0–32 for IPv4, 0–128 for IPv6).
    public let prefixLength: Int

    /// A block from an address and a prefix length; host bits of `address` are cleared.
    ///
    /// Returns nil when `prefixLength` is outside 0…32 (IPv4) or 0…128 (IPv6).
    public init?(address: IPAddress, prefixLength: Int) {
        guard prefixLength >= 0, prefixLength <= address.family.bitWidth else { return nil }
        let mask = IPNetwork.mask(prefixLength: prefixLength, family: address.family)
        let bits = address.bits & mask
        self.address = address.family == .v4 ? IPAddress(v4: UInt32(truncatingIfNeeded: bits)) : IPAddress(v6: bits)
        self.prefixLength = prefixLength
    }

    /// Parses `ADDRESS/PREFIX` or a bare address; nil for anything else (a prefix with a sign, leading zeros,
    /// white space or out of range).
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(parts[0]) else { return nil }
        var prefix = address.family.bitWidth
        if parts.count == 2 {
            let digits = parts[1]
            guard !digits.isEmpty, digits.count <= 3, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber),
                digits.count == 1 || digits.first != "0", let value = Int(digits)
            else { return nil }
            prefix = value
        }
        self.init(address: address, prefixLength: prefix)
    }

    /// The bits that are fixed, as a mask over ``IPAddress/bits``.
    public var mask: UInt128 { IPNetwork.mask(prefixLength: prefixLength, family: address.family) }

    /// The last address of the block.
    public var lastAddress: IPAddress {
        let bits = address.bits | (~mask & IPNetwork.mask(prefixLength: address.family.bitWidth, family: address.family))
        return address.family == .v4 ? IPAddress(v4: UInt32(truncatingIfNeeded: bits)) : IPAddress(v6: bits)
    }

    /// Whether `candidate` lies in this block; IPv4-mapped IPv6 addresses count as their IPv4 address.
    public func contains(_ candidate: IPAddress) -> Bool {
        let comparable: IPAddress
        switch (address.family, candidate.family) {
        case (.v4, .v6):
            guard candidate.isIPv4Mapped else { return false }
            comparable = candidate.unmapped
        case (.v6, .v4):
            comparable = candidate.v4Mapped
        default:
            comparable = candidate
        }
        return comparable.bits & mask == address.bits
    }

    /// Whether every address of `other` lies in this block.
    public func contains(_ other: IPNetwork) -> Bool {
        if address.family == other.address.family {
            return other.prefixLength >= prefixLength && contains(other.address)
        }
        // Compare in the IPv6 space, where an IPv4 block is ::ffff:a.b.c.d/(96 + n).
        return widened.contains(other.widened)
    }

    /// The block in IPv6 space: an IPv4 block as its IPv4-mapped block; an IPv6 block unchanged.
    private var widened: IPNetwork {
        guard address.family == .v4, let network = IPNetwork(address: address.v4Mapped, prefixLength: prefixLength + 96) else {
            return self
        }
        return network
    }

    public var description: String { "\(address)/\(prefixLength)" }

    static func mask(prefixLength: Int, family: IPAddress.Family) -> UInt128 {
        let width = family.bitWidth
        guard prefixLength > 0 else { return 0 }
        let all: UInt128 = width == 128 ? ~0 : (UInt128(1) << UInt128(width)) - 1
        return all & ~((UInt128(1) << UInt128(width - prefixLength)) - 1)
    }
}

extension IPAddress {
    /// Private, loopback, link-local and other special-purpose blocks (RFC 6890 and successors) that are not
    /// reachable on the public internet; see ``isGlobal``.
    public static let specialPurposeNetworks: [IPNetwork] = [
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
        "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24",
        "224.0.0.0/4", "240.0.0.0/4",
        "::/128", "::1/128", "64:ff9b:1::/48", "100::/64", "2001:db8::/32", "fc00::/7", "fe80::/10", "ff00::/8",
    ].map { IPNetwork($0)! }

    /// The RFC 1918 and unique-local (`fc00::/7`) blocks: an organisation's own addresses.
    public static let privateNetworks: [IPNetwork] = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"].map {
        IPNetwork($0)!
    }

    /// True for RFC 1918 and unique-local addresses (IPv4-mapped ones included).
    public var isPrivate: Bool { IPAddress.privateNetworks.contains { $0.contains(self) } }

    /// True for `127.0.0.0/8` and `::1`.
    public var isLoopback: Bool { ["127.0.0.0/8", "::1/128"].contains { IPNetwork($0)!.contains(self) } }

    /// True for an address routable on the public internet: in none of ``specialPurposeNetworks``.
    public var isGlobal: Bool { !IPAddress.specialPurposeNetworks.contains { $0.contains(self) } }
}
