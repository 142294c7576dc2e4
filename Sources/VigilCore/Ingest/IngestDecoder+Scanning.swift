extension IngestDecoder {
    /// Where one input item's text is in the body.
    struct ItemSpan {
        /// Byte range of the item's text in the body.
        var range: Range<Int>
        /// 1-based line and column (in bytes) of the item's first byte.
        var line: Int
        var column: Int
    }

    /// Splits an NDJSON body into its non-blank lines.
    func ndjsonItemSpans(_ body: UnsafeBufferPointer<UInt8>) throws(IngestError) -> [ItemSpan] {
        var spans: [ItemSpan] = []
        var line = 1
        var start = 0
        while start <= body.count {
            var end = start
            while end < body.count, body[end] != 0x0A { end += 1 }
            var first = start
            var last = end
            while first < last, isWhitespace(body[first]) { first += 1 }
            while last > first, isWhitespace(body[last - 1]) { last -= 1 }
            if first < last {
                guard spans.count < configuration.maxItems else { throw tooManyItems() }
                spans.append(ItemSpan(range: first..<last, line: line, column: first - start + 1))
            }
            line += 1
            start = end + 1
        }
        return spans
    }

    /// Finds the elements of a JSON array body (or the one object of a single-object body) by its structure,
    /// without parsing them: strings are skipped, brackets matched.
    ///
    /// - Throws: ``IngestError/Code/malformedBody`` at the first structural break,
    ///   ``IngestError/Code/tooManyItems`` past the limit.
    func jsonItemSpans(_ body: UnsafeBufferPointer<UInt8>) throws(IngestError) -> [ItemSpan] {
        var cursor = Cursor(body: body)
        cursor.skipWhitespace()
        guard let first = cursor.peek else { throw cursor.malformed("empty body; expected a JSON array or object") }
        if first == UInt8(ascii: "{") {
            let span = try cursor.scanValue(maxDepth: configuration.maxBodyDepth)
            cursor.skipWhitespace()
            guard cursor.peek == nil else { throw cursor.malformed("unexpected data after the object") }
            return [span]
        }
        guard first == UInt8(ascii: "[") else { throw cursor.malformed("expected a JSON array or object") }
        cursor.advance()
        var spans: [ItemSpan] = []
        cursor.skipWhitespace()
        if cursor.peek == UInt8(ascii: "]") {
            cursor.advance()
        } else {
            while true {
                cursor.skipWhitespace()
                guard spans.count < configuration.maxItems else { throw tooManyItems() }
                spans.append(try cursor.scanValue(maxDepth: configuration.maxBodyDepth - 1))
                cursor.skipWhitespace()
                guard let next = cursor.peek else { throw cursor.malformed("unexpected end of body; expected , or ]") }
                cursor.advance()
                if next == UInt8(ascii: "]") { break }
                guard next == UInt8(ascii: ",") else { throw cursor.malformed("expected , or ] after an array element", back: 1) }
            }
        }
        cursor.skipWhitespace()
        guard cursor.peek == nil else { throw cursor.malformed("unexpected data after the array") }
        return spans
    }

    /// The bytes of the value of top-level member `name` in the object at `range`, or nil when the object does not
    /// have it or its keys use escapes (then the caller serialises the parsed value instead).
    ///
    /// Only for text the parser has already accepted as an object.
    func rawMember(_ name: String, inObject range: Range<Int>, of body: UnsafeBufferPointer<UInt8>) -> Range<Int>? {
        var cursor = Cursor(body: UnsafeBufferPointer(rebasing: body[range]))
        let wanted = Array(name.utf8)
        guard cursor.peek == UInt8(ascii: "{") else { return nil }
        cursor.advance()
        while true {
            cursor.skipWhitespace()
            guard cursor.peek == UInt8(ascii: "\"") else { return nil }
            let keyStart = cursor.index + 1
            guard (try? cursor.skipString()) != nil else { return nil }
            let key = UnsafeBufferPointer(rebasing: cursor.body[keyStart..<(cursor.index - 1)])
            if key.contains(UInt8(ascii: "\\")) { return nil }
            cursor.skipWhitespace()
            guard cursor.peek == UInt8(ascii: ":") else { return nil }
            cursor.advance()
            cursor.skipWhitespace()
            guard let value = try? cursor.scanValue(maxDepth: Int.max) else { return nil }
            if key.elementsEqual(wanted) {
                return (range.lowerBound + value.range.lowerBound)..<(range.lowerBound + value.range.upperBound)
            }
            cursor.skipWhitespace()
            guard cursor.peek == UInt8(ascii: ",") else { return nil }
            cursor.advance()
        }
    }

    func tooManyItems() -> IngestError {
        IngestError(code: .tooManyItems, message: "the body holds more than \(configuration.maxItems) items; send smaller batches")
    }

    /// A forward reader over the body that knows its line and column.
    struct Cursor {
        let body: UnsafeBufferPointer<UInt8>
        var index = 0
        var line = 1
        var lineStart = 0

        init(body: UnsafeBufferPointer<UInt8>) {
            self.body = body
        }

        var peek: UInt8? { index < body.count ? body[index] : nil }

        mutating func advance() {
            if body[index] == 0x0A {
                line += 1
                lineStart = index + 1
            }
            index += 1
        }

        mutating func skipWhitespace() {
            while let byte = peek, isWhitespace(byte) { advance() }
        }

        func malformed(_ message: String, back: Int = 0) -> IngestError {
            IngestError(code: .malformedBody, message: message, line: line, column: max(1, index - back - lineStart + 1))
        }

        /// Skips one JSON value's extent: a string, a bracketed value with its nesting matched, or a bare token
        /// (number, literal) up to the next delimiter. The value's own syntax is checked later by the parser.
        mutating func scanValue(maxDepth: Int) throws(IngestError) -> ItemSpan {
            let start = index
            let startLine = line
            let startColumn = index - lineStart + 1
            var closers: [UInt8] = []
            repeat {
                guard let byte = peek else { throw malformed("unexpected end of body inside an array element") }
                switch byte {
                case UInt8(ascii: "\""):
                    try skipString()
                    continue
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    closers.append(byte == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]"))
                    guard closers.count <= maxDepth else { throw malformed("nesting deeper than \(maxDepth) levels") }
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    guard let expected = closers.popLast() else {
                        if index == start { throw malformed("expected a value") }
                        return ItemSpan(range: start..<index, line: startLine, column: startColumn)
                    }
                    guard byte == expected else { throw malformed("mismatched bracket") }
                case UInt8(ascii: ","):
                    if closers.isEmpty {
                        if index == start { throw malformed("expected a value") }
                        return ItemSpan(range: start..<index, line: startLine, column: startColumn)
                    }
                case 0x20, 0x09, 0x0A, 0x0D:
                    if closers.isEmpty { return ItemSpan(range: start..<index, line: startLine, column: startColumn) }
                default:
                    break
                }
                advance()
            } while !closers.isEmpty || (peek.map { !isDelimiter($0) } ?? false)
            return ItemSpan(range: start..<index, line: startLine, column: startColumn)
        }

        /// Skips a string literal, escapes included, leaving the cursor after its closing quote.
        mutating func skipString() throws(IngestError) {
            let openLine = line
            let openColumn = index - lineStart + 1
            advance()
            while let byte = peek {
                advance()
                if byte == UInt8(ascii: "\"") { return }
                if byte == UInt8(ascii: "\\"), peek != nil { advance() }
            }
            throw IngestError(code: .malformedBody, message: "unterminated string", line: openLine, column: openColumn)
        }

        func isDelimiter(_ byte: UInt8) -> Bool {
            isWhitespace(byte) || byte == UInt8(ascii: ",") || byte == UInt8(ascii: "]") || byte == UInt8(ascii: "}")
        }
    }
}

@inline(__always) private func isWhitespace(_ byte: UInt8) -> Bool {
    byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
}
