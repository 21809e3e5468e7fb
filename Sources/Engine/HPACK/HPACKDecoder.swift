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
        try decode(block) { _, _, _ in 0 }
    }

    /// Where a field handed to an observer came from: a literal, a static entry (its index), or
    /// a dynamic entry with the note the observer returned for it before (0: none yet).
    enum FieldOrigin: Equatable {
        case literal
        case staticEntry(Int)
        case dynamicEntry(note: UInt16)
    }

    /// `decode(_:)`, also handing each field's octets to `observe` before its `String`s are made
    /// (a server checks a request's fields there, §8.2). The octets are valid only during the call,
    /// so this stays inside the engine (the safe `decode(_:)` is the public door).
    ///
    /// `observe` returns a note, which the table keeps with the field's entry when the field is
    /// one (indexed from the dynamic table, or inserted into it) and hands back on every later
    /// reference: what an observer works out from a field's octets alone, it works out once per
    /// entry, for an entry's octets never change while it lives. 0 is no note.
    mutating func decode(
        _ block: [UInt8],
        observing observe: (_ name: UnsafeBufferPointer<UInt8>, _ value: UnsafeBufferPointer<UInt8>, _ origin: FieldOrigin) -> UInt16
    ) throws(HPACKError) -> [HeaderField] {
        try block.withUnsafeBufferPointer { (buffer) throws(HPACKError) in try decode(buffer, observing: observe) }
    }

    /// `decode(_:observing:)` of a block where it lies (a server decodes a request's block in
    /// the buffer it was read into).
    mutating func decode(
        _ buffer: UnsafeBufferPointer<UInt8>,
        observing observe: (_ name: UnsafeBufferPointer<UInt8>, _ value: UnsafeBufferPointer<UInt8>, _ origin: FieldOrigin) -> UInt16
    ) throws(HPACKError) -> [HeaderField] {
        var fields: [HeaderField] = []
        fields.reserveCapacity(16)
        var report: DecodedHeaderBlock?
        try decode(buffer, report: &report, makesStrings: true) { name, value, known, note in
            let origin: FieldOrigin
            switch known {
            case .field(let index): origin = .staticEntry(index)
            case .made: origin = .dynamicEntry(note: note)
            case .name, .none: origin = .literal
            }
            note = observe(name, value, origin)
            fields.append(Self.field(name, value, known))
            return nil  // only a report needs the field back (returning it cost a retain and a release)
        }
        return fields
    }

    /// Decodes a complete header block, handing each field's name and value octets to `field` in
    /// order (the fast path: no `String`, no allocation and no reference count per field). The
    /// octets are valid only during the call: they point into the block, the tables, or a scratch
    /// buffer for Huffman-coded strings. A block that fails throws after the fields before it.
    /// Pointers that must not outlive a call are no public API: this is for the package's own
    /// measurements and tests (`h2lab bench hpack`, the fuzz target, the conformance probe).
    package mutating func decode(
        _ block: UnsafeBufferPointer<UInt8>,
        field: (_ name: UnsafeBufferPointer<UInt8>, _ value: UnsafeBufferPointer<UInt8>) -> Void
    ) throws(HPACKError) {
        var report: DecodedHeaderBlock?
        try decode(block, report: &report, makesStrings: false) { name, value, _, _ in
            field(name, value)
            return nil
        }
    }

    /// Decodes a complete header block, reporting each field's representation and every table change.
    public mutating func decodeReporting(_ block: [UInt8]) throws(HPACKError) -> DecodedHeaderBlock {
        try block.withUnsafeBufferPointer { (buffer) throws(HPACKError) in try decodeReporting(buffer) }
    }

    /// `decodeReporting(_:)` of a block where it lies.
    mutating func decodeReporting(_ buffer: UnsafeBufferPointer<UInt8>) throws(HPACKError) -> DecodedHeaderBlock {
        var report: DecodedHeaderBlock? = DecodedHeaderBlock(tableSizeBefore: table.size)
        try decode(buffer, report: &report, makesStrings: true) { name, value, known, _ in
            Self.field(name, value, known)
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

    /// What `emit` receives for each field: its name and value octets, where it came from, and
    /// the note of its dynamic entry (0 for none; what `emit` leaves there is kept with the entry
    /// when the field is one, see `decode(_:observing:)`). It returns the field as `String`s when
    /// there is a report, which shows it.
    typealias Emit = (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>, Known, inout UInt16) -> HeaderField?

    /// The decoder's place in one header block: the block, the next octet to read, the scratch
    /// buffer Huffman-coded strings are decoded into (from `used` on), and the static table's
    /// octets kept at hand (a global is checked for being built at each use).
    struct BlockCursor {
        let bytes: UnsafeBufferPointer<UInt8>
        var offset = 0
        let scratch: UnsafeMutablePointer<UInt8>
        var used = 0
        let statics = StaticOctets.shared
        /// The longest string literal accepted.
        let limit: Int
    }

    /// One field as a representation function read it: its size by §4.1 (for the header list
    /// limit), the field as `emit` made it, and the representation, for a report.
    struct ReadField {
        var size: Int
        var made: HeaderField?
        var representation: FieldRepresentation
    }

    /// The decoder: a scratch buffer for Huffman-coded strings, big enough for any field of the
    /// block (on the stack for the usual small block), then `decodeBlock`.
    @inline(__always)
    private mutating func decode(
        _ bytes: UnsafeBufferPointer<UInt8>, report: inout DecodedHeaderBlock?, makesStrings: Bool, emit: Emit
    ) throws(HPACKError) {
        // Two strings of a and b octets decode to at most a*8/5+1 and b*8/5+1 octets (§5.2).
        let capacity = bytes.count * 8 / 5 + 2
        var failure: HPACKError?
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: capacity) { scratch in
            guard let scratch = scratch.baseAddress else { return }
            do throws(HPACKError) {
                var cursor = BlockCursor(bytes: bytes, scratch: scratch, limit: maxStringLength)
                try decodeBlock(&cursor, report: &report, makesStrings: makesStrings, emit: emit)
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
    }

    /// A header block is a run of representations (§3.2, §6), told apart by their first bits:
    /// `1` indexed (§6.1), `01` literal with incremental indexing (§6.2.1), `001` size update
    /// (§6.3), `0001` literal never indexed (§6.2.3), `0000` literal without indexing (§6.2.2).
    /// Each field goes to `emit` as it is read, then changes the table; size updates may only
    /// open the block (§4.2), and must when the limit this endpoint set went below the table's
    /// size. With `makesStrings`, a field indexed from the dynamic table comes as the table's own
    /// `String`s (`DynamicTable.field(_:)`), made at most once per entry.
    @inline(__always)
    private mutating func decodeBlock(
        _ cursor: inout BlockCursor, report: inout DecodedHeaderBlock?, makesStrings: Bool, emit: Emit
    ) throws(HPACKError) {
        var listSize = 0
        var sawField = false
        var sawSizeUpdate = false
        let mustUpdate = table.maxSize > settingsLimit
        while cursor.offset < cursor.bytes.count {
            let start = cursor.offset
            let first = cursor.bytes[start]
            if first & 0xe0 == 0x20 {
                guard !sawField else { throw .sizeUpdateNotAtStart(offset: start) }
                try sizeUpdate(&cursor, report: &report)
                sawSizeUpdate = true
                continue
            }
            if mustUpdate && !sawSizeUpdate { throw .missingSizeUpdate(limit: settingsLimit) }
            sawField = true
            let field: ReadField
            if first & 0x80 != 0 {
                field = try indexedField(&cursor, makesStrings: makesStrings, emit: emit)
            } else if first & 0x40 != 0 {
                field = try literalWithIncrementalIndexing(&cursor, report: &report, emit: emit)
            } else if first & 0x10 != 0 {
                field = try literalNeverIndexed(&cursor, emit: emit)
            } else {
                field = try literalWithoutIndexing(&cursor, emit: emit)
            }
            listSize += field.size
            if let limit = maxHeaderListSize, listSize > limit {
                throw .headerListTooLarge(size: listSize, limit: limit)
            }
            if let made = field.made {
                report?.fields.append(
                    DecodedField(field: made, representation: field.representation, offset: start, length: cursor.offset - start))
            }
        }
        if mustUpdate && !sawSizeUpdate && !sawField {
            // An empty block still has to carry the update.
            throw .missingSizeUpdate(limit: settingsLimit)
        }
    }

    /// §6.1 Indexed Header Field: `1`, then the index with a 7-bit prefix; 1...61 are the static
    /// table (Appendix A), 62 and up the dynamic table, newest first (§2.3.3). Index 0, or one past
    /// the tables, is a decoding error (§6.1, §2.3.3).
    @inline(__always)
    private mutating func indexedField(_ cursor: inout BlockCursor, makesStrings: Bool, emit: Emit) throws(HPACKError) -> ReadField {
        let start = cursor.offset
        let index = try IntegerCoding.decode(cursor.bytes, at: &cursor.offset, prefixBits: 7)
        if index == 0 { throw .zeroIndex(offset: start) }
        var made: HeaderField?
        let size: Int
        if index <= StaticTable.count {
            let name = cursor.statics.name(index), value = cursor.statics.value(index)
            var note: UInt16 = 0
            made = emit(name, value, .field(index), &note)
            size = name.count + value.count + 32
        } else {
            let dynamicIndex = index - StaticTable.count - 1
            guard dynamicIndex < table.count else {
                throw .indexOutOfRange(index: index, tableEntries: table.count, offset: start)
            }
            let known = makesStrings ? Known.made(table.field(dynamicIndex)) : .none
            let kept = table.note(dynamicIndex)
            var note = kept
            size = table.withOctets(dynamicIndex) { name, value in
                made = emit(name, value, known, &note)
                return name.count + value.count + 32
            }
            if note != kept { table.setNote(dynamicIndex, note) }
        }
        return ReadField(size: size, made: made, representation: .indexed(index: index))
    }

    /// §6.2.1 Literal Header Field with Incremental Indexing: `01`, the name's index with a 6-bit
    /// prefix (0: a literal name follows), then the value; the field is added to the dynamic table
    /// as its newest entry, after evicting what it needs (§4.4).
    @inline(__always)
    private mutating func literalWithIncrementalIndexing(
        _ cursor: inout BlockCursor, report: inout DecodedHeaderBlock?, emit: Emit
    ) throws(HPACKError) -> ReadField {
        try literalField(&cursor, indexing: .incremental, prefixBits: 6, report: &report, emit: emit)
    }

    /// §6.2.2 Literal Header Field without Indexing: `0000`, the name's index with a 4-bit prefix
    /// (0: a literal name follows), then the value; the dynamic table is left as it is.
    @inline(__always)
    private mutating func literalWithoutIndexing(_ cursor: inout BlockCursor, emit: Emit) throws(HPACKError) -> ReadField {
        var noReport: DecodedHeaderBlock?
        return try literalField(&cursor, indexing: .withoutIndexing, prefixBits: 4, report: &noReport, emit: emit)
    }

    /// §6.2.3 Literal Header Field Never Indexed: `0001`, then as §6.2.2; the table is left as it
    /// is, and the representation says that an intermediary must re-encode the field the same
    /// way (the decoder only reports it; `FieldRepresentation` carries it).
    @inline(__always)
    private mutating func literalNeverIndexed(_ cursor: inout BlockCursor, emit: Emit) throws(HPACKError) -> ReadField {
        var noReport: DecodedHeaderBlock?
        return try literalField(&cursor, indexing: .neverIndexed, prefixBits: 4, report: &noReport, emit: emit)
    }

    /// The three literals' common form (§6.2): the name's index with a `prefixBits` prefix, a
    /// literal name (§5.2) when it is 0, then the value (§5.2); inserted into the table only with
    /// incremental indexing. A name indexed from the dynamic table is read in place, and copied
    /// within the table when the field is inserted (the entry may be evicted by that insertion).
    @inline(__always)
    private mutating func literalField(
        _ cursor: inout BlockCursor, indexing: Indexing, prefixBits: Int, report: inout DecodedHeaderBlock?, emit: Emit
    ) throws(HPACKError) -> ReadField {
        let start = cursor.offset
        let nameIndex = try IntegerCoding.decode(cursor.bytes, at: &cursor.offset, prefixBits: prefixBits)
        var nameHuffman = false
        var name = UnsafeBufferPointer<UInt8>(start: nil, count: 0)
        var known = Known.none
        let dynamicName = nameIndex - StaticTable.count - 1  // >= 0 for a name from the dynamic table
        if nameIndex == 0 {
            (name, nameHuffman) = try Self.readString(&cursor)
        } else if nameIndex <= StaticTable.count {
            name = cursor.statics.name(nameIndex)
            known = .name(nameIndex)
        } else if dynamicName >= table.count {
            throw .indexOutOfRange(index: nameIndex, tableEntries: table.count, offset: start)
        }
        let (value, valueHuffman) = try Self.readString(&cursor)
        var made: HeaderField?
        var inserted = false
        var note: UInt16 = 0
        let size: Int
        if dynamicName >= 0 {
            size = table.withOctets(dynamicName) { name, _ in
                made = emit(name, value, known, &note)
                return name.count + value.count + 32
            }
            if indexing == .incremental {
                inserted = table.insert(nameOf: dynamicName, value: value) { report?.operations.append(.evicted(from: $0)) }
            }
        } else {
            made = emit(name, value, known, &note)
            size = name.count + value.count + 32
            if indexing == .incremental {
                inserted = table.insert(name: name, value: value) { report?.operations.append(.evicted(from: $0)) }
            }
        }
        // The new entry is the field just emitted: its note is the field's.
        if inserted && note != 0 { table.setNote(0, note) }
        if inserted, let made { report?.operations.append(.inserted(made, size: size)) }
        let representation = FieldRepresentation.literal(
            indexing: indexing, nameIndex: nameIndex == 0 ? nil : nameIndex, nameHuffman: nameHuffman, valueHuffman: valueHuffman)
        return ReadField(size: size, made: made, representation: representation)
    }

    /// §6.3 Dynamic Table Size Update: `001`, then the new maximum size with a 5-bit prefix. It may
    /// not exceed the limit this endpoint's SETTINGS_HEADER_TABLE_SIZE set (§4.2, §6.3); the table
    /// evicts until it fits (§4.3).
    @inline(__always)
    private mutating func sizeUpdate(_ cursor: inout BlockCursor, report: inout DecodedHeaderBlock?) throws(HPACKError) {
        let start = cursor.offset
        let newSize = try IntegerCoding.decode(cursor.bytes, at: &cursor.offset, prefixBits: 5)
        guard newSize <= settingsLimit else {
            throw .sizeUpdateTooLarge(requested: newSize, limit: settingsLimit, offset: start)
        }
        report?.operations.append(.resized(from: table.maxSize, to: newSize))
        table.setMaxSize(newSize) { report?.operations.append(.evicted(from: $0)) }
    }

    /// §5.2 string literal: H bit, 7-bit-prefix length, then raw or Huffman-coded octets. Raw
    /// octets are returned where they lie in the block; Huffman-coded ones are decoded into the
    /// cursor's scratch buffer.
    @inline(__always)
    private static func readString(_ cursor: inout BlockCursor) throws(HPACKError) -> (UnsafeBufferPointer<UInt8>, huffman: Bool) {
        let bytes = cursor.bytes
        let start = cursor.offset
        guard start < bytes.count else { throw .truncated(offset: start) }
        let huffman = bytes[start] & 0x80 != 0
        let length = try IntegerCoding.decode(bytes, at: &cursor.offset, prefixBits: 7)
        guard length <= bytes.count - cursor.offset else { throw .truncated(offset: start) }
        let raw = UnsafeBufferPointer(rebasing: bytes[cursor.offset..<(cursor.offset + length)])
        cursor.offset += length
        if !huffman {
            guard length <= cursor.limit else { throw .stringTooLong(length: length, limit: cursor.limit, offset: start) }
            return (raw, false)
        }
        let output = UnsafeMutableBufferPointer(start: cursor.scratch + cursor.used, count: length * 8 / 5 + 1)
        let count = try HuffmanCoding.decode(raw, into: output, offset: start)
        guard count <= cursor.limit else { throw .stringTooLong(length: count, limit: cursor.limit, offset: start) }
        cursor.used += count
        return (UnsafeBufferPointer(start: cursor.scratch + cursor.used - count, count: count), true)
    }
}
