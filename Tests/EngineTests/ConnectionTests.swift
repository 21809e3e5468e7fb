import Testing
@testable import Engine

/// A server that has received the client preface and an empty SETTINGS, with its outbox cleared.
func handshakenServer(_ configuration: Connection.Configuration = .server, acknowledge: Bool = true) -> Connection {
    var server = Connection(role: .server, configuration: configuration)
    server.start()
    _ = server.receive(bytes: connectionPreface + rawFrame(4, stream: 0, []))
    if acknowledge { _ = server.receive(bytes: rawFrame(4, flags: 1, stream: 0, [])) }
    _ = server.takeOutbound()
    return server
}

/// Frames a connection queued, decoded.
func sent(_ connection: inout Connection) -> [Frame] {
    connection.takeOutbound().compactMap { if case .frame(let f) = $0 { return f } else { return nil } }
}

/// A request header block encoded by a separate encoder (the peer's).
func requestBlock(_ encoder: inout HPACKEncoder, path: String = "/", method: String = "GET", extra: [(String, String)] = []) -> [UInt8] {
    encoder.encode(fields([(":method", method), (":scheme", "https"), (":path", path), (":authority", "lab")] + extra)).bytes
}

@Suite("RFC 9113 connection and stream rules")
struct ConnectionRuleTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        /// Frames the client sends after the handshake; built with a fresh peer encoder.
        var frames: @Sendable (inout HPACKEncoder) -> [UInt8]
        var expected: Frame
        var configuration: Connection.Configuration = .server
        var testDescription: String { name }
    }

    static func goaway(_ last: UInt32, _ code: ErrorCode) -> Frame { .goaway(lastStreamID: last, code) }

    static let cases: [Case] = [
        Case(name: "DATA on an idle stream → GOAWAY PROTOCOL_ERROR (§5.1)",
             frames: { _ in rawFrame(0, stream: 1, [1]) }, expected: goaway(0, .protocolError)),
        Case(name: "HEADERS on an even stream from a client → GOAWAY PROTOCOL_ERROR (§5.1.1)",
             frames: { e in rawFrame(1, flags: 5, stream: 2, requestBlock(&e)) }, expected: goaway(0, .protocolError)),
        Case(name: "HEADERS on a lower new stream → GOAWAY PROTOCOL_ERROR (§5.1.1)",
             frames: { e in rawFrame(1, flags: 5, stream: 5, requestBlock(&e)) + rawFrame(1, flags: 5, stream: 3, requestBlock(&e)) },
             expected: goaway(5, .protocolError)),
        Case(name: "WINDOW_UPDATE on an idle stream → GOAWAY PROTOCOL_ERROR (§5.1)",
             frames: { _ in rawFrame(8, stream: 7, be32(10)) }, expected: goaway(0, .protocolError)),
        Case(name: "RST_STREAM on an idle stream → GOAWAY PROTOCOL_ERROR (§6.4)",
             frames: { _ in rawFrame(3, stream: 1, be32(8)) }, expected: goaway(0, .protocolError)),
        Case(name: "CONTINUATION without a header block → GOAWAY PROTOCOL_ERROR (§6.10)",
             frames: { _ in rawFrame(9, flags: 4, stream: 1, [0x82]) }, expected: goaway(0, .protocolError)),
        Case(name: "a frame between HEADERS and CONTINUATION → GOAWAY PROTOCOL_ERROR (§6.10)",
             frames: { e in rawFrame(1, flags: 1, stream: 1, requestBlock(&e)) + rawFrame(6, stream: 0, [UInt8](repeating: 0, count: 8)) },
             expected: goaway(0, .protocolError)),
        Case(name: "an unknown frame inside a header block → GOAWAY PROTOCOL_ERROR (§6.10)",
             frames: { e in rawFrame(1, flags: 1, stream: 1, requestBlock(&e)) + rawFrame(0xfa, stream: 1, [1]) },
             expected: goaway(0, .protocolError)),
        Case(name: "an undecodable header block → GOAWAY COMPRESSION_ERROR (§4.3)",
             frames: { _ in rawFrame(1, flags: 5, stream: 1, [0xff, 0xff, 0xff]) }, expected: goaway(0, .compressionError)),
        Case(name: "PUSH_PROMISE from a client → GOAWAY PROTOCOL_ERROR (§8.4)",
             frames: { e in rawFrame(1, flags: 4, stream: 1, requestBlock(&e)) + rawFrame(5, flags: 4, stream: 1, be32(2) + [0x82]) },
             expected: goaway(1, .protocolError)),
        Case(name: "connection WINDOW_UPDATE past 2^31-1 → GOAWAY FLOW_CONTROL_ERROR (§6.9.1)",
             frames: { _ in rawFrame(8, stream: 0, be32(0x7fff_ffff)) }, expected: goaway(0, .flowControlError)),
        Case(name: "stream WINDOW_UPDATE past 2^31-1 → RST_STREAM FLOW_CONTROL_ERROR (§6.9.1)",
             frames: { e in rawFrame(1, flags: 4, stream: 1, requestBlock(&e)) + rawFrame(8, stream: 1, be32(0x7fff_ffff)) },
             expected: .rstStream(1, .flowControlError)),
        Case(name: "WINDOW_UPDATE of 0 on a stream → RST_STREAM PROTOCOL_ERROR (§6.9)",
             frames: { e in rawFrame(1, flags: 4, stream: 1, requestBlock(&e)) + rawFrame(8, stream: 1, be32(0)) },
             expected: .rstStream(1, .protocolError)),
        Case(name: "DATA after END_STREAM → RST_STREAM STREAM_CLOSED (§5.1 half-closed (remote))",
             frames: { e in rawFrame(1, flags: 5, stream: 1, requestBlock(&e, path: "/nothing-responds")) + rawFrame(0, stream: 1, [1]) },
             expected: .rstStream(1, .streamClosed)),
        Case(name: "uppercase field name → RST_STREAM PROTOCOL_ERROR (§8.2.1)",
             frames: { e in rawFrame(1, flags: 5, stream: 1, requestBlock(&e, extra: [("X-Upper", "1")])) },
             expected: .rstStream(1, .protocolError)),
        Case(name: "connection-specific field → RST_STREAM PROTOCOL_ERROR (§8.2.2)",
             frames: { e in rawFrame(1, flags: 5, stream: 1, requestBlock(&e, extra: [("connection", "keep-alive")])) },
             expected: .rstStream(1, .protocolError)),
        Case(name: "request without :path → RST_STREAM PROTOCOL_ERROR (§8.3.1)",
             frames: { e in rawFrame(1, flags: 5, stream: 1, e.encode(fields([(":method", "GET"), (":scheme", "https")])).bytes) },
             expected: .rstStream(1, .protocolError)),
        Case(name: "pseudo-header after a field → RST_STREAM PROTOCOL_ERROR (§8.3)",
             frames: { e in rawFrame(1, flags: 5, stream: 1, e.encode(fields([(":method", "GET"), ("a", "b"), (":path", "/"), (":scheme", "http")])).bytes) },
             expected: .rstStream(1, .protocolError)),
        Case(name: "content-length larger than the DATA → RST_STREAM PROTOCOL_ERROR (§8.1.1)",
             frames: { e in rawFrame(1, flags: 4, stream: 1, requestBlock(&e, path: "/upload", method: "POST", extra: [("content-length", "35")]))
                 + rawFrame(0, flags: 1, stream: 1, [UInt8](repeating: 0x61, count: 32)) },
             expected: .rstStream(1, .protocolError)),
        Case(name: "DATA beyond content-length → RST_STREAM PROTOCOL_ERROR (§8.1.1)",
             frames: { e in rawFrame(1, flags: 4, stream: 1, requestBlock(&e, path: "/upload", method: "POST", extra: [("content-length", "2")]))
                 + rawFrame(0, stream: 1, [1, 2, 3]) },
             expected: .rstStream(1, .protocolError)),
        Case(name: "trailers without END_STREAM → RST_STREAM PROTOCOL_ERROR (§8.1)",
             frames: { e in rawFrame(1, flags: 4, stream: 1, requestBlock(&e, method: "POST")) + rawFrame(1, flags: 4, stream: 1, e.encode(fields([("x-t", "1")])).bytes) },
             expected: .rstStream(1, .protocolError)),
        Case(name: "a second stream beyond MAX_CONCURRENT_STREAMS 1 → RST_STREAM REFUSED_STREAM (§5.1.2)",
             frames: { e in rawFrame(1, flags: 4, stream: 1, requestBlock(&e, method: "POST")) + rawFrame(1, flags: 4, stream: 3, requestBlock(&e, method: "POST")) },
             expected: .rstStream(3, .refusedStream),
             configuration: Connection.Configuration(settings: [Setting(.maxConcurrentStreams, 1)])),
        Case(name: "DATA beyond the stream window → RST_STREAM FLOW_CONTROL_ERROR (§6.9.1)",
             frames: { e in rawFrame(1, flags: 4, stream: 1, requestBlock(&e, method: "POST")) + rawFrame(0, stream: 1, [UInt8](repeating: 0, count: 101)) },
             expected: .rstStream(1, .flowControlError),
             configuration: Connection.Configuration(settings: [Setting(.initialWindowSize, 100)])),
        Case(name: "DATA beyond the connection window → GOAWAY FLOW_CONTROL_ERROR (§6.9.1)",
             frames: { e in
                 var bytes = rawFrame(1, flags: 4, stream: 1, requestBlock(&e, method: "POST"))
                 for _ in 0..<4 { bytes += rawFrame(0, stream: 1, [UInt8](repeating: 0, count: 16_384)) }
                 return bytes + rawFrame(0, stream: 1, [UInt8](repeating: 0, count: 16_384))
             },
             expected: goaway(1, .flowControlError),
             configuration: Connection.Configuration(settings: [Setting(.initialWindowSize, 1 << 20)], windowUpdatePolicy: .manual)),
        Case(name: "DATA after the peer's RST_STREAM → RST_STREAM STREAM_CLOSED (§5.1 closed)",
             frames: { e in rawFrame(1, flags: 4, stream: 1, requestBlock(&e, method: "POST")) + rawFrame(3, stream: 1, be32(8)) + rawFrame(0, stream: 1, [1]) },
             expected: .rstStream(1, .streamClosed)),
        Case(name: "HEADERS after the stream closed with END_STREAM → GOAWAY STREAM_CLOSED (§5.1 closed)",
             frames: { e in rawFrame(1, flags: 5, stream: 1, requestBlock(&e, path: "/json")) + rawFrame(1, flags: 5, stream: 1, [0x82]) },
             expected: goaway(1, .streamClosed)),
    ]

    @Test("each rule sends the RFC's frame", arguments: cases)
    func rule(_ rule: Case) {
        var server = handshakenServer(rule.configuration)
        var encoder = HPACKEncoder()
        var events: [Event] = []
        var frames: [Frame] = []
        let bytes = rule.frames(&encoder)
        // Feed frame by frame so the server can answer between them, as over a socket.
        let offsets = FrameDecoder.decodeAll(bytes, expectPreface: false, maxFrameSize: 16_384).items.map(\.offset) + [bytes.count]
        for (start, end) in zip(offsets, offsets.dropFirst()) {
            events += server.receive(bytes: bytes[start..<end])
            for case .messageComplete(let id, .request) in events where server.streams[id]?.requestLine.hasSuffix("/json") == true {
                _ = try? server.sendResponse(id, fields([(":status", "200")]))
            }
            frames += sent(&server)
        }
        // GOAWAY's debug text is for people; the test checks the type, stream, code and last stream.
        func key(_ frame: Frame) -> Frame {
            guard case .goaway(let last, let code, _) = frame.payload else { return frame }
            return .goaway(lastStreamID: last, code)
        }
        #expect(frames.map(key).contains(rule.expected), "sent: \(frames.map(\.type)) \(frames.suffix(2))")
        #expect(events.contains { if case .protocolError = $0 { return true } else { return false } })
        if rule.expected.type == .goaway { #expect(server.isClosed) } else { #expect(!server.isClosed) }
    }
}

@Suite("Connection behaviour")
struct ConnectionBehaviourTests {
    @Test("a server that reports no header blocks still records and answers requests, and its answers decode the same")
    func unreportedHeaderBlocks() throws {
        var quiet = Connection.Configuration.server
        quiet.reportsHeaderBlocks = false
        var lab = Lab(server: quiet)
        for path in ["/json", "/html", "/json"] {  // the third reuses the dynamic tables both ways
            try lab.act(.client) { (c) throws(UsageError) in try c.sendRequest(request("GET", path)) }
        }
        while lab.deliver() != nil {}
        let serverEvents = lab.log.filter { $0.item.to == .server }.flatMap(\.events)
        #expect(!serverEvents.contains { if case .headersReceived = $0 { return true } else { return false } })
        #expect(serverEvents.contains(.messageComplete(stream: 5, kind: .request)))
        #expect(lab.state.server.streams[5]?.requestHeaders?.first { $0.name == ":path" }?.value == "/json")
        #expect(lab.state.client.streams[5]?.status == "200" && lab.state.client.streams[3]?.receivedBody == Array(DemoSite.htmlPage.utf8))
        #expect(lab.state.server.encoder.table == lab.state.client.decoder.table && lab.state.client.encoder.table == lab.state.server.decoder.table)
        // The client, reporting, still sees every field of the unreported server's responses.
        #expect(lab.log.filter { $0.item.to == .client }.flatMap(\.events).contains {
            if case .headersReceived(5, .response, let block) = $0 { return block.headerFields.contains(HeaderField("server", "h2lab")) }
            return false
        })
    }

    @Test("a server that reports no play-by-play answers alike, and reports what a responder acts on")
    func quietProgress() throws {
        var quiet = Connection.Configuration.server
        quiet.reportsProgress = false
        quiet.reportsHeaderBlocks = false
        var loud = Lab()
        var lab = Lab(server: quiet)
        for path in ["/json", "/html", "/upload"] {
            try lab.act(.client) { (c) throws(UsageError) in try c.sendRequest(request("GET", path)) }
            try loud.act(.client) { (c) throws(UsageError) in try c.sendRequest(request("GET", path)) }
        }
        while lab.deliver() != nil {}
        while loud.deliver() != nil {}
        let serverEvents = lab.log.filter { $0.item.to == .server }.flatMap(\.events)
        let noisy = serverEvents.filter {
            switch $0 {
            case .frameReceived, .streamStateChanged, .windowChanged, .dataSent, .dataReceived, .headersSent: return true
            default: return false
            }
        }
        #expect(noisy.isEmpty, "\(noisy)")
        #expect(serverEvents.filter { if case .messageComplete = $0 { return true } else { return false } }.count == 3)
        // The same frames went to the client, and the server's streams ended in the same states.
        #expect(lab.log.map(\.item) == loud.log.map(\.item))
        #expect(lab.state.server.streams == loud.state.server.streams)
        #expect(loud.log.filter { $0.item.to == .server }.flatMap(\.events).contains { if case .frameReceived = $0 { return true } else { return false } })
    }

    @Test("the first frame must be SETTINGS (§3.4)")
    func firstFrame() {
        var server = Connection(role: .server)
        server.start()
        _ = server.takeOutbound()
        let events = server.receive(bytes: connectionPreface + rawFrame(6, stream: 0, [UInt8](repeating: 0, count: 8)))
        #expect(sent(&server) == [.goaway(lastStreamID: 0, .protocolError, debug: "the peer's first frame is PING, not SETTINGS")])
        #expect(events.contains(.prefaceReceived))
    }

    @Test("PING is answered with the same opaque data and ACK (§6.7)")
    func ping() {
        var server = handshakenServer()
        _ = server.receive(bytes: rawFrame(6, stream: 0, [1, 2, 3, 4, 5, 6, 7, 8]))
        #expect(sent(&server) == [.ping(0x0102_0304_0506_0708, ack: true)])
    }

    @Test("SETTINGS are acknowledged, and ours take effect only on ACK (§6.5.3)")
    func settingsAck() {
        var server = Connection(role: .server, configuration: .init(settings: [Setting(.maxConcurrentStreams, 7)]))
        server.start()
        _ = server.takeOutbound()
        let events = server.receive(bytes: connectionPreface + rawFrame(4, stream: 0, [0, 4] + be32(1000)))
        #expect(sent(&server) == [.settingsAck])
        #expect(events.contains(.remoteSettingsApplied([Setting(.initialWindowSize, 1000)])))
        #expect(server.remoteSettings.initialWindowSize == 1000)
        #expect(server.localSettings.maxConcurrentStreams == nil)
        let ack = server.receive(bytes: rawFrame(4, flags: 1, stream: 0, []))
        #expect(ack.contains(.localSettingsAcknowledged([Setting(.maxConcurrentStreams, 7)])))
        #expect(server.localSettings.maxConcurrentStreams == 7)
    }

    @Test("unknown frame types are reported and ignored (§5.5)")
    func unknownFrame() {
        var server = handshakenServer()
        let events = server.receive(bytes: rawFrame(0xfa, stream: 0, [1, 2]))
        #expect(sent(&server).isEmpty && !server.isClosed)
        #expect(events.contains { if case .frameIgnored = $0 { return true } else { return false } })
    }

    @Test("a client rejects SETTINGS_ENABLE_PUSH=1 from a server (§6.5.2)")
    func serverEnablesPush() {
        var client = Connection(role: .client)
        client.start()
        _ = client.takeOutbound()
        _ = client.receive(bytes: rawFrame(4, stream: 0, [0, 2] + be32(1)))
        #expect(sent(&client).last == .goaway(lastStreamID: 0, .protocolError, debug: "a server set SETTINGS_ENABLE_PUSH to 1"))
    }

    @Test("a client that disabled push rejects PUSH_PROMISE (§8.4)")
    func pushDisabled() throws {
        var client = Connection(role: .client, configuration: .init(settings: [Setting(.enablePush, 0)]))
        client.start()
        _ = try client.sendRequest(fields([(":method", "GET"), (":scheme", "https"), (":path", "/"), (":authority", "x")]))
        _ = client.receive(bytes: rawFrame(4, stream: 0, []) + rawFrame(4, flags: 1, stream: 0, []))
        _ = client.takeOutbound()
        var encoder = HPACKEncoder()
        _ = client.receive(bytes: rawFrame(5, flags: 4, stream: 1, be32(2) + requestBlock(&encoder, path: "/styles.css")))
        #expect(sent(&client).last?.type == .goaway)
        #expect(client.isClosed)
    }

    @Test("frames on a stream we reset are ignored (§5.1)")
    func lateFramesAfterReset() throws {
        var server = handshakenServer()
        var encoder = HPACKEncoder()
        _ = server.receive(bytes: rawFrame(1, flags: 4, stream: 1, requestBlock(&encoder, method: "POST")))
        try server.sendReset(1, .cancel)
        #expect(sent(&server) == [.rstStream(1, .cancel)])
        let events = server.receive(bytes: rawFrame(0, stream: 1, [1, 2, 3]))
        #expect(sent(&server).isEmpty && !server.isClosed)
        #expect(events.contains { if case .frameIgnored = $0 { return true } else { return false } })
        #expect(server.connectionReceiveWindow.value == 65_535 - 3)
    }

    @Test("a stream error leaves the connection serving other streams (§5.4.2)")
    func streamErrorIsContained() throws {
        var server = handshakenServer()
        var encoder = HPACKEncoder()
        _ = server.receive(bytes: rawFrame(1, flags: 5, stream: 1, requestBlock(&encoder, extra: [("Bad", "x")])))
        #expect(sent(&server) == [.rstStream(1, .protocolError)])
        let events = server.receive(bytes: rawFrame(1, flags: 5, stream: 3, requestBlock(&encoder, path: "/json")))
        #expect(events.contains(.messageComplete(stream: 3, kind: .request)))
        #expect(server.streams[3]?.state == .halfClosedRemote)
    }

    @Test("HEADERS split over CONTINUATION frames is one header block (§6.10)")
    func continuation() {
        var server = handshakenServer()
        var encoder = HPACKEncoder()
        let block = requestBlock(&encoder, path: "/a/long/path/for/continuation")
        let bytes = rawFrame(1, flags: 1, stream: 1, Array(block.prefix(3)))
            + rawFrame(9, stream: 1, Array(block.dropFirst(3).prefix(4)))
            + rawFrame(9, flags: 4, stream: 1, Array(block.dropFirst(7)))
        let events = server.receive(bytes: bytes)
        #expect(server.streams[1]?.requestLine == "GET /a/long/path/for/continuation")
        #expect(events.contains(.messageComplete(stream: 1, kind: .request)))
    }

    @Test("a large header block is sent as HEADERS + CONTINUATION within MAX_FRAME_SIZE")
    func sendContinuation() throws {
        var lab = Lab()
        let big = (0..<40).map { HeaderField("x-h\($0)", String(repeating: "v", count: 900)) }
        let (_, queued) = try lab.act(.client) { (c) throws(UsageError) in
            try c.sendRequest(fields([(":method", "GET"), (":scheme", "https"), (":path", "/echo"), (":authority", "lab")]) + big,
                              policies: Array(repeating: EncoderPolicy(indexing: .withoutIndexing, huffman: .never), count: 44))
        }
        #expect(queued.map(\.summary) == ["HEADERS stream 1", "CONTINUATION stream 1", "CONTINUATION stream 1"])
        #expect(queued.allSatisfy { $0.bytes.count <= 9 + 16_384 })
        while lab.deliver() != nil {}
        #expect(lab.state.client.streams[1]?.status == "200")
    }

    @Test("GOAWAY NO_ERROR drains: streams above last-stream-id are closed, lower ones finish (§6.8)")
    func gracefulGoaway() throws {
        var lab = Lab()
        while lab.deliver() != nil {}
        let get = fields([(":method", "GET"), (":scheme", "https"), (":path", "/json"), (":authority", "lab")])
        try lab.act(.client) { (c) throws(UsageError) in _ = try c.sendRequest(get) }
        lab.deliver(from: .client)
        try lab.act(.client) { (c) throws(UsageError) in _ = try c.sendRequest(get) }
        try lab.act(.server) { $0.sendGoaway(.noError) }
        while lab.deliver() != nil {}
        #expect(lab.state.client.streams[1]?.status == "200")
        #expect(lab.state.client.streams[3]?.closeReason == .goaway)
        #expect(lab.state.client.goawayReceived?.lastStreamID == 1)
        #expect(throws: UsageError.self) { try lab.act(.client) { (c) throws(UsageError) in _ = try c.sendRequest(get) } }
    }
}

@Suite("h2c Upgrade (RFC 7540 §3.2)")
struct UpgradeTests {
    @Test("HTTP2-Settings is applied and the request becomes stream 1, half-closed (remote)")
    func upgrade() throws {
        var server = Connection(role: .server)
        server.start()
        let settings = Base64URL.encode([0, 4] + be32(1000) + [0, 3] + be32(7))
        let events = try server.acceptUpgrade(request: request("GET", "/json"), body: [], http2Settings: settings)
        #expect(server.remoteSettings.initialWindowSize == 1000 && server.remoteSettings.maxConcurrentStreams == 7)
        #expect(server.streams[1]?.state == .halfClosedRemote)
        #expect(events.contains(.messageComplete(stream: 1, kind: .request)))
        // The client's preface and SETTINGS still follow, and a new stream must be above 1.
        _ = server.receive(bytes: connectionPreface + rawFrame(4, stream: 0, []))
        #expect(!server.isClosed)
        #expect(throws: UsageError.self) { try server.acceptUpgrade(request: [], body: [], http2Settings: "") }
    }

    @Test("base64url round-trips and rejects junk")
    func base64() {
        for n in 0..<20 {
            let bytes = (0..<n).map { UInt8(($0 * 37 + n) & 0xff) }
            #expect(Base64URL.decode(Base64URL.encode(bytes)) == bytes)
        }
        #expect(Base64URL.encode([0, 3, 0, 0, 0, 100]) == "AAMAAABk")
        #expect(Base64URL.decode("a*b") == nil)
    }
}

@Suite("Limits against the known attacks")
struct AttackLimitTests {
    @Test("rapid reset: past the limit of streams reset before their response, GOAWAY ENHANCE_YOUR_CALM")
    func rapidReset() {
        var configuration = Connection.Configuration.server
        configuration.rapidResetLimit = 5
        var server = handshakenServer(configuration)
        var encoder = HPACKEncoder()
        var goaway: Frame?
        for i in 0..<7 {
            let id = UInt32(2 * i + 1)
            let block = requestBlock(&encoder, path: "/json")
            _ = server.receive(bytes: rawFrame(1, flags: 0x4, stream: id, block) + rawFrame(3, stream: id, [0, 0, 0, 8]))
            goaway = sent(&server).first { $0.type == .goaway }
            if goaway != nil {
                #expect(i == 5, "the sixth early reset crosses a limit of 5")
                break
            }
        }
        #expect(goaway?.payload == .goaway(lastStreamID: 11, errorCode: .enhanceYourCalm, debugData: goaway.map {
            if case .goaway(_, _, let debug) = $0.payload { return debug } else { return [] } } ?? []))
        #expect(server.isClosed)
        // Streams whose response completed do not count: the default limit is untouched by normal use.
        #expect(Connection.Configuration.server.rapidResetLimit == 1_000)
    }

    @Test("CONTINUATION flood: a field block stops at SETTINGS_MAX_HEADER_LIST_SIZE plus the margin")
    func continuationFlood() {
        var server = handshakenServer()  // advertises MAX_HEADER_LIST_SIZE 65536, acknowledged
        let limit = 65_536 + Connection.headerBlockMargin
        var received = 0
        var bytes = rawFrame(1, flags: 0x1, stream: 1, [0x82])
        received += 1
        var closedAt: Int?
        for _ in 0..<10 {
            _ = server.receive(bytes: bytes)
            if server.isClosed { closedAt = received; break }
            bytes = rawFrame(9, stream: 1, [UInt8](repeating: 0, count: 16_000))
            received += 16_000
        }
        #expect(server.isClosed)
        #expect(sent(&server).last?.payload == .goaway(lastStreamID: 0, errorCode: .enhanceYourCalm,
                                                        debugData: Array("header block of over \(limit) octets in CONTINUATION frames".utf8)))
        #expect((closedAt ?? 0) > limit && (closedAt ?? .max) <= limit + 16_000)
    }

    @Test("a crafted HEADERS opens the sender's stream, so the answer on it is understood")
    func craftedHeaders() {
        var lab = Lab()
        while lab.deliver() != nil {}
        let events = try? lab.act(.client) { (c) throws(UsageError) in c.sendUnchecked(.headers(7, block: [0x82, 0x87, 0x84], endStream: true)) }
        #expect(lab.state.client.streams[7]?.state == .halfClosedLocal)
        #expect(events?.result.contains(.streamStateChanged(stream: 7, from: .idle, to: .open, cause: .headers(.sent))) == true)
        while lab.deliver() != nil {}
        #expect(lab.state.client.streams[7]?.status == "200")
        #expect(!lab.state.client.isClosed)
    }

    @Test("a lab upgraded from HTTP/1.1: stream 1 at both ends, HTTP2-Settings applied, the response on stream 1")
    func upgradedLab() throws {
        var lab = try Lab(upgrading: fields([(":method", "GET"), (":scheme", "http"), (":path", "/json"), (":authority", "lab")]))
        #expect(lab.state.client.streams[1]?.state == .halfClosedLocal)
        #expect(lab.state.server.remoteSettings.maxConcurrentStreams == 100)
        #expect(lab.nextItem()?.summary == "SETTINGS" && lab.nextItem()?.from == .server)
        while lab.deliver() != nil {}
        #expect(lab.state.client.streams[1]?.status == "200")
        #expect(lab.state.client.streams[1]?.state == .closed)
    }
}
