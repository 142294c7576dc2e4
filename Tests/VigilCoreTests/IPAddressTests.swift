import Testing

@testable import VigilCore

@Suite("IPAddress")
struct IPAddressTests {
    @Test(
        "valid addresses parse and print canonically",
        arguments: [
            ("0.0.0.0", "0.0.0.0"),
            ("255.255.255.255", "255.255.255.255"),
            ("10.0.0.1", "10.0.0.1"),
            ("192.168.1.254", "192.168.1.254"),
            ("::", "::"),
            ("::1", "::1"),
            ("2001:DB8::1", "2001:db8::1"),
            ("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
            ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
            ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
            ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),
            ("fe80::", "fe80::"),
            ("0:0:0:0:0:0:0:0", "::"),
            ("1:0:0:0:0:0:0:0", "1::"),
            ("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"),
            ("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"),
            ("::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"),
            ("::ffff:192.0.2.1", "::ffff:192.0.2.1"),
            ("::FFFF:c000:0201", "::ffff:192.0.2.1"),
            ("64:ff9b::192.0.2.33", "64:ff9b::c000:221"),
            ("1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"),
            ("::1.2.3.4", "::102:304"),
        ])
    func parsesValid(text: String, canonical: String) throws {
        let address = try #require(IPAddress(text))
        #expect(address.description == canonical)
        #expect(IPAddress(canonical) == address)
    }

    @Test(
        "invalid addresses are rejected",
        arguments: [
            "", "1.2.3", "1.2.3.4.5", "256.0.0.1", "01.2.3.4", "1.2.3.04", "00.0.0.0", "1..2.3", "1.2.3.", ".1.2.3",
            " 1.2.3.4", "1.2.3.4 ", "+1.2.3.4", "1.2.3.-4", "0x1.2.3.4", "1234.1.1.1", "1.2.3.4/8", "1.2.3.4:80",
            ":::", "1:2:3:4:5:6:7:8:9", "1::2::3", "12345::", "1:2:3:4:5:6:7", "fe80::1%eth0", "[::1]",
            "::ffff:1.2.3", "::ffff:256.1.1.1", ":1::", "1:", "1::2:", "g::1", "1:2:3:4:5:6:7::8", "::1.2.3.4:5",
            "1.2.3.4::", "1:2:3:4:5:6:7:1.2.3.4", "::ffff:01.2.3.4", ":", "1:2:3:4:5:6:7:8:",
        ])
    func rejectsInvalid(text: String) {
        #expect(IPAddress(text) == nil)
    }

    @Test("leading zeros: refused by default, decimal when asked")
    func leadingZeros() {
        for text in ["010.0.0.1", "1.2.3.04", "::ffff:01.2.3.4", "00.0.0.0"] {
            #expect(IPAddress(text) == nil, "\(text)")
        }
        #expect(IPAddress("010.001.000.007", leadingZeros: .decimal)?.description == "10.1.0.7")
        #expect(IPAddress("035.249.253.232", leadingZeros: .decimal)?.description == "35.249.253.232")
        #expect(IPAddress("::ffff:010.0.0.1", leadingZeros: .decimal)?.description == "::ffff:10.0.0.1")
        #expect(IPAddress("0010.0.0.1", leadingZeros: .decimal) == nil)
        #expect(IPAddress("256.0.0.1", leadingZeros: .decimal) == nil)
        #expect(IPAddress("1.2.3", leadingZeros: .decimal) == nil)
    }

    @Test("families, bits and bytes")
    func bitsAndBytes() throws {
        let v4 = try #require(IPAddress("10.1.2.3"))
        #expect(v4.family == .v4)
        #expect(v4.bits == 0x0A01_0203)
        #expect(v4.bytes == [10, 1, 2, 3])
        let v6 = try #require(IPAddress("2001:db8::ff"))
        #expect(v6.family == .v6)
        #expect(v6.bytes == [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff])
        #expect(IPAddress(v4: 0xC000_0201).description == "192.0.2.1")
    }

    @Test("IPv4-mapped addresses unmap and map back")
    func mapping() throws {
        let mapped = try #require(IPAddress("::ffff:10.0.0.1"))
        let plain = try #require(IPAddress("10.0.0.1"))
        #expect(mapped.isIPv4Mapped)
        #expect(!plain.isIPv4Mapped)
        #expect(mapped != plain)
        #expect(mapped.unmapped == plain)
        #expect(plain.v4Mapped == mapped)
        #expect(plain.unmapped == plain)
        let v6 = try #require(IPAddress("2001:db8::1"))
        #expect(v6.unmapped == v6)
        #expect(v6.v4Mapped == v6)
        // ::ffff:0:0/96 only; the deprecated ::a.b.c.d compatible form is not mapped.
        #expect(IPAddress("::10.0.0.1")?.isIPv4Mapped == false)
    }

    @Test("order: IPv4 before IPv6, then numeric")
    func ordering() throws {
        let addresses = ["::1", "10.0.0.2", "9.255.255.255", "10.0.0.10", "::"].compactMap { IPAddress($0) }
        #expect(addresses.sorted().map(\.description) == ["9.255.255.255", "10.0.0.2", "10.0.0.10", "::", "::1"])
    }

    @Test("random addresses round-trip through their canonical text")
    func roundTrip() throws {
        var rng = SplitMix64(seed: 42)
        for _ in 0..<5_000 {
            // Sparse groups so that zero runs of every length occur.
            var bits: UInt128 = 0
            for _ in 0..<8 { bits = bits << 16 | (rng.next() % 3 == 0 ? UInt128(rng.next() & 0xFFFF) : 0) }
            let v6 = IPAddress(v6: bits)
            #expect(IPAddress(v6.description) == v6, "\(v6)")
            let v4 = IPAddress(v4: UInt32(truncatingIfNeeded: rng.next()))
            #expect(IPAddress(v4.description) == v4, "\(v4)")
        }
    }

    @Test(
        "classification",
        arguments: [
            ("10.1.2.3", true, false, false), ("172.31.255.255", true, false, false), ("172.32.0.0", false, false, true),
            ("192.168.0.1", true, false, false), ("127.0.0.1", false, true, false), ("8.8.8.8", false, false, true),
            ("::ffff:10.0.0.1", true, false, false), ("::ffff:8.8.8.8", false, false, true), ("::1", false, true, false),
            ("fd00::1", true, false, false), ("2001:db8::1", false, false, false), ("2606:4700::1111", false, false, true),
            ("169.254.169.254", false, false, false), ("100.64.0.1", false, false, false),
        ])
    func classification(text: String, isPrivate: Bool, isLoopback: Bool, isGlobal: Bool) throws {
        let address = try #require(IPAddress(text))
        #expect(address.isPrivate == isPrivate)
        #expect(address.isLoopback == isLoopback)
        #expect(address.isGlobal == isGlobal)
    }
}

#if canImport(Glibc)
import Glibc

@Suite("IPAddress against inet_pton")
struct IPAddressDifferentialTests {
    /// glibc's `inet_pton`: the address bytes, or nil when it refuses the text.
    static func reference(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }

    @Test("random texts are accepted exactly when inet_pton accepts them, with the same bytes")
    func fuzz() {
        var rng = SplitMix64(seed: 11)
        let mutator = Mutator(alphabet: Array("0123456789abcdefABCDEF:.:.::1"))
        let seeds = ["::", "::1", "1:2:3:4:5:6:7:8", "::ffff:1.2.3.4", "10.0.0.1", "fe80::1", "2001:db8::", "255.255.255.255"]
        var checked = 0
        for round in 0..<20_000 {
            let text: String
            if round % 2 == 0 {
                text = String((0..<(rng.next() % 18 + 1)).map { _ in mutator.pick(&rng) })
            } else {
                text = String(mutator.damaged(Array(seeds[Int(rng.next() % UInt64(seeds.count))]), edits: 1...3, using: &rng))
            }
            let expected = Self.reference(text)
            let actual = IPAddress(text)
            #expect(actual?.bytes == expected, "\(text)")
            if expected != nil { checked += 1 }
        }
        // The mutations must actually produce valid addresses for the comparison to mean something.
        #expect(checked > 2_000)
    }
}
#endif
