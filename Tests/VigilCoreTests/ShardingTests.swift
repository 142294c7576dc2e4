import Foundation
import Testing

@testable import VigilCore

/// These vectors freeze the shard function forever: if one fails, alerts would move shards. Do not "fix" the
/// expected values; fix the code. Hashes are from the reference XXH64 (python-xxhash 3.x, seed 0).
@Suite("Sharding")
struct ShardingTests {
    static let text = "The quick brown fox jumps over the lazy dog, 0123456789 abcdefghijklmnopqrstuvwxyz!"

    @Test(
        "XXH64 matches the reference at every tail length",
        arguments: [
            (0, 0xEF46_DB37_51D8_E999), (1, 0x5B4D_6AF2_47A3_CF7B), (3, 0x4108_F90B_5DE1_4D15), (4, 0xCDF1_3A49_D263_200F),
            (7, 0xC6FC_E9D7_2E31_0949), (8, 0xD07B_38A7_8A15_3B0B), (9, 0x9D12_14DB_001D_FC69), (15, 0x59BF_1A33_358C_7D98),
            (16, 0x0F7E_6701_4943_A311), (31, 0x3F8D_95AB_32C1_27D9), (32, 0xE2BB_C913_6629_A4EE), (33, 0x6D92_FE2E_BAB7_DB31),
            (63, 0xE873_8851_1A8D_AC02), (64, 0x1D8C_24C4_C40E_DF4F), (65, 0xE705_B25C_ADD7_F37D), (83, 0x018C_C7F4_D866_7E44),
        ] as [(Int, UInt64)])
    func referenceVectors(length: Int, expected: UInt64) {
        let bytes = Array(Self.text.utf8.prefix(length))
        #expect(XXHash64.hash(bytes) == expected)
        #expect(XXHash64.hash(String(decoding: bytes, as: UTF8.self)) == expected)
    }

    @Test("XXH64 well-known vectors and seed")
    func wellKnown() {
        #expect(XXHash64.hash("") == 0xEF46_DB37_51D8_E999)
        #expect(XXHash64.hash("a") == 0xD24E_C4F1_A98C_6E5B)
        #expect(XXHash64.hash("abc") == 0x44BC_2CF5_AD77_0999)
        #expect(XXHash64.hash(String(repeating: "x", count: 100)) == 0x92F0_DE5A_88A3_C094)
        #expect(XXHash64.hash("abc", seed: 0x9E37_79B1_85EB_CA87) == 0xA7CB_2AAC_405E_36C7)
    }

    @Test(
        "frozen shard numbers",
        arguments: [
            ("arn:aws:iam::123456789012:user/alice", 0x5F0A_5AA7_05CF_F95E, 30, 3),
            ("arn:aws:iam::123456789012:role/Admin", 0x38B6_E367_FF9F_96CD, 13, 4),
            ("123456789012", 0xB5CE_E4C9_43D4_3C7E, 62, 2),
            ("203.0.113.7", 0xC801_53A2_410E_B0FF, 63, 0),
            ("2001:db8::1", 0x26C3_3EF1_C67E_1031, 49, 3),
            ("gd-finding-0001", 0x44C6_262D_DD80_9ADB, 27, 1),
            ("ümlaut-user", 0xD629_9C56_2BE0_7F78, 56, 5),
        ] as [(String, UInt64, Int, Int)])
    func frozenShards(key: String, hash: UInt64, shardOf64: Int, shardOf7: Int) throws {
        let routingKey = RoutingKey(kind: .principal, value: key)
        #expect(routingKey.hash == hash)
        #expect(try #require(ShardRouter(shardCount: 64)).shard(for: routingKey) == shardOf64)
        #expect(try #require(ShardRouter(shardCount: 7)).shard(for: routingKey) == shardOf7)
        #expect(try #require(ShardRouter(shardCount: 1)).shard(for: routingKey) == 0)
    }

    static func alert(principal: String? = nil, account: String? = nil, sourceIP: String? = nil) -> Alert {
        Alert(
            source: "guardduty", externalID: "gd-finding-0001", kind: "guardduty", severity: .high,
            occurredAt: Date(timeIntervalSince1970: 1_700_000_000), principal: principal, account: account, sourceIP: sourceIP)
    }

    @Test("routing key precedence: principal, account, source IP, external id")
    func precedence() {
        let principal = "arn:aws:iam::123456789012:user/alice"
        #expect(RoutingKey(for: Self.alert(principal: principal, account: "123456789012", sourceIP: "203.0.113.7"))
            == RoutingKey(kind: .principal, value: principal))
        #expect(RoutingKey(for: Self.alert(account: "123456789012", sourceIP: "203.0.113.7"))
            == RoutingKey(kind: .account, value: "123456789012"))
        #expect(RoutingKey(for: Self.alert(sourceIP: "203.0.113.7")) == RoutingKey(kind: .sourceIP, value: "203.0.113.7"))
        #expect(RoutingKey(for: Self.alert()) == RoutingKey(kind: .externalID, value: "gd-finding-0001"))
        #expect(RoutingKey(for: Self.alert(principal: "", account: "", sourceIP: "203.0.113.7")).kind == .sourceIP)
        let router = ShardRouter(shardCount: 64)!
        #expect(router.shard(for: Self.alert(principal: principal)) == 30)
        #expect(router.shard(for: Self.alert(sourceIP: "203.0.113.7")) == 63)
        #expect(router.shard(for: Self.alert()) == 27)
    }

    @Test("the routing key's description hides the value")
    func descriptionHidesValue() {
        let key = RoutingKey(kind: .principal, value: "arn:aws:iam::123456789012:user/alice")
        #expect(!key.description.contains("alice"))
        #expect(key.description.contains("principal"))
    }

    @Test("shard counts outside 1…2^20 are refused")
    func shardCountBounds() {
        #expect(ShardRouter(shardCount: 0) == nil)
        #expect(ShardRouter(shardCount: -3) == nil)
        #expect(ShardRouter(shardCount: (1 << 20) + 1) == nil)
        #expect(ShardRouter(shardCount: 1 << 20) != nil)
    }

    @Test("keys spread evenly over shards, powers of two included")
    func distribution() {
        for shardCount in [7, 64, 256] {
            let router = ShardRouter(shardCount: shardCount)!
            var counts = [Int](repeating: 0, count: shardCount)
            let keys = 200 * shardCount
            for i in 0..<keys {
                counts[router.shard(for: RoutingKey(kind: .principal, value: "arn:aws:iam::123456789012:user/u\(i)"))] += 1
            }
            // 200 expected per shard; a fair hash stays well within ±35% at this sample size.
            #expect(counts.min()! > 130 && counts.max()! < 270, "S=\(shardCount) min \(counts.min()!) max \(counts.max()!)")
        }
    }
}
