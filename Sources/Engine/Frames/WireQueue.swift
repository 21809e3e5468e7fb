/// Octets waiting to be written to a connection, as pieces in order: runs of frames encoded into a
/// buffer of the queue's own, and the parts of bodies that DATA frames carry (RFC 9113 §6.1),
/// referred to where they lie — shared with the response that holds them, never copied. A driver
/// writes the pieces with one gathered write (`withBuffers`, then writev) and says how many octets
/// went (`consume`). Sans-IO: it only holds octets.
///
/// The one trick of this file: a body of 100 responses × 64 KiB copied into one flat buffer was
/// copied again on every partial write that shifted the rest down; here a body is never copied,
/// and what was written is dropped by moving an index. A small body is copied into the run of
/// encoded frames after all (below `shareFrom` octets one more piece costs more than the copy).
public struct WireQueue: Sendable {
    /// A piece: octets `start..<end` of the queue's own buffer, or of a body shared with a stream.
    enum Piece: Sendable {
        case own(start: Int, end: Int)
        case shared(body: [UInt8], start: Int, end: Int)
    }

    private var pieces: [Piece] = []
    /// The first piece not wholly written, and how many of its octets were.
    private var first = 0
    private var firstWritten = 0
    private var octets: [UInt8] = []
    /// Octets waiting.
    public private(set) var count = 0

    /// Bodies (or parts) at least this long are referred to; shorter ones are copied.
    static let shareFrom = 1_024

    public init() {}

    public var isEmpty: Bool { count == 0 }

    /// Appends octets of its own (the preface, an HTTP/1.1 answer).
    public mutating func append(_ bytes: some Collection<UInt8>) {
        let start = octets.count
        octets.append(contentsOf: bytes)
        noteOwn(from: start)
    }

    /// Appends a frame, encoded (FrameEncoder); a large unpadded DATA payload is referred to.
    public mutating func append(frame: Frame) {
        let start = octets.count
        // A response's two frames, unpadded, straight here; any other through FrameEncoder.
        switch frame.payload {
        case .data(let body) where frame.padLength == nil:
            return appendData(stream: frame.streamID | (frame.reservedBit ? 0x8000_0000 : 0), body: body, 0..<body.count,
                              flags: frame.flags.subtracting(.padded).rawValue)
        case .headers(let block, nil) where frame.padLength == nil:
            FrameEncoder.reserve(9 + block.count, in: &octets)
            FrameEncoder.encodeHeader(length: block.count, type: FrameType.headers.rawValue,
                                      flags: frame.flags.subtracting([.padded, .priority]).rawValue,
                                      stream: frame.streamID | (frame.reservedBit ? 0x8000_0000 : 0), into: &octets)
            octets.append(contentsOf: block)
        default:
            FrameEncoder.encode(frame, into: &octets)
        }
        noteOwn(from: start)
    }

    /// Appends a HEADERS frame whose field block `write` appends to the octets it is given (the
    /// queue's own: an encoder writes the block where it will be sent from, with no block array
    /// in between). A block larger than `maxFrameSize` is then framed again as HEADERS and
    /// CONTINUATION frames (§6.2, §6.10).
    mutating func appendHeaders(stream id: UInt32, endStream: Bool, maxFrameSize: Int, block write: (inout [UInt8]) -> Void) {
        let start = octets.count
        FrameEncoder.reserve(9 + 128, in: &octets)
        FrameEncoder.encodeHeader(length: 0, type: 0, flags: 0, stream: 0, into: &octets)  // filled in below
        write(&octets)
        let length = octets.count - start - 9
        guard length <= maxFrameSize else {
            let block = Array(octets[(start + 9)...])
            octets.removeSubrange(start...)
            return Frame.headerBlock(block, stream: id, endStream: endStream, maxFrameSize: maxFrameSize) { append(frame: $0) }
        }
        let flags = FrameFlags.endHeaders.rawValue | (endStream ? FrameFlags.endStream.rawValue : 0)
        FrameEncoder.writeHeader(length: length, type: FrameType.headers.rawValue, flags: flags, stream: id, at: start, in: &octets)
        noteOwn(from: start)
    }

    /// Moves everything waiting in `other` onto the end of this queue, and empties `other`
    /// (keeping its buffers for reuse). Onto an empty queue this is an exchange of buffers.
    mutating func take(_ other: inout WireQueue) {
        guard other.count > 0 else { return }
        if count == 0 {
            swap(&self, &other)
            other.reset()
            return
        }
        for i in other.first..<other.pieces.count {
            let skip = i == other.first ? other.firstWritten : 0
            switch other.pieces[i] {
            case .own(let start, let end):
                let at = octets.count
                octets.append(contentsOf: other.octets[(start + skip)..<end])
                noteOwn(from: at)
            case .shared(let body, let start, let end):
                pieces.append(.shared(body: body, start: start + skip, end: end))
                count += end - start - skip
            }
        }
        other.reset()
    }

    /// Empties the queue, keeping its buffers' room.
    private mutating func reset() {
        pieces.removeAll(keepingCapacity: true)
        octets.removeAll(keepingCapacity: octets.capacity <= 1 << 16)
        first = 0
        firstWritten = 0
        count = 0
    }

    /// Appends a DATA frame carrying `range` of `body`, END_STREAM as asked.
    mutating func appendData(stream id: UInt32, body: [UInt8], _ range: Range<Int>, endStream: Bool) {
        appendData(stream: id, body: body, range, flags: endStream ? FrameFlags.endStream.rawValue : 0)
    }

    private mutating func appendData(stream id: UInt32, body: [UInt8], _ range: Range<Int>, flags: UInt8) {
        let start = octets.count
        FrameEncoder.reserve(9 + (range.count < Self.shareFrom ? range.count : 0), in: &octets)
        FrameEncoder.encodeHeader(length: range.count, type: FrameType.data.rawValue, flags: flags, stream: id, into: &octets)
        if range.count < Self.shareFrom {
            body.withUnsafeBufferPointer { octets.append(contentsOf: UnsafeBufferPointer(rebasing: $0[range])) }
            return noteOwn(from: start)
        }
        noteOwn(from: start)
        pieces.append(.shared(body: body, start: range.lowerBound, end: range.upperBound))
        count += range.count
    }

    /// The octets from `start` to the end of the own buffer were just added: they extend the last
    /// piece when it ends there.
    private mutating func noteOwn(from start: Int) {
        let end = octets.count
        guard end > start else { return }
        count += end - start
        if let last = pieces.last, case .own(let lastStart, start) = last {
            pieces[pieces.count - 1] = .own(start: lastStart, end: end)
        } else {
            pieces.append(.own(start: start, end: end))
        }
    }

    /// Drops the first `written` octets (a write took them).
    public mutating func consume(_ written: Int) {
        var left = min(written, count)
        count -= left
        while left > 0 {
            let length = pieces[first].length - firstWritten
            if left < length {
                firstWritten += left
                break
            }
            left -= length
            first += 1
            firstWritten = 0
        }
        if count == 0 {
            reset()
        } else if (first >= 256 && first * 2 >= pieces.count) || (octets.count >= 1 << 16 && ownWritten * 2 >= octets.count) {
            compact()
        }
    }

    /// Own octets before the first own octet still waiting: written already, or part of pieces
    /// written. (Small frames all extend one own piece, so this is counted within a piece too: a
    /// reader that never lets the queue empty must not keep every octet it was ever sent.)
    private var ownWritten: Int {
        for i in first..<pieces.count {
            if case .own(let start, _) = pieces[i] { return start + (i == first ? firstWritten : 0) }
        }
        return octets.count
    }

    /// How many octets the queue's own buffer holds, written or not (tests: the bound).
    var heldOwnOctets: Int { octets.count }

    /// Forgets the pieces written, and the own octets before the first still waiting (a reader
    /// slower than the writer: the queue does not grow without end). Each piece and octet is moved
    /// at most once per halving, so the cost stays linear in what passes through.
    private mutating func compact() {
        pieces.removeFirst(first)
        first = 0
        let base = ownWritten
        guard base >= 1 << 16, base * 2 >= octets.count else { return }
        octets.removeFirst(base)
        for i in pieces.indices {
            guard case .own(let start, let end) = pieces[i] else { continue }
            if start < base {
                // The first piece, partly written: what is left of it starts the buffer.
                pieces[i] = .own(start: 0, end: end - base)
                firstWritten = 0
            } else {
                pieces[i] = .own(start: start - base, end: end - base)
            }
        }
    }

    /// Calls `body` with the first pieces waiting (at most `limit`, at least one when the queue is
    /// not empty), lent where they lie for the call. Package-only: the event loop gathers them into
    /// `sendmsg` (a TLS connection takes a record's worth at a time, `withRecord`); no pointer
    /// leaves through the public API.
    package func withBuffers<R>(limit: Int, _ body: (UnsafeBufferPointer<UnsafeRawBufferPointer>) throws -> R) rethrows -> R {
        let n = min(limit, pieces.count - first)
        return try octets.withUnsafeBytes { own in
            try withUnsafeTemporaryAllocation(of: UnsafeRawBufferPointer.self, capacity: max(1, n)) { list in
                try lend(first, upTo: first + n, own: own, into: list, body)
            }
        }
    }

    /// Calls `body` with the first piece waiting, lent where it lies for the call; nil when the
    /// queue is empty. Package-only, as `withBuffers`: `withRecord`'s way for a piece that fills
    /// a record alone, or is all there is.
    package func withFirstBuffer<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R? {
        guard first < pieces.count else { return nil }
        switch pieces[first] {
        case .own(let start, let end):
            return try octets.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[(start + firstWritten)..<end])) }
        case .shared(let shared, let start, let end):
            return try shared.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[(start + firstWritten)..<end])) }
        }
    }

    /// Calls `body` with the next record's worth of octets waiting (at most `size`; nil when the
    /// queue is empty): the first piece where it lies when it alone is at least `size` long or
    /// nothing follows it, otherwise the first pieces copied one after another into `scratch`
    /// (its first `size` octets). Package-only, as `withBuffers`: what a TLS connection writes,
    /// one SSL_write per record. Each SSL_write makes a record of its own, so a frame header
    /// written alone (the 9 octets before each DATA payload) would cost a whole record: the
    /// encryption's set-up, its 22 octets of overhead, a write(2). Gathered, 100 responses of
    /// 64 KiB take 4 records each instead of 8.
    ///
    /// The copy goes 2 KiB at a time: glibc's memcpy copies longer runs with `rep movsb`, which
    /// callgrind (`scripts/bench instructions`) counts as one instruction per octet; in runs of
    /// 2 KiB it takes its vector loop, which moves 32 octets per instruction. On the CPU the two
    /// cost about the same.
    package func withRecord<R>(size: Int, scratch: UnsafeMutableRawBufferPointer,
                               _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R? {
        guard first < pieces.count else { return nil }
        let size = min(size, scratch.count)
        if pieces[first].length - firstWritten >= size || first + 1 == pieces.count {
            return try withFirstBuffer(body)
        }
        guard let base = scratch.baseAddress else { return try withFirstBuffer(body) }
        var filled = 0
        octets.withUnsafeBytes { own in
            var i = first
            while i < pieces.count && filled < size {
                let skip = i == first ? firstWritten : 0
                switch pieces[i] {
                case .own(let start, let end):
                    filled += Self.copy(UnsafeRawBufferPointer(rebasing: own[(start + skip)..<end]), to: base + filled, room: size - filled)
                case .shared(let bytes, let start, let end):
                    bytes.withUnsafeBytes { shared in
                        filled += Self.copy(UnsafeRawBufferPointer(rebasing: shared[(start + skip)..<end]), to: base + filled,
                                            room: size - filled)
                    }
                }
                i += 1
            }
        }
        return try body(UnsafeRawBufferPointer(start: base, count: filled))
    }

    /// Copies what of `from` fits in `room` octets to `to`, 2 KiB at a time (see `withRecord`);
    /// returns how many octets it copied.
    private static func copy(_ from: UnsafeRawBufferPointer, to: UnsafeMutableRawPointer, room: Int) -> Int {
        let count = min(from.count, room)
        guard count > 0, let source = from.baseAddress else { return 0 }
        var done = 0
        while done < count {
            let run = min(2_048, count - done)
            (to + done).copyMemory(from: source + done, byteCount: run)
            done += run
        }
        return count
    }

    /// Lends piece `i` and the ones after it up to `end`, one inside the other (a shared body's
    /// octets are reachable only inside its `withUnsafeBytes`), then calls `body` with them all.
    private func lend<R>(_ i: Int, upTo end: Int, own: UnsafeRawBufferPointer, into list: UnsafeMutableBufferPointer<UnsafeRawBufferPointer>,
                         _ body: (UnsafeBufferPointer<UnsafeRawBufferPointer>) throws -> R) rethrows -> R {
        guard i < end else { return try body(UnsafeBufferPointer(start: list.baseAddress, count: end - first)) }
        let skip = i == first ? firstWritten : 0
        switch pieces[i] {
        case .own(let start, let stop):
            list[i - first] = UnsafeRawBufferPointer(rebasing: own[(start + skip)..<stop])
            return try lend(i + 1, upTo: end, own: own, into: list, body)
        case .shared(let bytes, let start, let stop):
            return try bytes.withUnsafeBytes { shared in
                list[i - first] = UnsafeRawBufferPointer(rebasing: shared[(start + skip)..<stop])
                return try lend(i + 1, upTo: end, own: own, into: list, body)
            }
        }
    }
}

extension WireQueue.Piece {
    var length: Int {
        switch self {
        case .own(let start, let end), .shared(_, let start, let end): return end - start
        }
    }
}
