/// Where the encoder writes a header block: a cursor into a temporary buffer, so that no octet
/// written checks a capacity or grows an array (appending to an `Array` octet by octet checked
/// both, and cost the encoder about a sixth of its time). The encoder checks `room` once per field
/// against the field's worst case (`HPACKEncoder.worstCase`), and appends the buffer to the
/// caller's array in one copy.
struct OctetWriter {
    /// The next octet to write.
    private(set) var at: UnsafeMutablePointer<UInt8>
    let start: UnsafeMutablePointer<UInt8>
    let end: UnsafeMutablePointer<UInt8>

    init(_ start: UnsafeMutablePointer<UInt8>, capacity: Int) {
        self.start = start
        self.at = start
        self.end = start + capacity
    }

    /// Octets written so far.
    var count: Int { at - start }

    /// Octets that may still be written.
    var room: Int { end - at }

    @inline(__always)
    mutating func put(_ octet: UInt8) {
        at.initialize(to: octet)
        at += 1
    }

    /// §5.1: `value` with an N-bit prefix; `flags` holds the bits above the prefix in the first octet.
    @inline(__always)
    mutating func integer(_ value: Int, prefixBits: Int, flags: UInt8) {
        let limit = (1 &<< prefixBits) &- 1
        if value < limit {
            put(flags | UInt8(truncatingIfNeeded: value))
            return
        }
        put(flags | UInt8(truncatingIfNeeded: limit))
        var rest = value &- limit
        while rest >= 128 {
            put(UInt8(truncatingIfNeeded: rest & 0x7f) | 0x80)
            rest &>>= 7
        }
        put(UInt8(truncatingIfNeeded: rest))
    }

    /// The octets as they are.
    @inline(__always)
    mutating func copy(_ octets: UnsafeBufferPointer<UInt8>) {
        guard let from = octets.baseAddress else { return }
        at.initialize(from: from, count: octets.count)
        at += octets.count
    }

    /// Copies `octets` to `to`: a short run (a field's name or value, most often) in two loads
    /// and stores that may overlap, a longer one by `memcpy`.
    @inline(__always)
    static func copy(_ octets: UnsafeBufferPointer<UInt8>, to: UnsafeMutablePointer<UInt8>) {
        let count = octets.count
        guard count > 0, let base = octets.baseAddress else { return }
        let from = UnsafeRawPointer(base), into = UnsafeMutableRawPointer(to)
        if count >= 8 && count <= 16 {
            into.storeBytes(of: from.loadUnaligned(as: UInt64.self), as: UInt64.self)
            into.storeBytes(of: from.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self), toByteOffset: count - 8, as: UInt64.self)
        } else if count >= 4 && count < 8 {
            into.storeBytes(of: from.loadUnaligned(as: UInt32.self), as: UInt32.self)
            into.storeBytes(of: from.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self), toByteOffset: count - 4, as: UInt32.self)
        } else if count < 4 {
            for k in 0..<count { to[k] = base[k] }
        } else {
            into.copyMemory(from: from, byteCount: count)
        }
    }

    /// The octets §5.1's integer `value` takes with an N-bit prefix.
    @inline(__always)
    static func integerLength(_ value: Int, prefixBits: Int) -> Int {
        var rest = value &- ((1 &<< prefixBits) &- 1)
        guard rest >= 0 else { return 1 }
        var length = 2
        while rest >= 128 {
            rest &>>= 7
            length &+= 1
        }
        return length
    }

    /// §5.2: a string literal, Huffman-coded when that is shorter than the octets (the automatic
    /// choice), else the octets as they are; returns whether it was coded. The code is written
    /// once, after room for the longest length prefix it can need (the octets' own length's), and
    /// moved back in the rare case where its own length takes fewer octets; the writer's room
    /// holds the literal and 3 octets more (`HuffmanCoding.encode(_:codes:at:below:)`).
    @inline(__always)
    mutating func literal(_ octets: UnsafeBufferPointer<UInt8>, codes: UnsafePointer<UInt64>) -> Bool {
        let count = octets.count
        let prefix = Self.integerLength(count, prefixBits: 7)
        guard let length = HuffmanCoding.encode(octets, codes: codes, at: at + prefix, below: count) else {
            integer(count, prefixBits: 7, flags: 0)
            copy(octets)
            return false
        }
        let lengthPrefix = Self.integerLength(length, prefixBits: 7)
        if lengthPrefix < prefix {
            UnsafeMutableRawPointer(at + lengthPrefix).copyMemory(from: at + prefix, byteCount: length)  // a memmove
        }
        integer(length, prefixBits: 7, flags: 0x80)
        at += length
        return true
    }

    /// §5.2: the Huffman code of `octets`, `length` octets long (`HuffmanCoding.encodedLength`).
    @inline(__always)
    mutating func huffman(_ octets: UnsafeBufferPointer<UInt8>, length: Int, codes: UnsafePointer<UInt64>) {
        HuffmanCoding.encode(octets, codes: codes, at: at)
        at += length
    }
}
