/// Whether a string literal is Huffman-coded.
public enum HuffmanChoice: String, Sendable, CaseIterable {
    /// Huffman only when it is strictly shorter (what most encoders do).
    case auto
    case always
    case never
}

/// How the encoder represents fields. Set per encoder, or per field for teaching.
public struct EncoderPolicy: Hashable, Sendable {
    /// nil: choose (index unless the field is sensitive or too large for the table).
    public var indexing: Indexing?
    public var huffman: HuffmanChoice
    /// Whether to use exact matches from the tables (an indexed representation, §6.1).
    public var useIndexedFields: Bool

    public init(indexing: Indexing? = nil, huffman: HuffmanChoice = .auto, useIndexedFields: Bool = true) {
        self.indexing = indexing
        self.huffman = huffman
        self.useIndexedFields = useIndexedFields
    }

    public static let standard = EncoderPolicy()
}

/// An encoded header block with the choices made for each field, for views and lessons.
public struct EncodedHeaderBlock: Hashable, Sendable {
    public var bytes: [UInt8] = []
    public var fields: [DecodedField] = []
    public var operations: [TableOperation] = []
    public var tableSizeBefore = 0
    public var tableSizeAfter = 0
}

/// An HPACK encoder (RFC 7541) with its dynamic table.
public struct HPACKEncoder: Sendable, Equatable {
    public private(set) var table: DynamicTable
    public var policy: EncoderPolicy
    /// The largest table this encoder wants, whatever the peer allows.
    public var preferredTableSize: Int
    /// Size updates to emit at the start of the next block (§4.2): the smallest, then the final.
    private var pendingSizeUpdates: [Int] = []

    /// Header names that are never indexed unless a field policy says otherwise (§7.1.3).
    public static let sensitiveNames: Set<String> = ["authorization", "proxy-authorization", "cookie", "set-cookie"]

    public init(tableSize: Int = 4096, policy: EncoderPolicy = .standard) {
        self.table = DynamicTable(maxSize: tableSize)
        self.policy = policy
        self.preferredTableSize = tableSize
    }

    /// Applies the peer's SETTINGS_HEADER_TABLE_SIZE: the table size becomes min(preferred, limit),
    /// announced by a size update at the start of the next header block.
    public mutating func setPeerLimit(_ limit: Int) {
        let newSize = min(limit, preferredTableSize)
        guard newSize != (pendingSizeUpdates.last ?? table.maxSize) else { return }
        if let smallest = pendingSizeUpdates.first, smallest < newSize {
            pendingSizeUpdates = [smallest, newSize]
        } else {
            pendingSizeUpdates = [newSize]
        }
    }

    /// Encodes a header block. `policies`, if given, holds a per-field override (nil = encoder policy).
    public mutating func encode(_ fields: [HeaderField], policies: [EncoderPolicy?] = []) -> EncodedHeaderBlock {
        var block = EncodedHeaderBlock(tableSizeBefore: table.size)
        block.bytes.reserveCapacity(fields.count * 8)
        for newSize in pendingSizeUpdates {
            block.operations.append(.resized(from: table.maxSize, to: newSize))
            IntegerCoding.encode(newSize, prefixBits: 5, flags: 0x20, into: &block.bytes)
            table.setMaxSize(newSize) { entry in block.operations.append(.evicted(entry.field, size: entry.size)) }
        }
        pendingSizeUpdates = []
        for (i, field) in fields.enumerated() {
            let fieldPolicy = (i < policies.count ? policies[i] : nil) ?? policy
            let start = block.bytes.count
            let representation = encodeField(field, policy: fieldPolicy, block: &block)
            block.fields.append(DecodedField(
                field: field, representation: representation, offset: start, length: block.bytes.count - start))
        }
        block.tableSizeAfter = table.size
        return block
    }

    private mutating func encodeField(
        _ field: HeaderField, policy: EncoderPolicy, block: inout EncodedHeaderBlock
    ) -> FieldRepresentation {
        let dynamicMatch = table.find(field)
        if policy.useIndexedFields {
            if let exact = StaticTable.indexByField[field] {
                IntegerCoding.encode(exact, prefixBits: 7, flags: 0x80, into: &block.bytes)
                return .indexed(index: exact)
            }
            if let exact = dynamicMatch.exact {
                let index = exact + StaticTable.count + 1
                IntegerCoding.encode(index, prefixBits: 7, flags: 0x80, into: &block.bytes)
                return .indexed(index: index)
            }
        }
        let nameIndex = StaticTable.firstIndexByName[field.name]
            ?? dynamicMatch.name.map { $0 + StaticTable.count + 1 }
        let indexing = policy.indexing ?? defaultIndexing(for: field)
        switch indexing {
        case .incremental: IntegerCoding.encode(nameIndex ?? 0, prefixBits: 6, flags: 0x40, into: &block.bytes)
        case .withoutIndexing: IntegerCoding.encode(nameIndex ?? 0, prefixBits: 4, flags: 0x00, into: &block.bytes)
        case .neverIndexed: IntegerCoding.encode(nameIndex ?? 0, prefixBits: 4, flags: 0x10, into: &block.bytes)
        }
        var nameHuffman = false
        if nameIndex == nil { nameHuffman = Self.writeString(field.name, huffman: policy.huffman, into: &block.bytes) }
        let valueHuffman = Self.writeString(field.value, huffman: policy.huffman, into: &block.bytes)
        if indexing == .incremental {
            let size = field.size
            table.insert(field, size: size) { entry in block.operations.append(.evicted(entry.field, size: entry.size)) }
            if size <= table.maxSize { block.operations.append(.inserted(field, size: size)) }
        }
        return .literal(indexing: indexing, nameIndex: nameIndex, nameHuffman: nameHuffman, valueHuffman: valueHuffman)
    }

    private func defaultIndexing(for field: HeaderField) -> Indexing {
        if Self.sensitiveNames.contains(field.name) && field.value.utf8.count < 20 { return .neverIndexed }
        // A field bigger than three quarters of the table would flush most of it for one use.
        return field.size * 4 > table.maxSize * 3 ? .withoutIndexing : .incremental
    }

    /// Writes a §5.2 string literal; returns whether it was Huffman-coded.
    @discardableResult
    static func writeString(_ text: String, huffman: HuffmanChoice, into out: inout [UInt8]) -> Bool {
        let utf8 = text.utf8
        let useHuffman: Bool
        var huffmanLength = 0
        switch huffman {
        case .never: useHuffman = false
        case .always:
            useHuffman = true
            huffmanLength = HuffmanCoding.encodedLength(utf8)
        case .auto:
            huffmanLength = HuffmanCoding.encodedLength(utf8)
            useHuffman = huffmanLength < utf8.count
        }
        if useHuffman {
            IntegerCoding.encode(huffmanLength, prefixBits: 7, flags: 0x80, into: &out)
            HuffmanCoding.encode(utf8, into: &out)
        } else {
            IntegerCoding.encode(utf8.count, prefixBits: 7, flags: 0, into: &out)
            out.append(contentsOf: utf8)
        }
        return useHuffman
    }
}
