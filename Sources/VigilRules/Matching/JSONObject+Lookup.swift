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
}
