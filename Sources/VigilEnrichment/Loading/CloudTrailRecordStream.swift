import VigilCore

/// Finds the records of a CloudTrail file one at a time while reading it in chunks (``FileChunks``), so memory stays
/// bounded by the chunk size plus the largest record, whatever the file's size.
///
/// The layouts are those ``CloudTrailRecordParser`` has always read, decided the same way: a top-level array (its
/// elements), an object whose `Records` member is an array (S3 delivery files; the elements of that array), one
/// object alone in the file (itself), else non-blank lines (NDJSON). Elements are split string-aware, so a corrupt
/// element loses only itself; a truncated last element is returned as it stands (and then fails to parse). A record
/// longer than ``maxRecordBytes`` is passed over without being kept and returned with ``Record/tooLarge`` set. The
/// first object of the file is held until its layout is known; when that takes more than ``maxRecordBytes``, the
/// file is read as lines.
struct CloudTrailRecordStream {
    /// One record: its bytes in ``buffer`` (valid until the next call of ``next()``), the line it starts on and its
    /// 1-based number in the file.
    struct Record {
        var range: Range<Int>
        var line: Int
        var number: Int
        var tooLarge: Bool
    }

    private enum Layout {
        case undecided
        case array
        case lines
        case single(Range<Int>)
        case finished
    }

    let maxRecordBytes: Int
    /// Names the file in errors and rejections.
    var name: String { chunks.name }
    /// The bytes read and not yet passed over; ``Record/range`` indexes it.
    private(set) var buffer: [UInt8] = []
    private let chunks: FileChunks
    private var position = 0
    /// The line of `buffer[position]`.
    private var line = 1
    private var atEnd = false
    private var layout = Layout.undecided
    private var number = 0

    init(_ chunks: FileChunks, maxRecordBytes: Int = 64 << 20) {
        self.chunks = chunks
        self.maxRecordBytes = maxRecordBytes
    }

    /// Opens `path` (plain or gzip).
    init(path: String, chunkSize: Int = 1 << 20, maxRecordBytes: Int = 64 << 20) throws(LoadError) {
        self.init(try FileChunks(path: path, chunkSize: chunkSize), maxRecordBytes: maxRecordBytes)
    }

    /// The next record, or nil at the end of the file.
    ///
    /// - Throws: ``LoadError`` when the file cannot be read further (a read failure, damaged gzip data).
    mutating func next() throws(LoadError) -> Record? {
        if case .undecided = layout { try decide() }
        switch layout {
        case .array: return try nextElement()
        case .lines: return try nextLine()
        case .single(let range):
            layout = .finished
            number = 1
            return Record(range: range, line: line, number: 1, tooLarge: false)
        case .undecided, .finished: return nil
        }
    }

    // MARK: Reading

    /// Reads more of the file into `buffer`; false at its end.
    private mutating func more() throws(LoadError) -> Bool {
        guard !atEnd else { return false }
        if try chunks.read(into: &buffer) { return true }
        atEnd = true
        return false
    }

    /// Drops the bytes before `offset` (everything before it has been passed over); returns how far indexes moved.
    @discardableResult
    private mutating func drop(before offset: Int) -> Int {
        guard offset > 0 else { return 0 }
        buffer.removeSubrange(0..<offset)
        position -= offset
        return offset
    }

    private static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 }

    // MARK: Layout

    /// Reads the start of the file until its layout is known, as the
    /// strict ``CloudTrailRecordParser/topLevel(_:)`` decides it:
    /// `[` starts an array; `{` an S3 file when a `Records` array is found at the top level of a valid prefix, or a
    /// single record when that object is valid and alone; anything else is lines.
    private mutating func decide() throws(LoadError) {
        var first = 0
        while true {
            while first < buffer.count, Self.isSpace(buffer[first]) { first += 1 }
            if first < buffer.count { break }
            guard try more() else {
                layout = .finished
                return
            }
        }
        switch buffer[first] {
        case UInt8(ascii: "["):
            position = first + 1
            line = 1 + buffer[..<position].count { $0 == 0x0A }
            layout = .array
        case UInt8(ascii: "{"):
            try decideObject(from: first)
        default:
            layout = .lines
        }
    }

    /// The object at `start`: a lenient string-aware scan finds where it ends or where a top-level `Records` array
    /// starts, then the strict reader confirms it on the bytes read so far.
    private mutating func decideObject(from start: Int) throws(LoadError) {
        var brackets = JSONBracketTracker()
        var stringStart = 0
        var i = start
        scan: while true {
            while i < buffer.count {
                switch brackets.feed(buffer[i]) {
                case .stringStart: stringStart = i + 1
                case .stringEnd:
                    if brackets.depth == 1, i - stringStart == 7, buffer[stringStart..<i].elementsEqual("Records".utf8),
                        let bracket = try recordsArray(after: i + 1)
                    {
                        return decideFromPrefix(upTo: bracket + 1)
                    }
                case .close where brackets.depth == 0:
                    try decideClosedObject(endingAt: i)
                    return
                default: break
                }
                i += 1
            }
            if i - start > maxRecordBytes { break scan }
            guard try more() else { break scan }
        }
        layout = .lines
    }

    /// After a top-level key `Records` (its closing quote before `after`): the index of the `[` of its value, or nil
    /// when the value is not an array. Reads more of the file when the bytes end first.
    private mutating func recordsArray(after: Int) throws(LoadError) -> Int? {
        var j = after
        var wantColon = true
        while true {
            while j < buffer.count {
                let byte = buffer[j]
                if Self.isSpace(byte) {
                    j += 1
                } else if wantColon, byte == UInt8(ascii: ":") {
                    wantColon = false
                    j += 1
                } else {
                    return !wantColon && byte == UInt8(ascii: "[") ? j : nil
                }
            }
            guard try more() else { return nil }
        }
    }

    /// The strict reader's verdict on `buffer[..<end]` (ending just after a top-level `Records` array's `[`).
    private mutating func decideFromPrefix(upTo end: Int) {
        let (_, records, _) = buffer.withUnsafeBufferPointer { CloudTrailRecordParser.topLevel(UnsafeBufferPointer(rebasing: $0[..<end])) }
        if let records {
            position = records + 1
            line = 1 + buffer[..<position].count { $0 == 0x0A }
            layout = .array
        } else {
            layout = .lines
        }
    }

    /// The first object closed at `end`: a single record when nothing but white space follows it to the end of the
    /// file and it is valid, else the file is lines.
    private mutating func decideClosedObject(endingAt end: Int) throws(LoadError) {
        var j = end + 1
        while true {
            while j < buffer.count, Self.isSpace(buffer[j]) { j += 1 }
            if j < buffer.count {
                layout = .lines
                return
            }
            if j - end > maxRecordBytes {
                layout = .lines
                return
            }
            guard try more() else { break }
        }
        let (_, records, single) = buffer.withUnsafeBufferPointer(CloudTrailRecordParser.topLevel)
        if let records {
            // A `Records` key the lenient scan did not recognise (written with escapes).
            position = records + 1
            line = 1 + buffer[..<position].count { $0 == 0x0A }
            layout = .array
        } else if let single {
            line = 1 + buffer[..<single.lowerBound].count { $0 == 0x0A }
            layout = .single(single)
        } else {
            layout = .lines
        }
    }

    // MARK: Records

    /// The next element of the array being read (`position` after its `[` or the previous element's `,`).
    private mutating func nextElement() throws(LoadError) -> Record? {
        if position > chunks.chunkSize { drop(before: position) }
        // Skip white space and empty elements.
        while true {
            while position < buffer.count {
                let byte = buffer[position]
                if byte == 0x0A { line += 1 }
                guard Self.isSpace(byte) || byte == UInt8(ascii: ",") else { break }
                position += 1
            }
            if position < buffer.count { break }
            drop(before: position)
            guard try more() else {
                layout = .finished
                return nil
            }
        }
        if buffer[position] == UInt8(ascii: "]") || buffer[position] == UInt8(ascii: "}") {
            layout = .finished
            return nil
        }
        var start = position
        let startLine = line
        var brackets = JSONBracketTracker()
        var tooLarge = false
        var i = position
        while true {
            while i < buffer.count {
                let byte = buffer[i]
                if byte == 0x0A { line += 1 }
                switch brackets.feed(byte) {
                case .close where brackets.depth < 0:
                    // The array's end: this is its last element.
                    layout = .finished
                    position = i + 1
                    return element(start..<i, line: startLine, tooLarge: tooLarge)
                case .comma where brackets.depth == 0:
                    position = i + 1
                    return element(start..<i, line: startLine, tooLarge: tooLarge)
                default: break
                }
                i += 1
            }
            compact(record: &start, scanned: &i, tooLarge: &tooLarge)
            guard try more() else {
                layout = .finished
                position = i
                return element(start..<i, line: startLine, tooLarge: tooLarge)
            }
        }
    }

    /// The next non-blank line (`position` at the start of a line).
    private mutating func nextLine() throws(LoadError) -> Record? {
        if position > chunks.chunkSize { drop(before: position) }
        while true {
            var start = position
            var searched = position
            var tooLarge = false
            while true {
                if let newline = buffer[searched...].firstIndex(of: 0x0A) {
                    position = newline + 1
                    let thisLine = line
                    line += 1
                    if tooLarge { return element(start..<start, line: thisLine, tooLarge: true) }
                    if buffer[start..<newline].contains(where: { !Self.isSpace($0) }) {
                        return element(start..<newline, line: thisLine, tooLarge: false)
                    }
                    break
                }
                searched = buffer.count
                compact(record: &start, scanned: &searched, tooLarge: &tooLarge)
                guard try more() else {
                    layout = .finished
                    position = buffer.count
                    if tooLarge { return element(start..<start, line: line, tooLarge: true) }
                    guard buffer[start...].contains(where: { !Self.isSpace($0) }) else { return nil }
                    return element(start..<buffer.count, line: line, tooLarge: false)
                }
            }
        }
    }

    /// Numbers a record; one too large to keep has no bytes.
    private mutating func element(_ range: Range<Int>, line: Int, tooLarge: Bool) -> Record {
        number += 1
        return Record(range: tooLarge ? range.lowerBound..<range.lowerBound : range, line: line, number: number, tooLarge: tooLarge)
    }

    /// After reading `buffer` to its end for a record starting at `start`: keeps the record (dropping the bytes before
    /// it) or, once it is larger than ``maxRecordBytes`` (`tooLarge`), drops everything read, so the rest of it is
    /// passed over without being held. `start` and `scanned` move with the bytes.
    private mutating func compact(record start: inout Int, scanned: inout Int, tooLarge: inout Bool) {
        if tooLarge || scanned - start > maxRecordBytes {
            tooLarge = true
            position = scanned
            scanned -= drop(before: scanned)
            start = 0
        } else {
            let moved = drop(before: start)
            scanned -= moved
            start -= moved
        }
    }
}
