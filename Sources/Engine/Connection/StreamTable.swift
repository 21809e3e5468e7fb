/// A connection's stream records by stream id (RFC 9113 §5.1.1: non-zero, 31 bits).
///
/// A `Dictionary<UInt32, StreamRecord>` hashed every id with SipHash, a dozen times per request on
/// a busy server. Here the records sit in a dense array (iterated as `values`, with their ids as
/// `keys`), found through an open-addressed index of slots, probed linearly from a multiplicative
/// hash of the id; a removal shifts the slots after it back, so there are no tombstones, and moves
/// the last record into the hole. Order is not kept: callers that show streams sort them by id.
/// A value type like the rest of the connection: a snapshot copies it (copy on write).
///
/// How a record is reached (the one trick of this file). A `StreamRecord` holds arrays (bodies,
/// header lists): a copy of it retains each of them, and a write to a copy while the table's record
/// lives copies the array written. So the protocol code never copies a record to change it:
/// - `read(id) { record in … }` looks at it where it lies;
/// - `update(id) { record in … }` changes it in place;
/// - `Connection.withStream(id) { connection, record in … }` changes it while the rest of the
///   connection changes too (a §5.1 transition counts active streams and reports events). For the
///   call the record is moved out of the table (a swap, no copy) and it is moved back when the
///   closure returns, by whatever path: nothing to remember on an early return. Meanwhile the
///   table holds an empty stand-in under its id, so the closure reaches the record only through
///   its parameter (and acts on the connection's view of the stream, a reset say, after it).
/// The subscript puts a record in or takes it away whole; its getter hands out a copy, for views.
public struct StreamTable: Sendable, Equatable {
    /// Per slot: the id held there (0: empty) and its record's position in `records`.
    private var slotIDs: [UInt32]
    private var slotPositions: [Int32]
    /// The records, and their ids in the same order.
    public private(set) var values: [StreamRecord] = []
    public private(set) var keys: [UInt32] = []

    public init() {
        slotIDs = Array(repeating: 0, count: 16)
        slotPositions = Array(repeating: -1, count: 16)
    }

    public var count: Int { keys.count }
    public var isEmpty: Bool { keys.isEmpty }

    /// A copy of the record of stream `id` (for views), or nil. Setting a record puts it in (moved,
    /// not copied); setting nil removes it.
    public subscript(id: UInt32) -> StreamRecord? {
        get {
            guard let slot = slot(of: id) else { return nil }
            return values[Int(slotPositions[slot])]
        }
        set {
            switch consume newValue {
            case .some(let record): insert(id, record)
            case .none: removeValue(forKey: id)
            }
        }
    }

    /// Whether stream `id` has a record.
    public func contains(_ id: UInt32) -> Bool { slot(of: id) != nil }

    /// What `look` makes of the record of stream `id`, looked at where it lies; nil when there is none.
    public func read<R>(_ id: UInt32, _ look: (StreamRecord) throws -> R) rethrows -> R? {
        guard let slot = slot(of: id) else { return nil }
        // Through the buffer: the element is lent to `look` where it lies (the array's subscript
        // would hand out a copy, retaining everything the record holds).
        return try values.withUnsafeBufferPointer { try look($0[Int(slotPositions[slot])]) }
    }

    /// Changes the record of stream `id` in place; nil (and no call) when there is none.
    @discardableResult
    public mutating func update<R>(_ id: UInt32, _ change: (inout StreamRecord) throws -> R) rethrows -> R? {
        guard let slot = slot(of: id) else { return nil }
        return try change(&values[Int(slotPositions[slot])])
    }

    /// Moves the record of stream `id` out (`withStream`), leaving a stand-in of the same id in
    /// its place; nil when there is none. Moved, not swapped: a swap of two records is three
    /// copies of their octets (a record is some 140), a move one.
    fileprivate mutating func takeOut(_ id: UInt32) -> StreamRecord? {
        guard let slot = slot(of: id) else { return nil }
        let position = Int(slotPositions[slot])
        return values.withUnsafeMutableBufferPointer { records -> StreamRecord? in
            guard let base = records.baseAddress else { return nil }
            let record = (base + position).move()
            (base + position).initialize(to: StreamRecord(id: id, sendWindow: 0, receiveWindow: 0))
            return record
        }
    }

    /// Moves a taken record back in place of its stand-in (or in anew, if it was removed meanwhile).
    fileprivate mutating func putBack(_ record: consuming StreamRecord) {
        guard let slot = slot(of: record.id) else { return insert(record.id, record) }
        values[Int(slotPositions[slot])] = record
    }

    @discardableResult
    public mutating func removeValue(forKey id: UInt32) -> StreamRecord? {
        guard let hole = slot(of: id) else { return nil }
        return remove(at: hole)
    }

    /// Removes the record of stream `id`, if there is one, and lets it go. (Unlike
    /// `removeValue(forKey:)`, no optional record is handed back to be destroyed: the runtime
    /// destroys an optional record through its generic path, at several times the cost.)
    mutating func remove(_ id: UInt32) {
        guard let hole = slot(of: id) else { return }
        _ = remove(at: hole)
    }

    private mutating func remove(at slot: Int) -> StreamRecord {
        var hole = slot
        let position = Int(slotPositions[hole])
        // The last record moves into the removed one's place; its slot is pointed there.
        var removed = values.removeLast()
        let lastID = keys.removeLast()
        if position < values.count, let moved = self.slot(of: lastID) {
            slotPositions[moved] = Int32(position)
            swap(&removed, &values[position])
            keys[position] = lastID
        }
        // Backward-shift deletion: an entry after the hole moves into it unless its home slot
        // lies cyclically after the hole (then it is still reachable from home without passing it).
        let mask = slotIDs.count - 1
        var next = hole
        while true {
            next = (next + 1) & mask
            let occupant = slotIDs[next]
            if occupant == 0 { break }
            let home = Self.home(occupant, mask)
            let reachable = hole <= next ? (home > hole && home <= next) : (home > hole || home <= next)
            if !reachable {
                slotIDs[hole] = occupant
                slotPositions[hole] = slotPositions[next]
                hole = next
            }
        }
        slotIDs[hole] = 0
        slotPositions[hole] = -1
        return removed
    }

    /// Equal when they hold the same records by the same ids, in whatever order.
    public static func == (a: StreamTable, b: StreamTable) -> Bool {
        a.count == b.count && zip(a.keys, a.values).allSatisfy { b[$0] == $1 }
    }

    // MARK: The index

    private static func home(_ id: UInt32, _ mask: Int) -> Int {
        Int(truncatingIfNeeded: (UInt64(id) &* 0x9e37_79b9_7f4a_7c15) >> 32) & mask
    }

    private func slot(of id: UInt32) -> Int? {
        guard id != 0 else { return nil }
        let mask = slotIDs.count - 1
        var slot = Self.home(id, mask)
        while true {
            let occupant = slotIDs[slot]
            if occupant == id { return slot }
            if occupant == 0 { return nil }
            slot = (slot + 1) & mask
        }
    }

    private mutating func insert(_ id: UInt32, _ record: consuming StreamRecord) {
        if let slot = slot(of: id) {
            values[Int(slotPositions[slot])] = record
            return
        }
        guard id != 0 else { return }  // stream 0 is the connection, never a stream record
        if (keys.count + 1) * 2 > slotIDs.count { grow() }
        let mask = slotIDs.count - 1
        var slot = Self.home(id, mask)
        while slotIDs[slot] != 0 { slot = (slot + 1) & mask }
        slotIDs[slot] = id
        slotPositions[slot] = Int32(values.count)
        values.append(record)
        keys.append(id)
    }

    /// Twice the slots, at most half of them full, every id placed again.
    private mutating func grow() {
        let size = slotIDs.count * 2
        slotIDs = Array(repeating: 0, count: size)
        slotPositions = Array(repeating: -1, count: size)
        let mask = size - 1
        for (position, id) in keys.enumerated() {
            var slot = Self.home(id, mask)
            while slotIDs[slot] != 0 { slot = (slot + 1) & mask }
            slotIDs[slot] = id
            slotPositions[slot] = Int32(position)
        }
    }
}

extension Connection {
    /// Runs `change` on the record of stream `id` with the whole connection at hand (see the top
    /// of this file); nil (and no call) when there is none. The record is back in the table when
    /// this returns, however `change` returned.
    @discardableResult
    mutating func withStream<R>(_ id: UInt32, _ change: (inout Connection, inout StreamRecord) throws -> R) rethrows -> R? {
        guard var record = streams.takeOut(id) else { return nil }
        let result: R
        do {
            result = try change(&self, &record)
        } catch {
            streams.putBack(consume record)
            throw error
        }
        streams.putBack(consume record)
        return result
    }
}
