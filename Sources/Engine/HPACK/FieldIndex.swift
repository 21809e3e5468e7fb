/// Finding a field to reuse, for the encoder: which table entry holds exactly this field (an
/// indexed representation, RFC 7541 §6.1) or at least its name (a literal with an indexed name,
/// §6.2). A scan of the tables, or a `Dictionary` keyed by strings, costs more than the rest of the
/// encoding; these are hash chains on a cheap hash of the UTF-8 octets, each candidate confirmed by
/// comparing the strings.

/// A 64-bit hash of a field's name, and of its name and value together, eight octets at a step
/// (a multiply and a shift per word). Not for adversaries: a collision only costs a string compare.
struct FieldHash: Equatable {
    var name: UInt64
    var field: UInt64

    init(_ header: HeaderField) {
        name = Self.hash(header.name, 0xcbf2_9ce4_8422_2325)
        field = Self.hash(header.value, name)
    }

    /// The same hash, of a field given as octets.
    @inline(__always)
    init(name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>) {
        self.name = Self.hash(name, 0xcbf2_9ce4_8422_2325)
        field = Self.hash(value, self.name)
    }

    @inline(__always)
    private static func hash(_ text: String, _ start: UInt64) -> UInt64 {
        if let fast = text.utf8.withContiguousStorageIfAvailable({ hash($0, start) }) { return fast }
        return Array(text.utf8).withUnsafeBufferPointer { hash($0, start) }
    }

    @inline(__always)
    private static func mix(_ h: UInt64, _ word: UInt64) -> UInt64 {
        let m = (h ^ word) &* 0x9e37_79b9_7f4a_7c15
        return m ^ (m >> 32)
    }

    private static func hash(_ octets: UnsafeBufferPointer<UInt8>, _ start: UInt64) -> UInt64 {
        let raw = UnsafeRawBufferPointer(octets)
        let count = raw.count
        var h = mix(start, UInt64(count))
        var i = 0
        while i + 8 <= count {
            h = mix(h, raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            i += 8
        }
        if i < count {
            // The last 1-7 octets in at most three loads (4, 2, 1), not one at a time.
            var word: UInt64 = 0
            var shift: UInt64 = 0
            if count - i >= 4 {
                word = UInt64(raw.loadUnaligned(fromByteOffset: i, as: UInt32.self))
                shift = 32
                i += 4
            }
            if count - i >= 2 {
                word |= UInt64(raw.loadUnaligned(fromByteOffset: i, as: UInt16.self)) << shift
                shift += 16
                i += 2
            }
            if i < count { word |= UInt64(raw[i]) << shift }
            h = mix(h, word)
        }
        return h
    }
}

/// The static table (§2.3.1, Appendix A) as two open-addressed hash tables of 256 slots, built
/// once and never freed: plain memory, so a lookup costs no reference counting.
enum StaticFieldIndex {
    struct Slot {
        var index: Int  // 0: empty
        var hash: UInt64
    }

    struct Tables: @unchecked Sendable {
        let names: UnsafeMutablePointer<Slot>
        let fields: UnsafeMutablePointer<Slot>
        let entries: UnsafeMutablePointer<HeaderField>
        /// The entries' octets, which the lookups by octets compare against.
        let octets = StaticOctets.shared
        /// By static index: how `SensitiveFields` protects the name by default.
        let sensitive: UnsafeMutablePointer<SensitiveFields.Rule>
    }

    /// The tables, for a caller that keeps them at hand (the encoder: one lookup of the lazily
    /// built global per encoder, not two per field).
    static var shared: Tables { tables }

    private static let tables: Tables = {
        let tables = Tables(
            names: .allocate(capacity: 256), fields: .allocate(capacity: 256),
            entries: .allocate(capacity: StaticTable.count), sensitive: .allocate(capacity: StaticTable.count + 1))
        tables.names.initialize(repeating: Slot(index: 0, hash: 0), count: 256)
        tables.fields.initialize(repeating: Slot(index: 0, hash: 0), count: 256)
        tables.sensitive.initialize(repeating: .none, count: StaticTable.count + 1)
        for (offset, field) in StaticTable.entries.enumerated() {
            (tables.entries + offset).initialize(to: field)
            tables.sensitive[offset + 1] = SensitiveFields.builtInRule(field.name)
            let hash = FieldHash(field)
            if firstIndex(of: field.name, hash: hash.name, in: tables) == nil {
                place(Slot(index: offset + 1, hash: hash.name), in: tables.names)
            }
            if !field.value.isEmpty { place(Slot(index: offset + 1, hash: hash.field), in: tables.fields) }
        }
        return tables
    }()

    private static func place(_ slot: Slot, in table: UnsafeMutablePointer<Slot>) {
        var position = Int(truncatingIfNeeded: slot.hash) & 255
        while table[position].index != 0 { position = (position + 1) & 255 }
        table[position] = slot
    }

    /// How static index `index` (1...61) names a field `SensitiveFields` never indexes (§7.1.3).
    static func sensitivity(_ index: Int) -> SensitiveFields.Rule { tables.sensitive[index] }

    /// Whether the static name at `index` (its first index) names a field whose value seldom
    /// repeats: :path (4), age (21), content-length (28), etag (34), if-modified-since (40),
    /// if-none-match (41), location (46), set-cookie (55) (RFC 7541 Appendix A).
    static func isVolatile(_ index: Int) -> Bool {
        switch index {
        case 4, 21, 28, 34, 40, 41, 46, 55: return true
        default: return false
        }
    }

    /// The first static index (1...61) whose name is `name` (as the tables are built).
    static func firstIndex(of name: String, hash: UInt64, in tables: Tables) -> Int? {
        var position = Int(truncatingIfNeeded: hash) & 255
        while tables.names[position].index != 0 {
            let slot = tables.names[position]
            if slot.hash == hash && tables.entries[slot.index - 1].name == name { return slot.index }
            position = (position + 1) & 255
        }
        return nil
    }

    /// The first static index whose name is these octets (the encoder's lookup: no `String`).
    static func firstIndex(ofName name: UnsafeBufferPointer<UInt8>, hash: UInt64, in tables: Tables) -> Int? {
        var position = Int(truncatingIfNeeded: hash) & 255
        while tables.names[position].index != 0 {
            let slot = tables.names[position]
            if slot.hash == hash && DynamicTable.same(tables.octets.name(slot.index), name) { return slot.index }
            position = (position + 1) & 255
        }
        return nil
    }

    /// The static index of exactly this field, given as octets (entries with a value only).
    static func index(ofName name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>, hash: UInt64,
                      in tables: Tables) -> Int? {
        var position = Int(truncatingIfNeeded: hash) & 255
        while tables.fields[position].index != 0 {
            let slot = tables.fields[position]
            if slot.hash == hash && DynamicTable.same(tables.octets.value(slot.index), value)
                && DynamicTable.same(tables.octets.name(slot.index), name) { return slot.index }
            position = (position + 1) & 255
        }
        return nil
    }
}

/// Hash chains over the encoder's dynamic table, by insertion number (the first entry ever inserted
/// is 0). Each chain runs newest to oldest, and the table evicts oldest first, so evicted entries are
/// always the tail of a chain: a walk stops at the first insertion number older than the oldest live
/// entry, and eviction has nothing to undo.
struct DynamicFieldIndex: Sendable {
    /// Per entry, in a ring indexed by insertion number: its hashes and the next older entry in
    /// each of its chains (-1: none).
    private var fieldHashes: [UInt64]
    private var nameHashes: [UInt64]
    private var nextByField: [Int]
    private var nextByName: [Int]
    /// Per bucket: the newest entry in the chain (-1: none).
    private var fieldHeads: [Int]
    private var nameHeads: [Int]

    init(capacity: Int = 64) {
        var ring = 16
        while ring < capacity { ring *= 2 }
        fieldHashes = Array(repeating: 0, count: ring)
        nameHashes = Array(repeating: 0, count: ring)
        nextByField = Array(repeating: -1, count: ring)
        nextByName = Array(repeating: -1, count: ring)
        fieldHeads = Array(repeating: -1, count: ring * 2)
        nameHeads = Array(repeating: -1, count: ring * 2)
    }

    /// How many live entries the ring can tell apart.
    var capacity: Int { fieldHashes.count }

    /// Records entry `sequence`. The caller keeps `live` (entries still in the table) within capacity.
    mutating func insert(_ sequence: Int, hash: FieldHash) {
        let slot = sequence & (fieldHashes.count - 1)
        let fieldBucket = Int(truncatingIfNeeded: hash.field) & (fieldHeads.count - 1)
        let nameBucket = Int(truncatingIfNeeded: hash.name) & (nameHeads.count - 1)
        fieldHashes[slot] = hash.field
        nameHashes[slot] = hash.name
        nextByField[slot] = fieldHeads[fieldBucket]
        nextByName[slot] = nameHeads[nameBucket]
        fieldHeads[fieldBucket] = sequence
        nameHeads[nameBucket] = sequence
    }

    /// The newest live entries (insertion numbers ≥ `oldest`) matching the field exactly and by name;
    /// `matches(sequence, nameOnly)` confirms a hash match against the table.
    func find(hash: FieldHash, oldest: Int, matches: (Int, Bool) -> Bool) -> (exact: Int?, name: Int?) {
        let mask = fieldHashes.count - 1
        var sequence = fieldHeads[Int(truncatingIfNeeded: hash.field) & (fieldHeads.count - 1)]
        while sequence >= oldest {
            let slot = sequence & mask
            if fieldHashes[slot] == hash.field && matches(sequence, false) { return (sequence, sequence) }
            sequence = nextByField[slot]
        }
        sequence = nameHeads[Int(truncatingIfNeeded: hash.name) & (nameHeads.count - 1)]
        while sequence >= oldest {
            let slot = sequence & mask
            if nameHashes[slot] == hash.name && matches(sequence, true) { return (nil, sequence) }
            sequence = nextByName[slot]
        }
        return (nil, nil)
    }
}
