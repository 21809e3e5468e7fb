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
    /// Connections served at once; at the limit the idlest is closed to serve a new one
    /// (ConnectionBudget). By default the descriptor limit less a reserve.
    public var maxConnections = ConnectionBudget.defaultMaxConnections()
    /// Streams a client may have open at once: SETTINGS_MAX_CONCURRENT_STREAMS, enforced from the
    /// moment it is sent, acknowledged or not (RFC 9113 §5.1.2; more are refused with REFUSED_STREAM).
    public var maxConcurrentStreams = 128
    /// The largest header list a client may send: SETTINGS_MAX_HEADER_LIST_SIZE, enforced from the
    /// moment it is sent (§6.5.2, §10.5.1; CVE-2016-6581, CVE-2024-27316).
    public var maxHeaderListSize = 65_536
    /// Octets of request bodies one connection holds at once; DATA past it is refused on its stream
    /// with ENHANCE_YOUR_CALM (§10.5). Bodies are let go as their streams close.
    public var maxBufferedBody = 16 << 20
    /// Whether the engine reports header blocks field by field (for a trace of events; off, it
    /// decodes and encodes them without the report).
    public var reportsHeaderBlocks = true
    /// Whether the engine reports the play-by-play (frames received, state and window changes):
    /// every trace needs it; a server traced by nobody leaves it out.
    public var reportsProgress = true

    public init() {}
    public static let standard = ServerLimits()

    /// The idle rules, one definition for the event loops and the threaded server: why a connection
    /// must end now (with the GOAWAY code to send), or nil. A connection that has not sent its whole
    /// preface (or finished its TLS handshake) `idleTimeout` after it opened, however it dribbles;
    /// a header block left incomplete that long (abuse: ENHANCE_YOUR_CALM); octets waiting to be
    /// written with no progress that long (a client that does not read); or nothing moving either way.
    func idleVerdict(now: Double, opened: Double, lastActive: Double, incompleteSince: Double?, stalledWriteSince: Double?,
                     prefaceReceived: Bool, handshaking: Bool) -> (why: String, code: ErrorCode)? {
        if !prefaceReceived && now - opened > idleTimeout { return (handshaking ? "no TLS handshake" : "no preface", .protocolError) }
        if let since = incompleteSince, now - since > idleTimeout { return ("a header block left incomplete", .enhanceYourCalm) }
        if let since = stalledWriteSince, now - since > idleTimeout { return ("nothing read of what was sent", .noError) }
        if now - lastActive > idleTimeout { return ("idle", .noError) }
        return nil
    }

    /// The SETTINGS a server connection sends first, under these limits.
    public var settings: [Setting] {
        [Setting(.maxConcurrentStreams, UInt32(clamping: maxConcurrentStreams)), Setting(.initialWindowSize, 1 << 20),
         Setting(.maxHeaderListSize, UInt32(clamping: maxHeaderListSize)),
         // RFC 9218 §2.1: this server ignores RFC 7540 priority signals (it schedules by the
         // `priority` field and PRIORITY_UPDATE instead); it must be in the first SETTINGS.
         Setting(.noRFC7540Priorities, 1),
         // RFC 8441 §3: extended CONNECT is offered (the WebSocket echo at /ws).
         Setting(.enableConnectProtocol, 1)]
    }

    /// A server connection's engine configuration under these limits.
    var configuration: Connection.Configuration {
        var configuration = Connection.Configuration(settings: settings, windowUpdatePolicy: .halfWindow)
        configuration.maxHeldBodyOctets = maxBufferedBody
        configuration.releasesClosedBodies = true
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
    /// Where the connection reports its activity and learns that it was evicted to make room for a
    /// new one (ConnectionBudget); nil when nobody counts the connections.
    public var ticket: ConnectionTicket?
    public private(set) var connection: Connection

    /// Given to the client at once, as browsers expect of servers: a 16 MiB connection window.
    static let connectionWindowIncrement = (1 << 24) - 65_535

    /// The SETTINGS sent first with the standard limits.
    public static var settings: [Setting] { ServerLimits.standard.settings }

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
            let left = pollMilliseconds(deadline - Self.now())
            guard left > 0, stream.waitReadable(milliseconds: left), let bytes = try? stream.read(maximum: 65_536), !bytes.isEmpty else {
                if Self.now() >= deadline { tracer?(id, .note("no request within \(Self.seconds(limits.idleTimeout)): closed (idle timeout)")) }
                stream.close()
                return
            }
            buffer += bytes
        }
        if !speaksHTTP1(buffer) {
            runHTTP2(initial: buffer)
        } else {
            runHTTP1(buffer)
        }
    }

    /// An HTTP/1.1 request: read it whole (HTTP1RequestReader: RFC 9112's framing, Host and size
    /// limits, as on the event loops), within the idle timeout, then upgrade or answer.
    func runHTTP1(_ start: [UInt8]) {
        var reader = HTTP1RequestReader()
        var outcome = reader.append(start)
        let deadline = Self.now() + limits.idleTimeout
        while case .incomplete = outcome {
            let left = pollMilliseconds(deadline - Self.now())
            guard left > 0, stream.waitReadable(milliseconds: left), let bytes = try? stream.read(maximum: 65_536), !bytes.isEmpty else {
                if Self.now() >= deadline { tracer?(id, .note("no whole HTTP/1.1 request within \(Self.seconds(limits.idleTimeout)): closed (idle timeout)")) }
                stream.close()
                return
            }
            outcome = reader.append(bytes)
        }
        let request: HTTP1Request
        switch outcome {
        case .incomplete: return
        case .rejected(let status, let reason):
            tracer?(id, .note("HTTP/1.1 request refused with \(status): \(reason)"))
            _ = try? stream.write(HTTP1Mapping.rejection(status: status, reason: reason))
            stream.close()
            return
        case .request(let complete): request = complete
        }
        if let settings = request.h2cUpgradeSettings {
            let (fields, _) = HTTP1Mapping.headers(for: request, scheme: "http")
            do {
                let events = try connection.acceptUpgrade(request: fields, body: request.body, http2Settings: settings)
                tracer?(id, .note("HTTP/1.1 \(request.method) \(request.target) upgraded to h2c: it is stream 1"))
                try stream.write(HTTP1Mapping.switchingToH2C)
                runHTTP2(initial: reader.leftover, upgradeEvents: events)
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
        let opened = lastReceived
        lastWritten = lastReceived
        var incompleteSince: Double?
        while true {
            // Slowloris and idle connections (ServerLimits.idleVerdict, the event loops' rules too);
            // writes that stall are bounded by the stream itself (the send timeout, TLSStream.timeout).
            let now = Self.now()
            incompleteSince = connection.isReceivingHeaderBlock ? (incompleteSince ?? now) : nil
            if let (why, code) = limits.idleVerdict(now: now, opened: opened, lastActive: max(lastReceived, lastWritten),
                                                    incompleteSince: incompleteSince, stalledWriteSince: nil,
                                                    prefaceReceived: connection.prefaceReceived, handshaking: false) {
                tracer?(id, .note("\(why) for \(Self.seconds(limits.idleTimeout)): GOAWAY and close (idle timeout)"))
                _ = connection.sendGoaway(code, debug: "idle timeout")
                _ = flush()
                return
            }
            if shouldStop() && !draining {
                draining = true
                tracer?(id, .note("shutting down: GOAWAY NO_ERROR, finishing open streams"))
                _ = connection.sendGoaway(.noError, debug: "server shutting down")
                guard flush() else { return }
            }
            if draining && !connection.hasUnfinishedStreams {
                lingeringClose()
                return
            }
            guard stream.waitReadable(milliseconds: 200) else {
                trace(responder.tick(on: &connection, peer: peer), connection: id, to: tracer)
                guard flush() else { return }
                continue
            }
            // Evicted (its reading side shut down, which woke this wait): GOAWAY NO_ERROR, then close.
            if let ticket, ticket.isEvicted {
                tracer?(id, .note("the idlest connection when the server was full: GOAWAY and close to serve a new one"))
                _ = connection.sendGoaway(.noError, debug: "server full: the idlest connection makes room")
                _ = flush()
                return
            }
            guard let bytes = try? stream.read(maximum: 65_536), !bytes.isEmpty else {
                tracer?(id, .note("the client closed the connection"))
                return
            }
            lastReceived = Self.now()
            guard process(bytes) else { return }
        }
    }

    /// Shutting down with everything written: our side of a plain TCP connection is shut (FIN)
    /// and what the client still sends (WINDOW_UPDATEs for the last DATA) is read and dropped until
    /// it closes too, for at most two seconds. Closing with its frames unread would make the
    /// kernel reset the connection and destroy the end of the response still in its buffers.
    func lingeringClose() {
        guard let socket = stream as? TCPSocket else { return }
        socket.shutdownWrite()
        let deadline = Self.now() + 2
        while Self.now() < deadline, socket.waitReadable(milliseconds: 200) {
            guard let bytes = try? socket.read(maximum: 65_536), !bytes.isEmpty else { return }
        }
    }

    public static func now() -> Double {
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
        ticket?.touch(busy: connection.hasUnfinishedStreams)
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
            ticket?.touch(busy: connection.hasUnfinishedStreams)
            return true
        } catch {
            tracer?(id, .note("write failed: \(error)"))
            return false
        }
    }
}

extension Connection {
    /// Whether streams are still to be finished: open, or with octets still to send.
    var hasUnfinishedStreams: Bool { streams.values.contains { $0.state.isActive || $0.pendingSendCount > 0 } }
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
                             capture: CaptureFile? = nil, ticket: ConnectionTicket? = nil,
                             shouldStop: @escaping @Sendable () -> Bool) {
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
            connection.ticket = ticket
            connection.run()
            tracer?(id, .note("connection closed"))
            return
        }
        do {
            let tap = capture.map { WireTap(file: $0, clientPort: client.peerPort, serverPort: client.localPort, isClient: false) }
            // The handshake, and later each record and each write, within the idle timeout (10 s at most for the handshake).
            let secure = try TLSStream.accept(client, context: tls, timeoutMilliseconds: pollMilliseconds(min(limits.idleTimeout, 10)), tap: tap)
            secure.timeout = limits.idleTimeout
            let session = "\(secure.version) \(secure.cipher)"
            tracer?(id, .note("TLS \(session), ALPN \(secure.alpn.isEmpty ? "(none)" : secure.alpn)"))
            let connection = ServerConnection(stream: secure, id: id, site: responder, tracer: tracer,
                                              peer: PeerInfo(connection: id, address: address, tls: session),
                                              limits: limits, shouldStop: shouldStop)
            connection.observer = observer
            connection.ticket = ticket
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

/// Whether a connection's first octets (not the HTTP/2 preface, nor a prefix of it) begin an
/// HTTP/1.1 request: a method, or the empty lines RFC 9112 §2.2 says a server SHOULD ignore before
/// the request line. Both servers sniff with it.
func speaksHTTP1(_ buffer: [UInt8]) -> Bool {
    if buffer.starts(with: connectionPreface) { return false }
    return buffer.first == 0x0d || buffer.first == 0x0a || FrameDecoder.isHTTP1RequestStart(buffer[...])
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
