import Engine
import Glibc

/// What a driver reports for tracing: a frame in or out, or an engine event.
public enum TraceItem: Sendable {
    case received(Frame, bytes: Int)
    case sent(Outbound)
    case event(Event)
    case note(String)
}

/// Receives trace items with the connection number; nil means tracing is off (nothing is formatted).
public typealias Tracer = @Sendable (_ connection: Int, _ item: TraceItem) -> Void

/// Who is on the other end of a server connection, for responders that care (the panel).
public struct PeerInfo: Sendable {
    public var connection: Int
    public var address: String
    /// "TLSv1.3 TLS_AES_128_GCM_SHA256", or nil for plain TCP.
    public var tls: String?

    public init(connection: Int, address: String, tls: String? = nil) {
        self.connection = connection
        self.address = address
        self.tls = tls
    }
}

/// The limits a server keeps to every connection, each a named setting of `serve` with a default
/// (README, "Limits"): what a slow, idle or abusive client may hold, and for how long.
public struct ServerLimits: Sendable {
    /// Seconds a connection may take to send its preface, sit with no stream open and nothing
    /// received, leave a header block incomplete, or not read what the server writes (slowloris).
    public var idleTimeout: Double = 60
    /// Streams reset by the client before their response, per connection (CVE-2023-44487).
    public var rapidResets = Connection.Configuration.defaultRapidResetLimit
    /// Frames that carry nothing and end nothing, per connection (CVE-2019-9518).
    public var emptyFrames = Connection.Configuration.defaultEmptyFrameLimit
    /// Connections served at once; more are closed as soon as they are accepted.
    public var maxConnections = 1_024
    /// Whether the engine reports header blocks field by field (for a trace of events; off, it
    /// decodes and encodes them without the report).
    public var reportsHeaderBlocks = true
    /// Whether the engine reports the play-by-play (frames received, state and window changes):
    /// every trace needs it; a server traced by nobody leaves it out.
    public var reportsProgress = true

    public init() {}
    public static let standard = ServerLimits()

    /// A server connection's engine configuration under these limits.
    var configuration: Connection.Configuration {
        var configuration = Connection.Configuration(settings: ServerConnection.settings, windowUpdatePolicy: .halfWindow)
        configuration.rapidResetLimit = rapidResets
        configuration.emptyFrameLimit = emptyFrames
        configuration.reportsHeaderBlocks = reportsHeaderBlocks
        configuration.reportsProgress = reportsProgress
        configuration.encoderPolicy = .network
        return configuration
    }
}

/// An engine's events to a tracer: frames received as frames, everything else as events.
func trace(_ events: [Event], connection id: Int, to tracer: Tracer?) {
    guard let tracer else { return }
    for event in events {
        if case .frameReceived(let frame) = event {
            tracer(id, .received(frame, bytes: 9 + frame.payloadLength))
        } else {
            tracer(id, .event(event))
        }
    }
}

/// What answers requests on a server connection: the demo site, or the control panel.
public protocol Responder: Sendable {
    /// Answers the requests whose END_STREAM arrived in `events`; returns the events of sending.
    func answer(_ events: [Event], on connection: inout Connection, peer: PeerInfo) -> [Event]
    /// Called whenever the connection wakes (at least every 200 ms): continues responses that
    /// go on over time, such as server-sent events.
    func tick(on connection: inout Connection, peer: PeerInfo) -> [Event]
    /// The connection ended.
    func closed(peer: PeerInfo)
}

extension Responder {
    public func tick(on connection: inout Connection, peer: PeerInfo) -> [Event] { [] }
    public func closed(peer: PeerInfo) {}
}

extension DemoSite: Responder {
    public func answer(_ events: [Event], on connection: inout Connection, peer: PeerInfo) -> [Event] {
        answer(events, on: &connection)
    }
}

/// Serves one HTTP/2 connection over a byte stream: bytes in → engine → responder → bytes out.
/// Everything protocol is the engine's; this only moves bytes and answers complete requests.
public final class ServerConnection: @unchecked Sendable {
    let stream: ByteStream
    let id: Int
    let responder: any Responder
    let tracer: Tracer?
    let shouldStop: @Sendable () -> Bool
    public var peer: PeerInfo
    /// Called with the connection after each batch of frames (the panel shows it live).
    public var observer: (@Sendable (Int, Connection) -> Void)?
    public private(set) var connection: Connection

    /// Given to the client at once, as browsers expect of servers: a 16 MiB connection window.
    static let connectionWindowIncrement = (1 << 24) - 65_535

    public static let settings: [Setting] = [
        Setting(.maxConcurrentStreams, 128), Setting(.initialWindowSize, 1 << 20), Setting(.maxHeaderListSize, 65_536),
        // RFC 9218 §2.1: this server ignores RFC 7540 priority signals (it schedules by the
        // `priority` field and PRIORITY_UPDATE instead); it must be in the first SETTINGS.
        Setting(.noRFC7540Priorities, 1),
        // RFC 8441 §3: extended CONNECT is offered (the WebSocket echo at /ws).
        Setting(.enableConnectProtocol, 1),
    ]

    let limits: ServerLimits
    /// When bytes were last written (for the idle timeout).
    var lastWritten = 0.0

    public init(stream: ByteStream, id: Int, site: any Responder, tracer: Tracer?, peer: PeerInfo? = nil,
                limits: ServerLimits = .standard, shouldStop: @escaping @Sendable () -> Bool) {
        self.limits = limits
        self.stream = stream
        self.id = id
        self.responder = site
        self.tracer = tracer
        self.shouldStop = shouldStop
        self.peer = peer ?? PeerInfo(connection: id, address: "")
        connection = Connection(role: .server, configuration: limits.configuration)
    }

    /// Serves the connection: HTTP/2 with prior knowledge if it opens with the preface; otherwise an
    /// HTTP/1.1 request, upgraded to h2c when it asks (RFC 7540 §3.2), else answered over HTTP/1.1.
    public func run() {
        var buffer: [UInt8] = []
        let deadline = Self.now() + limits.idleTimeout
        while buffer.count < connectionPreface.count && connectionPreface.starts(with: buffer) {
            let left = Int32(max(0, (deadline - Self.now()) * 1_000))
            guard left > 0, stream.waitReadable(milliseconds: left), let bytes = try? stream.read(maximum: 65_536), !bytes.isEmpty else {
                if Self.now() >= deadline { tracer?(id, .note("no request within \(Self.seconds(limits.idleTimeout)): closed (idle timeout)")) }
                stream.close()
                return
            }
            buffer += bytes
        }
        if buffer.starts(with: connectionPreface) || !FrameDecoder.isHTTP1RequestStart(buffer[...]) {
            runHTTP2(initial: buffer)
        } else {
            runHTTP1(buffer)
        }
    }

    /// An HTTP/1.1 request: read it whole, then upgrade or answer.
    func runHTTP1(_ start: [UInt8]) {
        var buffer = start
        var parsed = HTTP1Mapping.parseRequest(buffer)
        while case .incomplete = parsed {
            guard stream.waitReadable(milliseconds: 10_000), let bytes = try? stream.read(maximum: 65_536), !bytes.isEmpty else {
                stream.close()
                return
            }
            buffer += bytes
            parsed = HTTP1Mapping.parseRequest(buffer)
        }
        guard case .request(var request, let consumed) = parsed else {
            if case .invalid(let why) = parsed { tracer?(id, .note("bad HTTP/1.1 request: \(why)")) }
            _ = try? stream.write(HTTP1Mapping.http1Response(status: 400, fields: [], body: Array("bad request\n".utf8), close: true))
            stream.close()
            return
        }
        // Wait for the whole Content-Length body.
        let declared = request.field("content-length").flatMap { Int($0) } ?? 0
        while request.body.count < declared {
            guard stream.waitReadable(milliseconds: 10_000), let bytes = try? stream.read(maximum: 65_536), !bytes.isEmpty else { break }
            buffer += bytes
            if case .request(let more, _) = HTTP1Mapping.parseRequest(buffer) { request = more }
        }
        if let settings = request.h2cUpgradeSettings {
            let (fields, _) = HTTP1Mapping.headers(for: request, scheme: "http")
            do {
                let events = try connection.acceptUpgrade(request: fields, body: request.body, http2Settings: settings)
                tracer?(id, .note("HTTP/1.1 \(request.method) \(request.target) upgraded to h2c: it is stream 1"))
                try stream.write(HTTP1Mapping.switchingToH2C)
                runHTTP2(initial: Array(buffer[min(consumed, buffer.count)...]), upgradeEvents: events)
                return
            } catch {
                tracer?(id, .note("h2c upgrade refused: \(error); answering over HTTP/1.1"))
            }
        }
        tracer?(id, .note("HTTP/1.1 \(request.method) \(request.target): answered over HTTP/1.1"))
        let response = http1Answer(responder, request)
        _ = try? stream.write(HTTP1Mapping.http1Response(status: response.status, fields: response.headers, body: response.body, close: true))
        stream.close()
    }

    /// Opens HTTP/2 only to end it at once with GOAWAY (for TLS that breaks RFC 9113 §9.2).
    public func refuse(_ code: ErrorCode, reason: String) {
        connection.start()
        _ = connection.sendGoaway(code, debug: reason)
        _ = flush()
        stream.close()
    }

    /// Runs HTTP/2 until the peer closes, a connection error ends it, or a graceful shutdown completes.
    /// `initial` holds bytes already read while sniffing.
    public func runHTTP2(initial: [UInt8] = [], upgradeEvents: [Event] = []) {
        defer {
            stream.close()
            responder.closed(peer: peer)
        }
        connection.start()
        if !upgradeEvents.isEmpty { respond(to: upgradeEvents) }
        _ = try? connection.sendWindowUpdate(0, increment: Self.connectionWindowIncrement)
        guard flush() else { return }
        if !initial.isEmpty, !process(initial) { return }
        var draining = false
        var lastReceived = Self.now()
        lastWritten = lastReceived
        var incompleteSince: Double?
        while true {
            // Slowloris and idle connections (ServerLimits.idleTimeout): nothing received and nothing
            // written for too long (no preface, nothing open, or every stream waiting on the client:
            // its body, or window for ours), or a header block left incomplete.
            let now = Self.now()
            incompleteSince = connection.isReceivingHeaderBlock ? (incompleteSince ?? now) : nil
            let idle = now - max(lastReceived, lastWritten) > limits.idleTimeout
            let stalled = incompleteSince.map { now - $0 > limits.idleTimeout } ?? false
            if idle || stalled {
                let why = stalled ? "a header block left incomplete" : (connection.prefaceReceived ? "idle" : "no preface")
                tracer?(id, .note("\(why) for \(Self.seconds(limits.idleTimeout)): GOAWAY and close (idle timeout)"))
                _ = connection.sendGoaway(stalled ? .enhanceYourCalm : .noError, debug: "idle timeout")
                _ = flush()
                return
            }
            if shouldStop() && !draining {
                draining = true
                tracer?(id, .note("shutting down: GOAWAY NO_ERROR, finishing open streams"))
                _ = connection.sendGoaway(.noError, debug: "server shutting down")
                guard flush() else { return }
            }
            if draining && !connection.streams.values.contains(where: { $0.state.isActive || $0.pendingSendCount > 0 }) { return }
            guard stream.waitReadable(milliseconds: 200) else {
                trace(responder.tick(on: &connection, peer: peer), connection: id, to: tracer)
                guard flush() else { return }
                continue
            }
            guard let bytes = try? stream.read(maximum: 65_536), !bytes.isEmpty else {
                tracer?(id, .note("the client closed the connection"))
                return
            }
            lastReceived = Self.now()
            guard process(bytes) else { return }
        }
    }

    static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value)) s" : "\(value) s"
    }

    /// Feeds bytes to the engine, answers completed requests, writes what it queued. False when done.
    func process(_ bytes: [UInt8]) -> Bool {
        let events = connection.receive(bytes: bytes)
        trace(events, connection: id, to: tracer)
        respond(to: events)
        trace(responder.tick(on: &connection, peer: peer), connection: id, to: tracer)
        observer?(id, connection)
        return flush() && !connection.isClosed
    }

    /// The demo site answers every request whose END_STREAM has arrived.
    func respond(to events: [Event]) {
        trace(responder.answer(events, on: &connection, peer: peer), connection: id, to: tracer)
    }

    /// Writes everything the engine queued as one write. False if the socket failed.
    func flush() -> Bool {
        let outbound = connection.takeOutbound()
        guard !outbound.isEmpty else { return true }
        var bytes: [UInt8] = []
        for item in outbound {
            tracer?(id, .sent(item))
            switch item {
            case .preface: bytes += connectionPreface
            case .frame(let frame): FrameEncoder.encode(frame, into: &bytes)
            }
        }
        do {
            try stream.write(bytes)
            lastWritten = Self.now()
            return true
        } catch {
            tracer?(id, .note("write failed: \(error)"))
            return false
        }
    }
}

extension Substring {
    var trimmingSpaces: String { String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed()) }
}

extension ServerConnection {
    /// Serves one accepted client to the end: the TLS handshake if `tls` is given (h2 by ALPN, or
    /// HTTP/1.1, and GOAWAY INADEQUATE_SECURITY for TLS that breaks RFC 9113 §9.2), else h2c.
    /// Shared by `serve`, the panel, and the panel's demo servers.
    public static func serve(_ client: TCPSocket, id: Int, tls: TLSContext?, responder: any Responder, tracer: Tracer?,
                             limits: ServerLimits = .standard, observer: (@Sendable (Int, Connection) -> Void)? = nil,
                             capture: CaptureFile? = nil, shouldStop: @escaping @Sendable () -> Bool) {
        let address = client.peerAddress
        // A client that stops reading cannot hold the connection's thread for longer than this.
        client.setSendTimeout(seconds: limits.idleTimeout)
        guard let tls else {
            let stream: ByteStream = capture.map {
                CapturingStream(client, file: $0, clientPort: client.peerPort, serverPort: client.localPort)
            } ?? client
            let connection = ServerConnection(stream: stream, id: id, site: responder, tracer: tracer,
                                              peer: PeerInfo(connection: id, address: address), limits: limits,
                                              shouldStop: shouldStop)
            connection.observer = observer
            connection.run()
            tracer?(id, .note("connection closed"))
            return
        }
        do {
            let tap = capture.map { WireTap(file: $0, clientPort: client.peerPort, serverPort: client.localPort, isClient: false) }
            let secure = try TLSStream.accept(client, context: tls, tap: tap)
            let session = "\(secure.version) \(secure.cipher)"
            tracer?(id, .note("TLS \(session), ALPN \(secure.alpn.isEmpty ? "(none)" : secure.alpn)"))
            let connection = ServerConnection(stream: secure, id: id, site: responder, tracer: tracer,
                                              peer: PeerInfo(connection: id, address: address, tls: session),
                                              limits: limits, shouldStop: shouldStop)
            connection.observer = observer
            if secure.alpn == "h2" && !secure.meetsRFC9113 {
                connection.refuse(.inadequateSecurity, reason: "\(session) breaks RFC 9113 §9.2")
            } else if secure.alpn == "h2" {
                connection.runHTTP2()
            } else {
                connection.run()
            }
        } catch {
            tracer?(id, .note("TLS handshake failed: \(error)"))
            client.close()
        }
        tracer?(id, .note("connection closed"))
    }
}

extension HTTP1Request {
    /// The HTTP2-Settings of a request that asks to be upgraded to h2c (`Upgrade: h2c`, RFC 7540
    /// §3.2); nil for any other request.
    var h2cUpgradeSettings: String? {
        let asks = field("upgrade")?.lowercased().split(separator: ",").contains { $0.trimmingSpaces == "h2c" } ?? false
        return asks ? field("http2-settings") : nil
    }
}

/// The answer to an HTTP/1.1 request that stays HTTP/1.1: the demo site's, or 505 from a responder
/// that speaks HTTP/2 only.
func http1Answer(_ responder: any Responder, _ request: HTTP1Request) -> SiteResponse {
    let (fields, _) = HTTP1Mapping.headers(for: request, scheme: "http")
    return (responder as? DemoSite)?.respond(to: SiteRequest(headers: fields, body: request.body))
        ?? SiteResponse(status: 505, headers: [HeaderField("content-type", "text/plain")], body: Array("HTTP/2 only\n".utf8))
}
