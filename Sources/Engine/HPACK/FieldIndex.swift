/// Finding a field to reuse, for the encoder: which table entry holds exactly this field (an
/// indexed representation, RFC 7541 §6.1) or at least its name (a literal with an indexed name,
/// §6.2). A scan of the tables, or a `Dictionary` keyed by strings, costs more than the rest of the
/// encoding; these are hash chains on a cheap hash of the name's UTF-8 octets, each candidate
/// confirmed by comparing the strings. Only names are hashed (as nghttp2 does): entries with one
/// name are few, so comparing their values costs less than hashing every value sent.

/// A 64-bit hash of a field's name, eight octets at a step (a multiply and a shift per word). Not
/// for adversaries: a collision only costs a string compare.
struct FieldHash: Equatable {
    var name: UInt64

    init(_ header: HeaderField) {
        name = Self.hash(header.name, 0xcbf2_9ce4_8422_2325)
    }

    /// The same hash, of a name given as octets.
    @inline(__always)
    init(name: UnsafeBufferPointer<UInt8>) {
        self.name = Self.hash(name, 0xcbf2_9ce4_8422_2325)
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

    @inline(__always)
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

/// The static table (§2.3.1, Appendix A) as an open-addressed hash table of names (256 slots),
/// built once and never freed: plain memory, so a lookup costs no reference counting. The entries
/// that share a name stand next to each other in the table (:method 2–3, :status 8–14, …), so an
/// exact match is looked for among those after the name's first index.
enum StaticFieldIndex {
    struct Slot {
        var index: Int  // 0: empty
        var hash: UInt64
    }

    struct Tables: @unchecked Sendable {
        let names: UnsafeMutablePointer<Slot>
        /// By static index: the last index with the same name.
        let lastWithName: UnsafeMutablePointer<Int>
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
            names: .allocate(capacity: 256), lastWithName: .allocate(capacity: StaticTable.count + 1),
            entries: .allocate(capacity: StaticTable.count), sensitive: .allocate(capacity: StaticTable.count + 1))
        tables.names.initialize(repeating: Slot(index: 0, hash: 0), count: 256)
        tables.lastWithName.initialize(repeating: 0, count: StaticTable.count + 1)
        tables.sensitive.initialize(repeating: .none, count: StaticTable.count + 1)
        for (offset, field) in StaticTable.entries.enumerated() {
            (tables.entries + offset).initialize(to: field)
            tables.sensitive[offset + 1] = SensitiveFields.builtInRule(field.name)
            let hash = FieldHash(field)
            if let first = firstIndex(of: field.name, hash: hash.name, in: tables) {
                precondition(tables.entries[offset - 1].name == field.name, "Appendix A keeps a name's entries together")
                for index in first...offset { tables.lastWithName[index] = offset + 1 }
            } else {
                place(Slot(index: offset + 1, hash: hash.name), in: tables.names)
            }
            tables.lastWithName[offset + 1] = offset + 1
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
    @inline(__always)
    static func firstIndex(ofName name: UnsafeBufferPointer<UInt8>, hash: UInt64, in tables: Tables) -> Int? {
        var position = Int(truncatingIfNeeded: hash) & 255
        while tables.names[position].index != 0 {
            let slot = tables.names[position]
            if slot.hash == hash && DynamicTable.same(tables.octets.name(slot.index), name) { return slot.index }
            position = (position + 1) & 255
        }
        return nil
    }

    /// The static index of exactly this field, given the name's first index and the value as
    /// octets: one of the entries with that name whose value is not empty (an empty value is sent
    /// as a literal with the name indexed, as it always was here).
    @inline(__always)
    static func index(ofValue value: UnsafeBufferPointer<UInt8>, nameIndex first: Int, in tables: Tables) -> Int? {
        guard !value.isEmpty else { return nil }
        for index in first...tables.lastWithName[first] where DynamicTable.same(tables.octets.value(index), value) {
            return index
        }
        return nil
    }
}

/// Hash chains over the encoder's dynamic table by name, by insertion number (the first entry ever
/// inserted is 0). Each chain runs newest to oldest, and the table evicts oldest first, so evicted
/// entries are always the tail of a chain: a walk stops at the first insertion number older than
/// the oldest live entry, and eviction has nothing to undo.
struct DynamicFieldIndex: Sendable {
    /// Per entry, in a ring indexed by insertion number: its name's hash and the next older entry
    /// in its chain (-1: none).
    private var nameHashes: [UInt64]
    private var nextByName: [Int]
    /// Per bucket: the newest entry in the chain (-1: none).
    private var nameHeads: [Int]

    init(capacity: Int = 64) {
        var ring = 16
        while ring < capacity { ring *= 2 }
        nameHashes = Array(repeating: 0, count: ring)
        nextByName = Array(repeating: -1, count: ring)
        nameHeads = Array(repeating: -1, count: ring * 2)
    }

    /// How many live entries the ring can tell apart.
    var capacity: Int { nameHashes.count }

    /// Records entry `sequence`. The caller keeps `live` (entries still in the table) within capacity.
    mutating func insert(_ sequence: Int, hash: FieldHash) {
        let slot = sequence & (nameHashes.count - 1)
        let bucket = Int(truncatingIfNeeded: hash.name) & (nameHeads.count - 1)
        nameHashes[slot] = hash.name
        nextByName[slot] = nameHeads[bucket]
        nameHeads[bucket] = sequence
    }

    /// The newest live entry (insertion number ≥ `oldest`) holding exactly this field, with that
    /// entry as the name match too; else the newest with this name. `match(sequence)` compares an
    /// entry with the field.
    @inline(__always)
    func find(hash: FieldHash, oldest: Int, match: (Int) -> DynamicTable.Match) -> (exact: Int?, name: Int?) {
        let mask = nameHashes.count - 1
        var sequence = nameHeads[Int(truncatingIfNeeded: hash.name) & (nameHeads.count - 1)]
        var name: Int?
        while sequence >= oldest {
            let slot = sequence & mask
            if nameHashes[slot] == hash.name {
                switch match(sequence) {
                case .field: return (sequence, sequence)
                case .name: if name == nil { name = sequence }
                case .none: break
                }
            }
            sequence = nextByName[slot]
        }
        return (nil, name)
    }
}
