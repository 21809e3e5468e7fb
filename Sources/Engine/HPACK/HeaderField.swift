/// One header field: a name and a value, as HTTP/2 carries them (names lowercase).
public struct HeaderField: Hashable, Sendable, CustomStringConvertible {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }

    /// RFC 7541 §4.1: an entry's size is its name and value length in octets plus 32.
    public var size: Int { name.utf8.count + value.utf8.count + 32 }

    /// Whether this is a pseudo-header field (RFC 9113 §8.3): its name begins with a colon. One
    /// octet looked at (`hasPrefix(":")` compared as text, and cost a server a few per cent).
    public var isPseudo: Bool { name.utf8.first == 0x3a }

    public var description: String { "\(name): \(value)" }

    /// Runs `body` on the name's and the value's UTF-8 octets in place (copied only for a bridged
    /// string), valid during the call: the HPACK encoder, the table and the §8 checks read them so.
    /// A native string's octets are read where they are, with no copy of the string (`withUTF8`
    /// is mutating, and the copy it needs costs a retain and a release of each string). Internal:
    /// the octets are pointers valid only during the call.
    @inline(__always)
    func withOctets<R>(_ body: (_ name: UnsafeBufferPointer<UInt8>, _ value: UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try Self.withOctets(of: name) { name in try Self.withOctets(of: value) { value in try body(name, value) } }
    }

    @inline(__always)
    static func withOctets<R>(of text: String, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        if let result = try text.utf8.withContiguousStorageIfAvailable(body) { return result }
        var text = text  // a bridged string, made contiguous
        return try text.withUTF8(body)
    }
}

/// How a literal field is (or was) entered into the dynamic table, RFC 7541 §6.2.
public enum Indexing: String, Sendable, CaseIterable {
    /// §6.2.1: literal with incremental indexing: the field is added to the dynamic table.
    case incremental
    /// §6.2.2: literal without indexing: the table is untouched; an intermediary may index it.
    case withoutIndexing = "without-indexing"
    /// §6.2.3: literal never indexed: no intermediary may index it either (secrets, cookies).
    case neverIndexed = "never-indexed"
}

/// The wire representation a header field was read from or written as (RFC 7541 §6).
public enum FieldRepresentation: Hashable, Sendable, CustomStringConvertible {
    /// §6.1: the whole field is an index into the static (1...61) or dynamic (62...) table.
    case indexed(index: Int)
    /// §6.2: a literal value, with its name either indexed (`nameIndex`) or given as a literal.
    case literal(indexing: Indexing, nameIndex: Int?, nameHuffman: Bool, valueHuffman: Bool)

    public var description: String {
        switch self {
        case .indexed(let index):
            return "indexed \(index)"
        case .literal(let indexing, let nameIndex, let nameHuffman, let valueHuffman):
            var text = "literal " + indexing.rawValue
            if let nameIndex {
                text += ", name index \(nameIndex)"
            } else {
                text += ", new name" + (nameHuffman ? " (huffman)" : "")
            }
            text += valueHuffman ? ", value huffman" : ", value raw"
            return text
        }
    }
}

/// Something that happened to a dynamic table while a header block was encoded or decoded.
public enum TableOperation: Hashable, Sendable, CustomStringConvertible {
    /// An entry was added; it is now index 62.
    case inserted(HeaderField, size: Int)
    /// The oldest entry was evicted to make room (§4.4) or because the table shrank (§4.3).
    case evicted(HeaderField, size: Int)
    /// A dynamic table size update (§6.3) changed the table's maximum size.
    case resized(from: Int, to: Int)

    /// The eviction of the entry `entry` makes, as `DynamicTable`'s eviction callback hands it over
    /// (made only when a report asks: `report?.operations.append(.evicted(from: $0))`).
    static func evicted(from entry: () -> DynamicTable.Entry) -> TableOperation {
        let evicted = entry()
        return .evicted(evicted.field, size: evicted.size)
    }

    public var description: String {
        switch self {
        case .inserted(let field, let size): return "insert 62 \(field) (\(size))"
        case .evicted(let field, let size): return "evict \(field) (\(size))"
        case .resized(let from, let to): return "max size \(from) → \(to)"
        }
    }
}
