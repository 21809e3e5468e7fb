/// Finding a field to reuse, for the encoder: which table entry holds exactly this field (an
/// indexed representation, RFC 7541 §6.1) or at least its name (a literal with an indexed name,
/// §6.2). A scan of the tables, or a `Dictionary` keyed by strings, costs more than the rest of the
/// encoding; these are hash chains on a cheap hash of the UTF-8 octets, each candidate confirmed by
/// comparing the octets. The static table is looked up by name alone (its few entries per name
/// are compared); the dynamic table by the whole field first, then by name: walking a name's
/// chain and comparing every value along it (a browser's many cookies or referers) cost more than
/// hashing the value, once the static table has not matched.

/// A 64-bit hash of a field's name (a static name's is its static index, mixed), from its length
/// and its first and last eight octets (a multiply and a shift per word): every octet is not looked at, for names and values that differ
/// only in their middle are few in a table, and a collision only costs a comparison of the octets
/// (each candidate is confirmed by one). Not for adversaries: an attacker who makes many fields
/// collide only lengthens the walk along one chain, which the table's size bounds.
struct FieldHash: Equatable {
    var name: UInt64

    /// The hash of a name given as octets; `staticName` is its first static index if it has one
    /// (`StaticFieldIndex.firstIndex(ofName:in:)`), which then stands for the name, unhashed.
    @inline(__always)
    init(name: UnsafeBufferPointer<UInt8>, staticName: Int?) {
        if let staticName {
            self.name = Self.mix(0x8422_2325_cbf2_9ce4, UInt64(truncatingIfNeeded: staticName))
        } else {
            self.name = Self.hash(name, 0xcbf2_9ce4_8422_2325)
        }
    }

    /// The hash of the whole field: its value hashed on from the name's hash.
    @inline(__always)
    func field(value: UnsafeBufferPointer<UInt8>) -> UInt64 { Self.hash(value, name) }

    @inline(__always)
    private static func mix(_ h: UInt64, _ word: UInt64) -> UInt64 {
        let m = (h ^ word) &* 0x9e37_79b9_7f4a_7c15
        return m ^ (m &>> 32)
    }

    /// The first and last eight octets (overlapping when fewer than 16), or four, or the first,
    /// middle and last of fewer than four.
    @inline(__always)
    private static func hash(_ octets: UnsafeBufferPointer<UInt8>, _ start: UInt64) -> UInt64 {
        let count = octets.count
        guard let base = octets.baseAddress, count > 0 else { return mix(start, 0) }
        let raw = UnsafeRawPointer(base)
        var first: UInt64, last: UInt64
        if count >= 8 {
            first = raw.loadUnaligned(as: UInt64.self)
            last = raw.loadUnaligned(fromByteOffset: count &- 8, as: UInt64.self)
        } else if count >= 4 {
            first = UInt64(raw.loadUnaligned(as: UInt32.self))
            last = UInt64(raw.loadUnaligned(fromByteOffset: count &- 4, as: UInt32.self))
        } else {
            first = UInt64(base[0]) | UInt64(base[count &>> 1]) &<< 8 | UInt64(base[count &- 1]) &<< 16
            last = 0
        }
        return mix(mix(start ^ UInt64(truncatingIfNeeded: count), first), last)
    }
}

/// The static table (§2.3.1, Appendix A), its names found by their shape, as nghttp2 finds them:
/// a name's length and last octet pick at most two candidates (Appendix A's 52 names share a shape
/// at most by twos: accept and expect, :status and expires, …), and one comparison confirms; no
/// hash of the name. Built once and never freed: plain memory, so a lookup costs no reference
/// counting. The entries that share a name stand next to each other in the table (:method 2–3,
/// :status 8–14, …), so an exact match is looked for among those after the name's first index.
enum StaticFieldIndex {
    struct Tables: @unchecked Sendable {
        /// By shape (`shape(_:)`): the first indexes of the names of that shape, one per octet
        /// from the low end (0: none).
        let byShape: UnsafeMutablePointer<UInt16>
        /// By static index: the last index with the same name.
        let lastWithName: UnsafeMutablePointer<Int>
        let entries: UnsafeMutablePointer<HeaderField>
        /// The entries' octets, which the lookups by octets compare against.
        let octets = StaticOctets.shared
        /// By static index: how `SensitiveFields` protects the name by default.
        let sensitive: UnsafeMutablePointer<SensitiveFields.Rule>
    }

    /// Names longer than Appendix A's longest (27 octets) are in no shape.
    private static let shapes = 32 * 256

    /// A name's length and last octet, or nil for a name no static name can be.
    @inline(__always)
    private static func shape(_ name: UnsafeBufferPointer<UInt8>) -> Int? {
        let count = name.count
        guard count > 0 && count < 32, let base = name.baseAddress else { return nil }
        return count &<< 8 | Int(base[count &- 1])
    }

    /// The tables, for a caller that keeps them at hand (the encoder: one lookup of the lazily
    /// built global per encoder, not two per field).
    static var shared: Tables { tables }

    private static let tables: Tables = {
        let tables = Tables(
            byShape: .allocate(capacity: shapes), lastWithName: .allocate(capacity: StaticTable.count + 1),
            entries: .allocate(capacity: StaticTable.count), sensitive: .allocate(capacity: StaticTable.count + 1))
        tables.byShape.initialize(repeating: 0, count: shapes)
        tables.lastWithName.initialize(repeating: 0, count: StaticTable.count + 1)
        tables.sensitive.initialize(repeating: .none, count: StaticTable.count + 1)
        for (offset, field) in StaticTable.entries.enumerated() {
            (tables.entries + offset).initialize(to: field)
            tables.sensitive[offset + 1] = SensitiveFields.builtInRule(field.name)
            let first = HeaderField.withOctets(of: field.name) { name in firstIndex(ofName: name, in: tables) }
            if let first {
                precondition(tables.entries[offset - 1].name == field.name, "Appendix A keeps a name's entries together")
                for index in first...offset { tables.lastWithName[index] = offset + 1 }
            } else {
                HeaderField.withOctets(of: field.name) { name in
                    guard let shape = shape(name) else { preconditionFailure("Appendix A's names are 1-27 octets") }
                    let candidates = tables.byShape[shape]
                    precondition(candidates < 0x100, "Appendix A's names share a shape at most by twos")
                    tables.byShape[shape] = candidates == 0 ? UInt16(offset + 1) : candidates | UInt16(offset + 1) << 8
                }
            }
            tables.lastWithName[offset + 1] = offset + 1
        }
        return tables
    }()

    /// Whether the static name at `index` (its first index) names a field whose value seldom
    /// repeats: :path (4), age (21), content-length (28), etag (34), if-modified-since (40),
    /// if-none-match (41), location (46), set-cookie (55) (RFC 7541 Appendix A).
    static func isVolatile(_ index: Int) -> Bool {
        switch index {
        case 4, 21, 28, 34, 40, 41, 46, 55: return true
        default: return false
        }
    }

    /// The first static index (1...61) whose name is these octets.
    @inline(__always)
    static func firstIndex(ofName name: UnsafeBufferPointer<UInt8>, in tables: Tables) -> Int? {
        guard let shape = shape(name) else { return nil }
        var candidates = Int(tables.byShape[shape])
        while candidates != 0 {
            let index = candidates & 0xff
            if DynamicTable.same(tables.octets.name(index), name) { return index }
            candidates &>>= 8
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

/// Hash chains over the encoder's dynamic table, by name and by whole field, by insertion number
/// (the first entry ever inserted is 0). Each chain runs newest to oldest, and the table evicts
/// oldest first, so evicted entries are always the tail of a chain: a walk stops at the first
/// insertion number older than the oldest live entry, and eviction has nothing to undo.
struct DynamicFieldIndex: Sendable {
    /// Per entry, in a ring indexed by insertion number: its name's hash, its field's hash, and
    /// the next older entry in each of its chains (-1: none). One array, not four: each array
    /// written costs a uniqueness check and a bounds check.
    private struct Entry {
        var name: UInt64
        var field: UInt64
        var nextByName: Int
        var nextByField: Int
    }
    private var entries: [Entry]
    /// Per bucket, the newest entry in the chain (-1: none): the names' buckets, then the fields'.
    private var heads: [Int]

    init(capacity: Int = 64) {
        var ring = 16
        while ring < capacity { ring *= 2 }
        entries = Array(repeating: Entry(name: 0, field: 0, nextByName: -1, nextByField: -1), count: ring)
        heads = Array(repeating: -1, count: ring * 4)
    }

    /// How many live entries the ring can tell apart.
    var capacity: Int { entries.count }

    /// The names' buckets are `heads[0..<2 * capacity]`, the fields' the rest.
    @inline(__always) private func nameBucket(_ hash: UInt64) -> Int { Int(truncatingIfNeeded: hash) & (2 * entries.count - 1) }
    @inline(__always) private func fieldBucket(_ hash: UInt64) -> Int {
        2 * entries.count + Int(truncatingIfNeeded: hash) & (2 * entries.count - 1)
    }

    /// Records entry `sequence`, whose field hashes to `field` (`FieldHash.field(value:)`). The
    /// caller keeps `live` (entries still in the table) within capacity.
    mutating func insert(_ sequence: Int, hash: FieldHash, field: UInt64) {
        let names = nameBucket(hash.name), fields = fieldBucket(field)
        entries[sequence & (entries.count - 1)] = Entry(name: hash.name, field: field, nextByName: heads[names],
                                                        nextByField: heads[fields])
        heads[names] = sequence
        heads[fields] = sequence
    }

    /// The newest live entry (insertion number ≥ `oldest`) holding exactly this field, whose
    /// hash is `field`; `match(sequence)` compares an entry with the field.
    @inline(__always)
    func find(field: UInt64, oldest: Int, match: (Int) -> DynamicTable.Match) -> Int? {
        let mask = entries.count - 1
        var sequence = heads[fieldBucket(field)]
        while sequence >= oldest {
            let entry = entries[sequence & mask]
            if entry.field == field && match(sequence) == .field { return sequence }
            sequence = entry.nextByField
        }
        return nil
    }

    /// The newest live entry with this name; `isName(sequence)` compares an entry's name.
    @inline(__always)
    func find(name hash: FieldHash, oldest: Int, isName: (Int) -> Bool) -> Int? {
        let mask = entries.count - 1
        var sequence = heads[nameBucket(hash.name)]
        while sequence >= oldest {
            let entry = entries[sequence & mask]
            if entry.name == hash.name && isName(sequence) { return sequence }
            sequence = entry.nextByName
        }
        return nil
    }
}
