import Testing
@testable import Engine

private func drain(_ lab: inout Lab) {
    var steps = 0
    while lab.deliver() != nil { steps += 1; if steps > 10_000 { break } }
}

private let webSocketRequest = fields([(":method", "CONNECT"), (":protocol", "websocket"), (":scheme", "https"),
                                       (":path", "/ws"), (":authority", "lab"), ("sec-websocket-version", "13")])

@Suite("Extended CONNECT and WebSockets over HTTP/2: RFC 8441, RFC 6455")
struct ExtendedConnectTests {
    private func offering() -> Lab {
        var server = Connection.Configuration.server
        server.settings.append(Setting(.enableConnectProtocol, 1))
        var lab = Lab(server: server)
        drain(&lab)
        return lab
    }

    @Test("RFC 6455 §5.2: frames round-trip, masked or not; lengths of 7, 16 and 64 bits", arguments: [0, 5, 125, 126, 70_000])
    func framing(_ length: Int) {
        let frame = WebSocketFrame(opcode: .binary, payload: [UInt8](repeating: 0x5a, count: length))
        for mask in [nil, [1, 2, 3, 4] as [UInt8]] {
            let bytes = frame.encoded(mask: mask)
            #expect(WebSocketFrame.decode(bytes[...]) == .frame(frame, masked: mask != nil, consumed: bytes.count))
            #expect(WebSocketFrame.decode(bytes.dropLast()[...]) == .incomplete)
        }
    }

    /// §8.3 sets no order among the pseudo-headers: :protocol before :method is the same request.
    @Test("the demo site answers 200 to CONNECT :protocol websocket on /ws and echoes a masked frame; the stream stays open (pseudo-headers in either order)",
          arguments: [webSocketRequest, [webSocketRequest[1], webSocketRequest[0]] + webSocketRequest.dropFirst(2)])
    func echo(_ request: [HeaderField]) throws {
        var lab = offering()
        let (result, _) = try lab.act(.client) { (c) throws(UsageError) in try c.sendRequest(request) }
        #expect(lab.state.toServer.last?.frame?.endStream == false)  // the tunnel stays open
        drain(&lab)
        #expect(lab.state.client.streams[result.stream]?.status == "200")
        let hello = WebSocketFrame(opcode: .text, payload: Array("hi".utf8))
        try lab.act(.client) { (c) throws(UsageError) in _ = try c.sendData(result.stream, hello.encoded(mask: [9, 8, 7, 6]), endStream: false) }
        drain(&lab)
        #expect(lab.state.client.streams[result.stream]?.receivedBody == hello.encoded())
        #expect(lab.state.client.streams[result.stream]?.state == .open)
        #expect(lab.state.server.streams[result.stream]?.receivedBody.isEmpty == true)  // consumed
    }

    @Test("echoed tunnel octets no longer count as held: ten times the server's bound goes through one WebSocket (§10.5 bounds what is held)")
    func echoPastTheBound() throws {
        var server = Connection.Configuration.server
        server.settings.append(Setting(.enableConnectProtocol, 1))
        server.maxHeldBodyOctets = 1_000
        var lab = Lab(server: server)
        drain(&lab)
        let (result, _) = try lab.act(.client) { (c) throws(UsageError) in try c.sendRequest(webSocketRequest) }
        drain(&lab)
        let frame = WebSocketFrame(opcode: .binary, payload: [UInt8](repeating: 7, count: 500))
        for _ in 0..<20 {
            try lab.act(.client) { (c) throws(UsageError) in _ = try c.sendData(result.stream, frame.encoded(mask: [1, 2, 3, 4]), endStream: false) }
            drain(&lab)
        }
        #expect(lab.state.client.streams[result.stream]?.state == .open, "the tunnel was reset")
        #expect(lab.state.client.streams[result.stream]?.receivedBody.count == 20 * frame.encoded().count)
        #expect(lab.state.server.heldBodyOctets == 0)
    }

    @Test("RFC 6455 §5.1: an unmasked frame from a client is answered with close 1002 and the end of the stream")
    func unmasked() throws {
        var lab = offering()
        let (result, _) = try lab.act(.client) { (c) throws(UsageError) in try c.sendRequest(webSocketRequest) }
        drain(&lab)
        try lab.act(.client) { (c) throws(UsageError) in
            _ = try c.sendData(result.stream, WebSocketFrame(opcode: .text, payload: [0x41]).encoded(), endStream: false)
        }
        drain(&lab)
        let body = lab.state.client.streams[result.stream]?.receivedBody ?? []
        guard case .frame(let close, _, _) = WebSocketFrame.decode(body[...]) else { Issue.record("no close frame"); return }
        #expect(close.opcode == .close && close.payload.prefix(2) == [0x03, 0xea])
        #expect(lab.state.client.streams[result.stream]?.state == .halfClosedRemote)
    }

    @Test("RFC 8441 §4: a server that did not offer SETTINGS_ENABLE_CONNECT_PROTOCOL treats :protocol as malformed; our client will not send it")
    func notOffered() throws {
        var lab = Lab()
        drain(&lab)
        #expect(throws: UsageError.self) { try lab.act(.client) { (c) throws(UsageError) in try c.sendRequest(webSocketRequest) } }
        var encoder = HPACKEncoder()
        lab.sendRaw(FrameEncoder.encode(Frame(streamID: 1, flags: .endHeaders, payload: .headers(block: encoder.encode(webSocketRequest).bytes, priority: nil))),
                    from: .client)
        drain(&lab)
        // (the client never opened stream 1 itself: the raw frame bypassed it, so only the server's errors count)
        let errors = lab.log.filter { $0.item.to == .server }.flatMap(\.events).compactMap { if case .protocolError(let e) = $0 { return e } else { return nil } }
        #expect(errors.map(\.section) == ["RFC 8441 §4"] && errors.first?.code == .protocolError && errors.first?.isConnectionError == false)
    }
}
