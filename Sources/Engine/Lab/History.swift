/// An append-only list whose copies share what they hold in common: the lab's snapshots for `back`
/// and its log of deliveries.
///
/// The speed trick of the lab, explained once. A `Lab` is a value and is copied whole: by the
/// session's `undo` points (one per command), by a class-mode session saved before the class
/// explores, by the fuzzer's "back, then the same step again" check. An `Array` shared with such a
/// copy is copied whole by the next append, so with an `undo` point kept before every command each
/// step cost a copy of every snapshot so far (10 ms after 10 000 deliveries, and `back` as much), and
/// each copy kept its own array of them (the memory of a classroom's labs). Here the elements sit in
/// chunks of `chunkSize`; a full chunk is never written again, so copies share it for good, and an
/// append or a removal at the end of a shared history copies at most the last chunk and the list of
/// chunks (one reference per `chunkSize` elements). Indices run from 0 to `count`, as an array's.
public struct History<Element>: RandomAccessCollection {
    /// Elements per chunk: large enough that the list of chunks stays short (313 references after
    /// 10 000 deliveries), small enough that a copy of the last chunk costs little to make and to
    /// keep (an `undo` point keeps the one it shared).
    static var chunkSize: Int { 32 }

    /// Every chunk but the last is full, except that the first may begin with `dropped` elements
    /// forgotten by `removeFirst` (still held until the whole chunk goes).
    private var chunks: [[Element]] = []
    private var dropped = 0
    public private(set) var count = 0

    public init() {}

    public init<S: Sequence>(_ elements: S) where S.Element == Element {
        for element in elements { append(element) }
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    public subscript(position: Int) -> Element {
        precondition(position >= 0 && position < count, "History index out of range")
        let i = position + dropped
        return chunks[i / Self.chunkSize][i % Self.chunkSize]
    }

    public mutating func append(_ element: Element) {
        if let last = chunks.indices.last, chunks[last].count < Self.chunkSize {
            chunks[last].append(element)
        } else {
            var chunk: [Element] = []
            chunk.reserveCapacity(Self.chunkSize)
            chunk.append(element)
            chunks.append(chunk)
        }
        count += 1
    }

    /// Removes the newest `n` elements (at most `count`).
    public mutating func removeLast(_ n: Int) {
        var left = Swift.min(Swift.max(n, 0), count)
        count -= left
        while left > 0, let last = chunks.indices.last {
            let inChunk = chunks[last].count - (last == 0 ? dropped : 0)
            if inChunk <= left {
                chunks.removeLast()
                left -= inChunk
                if chunks.isEmpty { dropped = 0 }
            } else {
                chunks[last].removeLast(left)
                left = 0
            }
        }
    }

    /// Forgets the oldest `n` elements (at most `count`); indices then start again at 0.
    public mutating func removeFirst(_ n: Int) {
        let n = Swift.min(Swift.max(n, 0), count)
        count -= n
        dropped += n
        let whole = Swift.min(dropped / Self.chunkSize, chunks.count)
        if whole > 0 {
            chunks.removeFirst(whole)
            dropped -= whole * Self.chunkSize
        }
        if count == 0 {
            chunks = []
            dropped = 0
        }
    }
}

extension History {
    /// Changes the element at `position` in place (copying at most its chunk, if shared).
    public mutating func update(at position: Int, _ change: (inout Element) -> Void) {
        precondition(position >= 0 && position < count, "History index out of range")
        let i = position + dropped
        change(&chunks[i / Self.chunkSize][i % Self.chunkSize])
    }

    /// Removes the elements that `shouldRemove` picks (rebuilding the list: for rare removals from
    /// the middle, such as a frame dropped from the wire before the ones ahead of it).
    public mutating func removeAll(where shouldRemove: (Element) -> Bool) {
        guard contains(where: shouldRemove) else { return }
        self = History(filter { !shouldRemove($0) })
    }
}

extension History: Sendable where Element: Sendable {}

extension History: Equatable where Element: Equatable {
    public static func == (a: History, b: History) -> Bool { a.elementsEqual(b) }
}

extension History: ExpressibleByArrayLiteral {
    public init(arrayLiteral elements: Element...) { self.init(elements) }
}
