import Testing
@testable import Engine

private func drain(_ lab: inout Lab) {
    var steps = 0
    while lab.deliver() != nil { steps += 1; if steps > 10_000 { break } }
}

/// The one item a frame's bytes decode to.
private func decodeOne(_ bytes: [UInt8]) -> DecodedItem? {
    FrameDecoder.decodeAll(bytes, expectPreface: false).items.first?.item
}

private func priorityUpdate(_ stream: UInt32, _ value: String, on frameStream: UInt32 = 0) -> Frame {
    Frame(streamID: frameStream, payload: .priorityUpdate(prioritizedStreamID: stream, fieldValue: Array(value.utf8)))
}

/// The streams of the server's DATA frames after the handshake, in the order they were delivered.
private func dataOrder(_ lab: Lab, from index: Int = 0) -> [UInt32] {
    lab.log.dropFirst(index).compactMap { $0.item.from == .server && $0.item.frame?.type == .data ? $0.item.frame?.streamID : nil }
}

@Suite("RFC 9218 extensible priorities")
struct PriorityTests {
    @Test("§4: urgency 0-7 and incremental from a Structured Fields Dictionary; unknown, out of range or mistyped parameters are ignored", arguments: [
        ("u=5, i", Priority(urgency: 5, incremental: true)),
        ("u=0", Priority(urgency: 0)),
        ("i", Priority(incremental: true)),
        ("i=?0, u=7", Priority(urgency: 7)),
        ("u=9", Priority()),
        ("u=-1", Priority()),
        ("u=1.5", Priority()),
        ("u=a", Priority()),
        ("i=1", Priority()),
        ("u=2;x=y, foo=\"bar\", i", Priority(urgency: 2, incremental: true)),
        ("u=1, u=6", Priority(urgency: 6)),
        ("", Priority()),
        // RFC 9651's Date and Display String items (parsed by the library): the wrong type,
        // ignored like any other. The library's deprecated RFC 8941 view of an item traps on them.
        ("u=@1", Priority()),
        ("u=2, i=%\"x\"", Priority(urgency: 2)),
    ])
    func parsing(_ text: String, _ expected: Priority) {
        #expect(Priority(parsing: text) == expected)
    }

    @Test("RFC 8941 §4.2: a value that is not a Dictionary is not one at all", arguments: ["u=", "u=1,", "U=1", "u=1 i", ",u=1", "u=?2"])
    func notADictionary(_ text: String) {
        #expect(Priority(parsing: text) == nil)
    }

    @Test("§7.1: PRIORITY_UPDATE is type 0x10 on stream 0: the prioritized stream, then the field value")
    func frameLayout() {
        let frame = priorityUpdate(5, "u=0, i")
        let bytes = FrameEncoder.encode(frame)
        #expect(Hex.encode(bytes) == "00000a1000000000000000000575" + Hex.encode(Array("=0, i".utf8)))
        guard case .frame(let decoded) = decodeOne(bytes) else { Issue.record("not decoded"); return }
        #expect(decoded == frame && decoded.type.name == "PRIORITY_UPDATE")
    }

    @Test("§7.1: on a stream, for stream 0, or too short to hold a stream id: connection errors", arguments: [
        (priorityUpdate(5, "u=0", on: 3), ErrorCode.protocolError),
        (priorityUpdate(0, "u=0"), ErrorCode.protocolError),
        (Frame(streamID: 0, payload: .unknown(type: 0x10, payload: [0, 0, 1])), ErrorCode.frameSizeError),
    ])
    func malformed(_ frame: Frame, _ code: ErrorCode) {
        guard case .malformed(let error, _) = decodeOne(FrameEncoder.encode(frame)) else { Issue.record("accepted"); return }
        #expect(error.code == code && error.isConnectionError)
    }

    @Test("§2.1: SETTINGS_NO_RFC7540_PRIORITIES other than 0 or 1 is a connection error PROTOCOL_ERROR")
    func settingValue() {
        guard case .malformed(let error, _) = decodeOne(FrameEncoder.encode(.settings([Setting(.noRFC7540Priorities, 2)]))) else {
            Issue.record("accepted")
            return
        }
        #expect(error.code == .protocolError)
        #expect(Setting(.noRFC7540Priorities, 1).validate() == nil)
    }

    @Test("§7.1: a client that receives PRIORITY_UPDATE ends the connection with PROTOCOL_ERROR")
    func clientRefuses() {
        var lab = Lab()
        drain(&lab)
        lab.sendRaw(FrameEncoder.encode(priorityUpdate(1, "u=1")), from: .server)
        drain(&lab)
        #expect(lab.state.client.goawaySent?.code == .protocolError)
    }

    @Test("§5, §7.1: the server takes the priority field, then updates (also for a stream still idle); a closed stream's is discarded")
    func serverApplies() throws {
        var lab = Lab()
        lab.configure { $0.autoRespond = false }
        drain(&lab)
        try lab.act(.client) { (c) throws(UsageError) in
            _ = try c.sendRequest(request("GET", "/json") + fields([("priority", "u=5")]))
            _ = try c.sendPriorityUpdate(3, Priority(urgency: 1, incremental: true))  // stream 3 is still idle
            _ = try c.sendRequest(request("GET", "/html"))
        }
        drain(&lab)
        #expect(lab.state.server.streams[1]?.priority == Priority(urgency: 5))
        #expect(lab.state.server.streams[3]?.priority == Priority(urgency: 1, incremental: true))
        try lab.act(.client) { (c) throws(UsageError) in _ = try c.sendPriorityUpdate(1, Priority(urgency: 0)) }
        drain(&lab)
        #expect(lab.state.server.streams[1]?.priority == Priority(urgency: 0))
        try lab.act(.server) { (s) throws(UsageError) in _ = try s.sendResponse(1, fields([(":status", "204")])) }
        drain(&lab)
        try lab.act(.client) { (c) throws(UsageError) in _ = try c.sendPriorityUpdate(1, Priority(urgency: 7)) }
        let delivered = lab.deliver()
        #expect(delivered?.events.contains(.priorityUpdated(stream: 1, Priority(urgency: 7), applied: false)) == true)
        #expect(lab.state.server.streams[1]?.priority == Priority(urgency: 0))
    }

    @Test("§7.1: a PRIORITY_UPDATE for an idle push stream, or for more idle streams than MAX_CONCURRENT_STREAMS allows, is PROTOCOL_ERROR")
    func serverLimits() {
        var push = Lab()
        drain(&push)
        push.sendRaw(FrameEncoder.encode(priorityUpdate(2, "u=1")), from: .client)
        drain(&push)
        #expect(push.state.server.goawaySent?.code == .protocolError)
        var many = Lab(server: Connection.Configuration(settings: [Setting(.maxConcurrentStreams, 2)]))
        drain(&many)
        for id in [1, 3, 5] as [UInt32] { many.sendRaw(FrameEncoder.encode(priorityUpdate(id, "u=1")), from: .client) }
        drain(&many)
        #expect(many.state.server.goawaySent?.code == .protocolError)
        #expect(many.state.server.closeReason?.contains("SETTINGS_MAX_CONCURRENT_STREAMS 2") == true)
    }

    /// Three responses held back by a client window of 0, then released at once.
    private func heldResponses(_ requests: [[HeaderField]], body: [UInt8] = []) throws -> (lab: Lab, released: Int) {
        var lab = Lab()
        try lab.act(.client) { (c) throws(UsageError) in try c.sendSettings([Setting(.initialWindowSize, 0)]) }
        drain(&lab)
        try lab.act(.client) { (c) throws(UsageError) in
            for request in requests { _ = try c.sendRequest(request, body: body.isEmpty || request[0].value == "GET" ? [] : body) }
        }
        drain(&lab)
        #expect(dataOrder(lab).isEmpty)  // every DATA waits for window
        let released = lab.log.count
        try lab.act(.client) { (c) throws(UsageError) in try c.sendSettings([Setting(.initialWindowSize, 65_535)]) }
        drain(&lab)
        return (lab, released)
    }

    @Test("§10: the server sends the more urgent response's DATA first, whatever order the requests came in")
    func urgencyFirst() throws {
        let (lab, released) = try heldResponses([
            request("GET", "/html"),
            request("GET", "/styles.css") + fields([("priority", "u=0")]),
            request("GET", "/json") + fields([("priority", "u=5")]),
        ])
        #expect(dataOrder(lab, from: released) == [3, 1, 5])
    }

    @Test("without priority signals the order is the streams' (§10: the default urgency, non-incremental)")
    func defaultOrder() throws {
        let (lab, released) = try heldResponses([request("GET", "/json"), request("GET", "/html"), request("GET", "/styles.css")])
        #expect(dataOrder(lab, from: released) == [1, 3, 5])
    }

    @Test("§10: incremental responses of one urgency share the connection a frame at a time; non-incremental ones go one after the other")
    func incrementalRoundRobin() throws {
        let body = [UInt8](repeating: 0x61, count: 30_000)  // each echo is two DATA frames of at most 16 384
        let echo = request("POST", "/echo")
        let (shared, sharedFrom) = try heldResponses([echo + fields([("priority", "i")]), echo + fields([("priority", "i")])], body: body)
        #expect(dataOrder(shared, from: sharedFrom) == [1, 3, 1, 3])
        let (sequential, sequentialFrom) = try heldResponses([echo + fields([("priority", "u=3")]), echo + fields([("priority", "u=3")])], body: body)
        #expect(dataOrder(sequential, from: sequentialFrom) == [1, 1, 3, 3])
    }

    @Test("the demo site schedules a batch of requests that complete together by urgency (serve's path)")
    func batch() throws {
        var client = Connection(role: .client)
        var server = Connection(role: .server)
        client.start()
        server.start()
        var toServer = client.takeOutbound().flatMap(\.bytes)
        _ = try client.sendRequest(request("GET", "/json") + fields([("priority", "u=6")]))
        _ = try client.sendRequest(request("GET", "/styles.css") + fields([("priority", "u=1")]))
        toServer += client.takeOutbound().flatMap(\.bytes)
        let events = server.receive(bytes: toServer)
        _ = DemoSite().answer(events, on: &server)
        let frames = server.takeOutbound().compactMap { if case .frame(let f) = $0 { return f } else { return nil } }
        #expect(frames.filter { $0.type == .data }.map(\.streamID) == [3, 1])
        #expect(frames.filter { $0.type == .headers }.map(\.streamID) == [1, 3])  // answered in arrival order
    }
}
