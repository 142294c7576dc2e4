import VigilCore

extension JSONObject {
    /// The value of the first member named `key`, found without copying the members it passes over.
    @inline(__always)
    func member(_ key: String) -> JSONValue? {
        // Comparing lengths first keeps the slow path of `==` (taken whenever two strings differ) off the loop.
        let length = key.utf8.count
        return members.withUnsafeBufferPointer { buffer in
            for i in buffer.indices where buffer[i].key.utf8.count == length && buffer[i].key == key { return buffer[i].value }
            return nil
        }
    }

    /// The values of two members, found in one pass.
    @inline(__always)
    func members(_ first: String, _ second: String) -> (JSONValue?, JSONValue?) {
        let (firstLength, secondLength) = (first.utf8.count, second.utf8.count)
        return members.withUnsafeBufferPointer { buffer in
            var found: (JSONValue?, JSONValue?) = (nil, nil)
            for i in buffer.indices {
                let length = buffer[i].key.utf8.count
                if found.0 == nil, length == firstLength, buffer[i].key == first {
                    found.0 = buffer[i].value
                    if found.1 != nil { break }
                } else if found.1 == nil, length == secondLength, buffer[i].key == second {
                    found.1 = buffer[i].value
                    if found.0 != nil { break }
                }
            }
            return found
        }
    }
}
