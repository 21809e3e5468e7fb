import Testing
@testable import Engine

/// The wire queue (`serve`'s output: frames encoded, bodies referred to) carries the very octets
/// the frames encode to, however the writes split them, and a static answer's Date follows the clock.
@Suite("The wire queue and the dated lists")
struct WireQueueTests {
    /// Three responses with bodies of 100 octets, 64 KiB and 20 000 octets, the large ones split
    /// into DATA frames that carry parts of their bodies.
    static func answered() -> Connection {
        var server = handshakenServer()
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
        return server
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
