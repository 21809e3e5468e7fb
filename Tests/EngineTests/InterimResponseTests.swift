import Testing
@testable import Engine

/// Delivers everything on the wire.
private func drain(_ lab: inout Lab) {
    var steps = 0
    while lab.deliver() != nil { steps += 1; if steps > 10_000 { break } }
}

/// A lab after the handshake, with the demo site answering by itself or not.
private func handshaken(autoRespond: Bool = true, earlyHints: Bool = false) -> Lab {
    var lab = Lab()
    lab.configure {
        $0.autoRespond = autoRespond
        $0.earlyHints = earlyHints
    }
    drain(&lab)
    return lab
}

@Suite("Interim (1xx) responses: RFC 9113 §8.1, RFC 8297, RFC 9110 §10.1.1")
struct InterimResponseTests {
    @Test("§8.1: any number of interim responses before the final one, each kept apart from it")
    func severalInterim() throws {
        var lab = handshaken(autoRespond: false)
        try lab.act(.client) { (c) throws(UsageError) in _ = try c.sendRequest(request("GET", "/html")) }
        drain(&lab)
        try lab.act(.server) { (s) throws(UsageError) in
            _ = try s.sendResponse(1, fields([(":status", "103"), ("link", "</a.css>; rel=preload")]))
            _ = try s.sendResponse(1, fields([(":status", "103"), ("link", "</b.js>; rel=preload")]))
            _ = try s.sendResponse(1, fields([(":status", "200")]), body: Array("ok".utf8))
        }
        // Neither interim HEADERS carries END_STREAM (§8.1: that would be malformed).
        #expect(lab.state.toClient.compactMap(\.frame).map(\.endStream) == [false, false, false, true])
        drain(&lab)
        let stream = try #require(lab.state.client.streams[1])
        #expect(stream.informationalHeaders.map { $0.first { $0.name == "link" }?.value } == ["</a.css>; rel=preload", "</b.js>; rel=preload"])
        #expect(stream.status == "200" && stream.statusChain == "103 → 103 → 200")
        #expect(stream.responseHeaders?.contains { $0.name == "link" } == false)
        #expect(stream.state == .closed)
        let kinds = lab.log.flatMap(\.events).compactMap { event -> HeaderBlockKind? in
            if case .headersReceived(1, let kind, _) = event, lab.state.client.streams[1] != nil { return kind }
            return nil
        }
        #expect(kinds.suffix(3) == [.informational, .informational, .response])
    }

    @Test("§8.1: after the final response, a HEADERS without END_STREAM is malformed: RST_STREAM PROTOCOL_ERROR")
    func headersAfterFinalNeedEndStream() throws {
        var lab = handshaken(autoRespond: false)
        try lab.act(.client) { (c) throws(UsageError) in _ = try c.sendRequest(request("GET", "/json")) }
        drain(&lab)
        try lab.act(.server) { (s) throws(UsageError) in _ = try s.sendResponseHead(1, fields([(":status", "200")])) }
        // A second header section without END_STREAM, crafted (the API refuses it, below).
        var encoder = lab.state.server.encoder
        let block = encoder.encode(fields([("x-late", "1")])).bytes
        lab.sendRaw(FrameEncoder.encode(Frame(streamID: 1, flags: .endHeaders, payload: .headers(block: block, priority: nil))), from: .server)
        drain(&lab)
        #expect(lab.log.last?.item.frame?.type == .rstStream || lab.state.client.streams[1]?.closeReason == .resetSent)
        let errors = lab.log.flatMap(\.events).compactMap { if case .protocolError(let e) = $0 { return e } else { return nil } }
        #expect(errors.contains { $0.code == .protocolError && $0.section == "§8.1" })
    }

    @Test("the server's API refuses a second final response, an interim one after the final, and 101 (§8.1, §8.6)")
    func sendingRules() throws {
        var lab = handshaken(autoRespond: false)
        try lab.act(.client) { (c) throws(UsageError) in _ = try c.sendRequest(request("POST", "/echo"), endStream: false) }
        drain(&lab)
        #expect(throws: UsageError.self) { try lab.act(.server) { (s) throws(UsageError) in try s.sendResponse(1, fields([(":status", "101")])) } }
        try lab.act(.server) { (s) throws(UsageError) in _ = try s.sendResponseHead(1, fields([(":status", "200")])) }
        let second = #expect(throws: UsageError.self) { try lab.act(.server) { (s) throws(UsageError) in try s.sendResponse(1, fields([(":status", "204")])) } }
        #expect(second?.message.contains("must carry END_STREAM (§8.1)") == true)
        let late = #expect(throws: UsageError.self) { try lab.act(.server) { (s) throws(UsageError) in try s.sendResponse(1, fields([(":status", "103")])) } }
        #expect(late?.message.contains("an interim (1xx) response comes before it") == true)
    }

    @Test("RFC 8297: with early hints on, /html gets 103 with a link to its stylesheet first; /json does not")
    func earlyHints() throws {
        var lab = handshaken(earlyHints: true)
        try lab.act(.client) { (c) throws(UsageError) in
            _ = try c.sendRequest(request("GET", "/html"))
            _ = try c.sendRequest(request("GET", "/json"))
        }
        drain(&lab)
        #expect(lab.state.client.streams[1]?.statusChain == "103 → 200")
        #expect(lab.state.client.streams[1]?.informationalHeaders.first?.contains(HeaderField("link", "</styles.css>; rel=preload; as=style")) == true)
        #expect(lab.state.client.streams[3]?.statusChain == "200")
        var off = handshaken()
        try off.act(.client) { (c) throws(UsageError) in _ = try c.sendRequest(request("GET", "/html")) }
        drain(&off)
        #expect(off.state.client.streams[1]?.statusChain == "200")
    }

    @Test("RFC 9110 §10.1.1: the client holds its content until 100 (Continue); the demo site sends 100 at once")
    func continueFlow() throws {
        var lab = handshaken()
        let headers = request("POST", "/upload") + fields([("expect", "100-continue"), ("content-length", "5")])
        let (_, queued) = try lab.act(.client) { (c) throws(UsageError) in try c.sendRequest(headers, body: Array("hello".utf8)) }
        #expect(queued.map(\.summary) == ["HEADERS stream 1"])  // no DATA yet
        #expect(lab.state.client.streams[1]?.awaitingContinue == true)
        let atServer = lab.deliver() ?? Delivery(sequence: 0, item: WireItem(from: .client, bytes: [], order: 0), events: [], queued: [])
        #expect(atServer.events.contains(.continueRequested(stream: 1)))
        #expect(atServer.queued.compactMap(\.frame).map(\.type) == [.headers])
        let atClient = lab.deliver() ?? Delivery(sequence: 0, item: WireItem(from: .server, bytes: [], order: 0), events: [], queued: [])  // the 100 releases the DATA
        #expect(atClient.queued.compactMap(\.frame).map(\.type) == [.data])
        drain(&lab)
        #expect(lab.state.client.streams[1]?.statusChain == "100 → 200")
        #expect(lab.state.server.streams[1]?.receivedBody == Array("hello".utf8))
    }

    @Test("RFC 9110 §10.1.1: a final status instead of 100: the content is never sent, the client resets with CANCEL")
    func finalInsteadOfContinue() throws {
        var lab = handshaken(autoRespond: false)
        let headers = request("PUT", "/upload") + fields([("expect", "100-continue"), ("content-length", "5")])
        try lab.act(.client) { (c) throws(UsageError) in _ = try c.sendRequest(headers, body: Array("hello".utf8)) }
        drain(&lab)
        try lab.act(.server) { (s) throws(UsageError) in _ = try s.sendResponse(1, fields([(":status", "413")])) }
        drain(&lab)
        #expect(!lab.log.contains { $0.item.from == .client && $0.item.frame?.type == .data })
        #expect(lab.log.last?.item.frame == Frame.rstStream(1, .cancel))
        #expect(lab.state.client.streams[1]?.closeReason == .resetSent)
    }

    @Test("RFC 9110 §10.1.1: a client MAY send the content without waiting any longer")
    func sendAnyway() throws {
        var lab = handshaken(autoRespond: false)
        let headers = request("POST", "/upload") + fields([("expect", "100-continue")])
        try lab.act(.client) { (c) throws(UsageError) in _ = try c.sendRequest(headers, body: Array("hi".utf8)) }
        let (_, queued) = try lab.act(.client) { (c) throws(UsageError) in try c.releaseContinue(1) }
        #expect(queued.compactMap(\.frame).map(\.type) == [.data])
        #expect(throws: UsageError.self) { try lab.act(.client) { (c) throws(UsageError) in try c.releaseContinue(1) } }
    }
}
