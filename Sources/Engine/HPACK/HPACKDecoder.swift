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

    /// Decodes a complete header block into fields (no report is built).
    public mutating func decode(_ block: [UInt8]) throws(HPACKError) -> [HeaderField] {
        try decode(block) { _, _ in }
    }

    /// `decode(_:)`, also handing each field's octets to `observe` before its `String`s are made
    /// (a server checks a request's fields there, §8.2). The octets are valid only during the call.
    public mutating func decode(
        _ block: [UInt8], observing observe: (_ name: UnsafeBufferPointer<UInt8>, _ value: UnsafeBufferPointer<UInt8>) -> Void
    ) throws(HPACKError) -> [HeaderField] {
        var fields: [HeaderField] = []
        fields.reserveCapacity(16)
        var report: DecodedHeaderBlock?
        try block.withUnsafeBufferPointer { (buffer) throws(HPACKError) in
            try decode(buffer, report: &report, makesStrings: true) { name, value, known in
                observe(name, value)
                fields.append(Self.field(name, value, known))
                return nil  // only a report needs the field back (returning it cost a retain and a release)
            }
        }
        return fields
    }

    /// Decodes a complete header block, handing each field's name and value octets to `field` in
    /// order (the fast path: no `String`, no allocation and no reference count per field). The
    /// octets are valid only during the call: they point into the block, the tables, or a scratch
    /// buffer for Huffman-coded strings. A block that fails throws after the fields before it.
    public mutating func decode(
        _ block: UnsafeBufferPointer<UInt8>,
        field: (_ name: UnsafeBufferPointer<UInt8>, _ value: UnsafeBufferPointer<UInt8>) -> Void
    ) throws(HPACKError) {
        var report: DecodedHeaderBlock?
        try decode(block, report: &report, makesStrings: false) { name, value, _ in
            field(name, value)
            return nil
        }
    }

    /// Decodes a complete header block, reporting each field's representation and every table change.
    public mutating func decodeReporting(_ block: [UInt8]) throws(HPACKError) -> DecodedHeaderBlock {
        var report: DecodedHeaderBlock? = DecodedHeaderBlock(tableSizeBefore: table.size)
        try block.withUnsafeBufferPointer { (buffer) throws(HPACKError) in
            try decode(buffer, report: &report, makesStrings: true) { name, value, known in
                Self.field(name, value, known)
            }
        }
        var result = report ?? DecodedHeaderBlock()
        result.tableSizeAfter = table.size
        return result
    }

    /// Where a field came from, for a caller that makes `String`s: the static entry whose name or
    /// whole field it is (those `String`s are made already), a dynamic entry's field as the table
    /// keeps it made, or none of these.
    enum Known {
        case none
        case name(Int)
        case field(Int)
        case made(HeaderField)
    }

    /// A field as `String`s: taken from the static table where it came from there, and from
    /// `DynamicTable.field` for a dynamic entry, which makes the entry's `String`s the first time a
    /// `String` decode refers to it and shares them with every later reference (made lazily, this
    /// measured faster than making them again; made eagerly at insertion, as a table of `String`s
    /// once did, it was slower).
    @inline(__always)
    static func field(_ name: UnsafeBufferPointer<UInt8>, _ value: UnsafeBufferPointer<UInt8>, _ known: Known) -> HeaderField {
        switch known {
        case .field(let index): return StaticTable.entries[index - 1]
        case .made(let field): return field
        case .name(let index): return HeaderField(StaticTable.entries[index - 1].name, String(decoding: value, as: UTF8.self))
        case .none: return HeaderField(String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self))
        }
    }

    /// The decoder: reads each representation (§6), hands the field to `emit`, then changes the
    /// table. `emit` returns the field as `String`s when there is a report, which shows it.
    /// Huffman-coded strings are decoded into a scratch buffer big enough
    /// for any field of the block (on the stack for the usual small block).
    /// With `makesStrings`, a field indexed from the dynamic table comes as the table's own
    /// `String`s (`DynamicTable.field(_:)`), made at most once per entry.
    @inline(__always)
    private mutating func decode(
        _ bytes: UnsafeBufferPointer<UInt8>, report: inout DecodedHeaderBlock?, makesStrings: Bool,
        emit: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>, Known) -> HeaderField?
    ) throws(HPACKError) {
        // Two strings of a and b octets decode to at most a*8/5+1 and b*8/5+1 octets (§5.2).
        let capacity = bytes.count * 8 / 5 + 2
        var failure: HPACKError?
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: capacity) { scratch in
            guard let scratch = scratch.baseAddress else { return }
            do throws(HPACKError) {
                try decode(bytes, scratch: scratch, report: &report, makesStrings: makesStrings, emit: emit)
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
    }

    @inline(__always)
    private mutating func decode(
        _ bytes: UnsafeBufferPointer<UInt8>, scratch: UnsafeMutablePointer<UInt8>, report: inout DecodedHeaderBlock?,
        makesStrings: Bool, emit: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>, Known) -> HeaderField?
    ) throws(HPACKError) {
        let statics = StaticOctets.shared
        let limit = maxStringLength
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
                report?.operations.append(.resized(from: table.maxSize, to: newSize))
                table.setMaxSize(newSize) { report?.operations.append(.evicted(from: $0)) }
                sawSizeUpdate = true
                continue
            }
            if mustUpdate && !sawSizeUpdate { throw .missingSizeUpdate(limit: settingsLimit) }
            sawField = true

            // The field as `emit` made it, if it did.
            var made: HeaderField?
            let representation: FieldRepresentation
            let entrySize: Int
            if first & 0x80 != 0 {
                // §6.1 indexed header field.
                let index = try IntegerCoding.decode(bytes, at: &offset, prefixBits: 7)
                if index == 0 { throw .zeroIndex(offset: start) }
                if index <= StaticTable.count {
                    let name = statics.name(index), value = statics.value(index)
                    made = emit(name, value, .field(index))
                    entrySize = name.count + value.count + 32
                } else {
                    let dynamicIndex = index - StaticTable.count - 1
                    guard dynamicIndex < table.count else {
                        throw .indexOutOfRange(index: index, tableEntries: table.count, offset: start)
                    }
                    let known = makesStrings ? Known.made(table.field(dynamicIndex)) : .none
                    entrySize = table.withOctets(dynamicIndex) { name, value in
                        made = emit(name, value, known)
                        return name.count + value.count + 32
                    }
                }
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
                var used = 0
                var nameHuffman = false
                var name = UnsafeBufferPointer<UInt8>(start: nil, count: 0)
                var known = Known.none
                let dynamicName = nameIndex - StaticTable.count - 1  // >= 0 for a name from the dynamic table
                if nameIndex == 0 {
                    (name, nameHuffman) = try Self.readString(bytes, at: &offset, scratch: scratch, used: &used, limit: limit)
                } else if nameIndex <= StaticTable.count {
                    name = statics.name(nameIndex)
                    known = .name(nameIndex)
                } else if dynamicName >= table.count {
                    throw .indexOutOfRange(index: nameIndex, tableEntries: table.count, offset: start)
                }
                let (value, valueHuffman) = try Self.readString(bytes, at: &offset, scratch: scratch, used: &used, limit: limit)
                var inserted = false
                if dynamicName >= 0 {
                    entrySize = table.withOctets(dynamicName) { name, _ in
                        made = emit(name, value, known)
                        return name.count + value.count + 32
                    }
                    if indexing == .incremental {
                        inserted = table.insert(nameOf: dynamicName, value: value) { report?.operations.append(.evicted(from: $0)) }
                    }
                } else {
                    made = emit(name, value, known)
                    entrySize = name.count + value.count + 32
                    if indexing == .incremental {
                        inserted = table.insert(name: name, value: value) { report?.operations.append(.evicted(from: $0)) }
                    }
                }
                if inserted, let made { report?.operations.append(.inserted(made, size: entrySize)) }
                representation = .literal(
                    indexing: indexing, nameIndex: nameIndex == 0 ? nil : nameIndex,
                    nameHuffman: nameHuffman, valueHuffman: valueHuffman)
            }
            listSize += entrySize
            if let limit = maxHeaderListSize, listSize > limit {
                throw .headerListTooLarge(size: listSize, limit: limit)
            }
            if let made {
                report?.fields.append(
                    DecodedField(field: made, representation: representation, offset: start, length: offset - start))
            }
        }
        if mustUpdate && !sawSizeUpdate && !sawField {
            // An empty block still has to carry the update.
            throw .missingSizeUpdate(limit: settingsLimit)
        }
    }

    /// §5.2 string literal: H bit, 7-bit-prefix length, then raw or Huffman-coded octets. Raw
    /// octets are returned where they lie in the block; Huffman-coded ones are decoded into
    /// `scratch` from `used` on.
    @inline(__always)
    private static func readString(
        _ bytes: UnsafeBufferPointer<UInt8>, at offset: inout Int, scratch: UnsafeMutablePointer<UInt8>,
        used: inout Int, limit: Int
    ) throws(HPACKError) -> (UnsafeBufferPointer<UInt8>, huffman: Bool) {
        let start = offset
        guard offset < bytes.count else { throw .truncated(offset: start) }
        let huffman = bytes[offset] & 0x80 != 0
        let length = try IntegerCoding.decode(bytes, at: &offset, prefixBits: 7)
        guard length <= bytes.count - offset else { throw .truncated(offset: start) }
        let raw = UnsafeBufferPointer(rebasing: bytes[offset..<(offset + length)])
        offset += length
        if !huffman {
            guard length <= limit else { throw .stringTooLong(length: length, limit: limit, offset: start) }
            return (raw, false)
        }
        let output = UnsafeMutableBufferPointer(start: scratch + used, count: length * 8 / 5 + 1)
        let count = try HuffmanCoding.decode(raw, into: output, offset: start)
        guard count <= limit else { throw .stringTooLong(length: count, limit: limit, offset: start) }
        used += count
        return (UnsafeBufferPointer(start: scratch + used - count, count: count), true)
    }
}
