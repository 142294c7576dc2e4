extension TextInspector {
    /// A cheap, one-sided test of a base64 run: whether its decoding certainly fails ``TextInspector/decodeBase64(_:)``
    /// (not UTF-8, a control character, or too few letters), without Foundation.
    enum Base64Candidate {
        private static let values: [UInt8] = {
            var table = [UInt8](repeating: 0xFF, count: 256)
            for (index, byte) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() {
                table[Int(byte)] = UInt8(index)
            }
            table[Int(UInt8(ascii: "-"))] = 62
            table[Int(UInt8(ascii: "_"))] = 63
            return table
        }()

        /// True when the run (base64 or base64url characters, trimmed and padded as `decodeBase64` does) cannot decode
        /// to text that `decodeBase64` accepts. False means "maybe": the caller decides with Foundation.
        static func isCertainlyRejected(_ run: ArraySlice<UInt8>) -> Bool {
            var length = run.count
            if length % 4 == 1 { length -= 1 }
            var decoded: [UInt8] = []
            decoded.reserveCapacity(length * 3 / 4)
            var accumulator: UInt32 = 0
            var bits = 0
            for byte in run.prefix(length) {
                accumulator = (accumulator << 6) | UInt32(values[Int(byte)])
                bits += 6
                if bits >= 8 {
                    bits -= 8
                    decoded.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
                }
            }
            return !mayBeText(decoded)
        }

        /// False when the bytes are certainly not printable, mostly-letter UTF-8 text.
        static func mayBeText(_ bytes: [UInt8]) -> Bool {
            var ascii = 0
            var letters = 0
            var nonASCII = 0
            var pending = 0  // continuation bytes still expected
            for byte in bytes {
                if pending > 0 {
                    guard byte & 0xC0 == 0x80 else { return false }
                    pending -= 1
                    continue
                }
                switch byte {
                case 0x20: ascii += 1; letters += 1
                case 0x41...0x5A, 0x61...0x7A: ascii += 1; letters += 1
                case 0x09...0x0D, 0x21...0x7E: ascii += 1
                case 0xC2...0xDF: nonASCII += 1; pending = 1
                case 0xE0...0xEF: nonASCII += 1; pending = 2
                case 0xF0...0xF4: nonASCII += 1; pending = 3
                default: return false  // an ASCII control character, a stray continuation or an invalid lead byte
                }
            }
            guard pending == 0 else { return false }
            // At best every non-ASCII scalar is a letter.
            return (letters + nonASCII) * 10 >= (ascii + nonASCII) * 6
        }
    }
}
