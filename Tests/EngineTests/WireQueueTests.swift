import Testing
@testable import Engine

/// The wire queue (`serve`'s output: frames encoded, bodies referred to) carries the very octets
/// the frames encode to, however the writes split them, and a static answer's Date follows the clock.
@Suite("The wire queue and the dated lists")
struct WireQueueTests {
    /// Three responses with bodies of 100 octets, 64 KiB and 20 000 octets, the large ones split
    /// into DATA frames that carry parts of their bodies.
    static func answered(encodesOutbox: Bool = false) -> Connection {
        var configuration = Connection.Configuration.server
        configuration.encodesOutbox = encodesOutbox
        var server = handshakenServer(configuration)
        // The connection's window raised by 1 MiB; each stream's stays 65 535 (the 64 KiB body
        // leaves its last octet waiting).
        _ = server.receive(bytes: rawFrame(8, stream: 0, [0x00, 0x10, 0x00, 0x00]))
        var peer = HPACKEncoder()
        for (k, size) in [100, 65_536, 20_000].enumerated() {
            let id = UInt32(2 * k + 1)
            _ = server.receive(bytes: rawFrame(1, flags: 0x5, stream: id, requestBlock(&peer, path: "/\(k)")))
            let body = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ k) }
            _ = try? server.sendResponse(id, fields([(":status", "200"), ("content-length", "\(size)")]), body: body)
        }
        // A field block larger than a frame: HEADERS and CONTINUATION (§6.10).
        _ = server.receive(bytes: rawFrame(1, flags: 0x5, stream: 7, requestBlock(&peer, path: "/big")))
        _ = try? server.sendResponse(7, fields([(":status", "200"), ("x-large", String(repeating: "v", count: 40_000))]))
        return server
    }

    /// What `answered()` sends, as octets encoded from its frames, and a queue the same
    /// responses were encoded onto (`encodesOutbox`), to be written out in some way.
    static func queued() -> (expected: [UInt8], wire: WireQueue) {
        var plain = answered()
        var expected: [UInt8] = []
        for item in plain.takeOutbound() { expected += item.bytes }
        var fast = answered(encodesOutbox: true)
        var wire = WireQueue()
        fast.takeOutbound(into: &wire)
        return (expected, wire)
    }

    /// All the octets a queue holds, in order, and the queue emptied.
    static func drain(_ wire: inout WireQueue) -> [UInt8] {
        var octets: [UInt8] = []
        wire.withBuffers(limit: Int.max) { buffers in
            for buffer in buffers { octets += buffer }
        }
        wire.consume(wire.count)
        return octets
    }

    @Test("frames encoded as they are queued (`encodesOutbox`) are the octets and frames of the outbox of values")
    func encodedOutbox() {
        var plain = Self.answered()
        let frames = plain.takeOutbound()
        var expected: [UInt8] = []
        for item in frames { expected += item.bytes }
        #expect(frames.filter { if case .frame(let f) = $0 { f.type == .continuation } else { false } }.count == 2)
        var direct = Self.answered(encodesOutbox: true)
        var wire = WireQueue()
        direct.takeOutbound(into: &wire)
        #expect(Self.drain(&wire) == expected)
        // Asked for values, such a connection reads its frames back from their octets.
        var asValues = Self.answered(encodesOutbox: true)
        #expect(asValues.takeOutbound() == frames)
        #expect(asValues.takeOutbound().isEmpty)
    }

    @Test("written a piece at a time (a TLS connection's writes), the queue's octets are the frames' encoding")
    func firstBuffer() {
        let (expected, queue) = Self.queued()
        var wire = queue
        var written: [UInt8] = []
        var pieces = 0
        // Each piece in two writes: a part of it, then the rest.
        while let piece = wire.withFirstBuffer({ Array($0.prefix(max(1, $0.count / 2))) }) {
            written += piece
            wire.consume(piece.count)
            pieces += 1
        }
        #expect(written == expected)
        #expect(pieces > 4)
        #expect(wire.withFirstBuffer { $0.count } == nil)
    }

    /// A TLS connection's writes: a record's worth at a time, the pieces gathered (a DATA frame's
    /// header with its payload), some writes taking only part of what they were lent.
    @Test("written a record at a time, gathered, the queue's octets are the frames' encoding and each record is full")
    func records() {
        let (expected, queue) = Self.queued()
        var wire = queue
        let size = 16_384
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
        defer { scratch.deallocate() }
        var written: [UInt8] = []
        var lent: [Int] = []
        var k = 0
        while let piece = wire.withRecord(size: size, scratch: scratch, { record in
            lent.append(record.count)
            // Every third write takes only half of what it was lent, as a full socket does.
            return Array(k % 3 == 2 ? record.prefix(max(1, record.count / 2)) : record[...])
        }) {
            written += piece
            wire.consume(piece.count)
            k += 1
        }
        #expect(written == expected)
        // Every run lent but the last is one full record: a frame header is never a record of
        // its own. The last is the rest of the large header block's frames, one piece of the
        // queue's own longer than a record, lent where it lies (OpenSSL cuts it into records).
        #expect(lent.count == 8)
        #expect(lent.dropLast().allSatisfy { $0 == size })
        #expect(lent.last.map { $0 > size } == true)
        #expect(wire.withRecord(size: size, scratch: scratch) { $0.count } == nil)
    }

    /// OpenSSL's rule for a write it refused (WANT_WRITE): the retry passes the same octets, at
    /// least as many. Between the two, the queue only grows: what `withRecord` lends the second
    /// time must begin with what it lent the first, and be no shorter, whether the first was
    /// gathered or one piece lent where it lies.
    @Test("a record refused and tried again after more was queued begins with the same octets, no fewer")
    func recordRetry() {
        var wire = Self.queued().wire
        let size = 16_384
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
        defer { scratch.deallocate() }
        var steps = 0, gathered = 0, lentAlone = 0
        while steps < 60, let first = wire.withRecord(size: size, scratch: scratch, { Array($0) }) {
            let whole = wire.count
            wire.append(frame: .ping(UInt64(steps)))  // queued while the write waits
            let again = wire.withRecord(size: size, scratch: scratch) { Array($0) } ?? []
            #expect(again.starts(with: first) && again.count >= first.count, "step \(steps)")
            if first.count == min(size, whole) && first.count < whole { gathered += 1 } else { lentAlone += 1 }
            wire.consume(max(1, first.count / 2))
            steps += 1
        }
        #expect(gathered > 5 && lentAlone > 0)
    }

    /// A connection that encodes its frames as it queues them still hands them out as values
    /// when asked, a crafted frame the parser refuses (a lesson's) included, with nothing lost.
    @Test("frames encoded as they are queued read back as values, a crafted invalid one with its octets")
    func encodedOutboxCrafted() {
        var configuration = Connection.Configuration.server
        configuration.encodesOutbox = true
        var server = handshakenServer(configuration)
        let crafted = Frame(streamID: 0, flags: .ack, payload: .settings([Setting(.maxFrameSize, 1)]))  // an ACK with a payload (§6.5)
        _ = server.sendUnchecked(crafted)
        server.sendPing(7)
        let frames = server.takeOutbound()
        #expect(frames.count == 2)
        #expect(frames.flatMap(\.bytes) == FrameEncoder.encode(crafted) + FrameEncoder.encode(.ping(7)))
    }

    @Test("a queue taken onto one that still has octets waiting goes after them, its shared bodies too")
    func take() {
        var wire = WireQueue()
        var expected: [UInt8] = []
        for frame in [Frame.ping(7), .data(1, Array(repeating: 0xab, count: 5_000), endStream: false)] {
            wire.append(frame: frame)
            expected += FrameEncoder.encode(frame)
        }
        wire.consume(20)  // the PING and 3 octets of the DATA frame's header written
        expected.removeFirst(20)
        var other = WireQueue()
        var otherOctets: [UInt8] = []
        for frame in [Frame.ping(3), .data(3, Array(repeating: 0xcd, count: 3_000), endStream: true), .windowUpdate(0, increment: 9)] {
            other.append(frame: frame)
            otherOctets += FrameEncoder.encode(frame)
        }
        other.consume(20)  // the source partly written too: what it wrote is not taken again
        expected += otherOctets.dropFirst(20)
        wire.take(&other)
        #expect(other.isEmpty)
        #expect(Self.drain(&wire) == expected)
        // Onto an empty queue: the buffers change hands, and the emptied queue can be used again.
        other.append(frame: .ping(1))
        wire.take(&other)
        other.append(frame: .ping(2))
        #expect(Self.drain(&wire) == FrameEncoder.encode(.ping(1)))
        #expect(Self.drain(&other) == FrameEncoder.encode(.ping(2)))
    }

    @Test("written in pieces of any size, the queue's octets are the frames' encoding", arguments: [1, 7, 4_096, 16_393, 100_000])
    func sameOctets(chunk: Int) {
        var plain = Self.answered()
        var expected: [UInt8] = []
        for item in plain.takeOutbound() { expected += item.bytes }
        var fast = Self.answered()
        var wire = WireQueue()
        fast.takeOutbound(into: &wire)
        #expect(wire.count == expected.count)
        var written: [UInt8] = []
        var limits = [1, 3, 64].makeIterator()
        while !wire.isEmpty {
            let limit = limits.next() ?? 64
            let taken = wire.withBuffers(limit: limit) { buffers -> [UInt8] in
                #expect(buffers.count >= 1 && buffers.count <= limit)
                var octets: [UInt8] = []
                for buffer in buffers where octets.count < chunk { octets += buffer.prefix(chunk - octets.count) }
                return octets
            }
            written += taken
            wire.consume(taken.count)
        }
        #expect(written == expected)
        #expect(wire.count == 0)
    }

    @Test("a queue written slower than it fills is compacted and keeps its order")
    func compaction() {
        var wire = WireQueue()
        var expected: [UInt8] = []
        var written: [UInt8] = []
        for round in 0..<2_000 {
            let frame = Frame.data(UInt32(round % 50 + 1), Array(repeating: UInt8(truncatingIfNeeded: round), count: round % 3 == 0 ? 2_000 : 40))
            wire.append(frame: frame)
            expected += FrameEncoder.encode(frame)
            // Half of what waits is written each round.
            let taken = wire.withBuffers(limit: 64) { buffers -> [UInt8] in
                var octets: [UInt8] = []
                for buffer in buffers { octets += buffer }
                return Array(octets.prefix(max(1, wire.count / 2)))
            }
            written += taken
            wire.consume(taken.count)
        }
        while !wire.isEmpty {
            let taken = wire.withBuffers(limit: 64) { buffers in buffers.flatMap { Array($0) } }
            written += taken
            wire.consume(taken.count)
        }
        #expect(written == expected)
    }

    /// Small frames all extend one own piece: a reader that is always a little behind (the queue
    /// never empty) once made the queue keep every octet it had ever been sent.
    @Test("small frames to a reader that never catches up: the own buffer stays bounded, the octets in order", arguments: [1, 3, 100])
    func boundedWhenNeverEmpty(behind: Int) {
        var wire = WireQueue()
        var expected: [UInt8] = []
        var written: [UInt8] = []
        var most = 0
        for round in 0..<20_000 {
            let frame = Frame.data(UInt32(round % 9 * 2 + 1), Array(repeating: UInt8(truncatingIfNeeded: round), count: 60))
            wire.append(frame: frame)
            expected += FrameEncoder.encode(frame)
            // All but `behind` octets are written: the queue is never empty.
            let taken = wire.withBuffers(limit: 64) { buffers -> [UInt8] in
                Array(buffers.flatMap { Array($0) }.dropLast(behind))
            }
            written += taken
            wire.consume(taken.count)
            #expect(!wire.isEmpty)
            most = max(most, wire.heldOwnOctets)
        }
        written += wire.withBuffers(limit: 64) { buffers in buffers.flatMap { Array($0) } }
        #expect(written == expected)
        // 20 000 frames of 69 octets went through: 1.38 MB. The buffer holds at most about twice the
        // compaction threshold.
        #expect(most < 1 << 18, "the own buffer reached \(most) octets")
    }

    @Test("a static answer's Date changes with the clock, and an unknown file is no static answer")
    func datedListFollowsTheClock() {
        var site = DemoSite()
        site.files = ["/a.txt": StaticFile(contentType: "text/plain", body: Array("a\n".utf8))]
        let request = fields([(":method", "GET"), (":scheme", "https"), (":path", "/a.txt"), (":authority", "lab")])
        site.date = { "Sun, 06 Nov 1994 08:49:37 GMT" }
        #expect(site.staticAnswer(getting: request)?.headerList.last == HeaderField("date", "Sun, 06 Nov 1994 08:49:37 GMT"))
        site.date = { "Sun, 06 Nov 1994 08:49:38 GMT" }
        let later = site.staticAnswer(getting: request)?.headerList
        #expect(later?.last == HeaderField("date", "Sun, 06 Nov 1994 08:49:38 GMT"))
        #expect(later?.filter { $0.name == "date" }.count == 1)
        let missing = fields([(":method", "GET"), (":scheme", "https"), (":path", "/b.txt"), (":authority", "lab")])
        #expect(site.staticAnswer(getting: missing) == nil)
    }
}
