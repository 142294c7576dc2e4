import Testing

@testable import VigilCore

@Suite("IPNetwork")
struct IPNetworkTests {
    @Test(
        "parsing clears host bits and prints CIDR",
        arguments: [
            ("10.0.0.0/8", "10.0.0.0/8"), ("10.1.2.3/8", "10.0.0.0/8"), ("192.168.1.77/24", "192.168.1.0/24"),
            ("0.0.0.0/0", "0.0.0.0/0"), ("1.2.3.4", "1.2.3.4/32"), ("1.2.3.4/32", "1.2.3.4/32"),
            ("172.16.5.4/12", "172.16.0.0/12"), ("2001:db8::1/32", "2001:db8::/32"), ("::/0", "::/0"),
            ("fe80::1:2/64", "fe80::/64"), ("2001:db8::1", "2001:db8::1/128"), ("2001:db8::7/127", "2001:db8::6/127"),
        ])
    func parses(text: String, canonical: String) throws {
        let network = try #require(IPNetwork(text))
        #expect(network.description == canonical)
        #expect(IPNetwork(canonical) == network)
    }

    @Test(
        "invalid blocks are rejected",
        arguments: ["10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/", "10.0.0.0/08", "::/129", "10.0.0.0/8/8", "/8", "10.0.0/8",
            "10.0.0.0/+8", "10.0.0.0/ 8", "10.0.0.0/8 ", "10.0.0.0/٣"])
    func rejects(text: String) {
        #expect(IPNetwork(text) == nil)
    }

    @Test(
        "contains addresses",
        arguments: [
            ("10.0.0.0/8", "10.255.255.255", true), ("10.0.0.0/8", "11.0.0.0", false), ("10.0.0.0/8", "9.255.255.255", false),
            ("192.168.1.0/24", "192.168.1.0", true), ("192.168.1.0/24", "192.168.2.1", false),
            ("0.0.0.0/0", "203.0.113.9", true), ("0.0.0.0/0", "2001:db8::1", false), ("::/0", "2001:db8::1", true),
            ("1.2.3.4/32", "1.2.3.4", true), ("1.2.3.4/32", "1.2.3.5", false),
            ("2001:db8::/32", "2001:db8:ffff::1", true), ("2001:db8::/32", "2001:db9::", false),
            ("2001:db8::/32", "10.0.0.1", false),
            // IPv4-mapped IPv6 addresses are their IPv4 host, both ways.
            ("10.0.0.0/8", "::ffff:10.9.8.7", true), ("10.0.0.0/8", "::ffff:11.0.0.1", false),
            ("10.0.0.0/8", "::10.0.0.1", false), ("::ffff:0:0/96", "8.8.8.8", true),
            ("::ffff:10.0.0.0/104", "10.3.3.3", true), ("::ffff:10.0.0.0/104", "11.3.3.3", false),
            ("::/0", "1.1.1.1", true),
        ])
    func containsAddress(network: String, address: String, expected: Bool) throws {
        let block = try #require(IPNetwork(network))
        let host = try #require(IPAddress(address))
        #expect(block.contains(host) == expected)
    }

    @Test("contains networks")
    func containsNetwork() throws {
        func net(_ text: String) throws -> IPNetwork { try #require(IPNetwork(text)) }
        #expect(try net("10.0.0.0/8").contains(net("10.1.0.0/16")))
        #expect(try net("10.0.0.0/8").contains(net("10.0.0.0/8")))
        #expect(try !net("10.1.0.0/16").contains(net("10.0.0.0/8")))
        #expect(try !net("10.0.0.0/8").contains(net("11.0.0.0/16")))
        #expect(try net("::ffff:0:0/96").contains(net("192.168.0.0/16")))
        #expect(try net("::/0").contains(net("0.0.0.0/0")))
        #expect(try !net("10.0.0.0/8").contains(net("2001:db8::/32")))
        #expect(try net("10.0.0.0/8").contains(net("::ffff:10.1.0.0/112")))
    }

    @Test("last address and mask")
    func lastAddress() throws {
        #expect(IPNetwork("10.0.0.0/8")?.lastAddress.description == "10.255.255.255")
        #expect(IPNetwork("192.168.1.128/25")?.lastAddress.description == "192.168.1.255")
        #expect(IPNetwork("2001:db8::/32")?.lastAddress.description == "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff")
        #expect(IPNetwork("0.0.0.0/0")?.mask == 0)
        #expect(IPNetwork("1.2.3.4/32")?.mask == 0xFFFF_FFFF)
        #expect(IPNetwork("::/128")?.mask == ~0)
        #expect(IPNetwork(address: IPAddress(v4: 1), prefixLength: 33) == nil)
    }

    @Test("contains agrees with a brute-force prefix comparison")
    func bruteForce() {
        var rng = SplitMix64(seed: 7)
        for _ in 0..<2_000 {
            let a = UInt32(truncatingIfNeeded: rng.next())
            let b = rng.next() % 2 == 0 ? a ^ (1 << UInt32(rng.next() % 32)) : UInt32(truncatingIfNeeded: rng.next())
            let prefix = Int(rng.next() % 33)
            let network = IPNetwork(address: IPAddress(v4: a), prefixLength: prefix)!
            let sameTop = prefix == 0 || (a >> UInt32(32 - prefix)) == (b >> UInt32(32 - prefix))
            #expect(network.contains(IPAddress(v4: b)) == sameTop)
            #expect(network.contains(IPAddress(v4: b).v4Mapped) == sameTop)
        }
    }
}
