import Engine
import Glibc

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
    /// The idle rules and the sniffing of the first octets, as on the event loops.
    var policy: ConnectionPolicy { ConnectionPolicy(limits: limits) }
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

    /// Serves the connection: HTTP/2 with prior knowledge if it opens with the preface; otherwise
    /// HTTP/1.1 requests, upgraded to h2c when one asks (RFC 7540 §3.2), else answered over HTTP/1.1
    /// (ServerOpening, as on the event loops), each within the deadlines of ConnectionPolicy.
    public func run() {
        var opening = ServerOpening(opened: Self.now())
        var next = ServerOpening.Next.read(write: [])
        while true {
            switch next {
            case .read(let write):
                guard write.isEmpty || (try? stream.write(write)) != nil else { return stream.close() }
            case .close(let write):
                _ = try? stream.write(write)
                return stream.close()
            case .http2(let write, let initial, let upgrade):
                guard write.isEmpty || (try? stream.write(write)) != nil else { return stream.close() }
                return runHTTP2(initial: initial, upgradeEvents: upgrade)
            }
            let deadline = opening.speaksHTTP1 ? policy.http1Deadline(opening) : opening.opened + limits.idleTimeout
            let left = pollMilliseconds(deadline - Self.now())
            guard left > 0, stream.waitReadable(milliseconds: left), let bytes = try? stream.read(maximum: 65_536), !bytes.isEmpty else {
                if Self.now() >= deadline {
                    if opening.speaksHTTP1 {
                        tracer?(id, .note(policy.http1Note(opening)))
                    } else {
                        // Not a whole preface within the idle timeout: as the event loops do (ConnectionPolicy.ending).
                        tracer?(id, .note(policy.note(.noPreface)))
                        connection.start()
                        connection.end(.noPreface)
                        _ = flush()
                    }
                }
                return stream.close()
            }
            next = opening.receive(bytes, connection: &connection, responder: responder, peer: peer, tracer: tracer)
        }
    }

    /// Opens HTTP/2 only to end it at once with GOAWAY (for TLS that breaks RFC 9113 §9.2).
    public func refuse(_ reason: ServerEnding) {
        connection.start()
        connection.end(reason)
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
            // Slowloris and idle connections (ConnectionPolicy.ending, the event loops' rules too);
            // writes that stall are bounded by the stream itself (the send timeout, TLSStream.timeout).
            let now = Self.now()
            incompleteSince = connection.isReceivingHeaderBlock ? (incompleteSince ?? now) : nil
            if let ending = policy.ending(now: now, opened: opened, lastActive: max(lastReceived, lastWritten),
                                          incompleteSince: incompleteSince, stalledWriteSince: nil,
                                          prefaceReceived: connection.prefaceReceived, handshaking: false) {
                tracer?(id, .note(policy.note(ending)))
                connection.end(ending)
                _ = flush()
                return
            }
            if shouldStop() && !draining {
                draining = true
                tracer?(id, .note("shutting down: GOAWAY NO_ERROR, finishing open streams"))
                connection.end(.shuttingDown)
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
                connection.end(.makingRoom)
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
                connection.refuse(.inadequateSecurity(session: session))
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
