/// The HPACK dynamic table, RFC 7541 §2.3.2 and §4: a FIFO of fields, newest first, bounded in
/// octets (each entry counts its name and value length plus 32, §4.1).
///
/// The table holds octets, as the wire carries them, not `String`s: a decoder hands a field out as
/// two byte ranges and copies a new entry's octets in, with no allocation and no reference count
/// per field. Entries sit one after another in `octets`, oldest first; evicting one only forgets
/// its slot, and when the buffer's end is reached the live octets are moved back to its start
/// (or into a bigger buffer), so every entry stays contiguous. Slots are a ring buffer, so
/// inserting at the front and evicting at the back cost O(1).
public struct DynamicTable: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var field: HeaderField
        /// The entry's size by RFC 7541 §4.1, counted in the octets it holds.
        public var size: Int
    }

    private var slots: [FieldSpan]
    /// Per slot, the entry as `String`s once a decoder has made them (`field(_:)`), shared by every
    /// later reference to the entry: a browser or a load tester sends the same fields on each
    /// request, indexed, and they are made once per connection rather than once per request (as
    /// nghttp2 shares its entries' buffers). Made only when asked for: a table used for octets
    /// alone never holds any. Not part of the table's value (`==` ignores it).
    private var made: [HeaderField?]
    private var newest = 0  // slot position of entry 0 (the newest), when count > 0
    public private(set) var count = 0
    /// Current size in octets.
    public private(set) var size = 0
    /// Current maximum size in octets (changed by size updates).
    public private(set) var maxSize: Int
    /// The entries' octets, oldest first, from the oldest slot's `start` up to `end`.
    private var octets: [UInt8] = []
    private var end = 0

    public init(maxSize: Int = 4096) {
        self.maxSize = maxSize
        self.slots = Array(repeating: FieldSpan(start: 0, nameLength: 0, valueLength: 0), count: 16)
        self.made = Array(repeating: nil, count: 16)
    }

    /// Entry `i` (below `count`) as `String`s: made from its octets the first time, then shared.
    @inline(__always)
    mutating func field(_ i: Int) -> HeaderField {
        if let field = made[position(i)] { return field }
        let field = makeField(i)
        made[position(i)] = field
        return field
    }

    /// The note a decoder's observer left with entry `i` (below `count`), 0 if none: see
    /// `HPACKDecoder.decode(_:observing:)`. Not part of the table's value (`==` ignores it).
    @inline(__always)
    func note(_ i: Int) -> UInt16 { slots[position(i)].note }

    /// Keeps `note` with entry `i` (below `count`) until it is evicted.
    @inline(__always)
    mutating func setNote(_ i: Int, _ note: UInt16) { slots[position(i)].note = note }

    /// Entry `i` as `String`s: those kept, or made from its octets.
    private func makeField(_ i: Int) -> HeaderField {
        made[position(i)] ?? withOctets(i) { name, value in
            HeaderField(String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self))
        }
    }

    /// The slot position of entry `i` (0 = newest) in the ring.
    @inline(__always) private func position(_ i: Int) -> Int { (newest + i) & (slots.count - 1) }

    @inline(__always) private func slot(_ i: Int) -> FieldSpan { slots[position(i)] }

    /// The entry `i` places from the newest (0 = newest = HPACK index 62), as a field (for views;
    /// a decoder reads the octets with `withOctets`).
    public subscript(i: Int) -> Entry {
        precondition(i >= 0 && i < count)
        return Entry(field: makeField(i), size: slot(i).size)
    }

    /// Entry `i`'s name and value octets, valid only inside `body`. `i` must be below `count`.
    @inline(__always)
    func withOctets<R>(_ i: Int, _ body: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        let slot = slot(i)
        return try octets.withUnsafeBufferPointer { all in
            // A table whose entries are all empty strings may have no buffer yet.
            guard let base = all.baseAddress else {
                return try body(UnsafeBufferPointer(start: nil, count: 0), UnsafeBufferPointer(start: nil, count: 0))
            }
            return try body(slot.name(in: base), slot.value(in: base))
        }
    }

    /// Whether entry `i` (0 = newest) has this name, and this value unless `nameOnly`; compared in
    /// place, for the encoder's lookups.
    @inline(__always)
    func matches(_ i: Int, name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>, nameOnly: Bool) -> Bool {
        guard i >= 0 && i < count else { return false }
        return withOctets(i) { entryName, entryValue in
            Self.same(name, entryName) && (nameOnly || Self.same(value, entryValue))
        }
    }

    /// How an entry compares with a field, for the encoder's lookups.
    enum Match { case none, name, field }

    /// How entry `i` (0 = newest) compares with this field; compared in place.
    @inline(__always)
    func match(_ i: Int, name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>) -> Match {
        guard i >= 0 && i < count else { return .none }
        return withOctets(i) { entryName, entryValue in
            !Self.same(name, entryName) ? .none : Self.same(value, entryValue) ? .field : .name
        }
    }

    /// Whether two runs of octets are equal, compared eight at a time; the last one to seven
    /// octets in one more load that overlaps the words before it (or two of four, or single
    /// octets for the shortest), not one at a time.
    @inline(__always)
    static func same(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        let count = a.count
        guard count == b.count else { return false }
        guard let pa = a.baseAddress, let pb = b.baseAddress else { return true }
        let rawA = UnsafeRawPointer(pa), rawB = UnsafeRawPointer(pb)
        @inline(__always) func word(_ at: Int) -> Bool {
            rawA.loadUnaligned(fromByteOffset: at, as: UInt64.self) == rawB.loadUnaligned(fromByteOffset: at, as: UInt64.self)
        }
        @inline(__always) func half(_ at: Int) -> Bool {
            rawA.loadUnaligned(fromByteOffset: at, as: UInt32.self) == rawB.loadUnaligned(fromByteOffset: at, as: UInt32.self)
        }
        if count >= 8 {
            var i = 0
            while i + 8 <= count {
                if !word(i) { return false }
                i += 8
            }
            return i == count || word(count - 8)
        }
        if count >= 4 { return half(0) && half(count - 4) }
        for i in 0..<count where pa[i] != pb[i] { return false }
        return true
    }

    /// All entries, newest first.
    public var entries: [Entry] { (0..<count).map { self[$0] } }

    /// Adds a field at the front, evicting from the back until it fits (§4.4). A field larger than the
    /// whole table empties it and is not added. `evicted` is called for each entry evicted, with a
    /// function that makes its field (only a report needs the strings).
    @discardableResult
    public mutating func insert(_ field: HeaderField, evicted: (_ entry: () -> Entry) -> Void = { _ in }) -> Bool {
        field.withOctets { name, value in insert(name: name, value: value, evicted: evicted) }
    }

    /// Adds a field given as octets, which must not lie in this table (see `insert(nameOf:value:)`).
    @discardableResult
    mutating func insert(name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>,
                         evicted: (_ entry: () -> Entry) -> Void = { _ in }) -> Bool {
        guard evictToFit(name.count + value.count + 32, evicted) else { return false }
        makeRoom(name.count + value.count)
        octets.withUnsafeMutableBufferPointer { all in
            guard let base = all.baseAddress else { return }
            if let from = name.baseAddress { (base + end).update(from: from, count: name.count) }
            if let from = value.baseAddress { (base + end + name.count).update(from: from, count: value.count) }
        }
        push(FieldSpan(start: end, nameLength: name.count, valueLength: value.count))
        return true
    }

    /// Adds a field whose name is entry `i`'s (a literal with an indexed name, §6.2.1). That entry may
    /// be among those the insertion evicts (§4.4 allows it): evicting leaves octets where they are,
    /// and the name is copied out first whenever the octets are about to move.
    @discardableResult
    mutating func insert(nameOf i: Int, value: UnsafeBufferPointer<UInt8>, evicted: (_ entry: () -> Entry) -> Void = { _ in }) -> Bool {
        let source = slot(i)
        let length = source.nameLength + value.count
        guard evictToFit(length + 32, evicted) else { return false }
        guard octets.count - end >= length else {
            let name = octets[source.start..<(source.start + source.nameLength)]
            return Array(name).withUnsafeBufferPointer { insert(name: $0, value: value) }
        }
        let start = end
        octets.withUnsafeMutableBufferPointer { all in
            guard let base = all.baseAddress else { return }
            // The name may overlap where it goes (when the insertion emptied the table, `end` went
            // back to 0): a memmove.
            UnsafeMutableRawPointer(base + start).copyMemory(from: base + source.start, byteCount: source.nameLength)
            if let from = value.baseAddress { (base + start + source.nameLength).update(from: from, count: value.count) }
        }
        push(FieldSpan(start: start, nameLength: source.nameLength, valueLength: value.count))
        return true
    }

    /// Evicts from the back until an entry of `size` fits (§4.4); false when it cannot fit even in
    /// the emptied table, which it is then not added to.
    private mutating func evictToFit(_ size: Int, _ evicted: (_ entry: () -> Entry) -> Void) -> Bool {
        while count > 0 && self.size + size > maxSize { evict(evicted) }
        return size <= maxSize
    }

    @inline(__always)
    private mutating func push(_ slot: FieldSpan) {
        if count == slots.count { grow() }
        newest = (newest - 1 + slots.count) & (slots.count - 1)
        slots[newest] = slot
        if made[newest] != nil { made[newest] = nil }  // an evicted entry's strings, left in its slot
        end = slot.start + slot.nameLength + slot.valueLength
        count += 1
        size += slot.size
    }

    /// Makes `length` octets free after `end` (most insertions find them free, and go no further).
    @inline(__always)
    private mutating func makeRoom(_ length: Int) {
        if octets.count - end < length { moveBack(making: length) }
    }

    /// Moves the live octets to the buffer's start, into a bigger buffer when they would not leave
    /// `length` octets free after them. The buffer stays within four times `maxSize`.
    private mutating func moveBack(making length: Int) {
        let oldest = count == 0 ? end : slot(count - 1).start
        let live = end - oldest
        var capacity = max(octets.count, 256)
        while capacity < 2 * (live + length) { capacity *= 2 }
        if capacity == octets.count {
            octets.withUnsafeMutableBufferPointer { all in
                guard let base = all.baseAddress, live > 0 else { return }
                UnsafeMutableRawPointer(base).copyMemory(from: base + oldest, byteCount: live)  // a memmove
            }
        } else {
            var bigger = [UInt8](repeating: 0, count: capacity)
            bigger.withUnsafeMutableBufferPointer { to in
                octets.withUnsafeBufferPointer { from in
                    guard let to = to.baseAddress, let from = from.baseAddress, live > 0 else { return }
                    to.update(from: from + oldest, count: live)
                }
            }
            octets = bigger
        }
        for i in 0..<count { slots[position(i)].start -= oldest }
        end = live
    }

    /// Changes the maximum size, evicting until the table fits (§4.3).
    public mutating func setMaxSize(_ newMax: Int, evicted: (_ entry: () -> Entry) -> Void = { _ in }) {
        maxSize = newMax
        while size > maxSize { evict(evicted) }
        // A table shrunk far below its buffer gives the buffer back once it is empty.
        if count == 0 && octets.count > 4 * max(maxSize, 256) { octets = [] }
    }

    /// The newest index (0-based) of an exact match and of a name match (a scan, for tests).
    func find(_ field: HeaderField) -> (exact: Int?, name: Int?) {
        field.withOctets { name, value in
            var nameMatch: Int?
            for i in 0..<count where matches(i, name: name, value: value, nameOnly: true) {
                if matches(i, name: name, value: value, nameOnly: false) { return (i, i) }
                if nameMatch == nil { nameMatch = i }
            }
            return (nil, nameMatch)
        }
    }

    private mutating func evict(_ evicted: (_ entry: () -> Entry) -> Void) {
        evicted { self[count - 1] }
        if made[position(count - 1)] != nil { made[position(count - 1)] = nil }
        size -= slot(count - 1).size
        count -= 1
        if count == 0 { end = 0 }
    }

    private mutating func grow() {
        var bigger = [FieldSpan](repeating: FieldSpan(start: 0, nameLength: 0, valueLength: 0), count: slots.count * 2)
        var biggerMade = [HeaderField?](repeating: nil, count: bigger.count)
        for i in 0..<count {
            bigger[i] = slot(i)
            biggerMade[i] = made[position(i)]
        }
        slots = bigger
        made = biggerMade
        newest = 0
    }

    /// Equal when they hold the same entries in the same order with the same limits.
    public static func == (a: DynamicTable, b: DynamicTable) -> Bool {
        guard a.maxSize == b.maxSize && a.size == b.size && a.count == b.count else { return false }
        for i in 0..<a.count {
            let equal = a.withOctets(i) { an, av in
                b.withOctets(i) { bn, bv in same(an, bn) && same(av, bv) }
            }
            if !equal { return false }
        }
        return true
    }
}

/// Where one field's octets lie in a block of memory: its name at `start`, its value right after
/// it (the dynamic table's entries, the static table's octets).
struct FieldSpan: Sendable {
    var start: Int
    var nameLength: Int
    var valueLength: Int
    /// A dynamic entry's note (`DynamicTable.note(_:)`); 0 for none, and for a static entry.
    var note: UInt16 = 0

    /// RFC 7541 §4.1: the entry's size.
    var size: Int { nameLength + valueLength + 32 }

    @inline(__always) func name(in base: UnsafePointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: base + start, count: nameLength)
    }

    @inline(__always) func value(in base: UnsafePointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: base + start + nameLength, count: valueLength)
    }
}
