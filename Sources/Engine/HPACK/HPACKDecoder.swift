/// One decoded field with the representation it was read from and where it sat in the block.
public struct DecodedField: Hashable, Sendable {
    public var field: HeaderField
    public var representation: FieldRepresentation
    public var offset: Int
    public var length: Int
}

/// A decoded header block with everything the decoder did, for views and lessons.
public struct DecodedHeaderBlock: Hashable, Sendable {
    public var fields: [DecodedField] = []
    /// Size updates, insertions and evictions, in the order they happened.
    public var operations: [TableOperation] = []
    public var tableSizeBefore = 0
    public var tableSizeAfter = 0
    /// The fields, when the block was decoded without a report (`fields` is then empty).
    var unreported: [HeaderField]?

    public var headerFields: [HeaderField] { unreported ?? fields.map(\.field) }
    /// Whether the block carries the field-by-field report.
    public var isReported: Bool { unreported == nil }

    /// A block decoded without a report: only its fields.
    init(unreported fields: [HeaderField]) { unreported = fields }

    public init(fields: [DecodedField] = [], operations: [TableOperation] = [], tableSizeBefore: Int = 0, tableSizeAfter: Int = 0) {
        self.fields = fields
        self.operations = operations
        self.tableSizeBefore = tableSizeBefore
        self.tableSizeAfter = tableSizeAfter
    }
}

/// An HPACK decoder (RFC 7541): its dynamic table and the limits this endpoint set.
public struct HPACKDecoder: Sendable, Equatable {
    public private(set) var table: DynamicTable
    /// The SETTINGS_HEADER_TABLE_SIZE this endpoint advertised and the peer acknowledged: size
    /// updates may not exceed it (§6.3).
    public private(set) var settingsLimit: Int
    /// SETTINGS_MAX_HEADER_LIST_SIZE as this endpoint enforces it; nil for no limit.
    public var maxHeaderListSize: Int?
    /// The longest string literal accepted (an HPACK-bomb guard).
    public var maxStringLength: Int

    public init(tableSize: Int = 4096, maxHeaderListSize: Int? = nil, maxStringLength: Int = 1 << 20) {
        self.table = DynamicTable(maxSize: tableSize)
        self.settingsLimit = tableSize
        self.maxHeaderListSize = maxHeaderListSize
        self.maxStringLength = maxStringLength
    }

    /// Applies an acknowledged SETTINGS_HEADER_TABLE_SIZE. If it is below the table's current maximum,
    /// the peer's next header block must open with a size update (§4.2); `decode` enforces that.
    public mutating func setSettingsLimit(_ limit: Int) {
        settingsLimit = limit
    }

    /// Decodes a complete header block into fields (the fast path: no report is built).
    public mutating func decode(_ block: [UInt8]) throws(HPACKError) -> [HeaderField] {
        var fields: [HeaderField] = []
        fields.reserveCapacity(16)
        var report: DecodedHeaderBlock?
        try block.withUnsafeBufferPointer { (buffer) throws(HPACKError) in
            try decode(buffer, fields: &fields, report: &report)
        }
        return fields
    }

    /// Decodes a complete header block, reporting each field's representation and every table change.
    public mutating func decodeReporting(_ block: [UInt8]) throws(HPACKError) -> DecodedHeaderBlock {
        var fields: [HeaderField] = []
        var report: DecodedHeaderBlock? = DecodedHeaderBlock(tableSizeBefore: table.size)
        try block.withUnsafeBufferPointer { (buffer) throws(HPACKError) in
            try decode(buffer, fields: &fields, report: &report)
        }
        var result = report ?? DecodedHeaderBlock()
        result.tableSizeAfter = table.size
        return result
    }

    private mutating func decode(
        _ bytes: UnsafeBufferPointer<UInt8>, fields: inout [HeaderField], report: inout DecodedHeaderBlock?
    ) throws(HPACKError) {
        var offset = 0
        var listSize = 0
        var sawField = false
        var sawSizeUpdate = false
        let mustUpdate = table.maxSize > settingsLimit
        while offset < bytes.count {
            let start = offset
            let first = bytes[offset]
            if first & 0xe0 == 0x20 {
                // §6.3 dynamic table size update: only before the first field (§4.2).
                guard !sawField else { throw .sizeUpdateNotAtStart(offset: start) }
                let newSize = try IntegerCoding.decode(bytes, at: &offset, prefixBits: 5)
                guard newSize <= settingsLimit else {
                    throw .sizeUpdateTooLarge(requested: newSize, limit: settingsLimit, offset: start)
                }
                let oldSize = table.maxSize
                report?.operations.append(.resized(from: oldSize, to: newSize))
                table.setMaxSize(newSize) { entry in report?.operations.append(.evicted(entry.field, size: entry.size)) }
                sawSizeUpdate = true
                continue
            }
            if mustUpdate && !sawSizeUpdate { throw .missingSizeUpdate(limit: settingsLimit) }
            sawField = true

            let field: HeaderField
            let representation: FieldRepresentation
            var entrySize = 0
            if first & 0x80 != 0 {
                // §6.1 indexed header field.
                let index = try IntegerCoding.decode(bytes, at: &offset, prefixBits: 7)
                (field, entrySize) = try lookup(index, offset: start)
                representation = .indexed(index: index)
            } else {
                let indexing: Indexing
                let prefix: Int
                if first & 0x40 != 0 {
                    indexing = .incremental; prefix = 6
                } else if first & 0x10 != 0 {
                    indexing = .neverIndexed; prefix = 4
                } else {
                    indexing = .withoutIndexing; prefix = 4
                }
                let nameIndex = try IntegerCoding.decode(bytes, at: &offset, prefixBits: prefix)
                let name: String
                var nameHuffman = false
                var nameOctets: Int
                if nameIndex == 0 {
                    (name, nameHuffman, nameOctets) = try readString(bytes, at: &offset)
                } else {
                    name = try lookup(nameIndex, offset: start).0.name
                    nameOctets = name.utf8.count
                }
                let (value, valueHuffman, valueOctets) = try readString(bytes, at: &offset)
                field = HeaderField(name, value)
                entrySize = nameOctets + valueOctets + 32
                representation = .literal(
                    indexing: indexing, nameIndex: nameIndex == 0 ? nil : nameIndex,
                    nameHuffman: nameHuffman, valueHuffman: valueHuffman)
                if indexing == .incremental {
                    table.insert(field, size: entrySize) { entry in
                        report?.operations.append(.evicted(entry.field, size: entry.size))
                    }
                    if entrySize <= table.maxSize {
                        report?.operations.append(.inserted(field, size: entrySize))
                    }
                }
            }
            listSize += entrySize
            if let limit = maxHeaderListSize, listSize > limit {
                throw .headerListTooLarge(size: listSize, limit: limit)
            }
            fields.append(field)
            report?.fields.append(
                DecodedField(field: field, representation: representation, offset: start, length: offset - start))
        }
        if mustUpdate && !sawSizeUpdate && !sawField {
            // An empty block still has to carry the update.
            throw .missingSizeUpdate(limit: settingsLimit)
        }
    }

    /// A field by HPACK index (§2.3.3), with its entry size.
    private func lookup(_ index: Int, offset: Int) throws(HPACKError) -> (HeaderField, Int) {
        if index == 0 { throw .zeroIndex(offset: offset) }
        if index <= StaticTable.count {
            let field = StaticTable.entries[index - 1]
            return (field, field.size)
        }
        let dynamicIndex = index - StaticTable.count - 1
        guard dynamicIndex < table.count else {
            throw .indexOutOfRange(index: index, tableEntries: table.count, offset: offset)
        }
        let entry = table[dynamicIndex]
        return (entry.field, entry.size)
    }

    /// §5.2 string literal: H bit, 7-bit-prefix length, then raw or Huffman-coded octets.
    private func readString(
        _ bytes: UnsafeBufferPointer<UInt8>, at offset: inout Int
    ) throws(HPACKError) -> (String, huffman: Bool, octets: Int) {
        let start = offset
        guard offset < bytes.count else { throw .truncated(offset: start) }
        let huffman = bytes[offset] & 0x80 != 0
        let length = try IntegerCoding.decode(bytes, at: &offset, prefixBits: 7)
        guard length <= bytes.count - offset else { throw .truncated(offset: start) }
        let raw = UnsafeBufferPointer(rebasing: bytes[offset..<(offset + length)])
        offset += length
        if !huffman {
            guard length <= maxStringLength else {
                throw .stringTooLong(length: length, limit: maxStringLength, offset: start)
            }
            let text = String(decoding: raw, as: UTF8.self)
            return (text, false, length)
        }
        let capacity = length * 8 / 5 + 1
        var failure: HPACKError?
        var decodedCount = 0
        let text = String(unsafeUninitializedCapacity: capacity) { output in
            do throws(HPACKError) {
                decodedCount = try HuffmanCoding.decode(raw, into: output, offset: start)
                return decodedCount
            } catch {
                failure = error
                return 0
            }
        }
        if let failure { throw failure }
        guard decodedCount <= maxStringLength else {
            throw .stringTooLong(length: decodedCount, limit: maxStringLength, offset: start)
        }
        return (text, true, decodedCount)
    }
}
