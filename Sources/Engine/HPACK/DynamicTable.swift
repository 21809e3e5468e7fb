/// The HPACK dynamic table, RFC 7541 §2.3.2 and §4: a FIFO of fields, newest first, bounded in
/// octets (each entry counts its name and value length plus 32).
///
/// Stored as a ring buffer so that inserting at the front and evicting at the back cost O(1).
public struct DynamicTable: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var field: HeaderField
        /// The entry's size by RFC 7541 §4.1, computed from the octets it was decoded from.
        public var size: Int
    }

    private var ring: [Entry?]
    private var newest = 0  // ring position of entry 0 (the newest), when count > 0
    public private(set) var count = 0
    /// Current size in octets.
    public private(set) var size = 0
    /// Current maximum size in octets (changed by size updates).
    public private(set) var maxSize: Int

    public init(maxSize: Int = 4096) {
        self.maxSize = maxSize
        self.ring = Array(repeating: nil, count: 16)
    }

    /// The entry `i` places from the newest (0 = newest = HPACK index 62).
    public subscript(i: Int) -> Entry {
        precondition(i >= 0 && i < count)
        // Non-nil by construction: positions newest ..< newest+count are always filled.
        return ring[(newest + i) & (ring.count - 1)] ?? Entry(field: HeaderField("", ""), size: 32)
    }

    /// Whether entry `i` (0 = newest) has `field`'s name, and its value unless `nameOnly`; compared
    /// in place, for the encoder's lookups.
    func matches(_ i: Int, _ field: HeaderField, nameOnly: Bool) -> Bool {
        guard i >= 0 && i < count else { return false }
        return ring.withUnsafeBufferPointer { ring in
            guard let entry = ring[(newest + i) & (ring.count - 1)] else { return false }
            return entry.field.name == field.name && (nameOnly || entry.field.value == field.value)
        }
    }

    /// All entries, newest first.
    public var entries: [Entry] { (0..<count).map { self[$0] } }

    /// Adds a field at the front, evicting from the back until it fits (§4.4). A field larger than the
    /// whole table empties it and is not added. Evicted entries are passed to `evicted`.
    @discardableResult
    public mutating func insert(_ field: HeaderField, size: Int, evicted: (Entry) -> Void = { _ in }) -> Bool {
        while count > 0 && self.size + size > maxSize { evict(evicted) }
        guard size <= maxSize else { return false }
        if count == ring.count { grow() }
        newest = (newest - 1 + ring.count) & (ring.count - 1)
        ring[newest] = Entry(field: field, size: size)
        count += 1
        self.size += size
        return true
    }

    /// Changes the maximum size, evicting until the table fits (§4.3).
    public mutating func setMaxSize(_ newMax: Int, evicted: (Entry) -> Void = { _ in }) {
        maxSize = newMax
        while size > maxSize { evict(evicted) }
    }

    /// The newest index (0-based) of an exact match and of a name match, for the encoder.
    func find(_ field: HeaderField) -> (exact: Int?, name: Int?) {
        var nameMatch: Int?
        for i in 0..<count {
            let entry = self[i].field
            if entry.name == field.name {
                if entry.value == field.value { return (i, i) }
                if nameMatch == nil { nameMatch = i }
            }
        }
        return (nil, nameMatch)
    }

    private mutating func evict(_ evicted: (Entry) -> Void) {
        let position = (newest + count - 1) & (ring.count - 1)
        if let entry = ring[position] {
            size -= entry.size
            evicted(entry)
        }
        ring[position] = nil
        count -= 1
    }

    private mutating func grow() {
        var bigger = [Entry?](repeating: nil, count: ring.count * 2)
        for i in 0..<count { bigger[i] = ring[(newest + i) & (ring.count - 1)] }
        ring = bigger
        newest = 0
    }

    public static func == (a: DynamicTable, b: DynamicTable) -> Bool {
        a.maxSize == b.maxSize && a.size == b.size && a.entries == b.entries
    }
}
