/// The HPACK Huffman code, RFC 7541 §5.2 and Appendix B.
///
/// Encoding packs each symbol's code into a 64-bit accumulator, in one pass over the octets. Decoding is table-driven: a state
/// machine that consumes one whole input byte per step. A state is an internal node of the code tree
/// (there are 256), and the entry for (state, byte) says which symbols (at most two, since the shortest
/// code has 5 bits) that byte completes and which node it ends on. The table is computed once, at first
/// use, from `huffmanCodeTable`, so the code itself has one source of truth.
public enum HuffmanCoding {
    /// The number of octets `bytes` takes Huffman-coded.
    public static func encodedLength<S: Sequence>(_ bytes: S) -> Int where S.Element == UInt8 {
        Array(bytes).withUnsafeBufferPointer { encodedLength($0, codes: encodeTable.codes) }
    }

    /// Appends the Huffman coding of `bytes`, padded with the most significant bits of EOS (all 1s).
    public static func encode<S: Sequence>(_ bytes: S, into out: inout [UInt8]) where S.Element == UInt8 {
        let codes = encodeTable.codes
        Array(bytes).withUnsafeBufferPointer { octets in
            let start = out.count
            out.append(contentsOf: repeatElement(0, count: encodedLength(octets, codes: codes)))
            out.withUnsafeMutableBufferPointer { buffer in
                guard let base = buffer.baseAddress else { return }
                encode(octets, codes: codes, at: base + start)
            }
        }
    }

    /// Writes the Huffman coding of `bytes` at `out`, which has room for all of it (its length
    /// is `encodedLength`).
    @inline(__always)
    static func encode(_ bytes: UnsafeBufferPointer<UInt8>, codes: UnsafePointer<UInt64>, at out: UnsafeMutablePointer<UInt8>) {
        _ = encode(bytes, codes: codes, at: out, below: .max)
    }

    /// Writes the Huffman coding of `bytes` at `out` and returns its length, or gives up and
    /// returns nil as soon as the coding is sure to take `limit` octets or more: the encoder's hot
    /// path, which wants the code only when it is shorter than the octets (§5.2), and so codes
    /// once instead of counting the code's length first. `out` has room for `limit + 3` octets
    /// (or all of the coding, with no limit).
    ///
    /// Codes gather in a 64-bit accumulator and leave it 32 bits at a time: fewer than 32 bits
    /// wait in it, and no code is longer than 30 (Appendix B), so it never overflows.
    @inline(__always)
    static func encode(_ bytes: UnsafeBufferPointer<UInt8>, codes: UnsafePointer<UInt64>, at out: UnsafeMutablePointer<UInt8>,
                       below limit: Int) -> Int? {
        var position = 0  // octets written
        var accumulator: UInt64 = 0
        var waiting: UInt64 = 0  // bits not yet written: the low end of `accumulator`
        for byte in bytes {
            let entry = codes[Int(byte)]
            let bits = entry & 0xff
            accumulator = (accumulator &<< bits) | (entry &>> 8)
            waiting &+= bits
            if waiting >= 32 {
                // 32 to 61 bits waiting: 32 fewer. Said as `&= 31`, not `&-= 32`: with two
                // counters stepped alike the optimiser paired them in a vector register, which put
                // its slow moves on every octet's path (20 instructions an octet instead of 13).
                waiting &= 31
                UnsafeMutableRawPointer(out + position).storeBytes(of: UInt32(truncatingIfNeeded: accumulator &>> waiting).bigEndian,
                                                                    as: UInt32.self)
                position &+= 4
                if position >= limit { return nil }
            }
        }
        while waiting >= 8 {
            waiting &-= 8
            out[position] = UInt8(truncatingIfNeeded: accumulator &>> waiting)
            position &+= 1
        }
        if waiting > 0 {
            // Padded with the most significant bits of EOS (all 1s), §5.2.
            let padding = 8 &- waiting
            out[position] = UInt8(truncatingIfNeeded: (accumulator &<< padding) | ((1 &<< padding) &- 1))
            position &+= 1
        }
        return position < limit ? position : nil
    }

    /// The Huffman code of each octet for the encoder: the code in bits 8 and up, its length in
    /// bits 0–7. Plain memory, built once from `huffmanCodeTable` and never written again.
    static let encodeTable: EncodeTable = {
        let table = UnsafeMutablePointer<UInt64>.allocate(capacity: 256)
        for byte in 0..<256 {
            let (code, bits) = huffmanCodeTable[byte]
            (table + byte).initialize(to: UInt64(code) << 8 | UInt64(bits))
        }
        return EncodeTable(codes: UnsafePointer(table))
    }()

    /// `encodeTable`'s memory: written once, before anyone can read it, then only read.
    struct EncodeTable: @unchecked Sendable {
        let codes: UnsafePointer<UInt64>
    }

    /// `encodedLength` over contiguous octets, from `encodeTable`.
    @inline(__always)
    static func encodedLength(_ bytes: UnsafeBufferPointer<UInt8>, codes: UnsafePointer<UInt64>) -> Int {
        var bits = 0
        for byte in bytes { bits &+= Int(truncatingIfNeeded: codes[Int(byte)] & 0xff) }
        return (bits &+ 7) &>> 3
    }

    /// Decodes a Huffman-coded string (RFC 7541 §5.2). `offset` is only used to locate errors in
    /// the header block. The safe entry point; the pointer-taking forms below stay in the package.
    public static func decode(_ bytes: [UInt8], offset: Int = 0) throws(HPACKError) -> [UInt8] {
        try bytes.withUnsafeBufferPointer { (buffer) throws(HPACKError) in try decode(buffer, offset: offset) }
    }

    /// Decodes a Huffman-coded string held at `bytes`.
    package static func decode(_ bytes: UnsafeBufferPointer<UInt8>, offset: Int = 0) throws(HPACKError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: bytes.count * 8 / 5 + 1)
        let count = try out.withUnsafeMutableBufferPointer { (buffer) throws(HPACKError) -> Int in
            try decode(bytes, into: buffer, offset: offset)
        }
        out.removeSubrange(count...)
        return out
    }

    /// Decodes into `output`, which must hold at least `bytes.count * 8 / 5 + 1` octets (one
    /// spare: a step writes two octets whether or not the second is kept); returns the count.
    ///
    /// The loop does not branch on the input: a step stores both of its entry's symbols and
    /// advances by how many the byte completed, and a completed EOS is remembered and reported
    /// after the loop (each step still completes at most two symbols of at least 5 bits, so the
    /// output bound holds whatever the input). What is left is the table load, one per byte.
    /// (A decoder reading 12 bits at a time from a 16 KiB table, two symbols a step, was tried:
    /// on header values, 13 octets long in the median, it was no faster.)
    @inlinable
    package static func decode(
        _ bytes: UnsafeBufferPointer<UInt8>, into output: UnsafeMutableBufferPointer<UInt8>, offset: Int
    ) throws(HPACKError) -> Int {
        precondition(output.count >= bytes.count * 8 / 5 + 1)
        guard let out = output.baseAddress else { return 0 }
        let table = HuffmanDecodeTable.shared
        var state = 0
        var written = 0
        var seen: UInt32 = 0
        table.entries.withUnsafeBufferPointer { entries in
            guard let entries = entries.baseAddress else { return }
            for byte in bytes {
                let entry = entries[state &<< 8 | Int(byte)]
                seen |= entry
                out[written] = UInt8(truncatingIfNeeded: entry &>> 8)
                out[written &+ 1] = UInt8(truncatingIfNeeded: entry &>> 16)
                written &+= Int(entry &>> 24) & 3
                state = Int(entry & 0xff)
            }
        }
        if seen & HuffmanDecodeTable.failBit != 0 { throw .huffmanEOS(offset: offset) }
        // §5.2: padding longer than 7 bits, or not a prefix of EOS (all 1s), is a decoding error.
        guard table.acceptsEnd[state] else { throw .invalidHuffmanPadding(offset: offset) }
        return written
    }
}

/// The byte-at-a-time decoding automaton; see `HuffmanCoding`.
@usableFromInline
struct HuffmanDecodeTable: Sendable {
    /// Entry layout: bits 0–7 next state, 8–15 first symbol, 16–23 second symbol,
    /// 24–25 number of symbols emitted, bit 26 set if the byte completes EOS (a decoding error).
    @usableFromInline let entries: [UInt32]
    /// Whether input may end in each state: the bits since the last symbol are at most 7 and all 1s.
    @usableFromInline let acceptsEnd: [Bool]
    @usableFromInline static let failBit: UInt32 = 1 << 26

    @usableFromInline static let shared = HuffmanDecodeTable()

    init() {
        // Build the code tree. Internal nodes are numbered from 0 (the root); a child is either
        // another internal node or a leaf holding a symbol.
        enum Child { case none, node(Int), leaf(Int) }
        var children: [[Child]] = [[.none, .none]]
        var depthOnes: [Int?] = [0]  // for nodes on the all-1s path: their depth
        for (symbol, entry) in huffmanCodeTable.enumerated() {
            var node = 0
            for i in stride(from: Int(entry.bits) - 1, through: 0, by: -1) {
                let bit = Int((entry.code >> UInt32(i)) & 1)
                if i == 0 {
                    children[node][bit] = .leaf(symbol)
                } else if case .node(let next) = children[node][bit] {
                    node = next
                } else {
                    children.append([.none, .none])
                    let next = children.count - 1
                    depthOnes.append(bit == 1 ? depthOnes[node].map { $0 + 1 } : nil)
                    children[node][bit] = .node(next)
                    node = next
                }
            }
        }
        precondition(children.count == 256, "the RFC 7541 code has 256 internal nodes")

        var entries = [UInt32](repeating: 0, count: 256 * 256)
        for state in 0..<256 {
            for byte in 0..<256 {
                var node = state
                var symbols: [Int] = []
                var failed = false
                for i in stride(from: 7, through: 0, by: -1) {
                    switch children[node][(byte >> i) & 1] {
                    case .node(let next):
                        node = next
                    case .leaf(let symbol):
                        if symbol == 256 { failed = true }
                        symbols.append(symbol)
                        node = 0
                    case .none:
                        failed = true  // unreachable for a complete code
                    }
                }
                var entry = UInt32(node) | UInt32(min(symbols.count, 2)) << 24
                if let first = symbols.first { entry |= UInt32(first & 0xff) << 8 }
                if symbols.count > 1 { entry |= UInt32(symbols[1] & 0xff) << 16 }
                if failed { entry |= Self.failBit }
                entries[state << 8 | byte] = entry
            }
        }
        self.entries = entries
        self.acceptsEnd = depthOnes.map { depth in depth.map { $0 <= 7 } ?? false }
    }
}
