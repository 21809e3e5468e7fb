import Foundation
import Synchronization
import Testing
@testable import Engine
@testable import Lessons

/// A client for the lab's `listen`, in process: our own engine's client behind the `RemotePeer`
/// protocol, so the interpreter's attach logic can be checked without sockets (the socket path is
/// checked against curl and Chromium in H2LabTests).
final class EngineClientPeer: RemotePeer, @unchecked Sendable {
    /// Push on, unlike the default (browsers send SETTINGS_ENABLE_PUSH=0): a test pushes to it.
    private(set) var client = Connection(role: .client, configuration: .init(settings: [Setting(.enablePush, 1)]))
    private(set) var received: [Event] = []
    private var outgoing: [UInt8] = []
    /// Once set, the peer hangs up when this many of its streams have closed and everything it
    /// sent has been read (as a browser closes once its page has loaded).
    var hangUpAfterStreams: Int?
    private(set) var closedByLab = false

    init(requests: [[HeaderField]]) throws {
        client.start()
        for request in requests { _ = try client.sendRequest(request) }
        outgoing = client.takeOutbound().flatMap(\.bytes)
    }

    var isClosed: Bool {
        if closedByLab { return true }
        guard let count = hangUpAfterStreams, outgoing.isEmpty else { return false }
        return client.streams.values.filter { $0.state == .closed }.count >= count
    }

    func send(_ bytes: [UInt8]) {
        received += client.receive(bytes: bytes)
        outgoing += client.takeOutbound().flatMap(\.bytes)  // its ACKs, its WINDOW_UPDATEs
    }

    func receive(waitMilliseconds: Int32) -> [UInt8]? {
        guard !outgoing.isEmpty else { return nil }
        // A real peer's bytes arrive in arbitrary pieces: hand them over 7 octets at a time.
        let piece = Array(outgoing.prefix(7))
        outgoing.removeFirst(piece.count)
        return piece
    }

    func close() { closedByLab = true }
}

func get(_ path: String) -> [HeaderField] {
    [HeaderField(":method", "GET"), HeaderField(":scheme", "https"), HeaderField(":path", path), HeaderField(":authority", "127.0.0.1")]
}

@Suite("listen: a real client in the lab")
struct ListenTests {
    func session(with peer: EngineClientPeer, port: UInt16 = 8443) -> Session {
        var session = Session()
        session.listener = { request, announce, _ in
            announce("listening on https://127.0.0.1:\(request.port)/")
            return (peer, "127.0.0.1", nil)
        }
        return session
    }

    @Test("the client's first frames wait on the wire; stepping serves it; the lab cannot act for it or rewind")
    func stepped() throws {
        let peer = try EngineClientPeer(requests: [get("/json")])
        var session = session(with: peer)
        let listen = session.execute("listen --tls")
        #expect(listen.error == nil)
        #expect(listen.lines.first == "  listening on https://127.0.0.1:8443/")  // the default TLS port
        #expect(session.lab.state.toServer.map(\.summary) == ["preface", "SETTINGS", "HEADERS stream 1"])
        #expect(session.lab.state.toClient.map(\.summary) == ["SETTINGS"])
        #expect(session.lab.log.isEmpty && peer.received.isEmpty)  // nothing delivered either way yet

        #expect(session.execute("request GET /").error?.message.contains("the client is a real peer (127.0.0.1)") == true)
        #expect(session.execute("ping 1").error?.hint?.contains("server ping") == true)
        _ = session.execute("step 2")
        #expect(peer.received.contains { if case .remoteSettingsApplied = $0 { return true } else { return false } })
        #expect(session.execute("back").error?.message.contains("back is off while attached to a real client") == true)
        _ = session.execute("continue")
        #expect(peer.client.streams[1]?.status == "200")
        #expect(String(decoding: peer.client.streams[1].map { $0.receivedBody } ?? [], as: UTF8.self).contains("\"protocol\": \"HTTP/2\""))
        // The lab acts as the server: a PING reaches the real client, whose ACK comes back on the wire.
        _ = session.execute("server ping 9")
        _ = session.execute("continue")
        #expect(session.lab.log.suffix(2).map(\.item.summary) == ["PING", "PING ACK"])
        let hpack = session.execute("show hpack client").lines.joined(separator: "\n")
        #expect(hpack.contains("a real peer (127.0.0.1)"))
        let windows = session.execute("show windows").lines
        #expect(windows[1].contains("-"))
    }

    @Test("auto on watches the client until it hangs up; live output arrives before the command ends")
    func autoOnLive() throws {
        let peer = try EngineClientPeer(requests: [get("/html"), get("/styles.css")])
        var session = session(with: peer)
        let collected = Mutex<[String]>([])
        let live: @Sendable ([String]) -> Void = { lines in collected.withLock { $0 += lines } }
        let listen = session.execute("listen --port 9000", live: live)
        #expect(collected.withLock { $0 } == ["  listening on https://127.0.0.1:9000/"])  // announced at once
        #expect(listen.lines.first?.contains("the client from 127.0.0.1 is the lab's client now") == true)
        peer.hangUpAfterStreams = 2
        let auto = session.execute("auto on", live: live)
        #expect(auto.lines.last == "  the client at 127.0.0.1 closed the connection")
        let shown = collected.withLock { $0 }.joined(separator: "\n")
        #expect(shown.contains("auto on: frames flow as the client at 127.0.0.1 sends them"))
        #expect(shown.contains("client→server HEADERS stream 1") && shown.contains("client→server HEADERS stream 3"))
        #expect(shown.contains("server stream 1: idle → open → half-closed (remote)"))
        #expect(peer.client.streams[1]?.status == "200" && peer.client.streams[3]?.status == "200")
        // The transcript holds what was printed live, in order, once.
        let transcript = session.transcript.joined(separator: "\n")
        #expect(transcript.components(separatedBy: "listening on https://127.0.0.1:9000/").count == 2)
        #expect(transcript.contains("lab> auto on\n  auto on: frames flow"))
    }

    @Test("a push to a real client names the origin of its request, not the lab's")
    func pushOrigin() throws {
        let peer = try EngineClientPeer(requests: [get("/html")])
        var session = session(with: peer)
        _ = session.execute("listen")
        _ = session.execute("respond manual")
        _ = session.execute("continue")
        #expect(session.execute("push 1 /styles.css").error == nil)
        // With `respond manual` the pushed stream waits, reserved (local), for its own answer.
        #expect(session.lab.state.server.streams[2]?.state == .reservedLocal)
        _ = session.execute("respond 2 200 body {}")
        _ = session.execute("respond 1 200 page")
        _ = session.execute("continue")
        let promised = peer.client.streams[2]?.requestHeaders ?? []
        #expect(promised.contains(HeaderField(":authority", "127.0.0.1")) && promised.contains(HeaderField(":path", "/styles.css")))
        #expect(peer.client.streams[2]?.status == "200")
    }

    @Test("a second client while listening: announced at the prompt, numbered, its frames wait on its own wire until `connection 2`")
    func secondConnection() throws {
        let first = try EngineClientPeer(requests: [get("/json")])
        let second = try EngineClientPeer(requests: [get("/html")])
        let more = QueuedAcceptor([second])
        var session = Session()
        session.listener = { request, announce, _ in
            announce("listening on http://127.0.0.1:\(request.port)/")
            return (first, "127.0.0.1", more)
        }
        _ = session.execute("listen")
        #expect(session.isLive && session.connectionNumber == 1)
        let announced = session.idle()
        #expect(announced.contains("  connection 2: another client from 127.0.0.2 (browsers open more than one); `connection 2` shows it"))
        #expect(announced.contains { $0.hasPrefix("  connection 2:") && $0.contains("frames waiting on its wire") }, "\(announced)")
        _ = session.execute("continue")  // connection 1 only
        #expect(first.client.streams[1]?.status == "200" && second.received.isEmpty)
        let list = session.execute("connection").lines
        #expect(list.first?.hasPrefix("  * 1   127.0.0.1 ⇄ our server:") == true && list.last?.hasPrefix("    2   127.0.0.2 ⇄ our server: 0 deliveries") == true)
        let switched = session.execute("connection 2").lines
        #expect(switched.first == "  connection 2: 127.0.0.2 ⇄ our server: 0 deliveries, 4 waiting")
        #expect(switched.contains { $0.contains("client→server  HEADERS stream 1") })
        let stepped = session.execute("continue").lines.joined(separator: "\n")
        #expect(stepped.contains("#1 c2 server→client SETTINGS") && stepped.contains(":path: /html"))
        #expect(second.client.streams[1]?.status == "200")
        #expect(session.execute("show streams").lines.contains { $0.contains("GET /html") })
        #expect(session.execute("connection 1").lines.first?.contains("127.0.0.1 ⇄ our server") == true)
        #expect(session.execute("show streams").lines.contains { $0.contains("GET /json") })
        #expect(session.execute("connection 3").error?.message == "no connection 3")
        // A new listen forgets the old connections and closes them.
        _ = session.execute("listen")
        #expect(second.isClosed && session.execute("connection").lines.count == 1)
    }

    @Test("a client that opens connections without end: past Session.maxConnections the gone ones are forgotten, then new ones refused")
    func connectionBound() throws {
        let first = try EngineClientPeer(requests: [get("/json")])
        let limit = Session.maxConnections
        let others = try (0..<(limit + 5)).map { _ in try EngineClientPeer(requests: [get("/html")]) }
        let more = QueuedAcceptor(others)
        var session = Session()
        session.listener = { request, announce, _ in
            announce("listening on http://127.0.0.1:\(request.port)/")
            return (first, "127.0.0.1", more)
        }
        _ = session.execute("listen")
        // Two of the parked peers hang up before the crowd arrives in full.
        others[0].close()
        others[1].close()
        let said = session.idle()
        #expect(session.execute("connection").lines.count == limit, "\(said.suffix(8))")
        #expect(said.contains("  connection 2 forgotten (its client had gone): a session follows at most \(limit)"))
        #expect(said.contains("  connection 3 forgotten (its client had gone): a session follows at most \(limit)"))
        // 1 + (limit + 5) clients: limit - 1 parked at first, two more in the places of the gone, 4
        // refused, said in one line.
        let refusals = said.filter { $0.contains("refused") }
        #expect(refusals == ["  refused 4 connections from 127.0.0.35, 127.0.0.36, 127.0.0.37 and 1 more: \(limit) connections are open, the most a session follows"],
                "\(refusals)")
        let refused = others.suffix(4).filter { $0.isClosed }.count
        #expect(refused == 4)
    }

    @Test("an attached lab keeps the last Lab.attachedLogLimit deliveries: a peer that sends without pause does not grow the log without end")
    func attachedLogBound() throws {
        // The preface, SETTINGS, then 15 000 PINGs, handed over in pieces as a socket would.
        final class PingPeer: RemotePeer, @unchecked Sendable {
            var left = 15_000
            var preface = true
            var isClosed: Bool { left == 0 }
            func send(_ bytes: [UInt8]) {}
            func receive(waitMilliseconds: Int32) -> [UInt8]? {
                if preface {
                    preface = false
                    return connectionPreface + FrameEncoder.encode(.settings([]))
                }
                guard left > 0 else { return nil }
                let n = min(left, 500)
                left -= n
                return (0..<n).flatMap { _ in FrameEncoder.encode(.ping(7, ack: false)) }
            }
            func close() { left = 0 }
        }
        var session = Session()
        session.listener = { _, announce, _ in
            announce("listening")
            return (PingPeer(), "127.0.0.1", nil)
        }
        _ = session.execute("listen")
        _ = session.execute("continue")
        #expect(session.lab.state.deliveries > 20_000, "\(session.lab.state.deliveries) deliveries")
        #expect(session.lab.log.count <= Lab.attachedLogLimit * 11 / 10)
        let last = session.lab.state.deliveries
        #expect(session.execute("show frame \(last)").error == nil)
        #expect(session.execute("show frame 1").error?.message == "delivery #1 is forgotten: a lab attached to a real peer keeps the last \(Lab.attachedLogLimit)")
        #expect(session.execute("show frame \(last + 1)").error?.message.hasPrefix("no delivery #\(last + 1) yet") == true)
        // Its transcript is bounded too: the deliveries printed 3 lines each or so.
        for _ in 0..<3 {
            _ = session.execute("listen")
            _ = session.execute("continue")
        }
        #expect(session.transcriptForgotten > 0 && session.transcript.count <= Session.transcriptLimit,
                "\(session.transcript.count) lines, \(session.transcriptForgotten) forgotten")
    }

    @Test("without a listener (a lesson), listen says why; bad arguments get usage")
    func unavailable() {
        var session = Session()
        #expect(session.execute("listen").error?.message.contains("needs the h2lab REPL") == true)
        #expect(session.execute("listen --port 70000").error?.message.contains("0-65535") == true)
        #expect(session.execute("listen --tsl").error?.hint == "usage: listen [--tls] [--port N] [--timeout S] [--cert F --key F]")
        #expect(session.execute("lisen").error?.hint?.contains("'listen'") == true)
    }
}

/// Hands the lab's listen the clients given, one per call, named 127.0.0.2 onwards.
final class QueuedAcceptor: RemoteAcceptor, @unchecked Sendable {
    private var waiting: [RemotePeer]
    private var given = 1
    init(_ peers: [RemotePeer]) { waiting = peers }
    func next(say: (String) -> Void) -> (peer: RemotePeer, name: String)? {
        guard !waiting.isEmpty else { return nil }
        given += 1
        return (waiting.removeFirst(), "127.0.0.\(given)")
    }
    func close() { waiting = [] }
}
