import Testing
@testable import Engine

/// RFC 9113 §4.3: "A receiver MUST terminate the connection with a connection error of type
/// COMPRESSION_ERROR if it does not decompress a field block", and the compression context is the
/// connection's, not the stream's: whatever happens to a stream (a stream error, a refusal, a reset,
/// a late frame), its field block is decoded, so that the next block, which may refer to entries the
/// refused one inserted, still decodes. Each case here sends a block that is refused in some way,
/// then a request that refers to the entries it inserted: the request must be served and both ends'
/// tables must agree.
@Suite("Every field block is decoded, whatever happens to its stream (RFC 9113 §4.3)")
struct CompressionContextTests {
    /// A refused block's fields: one that the peer's encoder inserts into its dynamic table (§6.2.1
    /// of RFC 7541), so that the request after it refers to it by index.
    static let token = HeaderField("x-token", "refused-block-inserted-this")

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        /// What the client sends first (after the handshake); built with the client's encoder.
        var refused: @Sendable (inout HPACKEncoder) -> [UInt8]
        /// The frame the server must have answered with.
        var answer: Frame?
        var configuration: Connection.Configuration = .server
        /// The server sends GOAWAY NO_ERROR first (a graceful shutdown, §6.8).
        var graceful = false
        /// The stream of the request that must be served afterwards.
        var next: UInt32 = 5
        var testDescription: String { name }
    }

    /// Whether a decoder's table holds what the encoder's does (a Bool, so a failure prints no tables).
    static func inStep(_ decoder: HPACKDecoder, _ encoder: HPACKEncoder) -> Bool { decoder.table == encoder.table }

    static func block(_ e: inout HPACKEncoder, path: String = "/json", method: String = "GET", extra: [HeaderField] = []) -> [UInt8] {
        e.encode([HeaderField(":method", method), HeaderField(":scheme", "https"), HeaderField(":path", path),
                  HeaderField(":authority", "lab"), token] + extra).bytes
    }

    static let cases: [Case] = [
        Case(name: "HEADERS whose priority depends on its own stream (§5.3.1: a stream error)",
             refused: { e in rawFrame(1, flags: 0x25, stream: 3, be32(3) + [15] + block(&e)) },
             answer: .rstStream(3, .protocolError)),
        Case(name: "the same, its block split over CONTINUATION (§6.10)",
             refused: { e in
                 let b = block(&e)
                 return rawFrame(1, flags: 0x21, stream: 3, be32(3) + [15] + Array(b.prefix(3)))
                     + rawFrame(9, flags: 0x4, stream: 3, Array(b.dropFirst(3)))
             },
             answer: .rstStream(3, .protocolError)),
        Case(name: "a malformed request, uppercase field name (§8.2.1: a stream error)",
             refused: { e in rawFrame(1, flags: 5, stream: 3, block(&e, extra: [HeaderField("X-Upper", "1")])) },
             answer: .rstStream(3, .protocolError)),
        Case(name: "a stream beyond SETTINGS_MAX_CONCURRENT_STREAMS (§5.1.2: REFUSED_STREAM)",
             refused: { e in
                 // Stream 1 takes the only place; the client resets it afterwards, so stream 5 may open.
                 rawFrame(1, flags: 4, stream: 1, block(&e, method: "POST")) + rawFrame(1, flags: 4, stream: 3, block(&e, method: "POST"))
                     + rawFrame(3, stream: 1, be32(8))
             },
             answer: .rstStream(3, .refusedStream),
             configuration: Connection.Configuration(settings: [Setting(.maxConcurrentStreams, 1)])),
        Case(name: "trailers without END_STREAM (§8.1: a stream error)",
             refused: { e in
                 rawFrame(1, flags: 4, stream: 3, block(&e, method: "POST")) + rawFrame(1, flags: 4, stream: 3, e.encode([token, HeaderField("x-t", "1")]).bytes)
             },
             answer: .rstStream(3, .protocolError)),
        Case(name: "HEADERS on a half-closed (remote) stream (§5.1: STREAM_CLOSED)",
             refused: { e in
                 rawFrame(1, flags: 5, stream: 3, block(&e, path: "/nothing")) + rawFrame(1, flags: 5, stream: 3, block(&e, extra: [HeaderField("x-more", "1")]))
             },
             answer: .rstStream(3, .streamClosed)),
        Case(name: "HEADERS on a stream the peer reset (§5.1 closed: STREAM_CLOSED)",
             refused: { e in
                 rawFrame(1, flags: 4, stream: 3, block(&e, method: "POST")) + rawFrame(3, stream: 3, be32(8))
                     + rawFrame(1, flags: 5, stream: 3, block(&e, extra: [HeaderField("x-more", "1")]))
             },
             answer: .rstStream(3, .streamClosed)),
        Case(name: "HEADERS on a stream this endpoint reset (§5.1: ignored, still decoded)",
             refused: { e in
                 rawFrame(1, flags: 4, stream: 3, block(&e, method: "POST", extra: [HeaderField("X-Upper", "1")]))
                     + rawFrame(1, flags: 5, stream: 3, block(&e, extra: [HeaderField("x-more", "1")]))
             },
             answer: .rstStream(3, .protocolError)),
        Case(name: "HEADERS on a stream beyond our GOAWAY's last stream (§6.8: ignored, still decoded)",
             refused: { e in rawFrame(1, flags: 5, stream: 3, block(&e)) },
             answer: nil, graceful: true, next: 0),
    ]

    @Test("the refused block is decoded; a request using its entries is served", arguments: cases)
    func refusedThenServed(_ rule: Case) throws {
        var server = handshakenServer(rule.configuration)
        var encoder = HPACKEncoder()
        var events: [Event] = []
        if rule.graceful {
            events += server.sendGoaway(.noError)
            _ = sent(&server)
        }
        let bytes = rule.refused(&encoder)
        let offsets = FrameDecoder.decodeAll(bytes, expectPreface: false, maxFrameSize: 16_384).items.map(\.offset) + [bytes.count]
        var frames: [Frame] = []
        for (start, end) in zip(offsets, offsets.dropFirst()) {
            events += server.receive(bytes: bytes[start..<end])
            frames += sent(&server)
        }
        if let answer = rule.answer { #expect(frames.contains(answer), "sent: \(frames)") }
        #expect(server.closeReason == nil)
        #expect(Self.inStep(server.decoder, encoder), "the server's decoder table is out of step with the client's encoder")
        // The request after it refers to the refused block's entries (all of them indexed now).
        let next = Self.block(&encoder)
        #expect(next.count < 8, "the second block should be a few indexes, is \(next.count) octets")
        if rule.next != 0 {
            events = server.receive(bytes: rawFrame(1, flags: 5, stream: rule.next, next))
            #expect(events.contains(.messageComplete(stream: rule.next, kind: .request)), "\(events)")
            #expect(server.streams[rule.next]?.requestHeaders?.contains(Self.token) == true)
        } else {
            // Beyond GOAWAY: still ignored, still decoded.
            events = server.receive(bytes: rawFrame(1, flags: 5, stream: 7, next))
            #expect(events.contains { if case .frameIgnored = $0 { return true } else { return false } })
        }
        #expect(server.closeReason == nil)
        #expect(Self.inStep(server.decoder, encoder))
        #expect(!sent(&server).contains { $0.type == .goaway })
    }

    @Test("a client decodes a response on a stream it reset, and a malformed promise's block (§4.3, §8.4)")
    func clientSide() throws {
        var lab = Lab()
        while lab.deliver() != nil {}
        // The client resets stream 1 as soon as its request is out; the response still arrives.
        try lab.act(.client) { (c) throws(UsageError) in try c.sendRequest(request("GET", "/json")) }
        _ = lab.deliver()  // HEADERS to the server
        try lab.act(.client) { (c) throws(UsageError) in try c.sendReset(1, .cancel) }
        while lab.deliver() != nil {}
        #expect(lab.state.client.closeReason == nil && lab.state.server.closeReason == nil)
        #expect(Self.inStep(lab.state.client.decoder, lab.state.server.encoder))
        // A server's PUSH_PROMISE whose promised request is malformed: a stream error on the
        // promised stream (§8.4), the block still decoded, and the next response still decodes.
        // The client turns push on (by default it sends ENABLE_PUSH=0, and a promise is then a
        // connection error, §6.5.2).
        var client = Connection(role: .client, configuration: .init(settings: [Setting(.enablePush, 1)]))
        client.start()
        _ = client.receive(bytes: rawFrame(4, stream: 0, []) + rawFrame(4, flags: 1, stream: 0, []))
        _ = try client.sendRequest(request("GET", "/html"))
        _ = client.takeOutbound()
        var serverEncoder = HPACKEncoder()
        let promise = serverEncoder.encode([HeaderField(":method", "GET"), HeaderField(":scheme", "https"),
                                            HeaderField(":path", "/styles.css"), HeaderField(":authority", "lab"), Self.token,
                                            HeaderField("X-Upper", "1")]).bytes
        var events = client.receive(bytes: rawFrame(5, flags: 4, stream: 1, be32(2) + promise))
        #expect(sent(&client).contains(.rstStream(2, .protocolError)), "\(events)")
        let response = serverEncoder.encode([HeaderField(":status", "200"), Self.token]).bytes
        events = client.receive(bytes: rawFrame(1, flags: 5, stream: 1, response))
        #expect(events.contains(.messageComplete(stream: 1, kind: .response)), "\(events)")
        #expect(Self.inStep(client.decoder, serverEncoder) && client.closeReason == nil)
    }

    @Test("a frame with a stream error inside a header block is still a §6.10 connection error")
    func malformedInsideBlock() {
        var server = handshakenServer()
        var encoder = HPACKEncoder()
        let b = Self.block(&encoder)
        // A PRIORITY of 4 octets (a §6.3 stream error) between HEADERS and its CONTINUATION.
        _ = server.receive(bytes: rawFrame(1, flags: 1, stream: 1, Array(b.prefix(3))) + rawFrame(2, stream: 1, be32(0)))
        #expect(server.goawaySent?.code == .protocolError, "\(server.closeReason ?? "still open")")
    }
}
