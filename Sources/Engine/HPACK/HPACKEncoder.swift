/// Whether a string literal is Huffman-coded.
public enum HuffmanChoice: String, Sendable, CaseIterable {
    /// Huffman only when it is strictly shorter (what most encoders do).
    case auto
    case always
    case never
}

/// How the encoder represents fields. Set per encoder, or per field for teaching.
public struct EncoderPolicy: Hashable, Sendable {
    /// nil: choose (never-indexed if `HPACKEncoder.sensitive` says so, else index unless the field
    /// is too large for the table). Set, it wins even over `sensitive`: the lab can show what
    /// indexing a secret gives away.
    public var indexing: Indexing?
    public var huffman: HuffmanChoice
    /// Whether to use exact matches from the tables (an indexed representation, §6.1).
    public var useIndexedFields: Bool
    /// With the automatic choice: whether fields whose values seldom repeat on a connection
    /// (:path, content-length, etag, age, location, if-modified-since, if-none-match, set-cookie)
    /// are added to the table too. The lab adds them, so that a student sees every field go in;
    /// endpoints on a network leave them out, since an entry used once only pushes out others.
    public var indexesVolatileFields: Bool

    public init(indexing: Indexing? = nil, huffman: HuffmanChoice = .auto, useIndexedFields: Bool = true,
                indexesVolatileFields: Bool = true) {
        self.indexing = indexing
        self.huffman = huffman
        self.useIndexedFields = useIndexedFields
        self.indexesVolatileFields = indexesVolatileFields
    }

    public static let standard = EncoderPolicy()
    /// For connections over a network (`serve`, `get`, the proxy): volatile fields are not indexed.
    public static let network = EncoderPolicy(indexesVolatileFields: false)
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
///
/// Finding a field in the tables is a hash lookup, not a scan (`FieldIndex.swift`): the dynamic
/// table's entries are found by insertion number, from which the HPACK index follows (§2.3.3).
///
/// One trick, behind `encode(_:into:)` only: a block is a function of the header list, the
/// table, the policy and `sensitive`. A server sends the very same list again and again (a
/// static file's fields, shared by its responses: `DatedList`); once that list has been encoded
/// without changing the table (every field indexed, or a literal not indexed), the octets written
/// are kept, and while the table, the policy and `sensitive` stay as they were, the same list is
/// answered with those octets (`RepeatedBlock`). The same list is known by its array's storage:
/// the encoder holds the array, and an array whose storage is shared cannot change in place
/// (copy on write), so the same storage holds the same fields.
public struct HPACKEncoder: Sendable, Equatable {
    public private(set) var table: DynamicTable
    public var policy: EncoderPolicy {
        didSet { repeated.forget() }
    }
    /// The largest table this encoder wants, whatever the peer allows.
    public var preferredTableSize: Int
    /// Size updates to emit at the start of the next block (§4.2): the smallest, then the final.
    private(set) var pendingSizeUpdates: [Int] = []
    /// Entries inserted so far; the newest entry's insertion number is `insertions - 1`.
    private var insertions = 0
    private var index = DynamicFieldIndex()
    /// The static table's lookup tables and the Huffman code, kept at hand (global tables are
    /// built lazily, and each use of one costs a check that it is built).
    private let statics = StaticFieldIndex.shared
    private let huffmanCodes = HuffmanCoding.encodeTable

    /// The fields sent as never-indexed literals unless a policy picks an indexing (§7.1.3):
    /// credentials always, short cookies, and any names added to it.
    public var sensitive = SensitiveFields() {
        didSet { repeated.forget() }
    }

    /// Insertions, evictions and size changes of the table so far (`RepeatedBlock`).
    private var tableChanges = 0
    /// The last list `encode(_:into:)` was given, and the block it wrote for it if writing it
    /// changed nothing.
    private var repeated = RepeatedBlock()
    /// Blocks written again from `repeated` (for tests).
    package private(set) var blocksRepeated = 0

    public init(tableSize: Int = 4096, policy: EncoderPolicy = .standard) {
        self.table = DynamicTable(maxSize: tableSize)
        self.policy = policy
        self.preferredTableSize = tableSize
    }

    /// Equal when they would encode alike: the same table, policy and pending size updates (the
    /// lookup indexes follow from the table).
    public static func == (a: HPACKEncoder, b: HPACKEncoder) -> Bool {
        a.table == b.table && a.policy == b.policy && a.preferredTableSize == b.preferredTableSize
            && a.pendingSizeUpdates == b.pendingSizeUpdates && a.sensitive == b.sensitive
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
    /// The result says how each field was represented and what happened to the table (the lab
    /// shows it); `encode(_:into:)` is the same encoding without that report.
    public mutating func encode(_ fields: [HeaderField], policies: [EncoderPolicy?] = []) -> EncodedHeaderBlock {
        var report: EncodedHeaderBlock? = EncodedHeaderBlock(tableSizeBefore: table.size)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(fields.count * 8)
        encode(fields, policies: policies, into: &bytes, report: &report)
        var block = report ?? EncodedHeaderBlock()
        block.bytes = bytes
        block.tableSizeAfter = table.size
        return block
    }

    /// Encodes a header block onto the end of `bytes`, with no report (a server's hot path): the
    /// same list sent again on an unchanged table is written from the octets kept for it (see
    /// the type's comment).
    public mutating func encode(_ fields: [HeaderField], into bytes: inout [UInt8]) {
        if pendingSizeUpdates.isEmpty, repeated.holds(fields, tableChanges: tableChanges) {
            repeated.write(into: &bytes)
            blocksRepeated += 1
            return
        }
        let start = bytes.count, changes = tableChanges
        var report: EncodedHeaderBlock?
        encode(fields, policies: [], into: &bytes, report: &report)
        repeated.note(fields, wrote: bytes[start...], tableChanges: tableChanges == changes ? tableChanges : nil)
    }

    /// Writes the block into a temporary buffer, then appends it to `bytes` in one copy: no octet
    /// written checks a capacity (`OctetWriter`). A field is written only when its worst case fits
    /// in the room left; when it does not, what is written is appended and a new buffer begun, big
    /// enough for that field (a block past 1 KiB, or one big field). The buffer is 1 KiB, the most
    /// `withUnsafeTemporaryAllocation` puts on the stack: a bigger one was a `malloc` and a `free`
    /// per block, about a twentieth of the encoder's instructions.
    private mutating func encode(_ fields: [HeaderField], policies: [EncoderPolicy?], into bytes: inout [UInt8],
                                 report: inout EncodedHeaderBlock?) {
        var next = 0
        var capacity = 1024
        repeat {
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: capacity) { buffer in
                guard let base = buffer.baseAddress else { return }
                var out = OctetWriter(base, capacity: buffer.count)
                next = encode(fields, from: next, policies: policies, offset: bytes.count, to: &out, report: &report)
                bytes.append(contentsOf: UnsafeBufferPointer(start: base, count: out.count))
            }
            if next < fields.count {
                let field = fields[next]
                let huffman = ((next < policies.count ? policies[next] : nil) ?? policy).huffman
                capacity = max(1024, Self.worstCase(field.name.utf8.count + field.value.utf8.count, huffman))
            }
        } while next < fields.count
    }

    /// The most octets a field of `octets` name and value octets can take: the octets (four times
    /// as many when Huffman coding is forced, for no code is longer than 30 bits, §5.2 and
    /// Appendix B) and three integers of at most 10 octets each (§5.1); 20 more for size updates
    /// and for the 3 octets a Huffman code given up on may write past the literal (`literal`).
    @inline(__always)
    static func worstCase(_ octets: Int, _ huffman: HuffmanChoice) -> Int {
        (huffman == .always ? 4 * octets : octets) + 50
    }

    /// The encoding itself, from field `first` on into `out`, until a field might not fit; returns
    /// the index of the first field not written. `offset` is where `out` starts in the caller's
    /// array (a report gives each field's place in it).
    private mutating func encode(_ fields: [HeaderField], from first: Int, policies: [EncoderPolicy?], offset: Int,
                                 to out: inout OctetWriter, report: inout EncodedHeaderBlock?) -> Int {
        for newSize in pendingSizeUpdates {
            report?.operations.append(.resized(from: table.maxSize, to: newSize))
            out.integer(newSize, prefixBits: 5, flags: 0x20)
            resize(newSize, report: &report)
        }
        pendingSizeUpdates = []
        guard report == nil && policies.isEmpty else {
            for i in first..<fields.count {
                let fieldPolicy = (i < policies.count ? policies[i] : nil) ?? policy
                let field = fields[i]
                let written = field.withOctets { name, value -> Bool in
                    guard out.room >= Self.worstCase(name.count + value.count, fieldPolicy.huffman) else { return false }
                    let start = out.count
                    let representation = encodeField(name: name, value: value, field: field, policy: fieldPolicy,
                                                     to: &out, report: &report)
                    report?.fields.append(DecodedField(field: field, representation: representation, offset: offset + start,
                                                       length: out.count - start))
                    return true
                }
                if !written { return i }
            }
            return fields.count
        }
        // The hot path (a server's responses, no report): the fields' octets are first copied, as
        // many fields as fit, into a staging buffer, then encoded from there. Reading a `String`'s
        // octets costs a retain and a release of it whenever the code that reads them calls
        // anything the optimizer cannot see through, as encoding does; copying them calls
        // nothing, and a field's octets are short. A field too long to stage is encoded where its
        // octets lie.
        let policy = self.policy
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Self.stagingSize) { staging -> Int in
            guard let base = staging.baseAddress else { return first }
            var i = first
            while i < fields.count {
                let staged = Self.stage(fields, from: i, into: base)
                guard staged > i else {
                    let written = fields[i].withOctets { name, value in
                        encodeField(name, value, ifRoomIn: &out, policy: policy, report: &report)
                    }
                    if !written { return i }
                    i += 1
                    continue
                }
                var at = base
                while i < staged {
                    let nameCount = Int(UnsafeRawPointer(at).loadUnaligned(as: UInt16.self))
                    let valueCount = Int(UnsafeRawPointer(at).loadUnaligned(fromByteOffset: 2, as: UInt16.self))
                    let name = UnsafeBufferPointer(start: at + 4, count: nameCount)
                    let value = UnsafeBufferPointer(start: at + 4 + nameCount, count: valueCount)
                    guard encodeField(name, value, ifRoomIn: &out, policy: policy, report: &report) else { return i }
                    at += 4 + nameCount + valueCount
                    i += 1
                }
            }
            return fields.count
        }
    }

    /// The staging buffer's size: on the stack (see `encode(_:policies:into:report:)`).
    static let stagingSize = 1024

    /// Copies fields from `first` on into `stage` (`stagingSize` octets), each as its name's and
    /// value's lengths (two octets each) and their octets, as many as fit; returns the index of
    /// the first field not staged. The name and the value are read one after the other, never
    /// one inside the other: reading a string's octets inside a closure that reads another's
    /// retains the one it holds.
    private static func stage(_ fields: [HeaderField], from first: Int, into stage: UnsafeMutablePointer<UInt8>) -> Int {
        var used = 0
        var i = first
        while i < fields.count {
            let nameCount = fields[i].name.utf8.count, valueCount = fields[i].value.utf8.count
            let length = 4 + nameCount + valueCount
            guard length <= stagingSize - used else { break }
            let at = stage + used
            UnsafeMutableRawPointer(at).storeBytes(of: UInt16(truncatingIfNeeded: nameCount), as: UInt16.self)
            UnsafeMutableRawPointer(at).storeBytes(of: UInt16(truncatingIfNeeded: valueCount), toByteOffset: 2, as: UInt16.self)
            HeaderField.withOctets(of: fields[i].name) { OctetWriter.copy($0, to: at + 4) }
            HeaderField.withOctets(of: fields[i].value) { OctetWriter.copy($0, to: at + 4 + nameCount) }
            used += length
            i += 1
        }
        return i
    }

    /// `encodeField` for a field whose worst case fits in the room `out` has left; false, with
    /// nothing written, for one that does not.
    @inline(__always)
    private mutating func encodeField(
        _ name: UnsafeBufferPointer<UInt8>, _ value: UnsafeBufferPointer<UInt8>, ifRoomIn out: inout OctetWriter,
        policy: EncoderPolicy, report: inout EncodedHeaderBlock?
    ) -> Bool {
        guard out.room >= Self.worstCase(name.count + value.count, policy.huffman) else { return false }
        _ = encodeField(name: name, value: value, field: nil, policy: policy, to: &out, report: &report)
        return true
    }

    /// The HPACK index (62 and up) of the newest dynamic entry with insertion number `sequence`.
    private func dynamicIndex(_ sequence: Int) -> Int { insertions - 1 - sequence + StaticTable.count + 1 }

    /// One field, from its octets: they are looked at once, here, and used for the hash, the
    /// lookups, the literals and the table. `field` is the same field as `String`s, given only
    /// when there is a report (which shows it). An exact match in the static table wins, and is
    /// looked for first (it spares the dynamic lookup); then one in the dynamic table (§6.1).
    @inline(__always)
    private mutating func encodeField(
        name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>, field: HeaderField?,
        policy: EncoderPolicy, to out: inout OctetWriter, report: inout EncodedHeaderBlock?
    ) -> FieldRepresentation {
        let staticName = StaticFieldIndex.firstIndex(ofName: name, in: statics)
        if policy.useIndexedFields, let staticName,
           let exact = StaticFieldIndex.index(ofValue: value, nameIndex: staticName, in: statics) {
            out.integer(exact, prefixBits: 7, flags: 0x80)
            return .indexed(index: exact)
        }
        let hash = FieldHash(name: name, staticName: staticName)
        var dynamicName: Int?
        var fieldHash: UInt64?
        if policy.useIndexedFields || staticName == nil {
            let oldest = insertions - table.count
            let field = hash.field(value: value)
            fieldHash = field
            let exact = index.find(field: field, oldest: oldest) {
                table.match(insertions - 1 - $0, name: name, value: value)
            }
            if let sequence = exact {
                let index = dynamicIndex(sequence)
                guard !policy.useIndexedFields else {
                    out.integer(index, prefixBits: 7, flags: 0x80)
                    return .indexed(index: index)
                }
                dynamicName = index  // an entry holding the whole field names it, as it always has here
            } else if staticName == nil {
                dynamicName = self.index.find(name: hash, oldest: oldest) {
                    table.matches(insertions - 1 - $0, name: name, value: value, nameOnly: true)
                }.map(dynamicIndex)
            }
        }
        let nameIndex = staticName ?? dynamicName
        let indexing = policy.indexing
            ?? (sensitive.neverIndexes(name: name, staticName: staticName, valueLength: value.count, statics: statics) ? .neverIndexed
                : Self.defaultIndexing(size: name.count + value.count + 32, staticName: staticName, policy: policy,
                                       tableSize: table.maxSize))
        switch indexing {
        case .incremental: out.integer(nameIndex ?? 0, prefixBits: 6, flags: 0x40)
        case .withoutIndexing: out.integer(nameIndex ?? 0, prefixBits: 4, flags: 0x00)
        case .neverIndexed: out.integer(nameIndex ?? 0, prefixBits: 4, flags: 0x10)
        }
        var nameHuffman = false
        if nameIndex == nil { nameHuffman = Self.writeString(name, huffman: policy.huffman, codes: huffmanCodes.codes, to: &out) }
        let valueHuffman = Self.writeString(value, huffman: policy.huffman, codes: huffmanCodes.codes, to: &out)
        if indexing == .incremental {
            insert(field, name: name, value: value, hash: hash, fieldHash: fieldHash ?? hash.field(value: value), report: &report)
        }
        return .literal(indexing: indexing, nameIndex: nameIndex, nameHuffman: nameHuffman, valueHuffman: valueHuffman)
    }

    /// Adds a field to the table (§4.4) and to the lookup index.
    private mutating func insert(
        _ field: HeaderField?, name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>, hash: FieldHash,
        fieldHash: UInt64, report: inout EncodedHeaderBlock?
    ) {
        tableChanges += 1
        let added = table.insert(name: name, value: value) { report?.operations.append(.evicted(from: $0)) }
        guard added else { return }  // too big for the table: it emptied it, and is not added
        if let field { report?.operations.append(.inserted(field, size: name.count + value.count + 32)) }
        insertions += 1
        if table.count > index.capacity {
            rebuildIndex(capacity: table.count * 2)
        } else {
            index.insert(insertions - 1, hash: hash, field: fieldHash)
        }
    }

    /// A bigger index for a table that holds more entries than the index can tell apart.
    private mutating func rebuildIndex(capacity: Int) {
        index = DynamicFieldIndex(capacity: capacity)
        let oldest = insertions - table.count
        for sequence in oldest..<insertions {
            table.withOctets(insertions - 1 - sequence) { name, value in
                let hash = FieldHash(name: name, staticName: StaticFieldIndex.firstIndex(ofName: name, in: statics))
                index.insert(sequence, hash: hash, field: hash.field(value: value))
            }
        }
    }

    private mutating func resize(_ newSize: Int, report: inout EncodedHeaderBlock?) {
        tableChanges += 1
        table.setMaxSize(newSize) { report?.operations.append(.evicted(from: $0)) }
    }

    /// The automatic choice for a field of `size` (§4.1) that `sensitive` leaves to it.
    private static func defaultIndexing(size: Int, staticName: Int?, policy: EncoderPolicy, tableSize: Int) -> Indexing {
        if !policy.indexesVolatileFields, let staticName, StaticFieldIndex.isVolatile(staticName) { return .withoutIndexing }
        // A field bigger than three quarters of the table would flush most of it for one use.
        return size * 4 > tableSize * 3 ? .withoutIndexing : .incremental
    }

    /// Writes a §5.2 string literal; returns whether it was Huffman-coded.
    @inline(__always)
    @discardableResult
    static func writeString(_ octets: UnsafeBufferPointer<UInt8>, huffman: HuffmanChoice, codes: UnsafePointer<UInt64>,
                            to out: inout OctetWriter) -> Bool {
        switch huffman {
        case .auto:
            return out.literal(octets, codes: codes)
        case .always:
            let length = HuffmanCoding.encodedLength(octets, codes: codes)
            out.integer(length, prefixBits: 7, flags: 0x80)
            out.huffman(octets, length: length, codes: codes)
            return true
        case .never:
            out.integer(octets.count, prefixBits: 7, flags: 0)
            out.copy(octets)
            return false
        }
    }
}

/// The last header list `HPACKEncoder.encode(_:into:)` was given, held, and the octets it wrote
/// for it the last time writing it changed nothing in the table (see `HPACKEncoder`).
struct RepeatedBlock: Sendable {
    private var fields: [HeaderField] = []
    /// The encoder's `tableChanges` when `octets` were written; nil: no octets kept.
    private var tableChanges: Int?
    private var octets: [UInt8] = []

    /// Whether `list` is the list held, in the same storage, and its octets were written on the
    /// table as it still is.
    @inline(__always)
    func holds(_ list: [HeaderField], tableChanges changes: Int) -> Bool {
        tableChanges == changes && Self.sameStorage(list, fields)
    }

    func write(into bytes: inout [UInt8]) {
        bytes.append(contentsOf: octets)
    }

    /// `list` was just written as `written`; `tableChanges` is nil when writing it changed the
    /// table. The octets are kept only for a list given twice in a row (a list seen once may
    /// never come again, and keeping its octets would cost every block a copy).
    mutating func note(_ list: [HeaderField], wrote written: ArraySlice<UInt8>, tableChanges changes: Int?) {
        if let changes, Self.sameStorage(list, fields) {
            octets.removeAll(keepingCapacity: true)
            octets.append(contentsOf: written)
            tableChanges = changes
        } else {
            fields = list
            tableChanges = nil
        }
    }

    /// The policy or the sensitive names changed: what was written may no longer be.
    mutating func forget() {
        tableChanges = nil
    }

    private static func sameStorage(_ a: [HeaderField], _ b: [HeaderField]) -> Bool {
        a.count == b.count && a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in a.baseAddress == b.baseAddress } }
    }
}
