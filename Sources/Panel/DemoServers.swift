import Engine
import Foundation
import Transport

/// The demo servers a panel runs: each listens on a loopback port (h2c or TLS), serves the demo
/// site on a thread per connection, and keeps a bounded log, its counters, and for each open
/// connection the engine's latest state and its recent frames (for the ladder diagram).
public final class DemoServers: @unchecked Sendable {
    /// One frame as the panel shows it: direction, what it is, and its octets (the first 512).
    public struct FrameRecord: Sendable {
        public var outbound: Bool
        public var type: String
        public var stream: UInt32
        public var flags: [String]
        public var length: Int
        public var summary: String
        public var hex: String
        /// For HEADERS and PUSH_PROMISE: the decoded fields, each with how HPACK carried it.
        public var fields: [String] = []
    }

    struct ConnectionRecord {
        var peer: String
        var tls: String?
        var alpn: String
        var state: Connection?
        var frames: [FrameRecord] = []
        /// Fields of header blocks sent but not yet written (the engine reports them first).
        var pendingFields: [UInt32: [String]] = [:]
    }

    final class Server: @unchecked Sendable {
        let id: Int
        let port: UInt16
        let tls: Bool
        let trace: Bool
        let started: Double
        let listener: TCPSocket
        var stopping = false
        var connectionsTotal = 0
        var requests = 0
        var open: [Int: ConnectionRecord] = [:]
        var log: [(sequence: Int, line: String)] = []
        var nextLine = 0

        init(id: Int, port: UInt16, tls: Bool, trace: Bool, started: Double, listener: TCPSocket) {
            self.id = id
            self.port = port
            self.tls = tls
            self.trace = trace
            self.started = started
            self.listener = listener
        }
    }

    public struct StartError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Lines of log kept per server, and frames per connection.
    public static let logLimit = 5_000
    public static let frameLimit = 300
    /// At most this many servers at once.
    public static let serverLimit = 16
    /// Connections one demo server serves at once (a thread each).
    static let connectionLimit = 64

    let lock = NSLock()
    var servers: [Int: Server] = [:]
    var nextID = 0
    let tlsContext: TLSContext?
    let now: @Sendable () -> Double
    let formatter = TraceFormatter(events: false, json: false)

    public init(tls: TLSContext?, now: @escaping @Sendable () -> Double) {
        self.tlsContext = tls
        self.now = now
    }

    /// Starts a server on 127.0.0.1:`port`. Throws with a message for the API's 400.
    public func start(port: Int, tls: Bool, trace: Bool) throws(StartError) -> Int {
        guard (1024...65_535).contains(port) else { throw StartError(description: "port must be 1024-65535, not \(port)") }
        if tls && tlsContext == nil { throw StartError(description: "TLS is not available (no certificate)") }
        guard lock.withLock({ servers.count }) < Self.serverLimit else {
            throw StartError(description: "at most \(Self.serverLimit) servers at once: stop one first")
        }
        let listener: TCPSocket
        do {
            listener = try TCPSocket.listen(host: "127.0.0.1", port: UInt16(port))
        } catch {
            throw StartError(description: "cannot listen on 127.0.0.1:\(port): \(error)")
        }
        let server: Server = lock.withLock {
            nextID += 1
            let server = Server(id: nextID, port: UInt16(port), tls: tls, trace: trace, started: now(), listener: listener)
            servers[server.id] = server
            return server
        }
        append(server, "listening on \(tls ? "https" : "http")://127.0.0.1:\(port)/ (\(tls ? "TLS, ALPN h2" : "h2c"))")
        Thread.detachNewThread { [self] in accept(server) }
        return server.id
    }

    /// Stops a server: no new connections; open ones get GOAWAY and finish. False if unknown.
    public func stop(_ id: Int) -> Bool {
        guard let server = lock.withLock({ servers.removeValue(forKey: id) }) else { return false }
        lock.withLock { server.stopping = true }
        return true
    }

    public func stopAll() {
        for id in lock.withLock({ Array(servers.keys) }) { _ = stop(id) }
    }

    func accept(_ server: Server) {
        var next = 0
        while !lock.withLock({ server.stopping }) {
            let accepted: TCPSocket?
            do {
                accepted = try server.listener.accept(milliseconds: 200)
            } catch {
                usleep(10_000)  // out of descriptors, say: wait a moment rather than spin
                continue
            }
            guard let client = accepted else { continue }
            // A thread per connection: bounded, so that one local client cannot use them all up.
            guard lock.withLock({ server.open.count }) < Self.connectionLimit else {
                client.close()
                append(server, "refused a connection: \(Self.connectionLimit) are open (a demo server's most)")
                continue
            }
            next += 1
            let id = next
            lock.withLock {
                server.connectionsTotal += 1
                server.open[id] = ConnectionRecord(peer: client.peerAddress, tls: nil, alpn: server.tls ? "" : "h2c")
            }
            append(server, "c\(id)   connection opened")
            Thread.detachNewThread { [self] in
                let tracer: Tracer = { [self] id, item in record(server, id, item) }
                ServerConnection.serve(client, id: id, tls: server.tls ? tlsContext : nil, responder: DemoSite(),
                                       tracer: tracer, observer: { [self] id, connection in
                                           lock.withLock { server.open[id]?.state = connection }
                                       }) { [self] in lock.withLock { server.stopping } }
                lock.withLock { server.open[id] = nil }
            }
        }
        server.listener.close()
        append(server, "stopped listening")
    }

    /// A trace item from one of a server's connections: counted, logged, and kept for the ladder.
    func record(_ server: Server, _ id: Int, _ item: TraceItem) {
        var line: String?
        switch item {
        case .note(let text):
            line = "c\(id)   \(text)"
            if text.hasPrefix("HTTP/1.1 ") && text.hasSuffix("answered over HTTP/1.1") { lock.withLock { server.requests += 1 } }
            if text.hasPrefix("TLS ") {
                let alpn = text.components(separatedBy: "ALPN ").last ?? ""
                lock.withLock {
                    server.open[id]?.tls = String(text.dropFirst(4).prefix { $0 != "," })
                    server.open[id]?.alpn = alpn
                }
            }
        case .received(let frame, let bytes):
            keep(server, id, frame, outbound: false, bytes: bytes)
            if server.trace { line = formatter.line(id, item) }
        case .sent(.frame(let frame)):
            keep(server, id, frame, outbound: true, bytes: 9 + frame.payloadLength)
            if server.trace { line = formatter.line(id, item) }
        case .sent(.preface):
            break
        case .event(.headersReceived(let stream, let kind, let block)):
            attach(block.fields.map { "\($0.field.name): \($0.field.value)   (\($0.representation))" },
                   server, id, stream: stream, outbound: false)
            guard kind == .request else { break }
            lock.withLock { server.requests += 1 }
            let fields = block.fields.map(\.field)
            let method = fields.first { $0.name == ":method" }?.value ?? "?"
            let path = fields.first { $0.name == ":path" }?.value ?? "?"
            line = "c\(id)   stream \(stream): \(method) \(path)"
        case .event(.headersSent(let stream, let kind, let block)):
            let fields = block.fields.map { "\($0.field.name): \($0.field.value)   (\($0.representation))" }
            lock.withLock { server.open[id]?.pendingFields[stream] = fields }
            guard kind == .response else { break }
            let status = block.fields.first { $0.field.name == ":status" }?.field.value ?? "?"
            line = "c\(id)   stream \(stream): \(status)"
        case .event(.protocolError(let error)):
            line = "c\(id)   ✗ \(error)"
        case .event:
            break
        }
        if let line { append(server, line) }
    }

    func keep(_ server: Server, _ id: Int, _ frame: Frame, outbound: Bool, bytes: Int) {
        var octets: [UInt8] = []
        FrameEncoder.encode(frame, into: &octets)
        var record = FrameRecord(
            outbound: outbound, type: frame.type.name, stream: frame.streamID, flags: frame.type.flagNames(frame.wireFlags),
            length: bytes - 9, summary: formatter.frameLine(id, outbound ? "→" : "←", frame, bytes),
            hex: Hex.encode(Array(octets.prefix(512))))
        lock.withLock {
            if outbound, frame.type == .headers, let fields = server.open[id]?.pendingFields.removeValue(forKey: frame.streamID) {
                record.fields = fields
            }
            server.open[id]?.frames.append(record)
            if let count = server.open[id]?.frames.count, count > Self.frameLimit {
                server.open[id]?.frames.removeFirst(count - Self.frameLimit)
            }
        }
    }

    /// Hides the value of any of the panel's own cookies in `text`. Cookies are scoped by host, not
    /// port, so a browser logged in to the panel at 127.0.0.1 sends its session cookie to the demo
    /// servers on 127.0.0.1 too; the panel must not then show it (nor a log keep it).
    public static func redact(_ text: String) -> String {
        guard text.contains("__Host-h2lab-") else { return text }
        var out = ""
        var rest = Substring(text)
        while let range = rest.range(of: "__Host-h2lab-") {
            out += rest[..<range.upperBound]
            rest = rest[range.upperBound...]
            let name = rest.prefix { $0 != "=" && $0 != ";" && $0 != " " }
            out += name
            rest = rest.dropFirst(name.count)
            if rest.first == "=" {
                out += "=(hidden)"
                rest = rest.dropFirst().drop { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }
            }
        }
        return out + rest
    }

    /// Puts decoded header fields on the newest HEADERS frame of `stream` in that direction.
    func attach(_ fields: [String], _ server: Server, _ id: Int, stream: UInt32, outbound: Bool) {
        lock.withLock {
            guard let frames = server.open[id]?.frames,
                  let index = frames.lastIndex(where: { $0.stream == stream && $0.outbound == outbound && $0.type == "HEADERS" })
            else { return }
            server.open[id]?.frames[index].fields = fields.map(Self.redact)
            if fields.contains(where: { $0.contains("__Host-h2lab-") }) {
                server.open[id]?.frames[index].hex = ""  // its octets carry the panel's cookie
            }
        }
    }

    func append(_ server: Server, _ line: String) {
        lock.withLock {
            server.log.append((server.nextLine, Self.redact(line)))
            server.nextLine += 1
            if server.log.count > Self.logLimit { server.log.removeFirst(server.log.count - Self.logLimit) }
        }
    }

    // MARK: What the API shows

    public func exists(_ id: Int) -> Bool { lock.withLock { servers[id] != nil } }

    /// Log lines numbered `from` and up, with the number to ask for next.
    public func log(_ id: Int, from: Int) -> (lines: [String], next: Int)? {
        lock.withLock {
            guard let server = servers[id] else { return nil }
            return (server.log.filter { $0.sequence >= from }.map(\.line), server.nextLine)
        }
    }

    public func listJSON() -> String {
        lock.withLock {
            let items = servers.keys.sorted().compactMap { servers[$0] }.map { server in
                "{\"id\": \(server.id), \"port\": \(server.port), \"tls\": \(server.tls), \"trace\": \(server.trace), "
                    + "\"url\": \(JSONText.quote("\(server.tls ? "https" : "http")://127.0.0.1:\(server.port)/")), "
                    + "\"uptime\": \(Int(now() - server.started)), \"connections\": \(server.connectionsTotal), "
                    + "\"open\": \(server.open.count), \"requests\": \(server.requests)}"
            }
            return "{\"servers\": [" + items.joined(separator: ", ") + "]}"
        }
    }

    public func serverJSON(_ id: Int) -> String? {
        lock.withLock {
            guard let server = servers[id] else { return nil }
            return "{\"id\": \(server.id), \"port\": \(server.port), \"tls\": \(server.tls), \"trace\": \(server.trace)}"
        }
    }

    /// The open connections of a server: peer, TLS, ALPN, the engine's state (as
    /// `/.well-known/h2/state` gives it) and recent frames.
    public func connectionsJSON(_ id: Int) -> String? {
        lock.withLock {
            guard let server = servers[id] else { return nil }
            let items = server.open.keys.sorted().compactMap { key -> String? in
                guard let record = server.open[key] else { return nil }
                let frames = record.frames.map { frame in
                    "{\"out\": \(frame.outbound), \"type\": \(JSONText.quote(frame.type)), \"stream\": \(frame.stream), "
                        + "\"flags\": [\(frame.flags.map(JSONText.quote).joined(separator: ", "))], \"length\": \(frame.length), "
                        + "\"summary\": \(JSONText.quote(frame.summary)), \"hex\": \(JSONText.quote(frame.hex)), "
                        + "\"fields\": [\(frame.fields.map(JSONText.quote).joined(separator: ", "))]}"
                }
                return "{\"id\": \(key), \"peer\": \(JSONText.quote(record.peer)), \"tls\": \(record.tls.map(JSONText.quote) ?? "null"), "
                    + "\"alpn\": \(JSONText.quote(record.alpn)), \"state\": \(record.state.map { Self.redact($0.debugState()) } ?? "null"), "
                    + "\"frames\": [\(frames.joined(separator: ", "))]}"
            }
            return "{\"server\": \(server.id), \"connections\": [" + items.joined(separator: ", ") + "]}"
        }
    }
}
