import Testing
@testable import Engine

func request(_ method: String, _ path: String) -> [HeaderField] {
    fields([(":method", method), (":scheme", "https"), (":path", path), (":authority", "lab")])
}

/// Stream transitions of one endpoint for one stream, as "from→to" strings, in order.
func transitions(_ deliveries: some Collection<Delivery>, extra: [Event] = [], endpoint: Role, stream: UInt32) -> [String] {
    (extra + deliveries.filter { $0.item.to == endpoint }.flatMap(\.events)).compactMap {
        if case .streamStateChanged(stream, let from, let to, _) = $0 { return "\(from)→\(to)" }
        return nil
    }
}

@Suite("In-memory client ⇄ server")
struct LabExchangeTests {
    @Test("a GET: handshake, request, response, every state transition in order")
    func get() throws {
        var lab = Lab()
        #expect(lab.state.toServer.map(\.summary) == ["preface", "SETTINGS"])
        #expect(lab.state.toClient.map(\.summary) == ["SETTINGS"])
        let (result, queued) = try lab.act(.client) { (c) throws(UsageError) in try c.sendRequest(request("GET", "/html")) }
        #expect(result.stream == 1 && queued.map(\.summary) == ["HEADERS stream 1"])
        let clientSent = result.events
        while lab.deliver() != nil {}
        let client = lab.state.client, server = lab.state.server
        #expect(client.streams[1]?.status == "200")
        #expect(client.streams[1]?.receivedBody == Array(DemoSite.htmlPage.utf8))
        #expect(transitions(lab.log, extra: clientSent, endpoint: .client, stream: 1) ==
                ["idle→open", "open→half-closed (local)", "half-closed (local)→closed"])
        #expect(transitions(lab.log, endpoint: .server, stream: 1) ==
                ["idle→open", "open→half-closed (remote)", "half-closed (remote)→closed"])
        #expect(client.localSettings.maxConcurrentStreams == 100)   // acknowledged by the server
        #expect(server.localSettings.maxHeaderListSize == 65_536)
        #expect(lab.log.map { "\($0.item.from) \($0.item.summary)" } == [
            "server SETTINGS", "client preface", "client SETTINGS", "client HEADERS stream 1",
            "client SETTINGS ACK", "server SETTINGS ACK", "server HEADERS stream 1", "server DATA stream 1",
        ])
    }

    @Test("a 1 MiB POST echoed back crosses both windows many times, body intact")
    func bigEcho() throws {
        var lab = Lab()
        var body = [UInt8](repeating: 0, count: 1 << 20)
        var generator = SystemRandomNumberGenerator()
        for i in body.indices { body[i] = UInt8.random(in: 0...255, using: &generator) }
        let (result, _) = try lab.act(.client) { (c) throws(UsageError) in try c.sendRequest(request("POST", "/echo"), body: body) }
        var steps = 0
        while lab.deliver() != nil { steps += 1; if steps > 100_000 { break } }
        let echoed = lab.state.client.streams[result.stream]?.receivedBody ?? []
        #expect(echoed.count > body.count)
        #expect(SHA256.hex(echoed.suffix(body.count)) == SHA256.hex(body))
        let updates = lab.log.filter { $0.item.frame?.type == .windowUpdate }
        #expect(updates.count > 60)  // 2 MiB through 64 KiB windows, both ways, stream and connection
        let blocked = lab.log.flatMap(\.events).filter { if case .sendBlocked = $0 { return true } else { return false } }
        #expect(!blocked.isEmpty)  // the echo outgrows the client's 64 KiB receive window
        #expect(lab.state.client.streams[1]?.state == .closed && lab.state.server.streams[1]?.state == .closed)
    }

    @Test("manual WINDOW_UPDATE policy stalls the sender; an update resumes it (§6.9)")
    func stall() throws {
        var lab = Lab(server: .init(settings: [], windowUpdatePolicy: .manual))
        while lab.deliver() != nil {}
        let body = [UInt8](repeating: 0x61, count: 100_000)
        _ = try lab.act(.client) { (c) throws(UsageError) in try c.sendRequest(request("POST", "/upload"), body: body) }
        while lab.deliver() != nil {}
        #expect(lab.state.client.streams[1]?.pendingSendCount == 100_000 - 65_535)
        #expect(lab.state.client.connectionSendWindow.value == 0)
        try lab.act(.server) { (s) throws(UsageError) in
            try s.sendWindowUpdate(0, increment: 40_000)
            try s.sendWindowUpdate(1, increment: 40_000)
        }
        while lab.deliver() != nil {}
        #expect(lab.state.client.streams[1]?.pendingSendCount == 0)
        #expect(lab.state.client.streams[1]?.status == "200")
        let reply = String(decoding: lab.state.client.streams[1]?.receivedBody ?? [], as: UTF8.self)
        #expect(reply.contains("\"received\": 100000"))
        #expect(reply.contains(SHA256.hex(body)))
    }

    @Test("SETTINGS_INITIAL_WINDOW_SIZE changes apply to open streams and may go negative (§6.9.2)")
    func negativeWindow() throws {
        var lab = Lab(server: .init(settings: [], windowUpdatePolicy: .manual))
        while lab.deliver() != nil {}
        _ = try lab.act(.client) { (c) throws(UsageError) in try c.sendRequest(request("POST", "/upload"), body: [UInt8](repeating: 1, count: 30_000), endStream: false) }
        while lab.deliver() != nil {}
        #expect(lab.state.client.streams[1]?.sendWindow.value == 35_535)
        try lab.act(.server) { (s) throws(UsageError) in try s.sendSettings([Setting(.initialWindowSize, 1_000)]) }
        while lab.deliver() != nil {}
        #expect(lab.state.client.streams[1]?.sendWindow.value == 1_000 - 30_000)
        #expect(lab.state.server.streams[1]?.receiveWindow.value == 1_000 - 30_000)
    }

    @Test("server push: PUSH_PROMISE reserves a stream, the pushed response completes it (§8.4)")
    func push() throws {
        // The client turns push on: by default it sends SETTINGS_ENABLE_PUSH=0, like browsers.
        var client = Connection.Configuration.client
        client.settings = [Setting(.enablePush, 1)]
        var lab = Lab(client: client)
        lab.configure { $0.pushStylesheet = true }
        _ = try lab.act(.client) { (c) throws(UsageError) in try c.sendRequest(request("GET", "/html")) }
        while lab.deliver() != nil {}
        let pushed = lab.state.client.streams[2]
        #expect(pushed?.requestLine == "GET /styles.css")
        #expect(pushed?.receivedBody == Array(DemoSite.stylesheet.utf8))
        #expect(transitions(lab.log, endpoint: .client, stream: 2) ==
                ["idle→reserved (remote)", "reserved (remote)→half-closed (local)", "half-closed (local)→closed"])
    }

    @Test("back rewinds both endpoints, both HPACK tables and every window")
    func back() throws {
        var lab = Lab()
        // The handshake but its last frame, then the state to come back to, then that frame.
        while lab.state.toServer.count + lab.state.toClient.count > 1 { _ = lab.deliver() }
        let before = lab.state
        _ = lab.deliver()
        _ = try lab.act(.client) { (c) throws(UsageError) in try c.sendRequest(request("GET", "/json")) }
        let deliveredBefore = lab.log.count
        while lab.deliver() != nil {}
        #expect(lab.state.server.decoder.table.count > 0 && lab.state.client.encoder.table.count > 0)
        let undone = lab.back(lab.log.count - deliveredBefore + 1)
        #expect(undone == 4)
        #expect(lab.log.count == deliveredBefore - 1)
        for role in [Role.client, .server] {
            let now = lab.state.connection(role), then = before.connection(role)
            #expect(now.encoder.table == then.encoder.table && now.decoder.table == then.decoder.table)
            #expect(now.connectionSendWindow == then.connectionSendWindow && now.connectionReceiveWindow == then.connectionReceiveWindow)
            #expect(now.streams == then.streams && now.localSettings == then.localSettings && now.remoteSettings == then.remoteSettings)
        }
        #expect(lab.state.toServer == before.toServer && lab.state.toClient == before.toClient)
        #expect(lab.state.client.streams[1] == nil)
        #expect(lab.state.server.streams[1] == nil)
        // And forward again gives the same result.
        _ = try lab.act(.client) { (c) throws(UsageError) in try c.sendRequest(request("GET", "/json")) }
        while lab.deliver() != nil {}
        #expect(lab.state.client.streams[1]?.receivedBody == Array(DemoSite.jsonDocument.utf8))
    }

    @Test("the demo site: routes, 404, 405 with Allow, HEAD, content-length")
    func site() {
        let site = DemoSite()
        #expect(site.respond(to: SiteRequest(method: "GET", path: "/nope")).status == 404)
        let notAllowed = site.respond(to: SiteRequest(method: "DELETE", path: "/json"))
        #expect(notAllowed.status == 405 && notAllowed.headers.contains(HeaderField("allow", "GET, HEAD")))
        let head = site.respond(to: SiteRequest(method: "HEAD", path: "/html"))
        #expect(head.status == 200 && head.body.isEmpty)
        #expect(head.headers.contains(HeaderField("content-length", "\(DemoSite.htmlPage.utf8.count)")))
        let upload = site.respond(to: SiteRequest(method: "POST", path: "/upload", body: Array("abc".utf8)))
        #expect(String(decoding: upload.body, as: UTF8.self).contains("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"))
        let echo = site.respond(to: SiteRequest(method: "PUT", path: "/echo", headers: fields([("x-a", "1")]), body: [0x7a]))
        #expect(String(decoding: echo.body, as: UTF8.self) == "method: PUT\npath: /echo\nauthority: \nheader x-a: 1\nbody: 1 octets\n\nz")
    }
}

@Suite("Long sessions")
struct LongSessionTests {
    @Test("after 400 exchanges old streams are forgotten but still closed, with their close reason")
    func pruning() throws {
        var lab = Lab()
        for _ in 0..<400 {
            _ = try lab.act(.client) { (c) throws(UsageError) in try c.sendRequest(request("GET", "/json")) }
            while lab.deliver() != nil {}
        }
        #expect(lab.state.server.streams.count <= 257 && lab.state.client.streams.count <= 257)
        #expect(lab.state.server.state(of: 1) == .closed && lab.state.server.closeReason(of: 1) == .endStream)
        #expect(lab.state.client.streams[799]?.status == "200")
        // A frame on a long-forgotten stream still gets §5.1's answer for a stream closed by END_STREAM.
        lab.sendRaw(FrameEncoder.encode(.data(1, [1])), from: .client)
        let delivery = lab.deliver()
        #expect(delivery?.events.contains { if case .protocolError(let e) = $0 { return e.code == .streamClosed } else { return false } } == true)
    }
}

@Suite("A lab with a real peer: its bytes become wire items")
struct RemotePeerLabTests {
    /// What a real client would write first: preface, SETTINGS and a GET, made by our own engine.
    func clientOpening() throws -> [UInt8] {
        var client = Connection(role: .client)
        client.start()
        _ = try client.sendRequest(request("GET", "/json"))
        return client.takeOutbound().flatMap(\.bytes)
    }

    @Test("a client's bytes in any chunking give the same items: preface, then one item per frame", arguments: [1, 5, 24, 1_000])
    func chunking(_ size: Int) throws {
        let bytes = try clientOpening()
        var lab = Lab(remoteClient: "127.0.0.1")
        #expect(lab.state.toClient.map(\.summary) == ["SETTINGS"])  // our server speaks first
        for start in stride(from: 0, to: bytes.count, by: size) {
            lab.receiveFromRemote(Array(bytes[start..<min(start + size, bytes.count)]))
        }
        #expect(lab.state.toServer.map(\.summary) == ["preface", "SETTINGS", "HEADERS stream 1"])
        #expect(lab.state.toServer.flatMap(\.bytes) == bytes)
        while lab.deliver() != nil {}
        // The demo site answered; what went to the real client was not received by the lab's own client.
        #expect(lab.state.server.streams[1]?.status == "200")
        #expect(lab.log.filter { $0.item.to == .client }.map(\.item.summary) == ["SETTINGS", "SETTINGS ACK", "HEADERS stream 1", "DATA stream 1"])
        #expect(lab.log.filter { $0.item.to == .client }.allSatisfy { $0.events.isEmpty })
        #expect(lab.state.client.streams.isEmpty)
    }

    @Test("HTTP/1.1 instead of a preface goes on the wire whole; the server answers GOAWAY PROTOCOL_ERROR (§3.4)")
    func http1Instead() throws {
        var lab = Lab(remoteClient: "127.0.0.1")
        lab.receiveFromRemote(Array("GET / HTTP/1.1\r\n\r\n".utf8))  // 18 octets: fewer than a preface
        #expect(lab.state.toServer.map(\.summary) == ["raw 18 octets"])
        _ = lab.deliver()  // our SETTINGS
        let next = lab.deliver()
        let delivery = try #require(next)
        #expect(delivery.events.contains { if case .protocolError(let e) = $0 { return e.code == .protocolError } else { return false } })
        #expect(delivery.queued.map(\.summary) == ["GOAWAY"])
    }

    @Test("a frame longer than the receiver allows is not awaited: FRAME_SIZE_ERROR (§4.2)")
    func oversized() throws {
        var lab = Lab(remoteClient: "127.0.0.1")
        lab.receiveFromRemote(connectionPreface + [0x10, 0, 0, 0x0, 0x0, 0, 0, 0, 1] + [0, 1, 2])  // DATA of 1 MiB
        #expect(lab.state.toServer.map(\.bytes.count) == [24, 12])
        while lab.deliver() != nil {}
        let oversized = lab.log.first { $0.item.bytes.count == 12 }
        #expect(oversized?.events.contains { if case .protocolError(let e) = $0 { return e.code == .frameSizeError } else { return false } } == true)
        #expect(oversized?.queued.map(\.summary) == ["GOAWAY"])
        #expect(lab.log.last?.item.summary == "GOAWAY" && lab.log.last?.item.to == .client)
    }

    @Test("a real server's frames: split on arrival, delivered to our client, ours handed over unprocessed")
    func remoteServer() throws {
        var lab = Lab(remoteServer: "127.0.0.1:8080")
        #expect(lab.state.toServer.map(\.summary) == ["preface", "SETTINGS"])
        var server = Connection(role: .server)
        server.start()
        let settings = server.takeOutbound().flatMap(\.bytes)
        lab.receiveFromRemote(Array(settings.prefix(4)))
        #expect(lab.state.toClient.isEmpty)
        lab.receiveFromRemote(Array(settings.dropFirst(4)) + FrameEncoder.encode(.ping(7)))
        #expect(lab.state.toClient.map(\.summary) == ["SETTINGS", "PING"])
        while lab.deliver() != nil {}
        #expect(lab.log.filter { $0.item.to == .server }.allSatisfy { $0.events.isEmpty })
        #expect(lab.log.map(\.item.summary).contains("PING ACK"))
    }
}

@Suite("/.well-known/h2/state in the lab")
struct DebugStateLabTests {
    @Test("the server answers with its own view of the connection, as JSON that escapes what it quotes")
    func state() throws {
        var lab = Lab()
        let headers = request("GET", "/.well-known/h2/state") + [HeaderField("x-note", "say \"hi\"\\\t\u{1}")]
        _ = try lab.act(.client) { (c) throws(UsageError) in try c.sendRequest(headers) }
        while lab.deliver() != nil {}
        let body = try #require(lab.state.client.streams[1]?.receivedBody)
        let text = String(decoding: body, as: UTF8.self)
        #expect(lab.state.client.streams[1]?.status == "200")
        #expect(text.contains(#"["x-note", "say \"hi\"\\\t\u0001"]"#), "\(text)")
        #expect(text.contains(#""1": {"state": "HALF_CLOSED_REMOTE", "flowIn": 65535, "flowOut": 65535, "dataIn": 0, "dataOut": 0}"#))
        #expect(text.contains(#""peerSettings": {"SETTINGS_HEADER_TABLE_SIZE": 4096, "SETTINGS_ENABLE_PUSH": 0, "SETTINGS_MAX_CONCURRENT_STREAMS": 100,"#))
        // The same exchange gives the same bytes: nothing time- or address-dependent.
        var again = Lab()
        _ = try again.act(.client) { (c) throws(UsageError) in try c.sendRequest(headers) }
        while again.deliver() != nil {}
        #expect(again.state.client.streams[1]?.receivedBody == body)
    }
}

@Suite("Active-stream counts kept as states change")
struct ActiveStreamCountTests {
    /// The counts a scan of every stream record gives.
    static func scanned(_ connection: Connection, peer: Bool) -> Int {
        connection.streams.values.filter { $0.state.isActive && connection.isPeerInitiated($0.id) == peer }.count
    }

    @Test("requests, responses, resets both ways and GOAWAY: the counts always equal a scan")
    func countsMatchAScan() throws {
        var lab = Lab()
        var random = SplitMix(seed: 7)
        for round in 0..<300 {
            switch random.next() % 5 {
            case 0, 1:
                _ = try? lab.act(.client) { (c) throws(UsageError) in try c.sendRequest(request("GET", "/json")) }
            case 2:
                let open = lab.state.client.streams.values.filter { $0.state.isActive }.map(\.id).sorted()
                if let id = open.first {
                    _ = try? lab.act(.client) { (c) throws(UsageError) in try c.sendReset(id, .cancel) }
                }
            default:
                _ = lab.deliver()
            }
            for (connection, name) in [(lab.state.client, "client"), (lab.state.server, "server")] {
                #expect(connection.activeStreams(openedByPeer: true) == Self.scanned(connection, peer: true), "round \(round), \(name)")
                #expect(connection.activeStreams(openedByPeer: false) == Self.scanned(connection, peer: false), "round \(round), \(name)")
            }
        }
        while lab.deliver() != nil {}
        _ = try? lab.act(.server) { (s) throws(UsageError) in s.sendGoaway(.noError) }
        while lab.deliver() != nil {}
        #expect(lab.state.client.activeStreams(openedByPeer: false) == Self.scanned(lab.state.client, peer: false))
    }
}
