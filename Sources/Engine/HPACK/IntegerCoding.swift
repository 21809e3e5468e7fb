/// HPACK's prefixed integers, RFC 7541 §5.1.
public enum IntegerCoding {
    /// Appends `value` with an N-bit prefix; `flags` holds the bits above the prefix in the first byte.
    @inlinable
    public static func encode(_ value: Int, prefixBits: Int, flags: UInt8 = 0, into out: inout [UInt8]) {
        precondition(prefixBits >= 1 && prefixBits <= 8 && value >= 0)
        let limit = (1 << prefixBits) - 1
        if value < limit {
            out.append(flags | UInt8(value))
            return
        }
        out.append(flags | UInt8(limit))
        var rest = value - limit
        while rest >= 128 {
            out.append(UInt8(rest & 0x7f) | 0x80)
            rest >>= 7
        }
        out.append(UInt8(rest))
    }

    /// Reads an integer with an N-bit prefix starting at `bytes[offset]`, advancing `offset`.
    /// Values above 2^32−1 are refused: no legitimate header block needs them, and the cap keeps a
    /// hostile run of continuation bytes from overflowing.
    @inlinable
    package static func decode(
        _ bytes: UnsafeBufferPointer<UInt8>, at offset: inout Int, prefixBits: Int
    ) throws(HPACKError) -> Int {
        let start = offset
        guard offset < bytes.count else { throw .truncated(offset: start) }
        let limit = (1 << prefixBits) - 1
        var value = Int(bytes[offset]) & limit
        offset += 1
        if value < limit { return value }
        var shift = 0
        while true {
            guard offset < bytes.count else { throw .truncated(offset: start) }
            let byte = bytes[offset]
            offset += 1
            value += Int(byte & 0x7f) << shift
            if value > Int(UInt32.max) { throw .integerOverflow(offset: start) }
            if byte & 0x80 == 0 { return value }
            shift += 7
            if shift > 28 { throw .integerOverflow(offset: start) }
        }
    }

    /// Convenience for tests and tools: decode from an array.
    public static func decode(_ bytes: [UInt8], prefixBits: Int) throws(HPACKError) -> (value: Int, length: Int) {
        var offset = 0
        let result: Result<Int, HPACKError> = bytes.withUnsafeBufferPointer { buffer in
            Result { () throws(HPACKError) -> Int in try decode(buffer, at: &offset, prefixBits: prefixBits) }
        }
        return (try result.get(), offset)
    }
}
