import Testing
@testable import Engine

/// A relay between two of our engines in memory: what the client sends goes on the relaying lab's
/// wire, what the lab forwards is fed to the server (which answers from the demo site), and back.
/// The socket path is checked against curl, nghttpd and Chromium in H2LabTests (ProxyREPLTests).
struct RelayBench {
    var client = Connection(role: .client)
    var server = Connection(role: .server)
    var lab = Lab(relaying: "client", to: "server", scheme: "https")
    let site = DemoSite()
    /// Every octet forwarded to each side, frame by frame as decoded there.
    var forwardedToServer: [[UInt8]] = []

    init() {
        client.start()
        server.start()
        pump()
    }

    /// Moves what both engines queued onto the lab's wire.
    mutating func pump() {
        lab.receiveFromRemote(client.takeOutbound().flatMap(\.bytes), from: .client)
        lab.receiveFromRemote(server.takeOutbound().flatMap(\.bytes), from: .server)
    }

    /// Delivers (or drops) the next item and hands what was forwarded to its receiver.
    @discardableResult
    mutating func step(drop: Bool = false, from: Role? = nil) -> Delivery? {
        guard let delivery = drop ? lab.drop(from: from) : lab.deliver(from: from) else { return nil }
        let bytes = delivery.relayed?.forwarded ?? []
        if !bytes.isEmpty {
            if delivery.item.to == .server {
                forwardedToServer.append(bytes)
                let events = server.receive(bytes: bytes)
                _ = site.answer(events, on: &server)
            } else {
                _ = client.receive(bytes: bytes)
            }
        }
        pump()
        return delivery
    }

    mutating func run() {
        var count = 0
        while step() != nil, count < 10_000 { count += 1 }
    }
}

@Suite("The relay between two real peers (proxy), over two of our engines")
struct RelayTests {
    @Test("a block the server refuses (self-dependency, §5.3.1) is still decoded on both legs (§4.3); the next request is served")
    func refusedBlockKeepsContext() throws {
        var bench = RelayBench()
        let token = HeaderField("x-token", "inserted-by-a-refused-block")
        let fields = request("GET", "/json") + [token]
        // Stream 1 depends on itself: the relay must decode it (a frame it can parse) and forward it.
        let block = bench.client.encoder.encode(fields).bytes
        bench.lab.receiveFromRemote(rawFrame(1, flags: 0x25, stream: 1, be32(1) + [15] + block), from: .client)
        bench.client.highestLocalStreamID = 1
        let (id, _) = try bench.client.sendRequest(fields)
        bench.pump()
        bench.run()
        let relay = try #require(bench.lab.state.relay)
        #expect(id == 3 && bench.client.streams[3]?.status == "200")
        #expect(bench.server.streams[1]?.closeReason == .resetSent && bench.server.closeReason == nil)
        let inStep = relay.client.decoder.table == bench.client.encoder.table && relay.server.encoder.table == bench.server.decoder.table
        #expect(inStep, "the relay's HPACK contexts are out of step")
    }

    @Test("a GET crosses both legs; each leg's HPACK tables mirror the peer's; both peers' states are followed")
    func get() throws {
        var bench = RelayBench()
        let (id, _) = try bench.client.sendRequest(request("GET", "/html"))
        bench.pump()
        bench.run()
        #expect(bench.client.streams[id]?.status == "200")
        #expect(bench.client.streams[id]?.receivedBody == Array(DemoSite.htmlPage.utf8))
        let relay = try #require(bench.lab.state.relay)
        // The relay decodes with a mirror of each peer's encoder, and encodes for each peer's decoder.
        #expect(relay.client.decoder.table == bench.client.encoder.table)
        #expect(relay.client.encoder.table == bench.client.decoder.table)
        #expect(relay.server.decoder.table == bench.server.encoder.table)
        #expect(relay.server.encoder.table == bench.server.decoder.table)
        #expect(relay.client.streams[id]?.state == .closed && relay.server.streams[id]?.state == .closed)
        #expect(relay.client.streams[id]?.request == "GET /html" && relay.server.streams[id]?.status == "200")
        // The HEADERS delivery reports the client's block as decoded and the server's as encoded again.
        let headers = try #require(bench.lab.log.first { $0.item.from == .client && $0.item.frame?.type == .headers })
        let outcome = try #require(headers.relayed)
        #expect(outcome.senderEvents.contains { if case .headersReceived(1, .request, _) = $0 { return true } else { return false } })
        #expect(outcome.receiverEvents.contains { if case .headersSent(1, .request, _) = $0 { return true } else { return false } })
        #expect(outcome.senderEvents.contains(.streamStateChanged(stream: 1, from: .open, to: .halfClosedLocal, cause: .endStream(.sent))))
        #expect(outcome.receiverEvents.contains(.streamStateChanged(stream: 1, from: .open, to: .halfClosedRemote, cause: .endStream(.received))))
        // Settings: each peer's announced values, seen as they passed.
        #expect(relay.client.announced.maxConcurrentStreams == bench.client.localSettings.maxConcurrentStreams)
        #expect(relay.server.announced.maxHeaderListSize == 65_536)
    }

    /// RFC 7541 §6.2.3: "Intermediaries MUST use the same representation for encoding this header
    /// field." The client never-indexes a name the relay's own encoder would index.
    @Test("§6.2.3: a field the client sent never-indexed is forwarded never-indexed, whatever the relay's encoder would choose")
    func neverIndexedForwarded() throws {
        var bench = RelayBench()
        bench.client.encoder.sensitive.add("x-secret")
        try bench.client.sendRequest(request("GET", "/html") + [HeaderField("x-secret", "a-long-enough-secret-value-000")])
        bench.pump()
        bench.run()
        let headers = try #require(bench.lab.log.first { $0.item.from == .client && $0.item.frame?.type == .headers })
        let sent = try #require(headers.relayed?.receiverEvents.lazy.compactMap { event -> EncodedHeaderBlock? in
            if case .headersSent(_, _, let block) = event { return block } else { return nil }
        }.first)
        let field = try #require(sent.fields.first { $0.field.name == "x-secret" })
        #expect(field.representation == .literal(indexing: .neverIndexed, nameIndex: nil, nameHuffman: true, valueHuffman: true))
        #expect(bench.lab.state.relay?.server.encoder.table.count == bench.server.decoder.table.count)
        #expect(bench.server.streams[1]?.requestHeaders?.contains(HeaderField("x-secret", "a-long-enough-secret-value-000")) == true)
    }

    @Test("edit: the server gets the edited request, the client's context stays whole for its next request")
    func edit() throws {
        var bench = RelayBench()
        try bench.client.sendRequest(request("GET", "/html"))
        bench.pump()
        let waiting = try #require(bench.lab.state.toServer.first { $0.frame?.type == .headers })
        bench.lab.edit(order: waiting.order, [.set(name: ":path", value: "/json"), .set(name: "x-lab", value: "edited"), .remove(name: ":authority")])
        bench.run()
        #expect(bench.server.streams[1]?.requestHeaders?.map(\.description) ==
                [":method: GET", ":scheme: https", ":path: /json", "x-lab: edited"])
        let body = String(decoding: bench.client.streams[1]?.receivedBody ?? [], as: UTF8.self)
        #expect(body.contains("\"rfc\": 9113"))
        // The client's next request refers to table entries its first block made: it still decodes.
        try bench.client.sendRequest(request("GET", "/html") + [HeaderField("x-lab", "second")])
        bench.pump()
        bench.run()
        #expect(bench.server.streams[3]?.requestHeaders?.first { $0.name == ":path" }?.value == "/html")
        #expect(bench.client.streams[3]?.status == "200")
        let relay = try #require(bench.lab.state.relay)
        #expect(relay.client.streams[1]?.request == "GET /html" && relay.server.streams[1]?.request == "GET /json")
    }

    @Test("drop: a dropped request never reaches the server, yet later blocks still decode; a dropped DATA shows in the windows")
    func drop() throws {
        var bench = RelayBench()
        while bench.lab.nextItem(from: .client).map({ $0.frame?.type != .headers }) == true { bench.step(from: .client) }
        try bench.client.sendRequest(request("GET", "/html"))
        bench.pump()
        while bench.lab.nextItem(from: .client).map({ $0.frame?.type != .headers }) == true { bench.step(from: .client) }
        let step = bench.step(drop: true, from: .client)
        let dropped = try #require(step)
        let outcome = try #require(dropped.relayed)
        #expect(dropped.dropped && outcome.forwarded.isEmpty)
        #expect(outcome.notes.contains { $0.hasPrefix("dropped") })
        try bench.client.sendRequest(request("GET", "/json"))
        bench.pump()
        bench.run()
        #expect(bench.server.streams[1] == nil && bench.server.state(of: 1) != .open)
        #expect(bench.server.streams[3]?.requestHeaders?.first { $0.name == ":path" }?.value == "/json")
        #expect(bench.client.streams[3]?.status == "200")
        let relay = try #require(bench.lab.state.relay)
        #expect(relay.client.streams[1]?.state == .halfClosedLocal)  // it sent the request; no answer comes
        #expect(relay.server.streams[1] == nil)

        // A POST whose DATA is dropped: the client counted it against its window, the server never did.
        try bench.client.sendRequest(request("POST", "/echo"), body: Array(repeating: 0x61, count: 1_000))
        bench.pump()
        while bench.lab.nextItem(from: .client).map({ $0.frame?.type != .data }) == true { bench.step(from: .client) }
        bench.step(drop: true, from: .client)
        let after = try #require(bench.lab.state.relay)
        #expect(after.client.connectionSendWindow == after.server.connectionReceiveWindow - 1_000)
        #expect(after.client.connectionSendWindow == bench.client.connectionSendWindow.value)
        #expect(after.server.connectionReceiveWindow == bench.server.connectionReceiveWindow.value)
    }

    @Test("a header block too big for one frame: held until END_HEADERS, then forwarded whole within the server's frame size")
    func continuation() throws {
        var bench = RelayBench()
        bench.run()  // settings exchanged
        let big = String(repeating: "v", count: 40_000)
        try bench.client.sendRequest(request("GET", "/json") + [HeaderField("x-big", big)])
        bench.pump()
        let pieces = bench.lab.state.toServer.compactMap { $0.frame?.type }
        #expect(pieces == [.headers, .continuation, .continuation])
        let step = bench.step()
        let first = try #require(step?.relayed)
        #expect(first.forwarded.isEmpty && first.notes.first?.hasPrefix("held") == true)
        bench.run()
        #expect(bench.server.streams[1]?.requestHeaders?.first { $0.name == "x-big" }?.value == big)
        #expect(bench.client.streams[1]?.status == "200")
        let forwarded = try #require(bench.forwardedToServer.last { $0.count > 30_000 })
        let frames = FrameDecoder.decodeAll(forwarded, expectPreface: false).items.compactMap { item -> Frame? in
            if case .frame(let f) = item.item { return f } else { return nil }
        }
        #expect(frames.map(\.type) == [.headers, .continuation, .continuation])
        #expect(frames.allSatisfy { $0.payloadLength <= 16_384 } && frames.last?.endHeaders == true)
    }

    @Test("windows followed on both legs equal the engines' own after a 200 KB echo")
    func windows() throws {
        var bench = RelayBench()
        try bench.client.sendRequest(request("POST", "/echo"), body: Array(repeating: 0x62, count: 200_000))
        bench.pump()
        bench.run()
        #expect((bench.client.streams[1]?.receivedBody.count ?? 0) >= 200_000)
        let relay = try #require(bench.lab.state.relay)
        #expect(relay.client.connectionSendWindow == bench.client.connectionSendWindow.value)
        #expect(relay.client.connectionReceiveWindow == bench.client.connectionReceiveWindow.value)
        #expect(relay.server.connectionSendWindow == bench.server.connectionSendWindow.value)
        #expect(relay.server.connectionReceiveWindow == bench.server.connectionReceiveWindow.value)
    }

    @Test("a hostile peer: an invalid MAX_FRAME_SIZE does not trap the relay; a CONTINUATION flood is held no further than 1 MiB")
    func hostilePeers() throws {
        var lab = Lab(relaying: "client", to: "server", scheme: "http")
        lab.receiveFromRemote(connectionPreface + FrameEncoder.encode(.settings([Setting(.maxFrameSize, 0)])), from: .client)
        var encoder = HPACKEncoder()
        let block = encoder.encode(request("GET", "/") + [HeaderField("x-big", String(repeating: "b", count: 40_000))]).bytes
        lab.receiveFromRemote(FrameEncoder.encode(Frame(streamID: 0, flags: [], payload: .settings([]))), from: .server)
        lab.receiveFromRemote(FrameEncoder.encode(Frame(streamID: 1, flags: [.endHeaders, .endStream], payload: .headers(block: block, priority: nil))), from: .server)
        while lab.deliver(from: .client) != nil {}
        // The server's block goes to a client that announced MAX_FRAME_SIZE 0: encoded in frames of the smallest size allowed.
        let forwarded = try #require(lab.deliver(from: .server)?.relayed)  // the server's SETTINGS
        #expect(forwarded.forwarded.count == 9)
        let headers = try #require(lab.deliver(from: .server)?.relayed)
        let frames = FrameDecoder.decodeAll(headers.forwarded, expectPreface: false).items.compactMap { item -> Frame? in
            if case .frame(let f) = item.item { return f } else { return nil }
        }
        #expect(frames.count >= 2 && frames.allSatisfy { $0.payloadLength <= 16_384 })

        // 70 CONTINUATION frames of 16 KiB without END_HEADERS.
        let fragment = [UInt8](repeating: 0x82, count: 16_384)
        lab.receiveFromRemote(FrameEncoder.encode(Frame(streamID: 3, flags: [], payload: .headers(block: fragment, priority: nil))), from: .client)
        for _ in 0..<70 { lab.receiveFromRemote(FrameEncoder.encode(Frame(streamID: 3, flags: [], payload: .continuation(block: fragment))), from: .client) }
        var notes: [String] = [], passed = 0
        while let delivery = lab.deliver(from: .client) {
            notes += delivery.relayed?.notes ?? []
            if delivery.relayed?.forwarded.isEmpty == false { passed += 1 }
        }
        #expect(notes.filter { $0.hasPrefix("held") }.count == 64)
        #expect(notes.contains { $0.contains("passed \(Relay.maxHeldBlock) octets: H2Lab stops holding it") })
        #expect(passed == 7, "the frame at the cut and the six after it go on as they came")
    }

    @Test("field edits: set replaces the first and removes the rest, adds pseudo-headers before regular fields; remove removes all")
    func fieldEdits() {
        let fields = [HeaderField(":method", "GET"), HeaderField(":path", "/"), HeaderField("cookie", "a"), HeaderField("cookie", "b")]
        #expect(FieldEdit.apply([.set(name: "cookie", value: "c")], to: fields).map(\.description) == [":method: GET", ":path: /", "cookie: c"])
        #expect(FieldEdit.apply([.set(name: ":authority", value: "x")], to: fields).map(\.name) == [":method", ":path", ":authority", "cookie", "cookie"])
        #expect(FieldEdit.apply([.remove(name: "cookie"), .set(name: "te", value: "trailers")], to: fields).map(\.name) == [":method", ":path", "te"])
    }
}
