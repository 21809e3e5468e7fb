import COpenSSL
import CSystem
import Engine
import Foundation
import Glibc

/// HTTP/2 connections served by a thread on epoll (`serve`'s default, one loop per core): non-blocking
/// sockets, an engine per connection, and an outbound buffer per connection written as the socket allows. An
/// idle connection costs its engine's state and two buffers, not a thread. h2c (with prior
/// knowledge, or an HTTP/1.1 request upgraded to it; other HTTP/1.1 requests are answered on a
/// persistent connection, ServerOpening), or TLS (the handshake driven step by step) with ALPN h2,
/// or HTTP/1.1 over it.
public final class EventLoopServer: @unchecked Sendable {
    final class Client {
        let fd: Int32
        let id: Int
        var connection: Connection
        /// What waits to be written: frames, and the bodies DATA carries as they lie (WireQueue).
        var wire = WireQueue()
        var lastActive: Double
        var interest: UInt32 = EPOLLIN.rawValue
        /// Reading stops while this much waits to be written (a client that does not read).
        var readingPaused = false
        let opened: Double
        var lastWriteProgress: Double
        var incompleteSince: Double?
        /// Shutting down, with everything written: our side of the TCP connection is shut
        /// (FIN sent) and what the client still sends is read and dropped until it closes too, so
        /// that a close with its frames unread does not reset the connection and destroy the end
        /// of a response still in the kernel's buffers (a lingering close, as nginx does).
        var lingeringSince: Double?
        /// Closes (lingering) once everything is written: an HTTP/1.1 answer with `connection: close`.
        var closesWhenWritten = false
        /// TLS over the socket, while and after its handshake (nil for h2c).
        var tls: LoopTLS?
        /// Records the connection into the capture (`--pcap`): the octets on the socket.
        var tap: WireTap?
        /// What the connection is doing: its TLS handshake; h2c (or TLS without ALPN h2) is sniffed
        /// first (the preface, or HTTP/1.1 requests: answered, or upgraded to h2c).
        var mode = Mode.handshaking
        /// Before HTTP/2 begins, and for good on HTTP/1.1: the first octets and the requests (the
        /// threaded server's rules too).
        var opening: ServerOpening

        enum Mode { case handshaking, sniffing, http2 }

        init(fd: Int32, id: Int, connection: Connection, now: Double) {
            self.fd = fd
            self.id = id
            self.connection = connection
            lastActive = now
            opened = now
            lastWriteProgress = now
            opening = ServerOpening(opened: now)
        }

        var pending: Int { wire.count }
    }

    /// Outbound octets at which a connection's reading pauses, and below which it resumes.
    static let pauseAbove = 256 * 1024
    static let resumeBelow = 64 * 1024

    let listener: TCPSocket
    let responder: any Responder
    let limits: ServerLimits
    /// The idle rules and the sniffing of the first octets, as on the threaded server.
    let policy: ConnectionPolicy
    let tracer: Tracer?
    /// Each connection's engine configuration: with no tracer, frames are encoded as they are
    /// queued (`Connection.Configuration.encodesOutbox`), for nothing reads them as values.
    let connectionConfiguration: Connection.Configuration
    let epoll: Int32
    let tlsContext: TLSContext?
    let capture: CaptureFile?
    var clients: [Int32: Client] = [:]
    /// Connection numbers, shared by the loops of one server (c1 is the first client, whichever
    /// loop took it).
    let numbers: ConnectionNumbers
    var readBuffer = [UInt8](repeating: 0, count: 65_536)
    /// Where the pieces of one TLS record are gathered (`transmit`); the loop's own, as `readBuffer`.
    let recordBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: EventLoopServer.recordSize, alignment: 16)

    init(listener: TCPSocket, responder: any Responder, limits: ServerLimits, tracer: Tracer?,
                tls: TLSContext? = nil, capture: CaptureFile? = nil, numbers: ConnectionNumbers = ConnectionNumbers()) throws {
        self.listener = listener
        self.numbers = numbers
        self.tlsContext = tls
        self.capture = capture
        self.responder = responder
        self.limits = limits
        policy = ConnectionPolicy(limits: limits)
        self.tracer = tracer
        var configuration = limits.configuration
        configuration.encodesOutbox = tracer == nil
        connectionConfiguration = configuration
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epoll >= 0 else { throw SocketError(operation: "epoll_create1", code: errno) }
        _ = fcntl(listener.fd, F_SETFL, fcntl(listener.fd, F_GETFL) | O_NONBLOCK)
        watch(listener.fd, EPOLLIN.rawValue)
    }

    deinit {
        Glibc.close(epoll)
        recordBuffer.deallocate()
    }

    /// `count` loops, one thread each, on listeners sharing `listener`'s port (SO_REUSEPORT: the
    /// kernel spreads new connections over them). `listener` must have been made with `reusePort`.
    /// The connection limit is shared out between the loops. Returns when all have stopped.
    public static func serve(loops count: Int, listener: TCPSocket, responder: any Responder, limits: ServerLimits,
                             tracer: Tracer?, tls: TLSContext? = nil, capture: CaptureFile? = nil,
                             shouldStop: @escaping @Sendable () -> Bool) throws {
        var perLoop = limits
        perLoop.maxConnections = max(1, (limits.maxConnections + count - 1) / count)
        let numbers = ConnectionNumbers()
        var loops: [EventLoopServer] = []
        for k in 0..<max(1, count) {
            let socket = k == 0 ? listener : try TCPSocket.listen(host: listener.localAddress, port: listener.localPort, reusePort: true)
            loops.append(try EventLoopServer(listener: socket, responder: responder, limits: perLoop, tracer: tracer, tls: tls,
                                             capture: capture, numbers: numbers))
        }
        let finished = DispatchGroup()
        for loop in loops.dropFirst() {
            finished.enter()
            let thread = Thread {
                loop.run(shouldStop: shouldStop)
                finished.leave()
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        loops[0].run(shouldStop: shouldStop)
        finished.wait()
        for loop in loops.dropFirst() { loop.listener.close() }
    }

    /// Connections open now.
    public var count: Int { clients.count }

    func watch(_ fd: Int32, _ events: UInt32, modify: Bool = false) {
        var event = epoll_event()
        event.events = events
        h2lab_event_set_fd(&event, fd)
        _ = epoll_ctl(epoll, modify ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &event)
    }

    /// Runs until `shouldStop` says so. Stopping is graceful, as in the threaded server: every connection gets GOAWAY NO_ERROR, no
    /// new one is accepted, and each closes once its open streams have finished (or after the
    /// idle timeout).
    public func run(shouldStop: () -> Bool) {
        var events = [epoll_event](repeating: epoll_event(), count: 256)
        var lastSweep = ServerConnection.now()
        var drainingSince: Double?
        while true {
            if drainingSince == nil && shouldStop() {
                drainingSince = ServerConnection.now()
                beginDraining()
            }
            if let since = drainingSince, drained(since: since) { break }
            let ready = epoll_wait(epoll, &events, Int32(events.count), 200)
            if ready < 0 && errno != EINTR { break }
            for i in 0..<max(0, Int(ready)) {
                let fd = withUnsafePointer(to: &events[i]) { h2lab_event_fd($0) }
                handle(fd: fd, flags: events[i].events)
            }
            let now = ServerConnection.now()
            if now - lastSweep > 0.5 {
                lastSweep = now
                for client in Array(clients.values) { sweep(client, now: now) }
            }
        }
        for client in Array(clients.values) {
            if drainingSince == nil { client.connection.end(.shuttingDown) }
            queueOutbound(client)
            flushBlocking(client)
            close(client, note: nil)
        }
    }

    /// Stops accepting; every HTTP/2 connection gets GOAWAY NO_ERROR and finishes its open
    /// streams, any other is closed.
    private func beginDraining() {
        _ = epoll_ctl(epoll, EPOLL_CTL_DEL, listener.fd, nil)
        for client in Array(clients.values) {
            guard client.mode == .http2 else {
                close(client, note: nil)
                continue
            }
            tracer?(client.id, .note("shutting down: GOAWAY NO_ERROR, finishing open streams"))
            client.connection.end(.shuttingDown)
            queueOutbound(client)
            writeTo(client)
        }
    }

    /// While draining: closes (lingering) the connections with nothing left to send and no open
    /// stream; true once none is left or the idle timeout has passed since draining began.
    private func drained(since: Double) -> Bool {
        let now = ServerConnection.now()
        for client in Array(clients.values) where client.pending == 0 && !Self.hasOpenStreams(client) {
            if let lingering = client.lingeringSince {
                if now - lingering > Self.lingerSeconds { close(client, note: nil) }
            } else {
                lingeringClose(client)
            }
        }
        return clients.isEmpty || ServerConnection.now() - since > limits.idleTimeout
    }

    /// One ready descriptor: the listener accepts; a client hung up, finishes its TLS handshake,
    /// reads, or writes.
    private func handle(fd: Int32, flags: UInt32) {
        if fd == listener.fd {
            acceptAll()
            return
        }
        guard let client = clients[fd] else { return }
        if flags & (EPOLLERR.rawValue | EPOLLHUP.rawValue) != 0 && flags & EPOLLIN.rawValue == 0 {
            close(client, note: "the client closed the connection")
            return
        }
        if client.mode == .handshaking {
            handshake(client)
            return
        }
        if flags & EPOLLIN.rawValue != 0 { readFrom(client) }
        if flags & EPOLLOUT.rawValue != 0, clients[fd] != nil { writeTo(client) }
    }

    /// The idle rules (ConnectionPolicy, the threaded server's too): a connection past them ends,
    /// HTTP/2 with the GOAWAY the engine picks for the reason (ServerEnding).
    func sweep(_ client: Client, now: Double) {
        if let lingering = client.lingeringSince {
            if now - lingering > Self.lingerSeconds { close(client, note: nil) }
            return
        }
        if client.opening.speaksHTTP1 {
            // An answer still being written is bounded by the stall rule; then the request deadlines.
            if client.pending > 0 {
                guard let ending = policy.ending(now: now, opened: client.opened, lastActive: client.lastActive, incompleteSince: nil,
                                                 stalledWriteSince: client.lastWriteProgress, prefaceReceived: true,
                                                 handshaking: false) else { return }
                close(client, note: "HTTP/1.1: \(policy.note(ending))")
            } else if now > policy.http1Deadline(client.opening, lastWritten: client.lastWriteProgress) {
                close(client, note: policy.http1Note(client.opening))
            }
            return
        }
        guard let ending = policy.ending(
            now: now, opened: client.opened, lastActive: client.lastActive, incompleteSince: client.incompleteSince,
            stalledWriteSince: client.pending > 0 ? client.lastWriteProgress : nil,
            prefaceReceived: client.connection.prefaceReceived, handshaking: client.mode == .handshaking) else { return }
        tracer?(client.id, .note(policy.note(ending)))
        client.connection.end(ending)
        queueOutbound(client)
        flushBlocking(client)
        close(client, note: nil)
    }

    /// Our side is done, everything written: TLS's close_notify (RFC 8446 §6.1), then a FIN; what
    /// the client still sends is read and dropped until it closes too, or for `lingerSeconds`, so that
    /// a close with its octets unread does not reset the connection and destroy the end of a response
    /// still in the kernel's buffers (RFC 9112 §9.6's staged close; as nginx's lingering close).
    func lingeringClose(_ client: Client) {
        guard client.lingeringSince == nil else { return }
        client.tls?.shutdown()
        shutdown(client.fd, Int32(SHUT_WR))
        client.lingeringSince = ServerConnection.now()
        client.readingPaused = false
        updateInterest(client)
    }

    /// How long a lingering close waits for the client to close its side.
    static let lingerSeconds = 2.0

    /// Whether a connection still has streams to finish.
    static func hasOpenStreams(_ client: Client) -> Bool {
        client.connection.hasUnfinishedStreams
    }

    func acceptAll() {
        while true {
            // At the limit, the idlest connection makes room (ConnectionBudget): the new client is served.
            if clients.count >= limits.maxConnections { evictIdlest() }
            let fd = h2lab_accept_nonblocking(listener.fd)
            guard fd >= 0 else {
                // Out of descriptors (EMFILE, ENFILE) below our own limit: make room and try once more;
                // otherwise (EAGAIN: all taken) wait for the next event.
                guard errno == EMFILE || errno == ENFILE, evictIdlest() else { return }
                continue
            }
            var yes: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &yes, socklen_t(MemoryLayout<Int32>.size))
            let client = Client(fd: fd, id: numbers.next(), connection: Connection(role: .server, configuration: connectionConfiguration),
                                now: ServerConnection.now())
            clients[fd] = client
            watch(fd, EPOLLIN.rawValue)
            tracer?(client.id, .note("connection opened"))
            if let capture {
                let ports = TCPSocket.ports(of: fd)
                client.tap = WireTap(file: capture, clientPort: ports.peer, serverPort: ports.local, isClient: false)
                if tlsContext == nil { client.tap?.handshakeDone() }  // h2c: no secrets to wait for
            }
            if let tlsContext {
                guard let tls = LoopTLS(fd: fd, context: tlsContext, tap: client.tap) else {
                    close(client, note: "no TLS session")
                    continue
                }
                client.tls = tls
                handshake(client)
            } else {
                // h2c: HTTP/2 begins once the preface shows; an HTTP/1.1 request is answered.
                client.mode = .sniffing
            }
        }
    }

    /// Closes the idlest connection to make room for a new one (ConnectionBudget's rule): GOAWAY
    /// NO_ERROR first when it speaks HTTP/2 (RFC 9113 §6.8: nothing was lost, it may reconnect).
    /// False when there is none.
    @discardableResult
    func evictIdlest() -> Bool {
        guard let victim = ConnectionBudget.idlest(clients.values, rank: {
            ConnectionBudget.Rank(busy: $0.pending > 0 || Self.hasOpenStreams($0), lastActive: $0.lastActive)
        }) else { return false }
        tracer?(victim.id, .note("the idlest of \(clients.count) connections (--max-connections \(limits.maxConnections)): GOAWAY and close to serve a new one"))
        if victim.mode == .http2 {
            victim.connection.end(.makingRoom)
            queueOutbound(victim)
            flushBlocking(victim)
        }
        if clients[victim.fd] != nil { close(victim, note: nil) }
        return true
    }

    /// HTTP/2 begins: our SETTINGS (and a large connection window) go out.
    func begin(_ client: Client) {
        client.mode = .http2
        client.connection.start()
        _ = try? client.connection.sendWindowUpdate(0, increment: ServerConnection.connectionWindowIncrement)
        queueOutbound(client)
        writeTo(client)
    }

    /// One step of a TLS handshake; once done, ALPN must be h2 and the session must meet §9.2.
    func handshake(_ client: Client) {
        guard let tls = client.tls else { return }
        switch tls.handshake() {
        case .wantRead: updateInterest(client)
        case .wantWrite:
            client.interest = 0
            watch(client.fd, EPOLLIN.rawValue | EPOLLOUT.rawValue, modify: true)
        case .failed:
            close(client, note: "TLS handshake failed")
        case .done:
            client.tap?.handshakeDone()
            tracer?(client.id, .note("TLS \(tls.version) \(tls.cipher), ALPN \(tls.alpn.isEmpty ? "(none)" : tls.alpn)"))
            guard tls.alpn == "h2" else {
                // HTTP/1.1 over TLS (ALPN http/1.1, or none): sniffed and answered as on h2c.
                client.mode = .sniffing
                updateInterest(client)
                readFrom(client)  // what came with the handshake may already wait inside OpenSSL
                return
            }
            begin(client)
            if !TLSStream.isAcceptable(version: tls.version, cipher: tls.cipher) {
                client.connection.end(.inadequateSecurity(session: "\(tls.version) \(tls.cipher)"))
                queueOutbound(client)
                flushBlocking(client)
                close(client, note: nil)
            }
        }
    }

    /// Full reads one connection gets per wake-up (1 MiB with the 64 KiB buffer): a client that
    /// keeps its socket full of frames that need no answer must not keep the loop from its other
    /// connections and its idle sweep. epoll is level-triggered: what is left is reported again.
    static let readsPerWake = 16

    func readFrom(_ client: Client) {
        var reads = 0
        while clients[client.fd] != nil {
            if client.pending > Self.pauseAbove {
                client.readingPaused = true
                updateInterest(client)
                return
            }
            let n = receive(client)
            if n == -1 { break }  // nothing more for now
            guard n > 0 else {
                close(client, note: client.lingeringSince == nil ? "the client closed the connection" : nil)
                return
            }
            if client.lingeringSince != nil || client.closesWhenWritten { continue }  // closing: read and dropped
            client.lastActive = ServerConnection.now()
            let events: [Event]
            if client.mode == .http2 {
                events = client.connection.receive(bytes: readBuffer[0..<n])
            } else {
                guard let initial = open(client, readBuffer[0..<n]) else { continue }  // more to come, or answered
                events = client.connection.receive(bytes: initial)
            }
            trace(events, connection: client.id, to: tracer)
            let peer = PeerInfo(connection: client.id, address: "")
            trace(responder.answer(events, on: &client.connection, peer: peer), connection: client.id, to: tracer)
            queueOutbound(client)
            client.incompleteSince = client.connection.isReceivingHeaderBlock ? (client.incompleteSince ?? client.lastActive) : nil
            if client.connection.isClosed {
                flushBlocking(client)
                close(client, note: nil)
                return
            }
            // A short read emptied the socket: epoll (level-triggered) reports the next octets,
            // so a second read that would only say EAGAIN is saved. Over TLS, OpenSSL may hold
            // decrypted octets that epoll cannot see, so those are read until it says so.
            if client.tls == nil && n < readBuffer.count { break }
            // Its turn is over; over TLS only once OpenSSL holds nothing epoll would not report.
            reads += 1
            if reads >= Self.readsPerWake && !(client.tls?.hasPending ?? false) { break }
        }
        if clients[client.fd] != nil { writeTo(client) }
    }

    /// Before HTTP/2 begins (and for good on HTTP/1.1): the octets go to the connection's
    /// ServerOpening, and what it says is done. Returns the octets for HTTP/2 once it has begun; nil
    /// while more is needed, or when the connection was answered over HTTP/1.1 (and perhaps closed).
    func open(_ client: Client, _ bytes: ArraySlice<UInt8>) -> [UInt8]? {
        let peer = PeerInfo(connection: client.id, address: "")
        switch client.opening.receive(bytes, now: client.lastActive, policy: policy, connection: &client.connection,
                                      responder: responder, peer: peer, tracer: tracer) {
        case .read(let write):
            client.wire.append(write)
            return nil
        case .close(let write):
            // Written as the client reads it (however long the answer), then a lingering close.
            client.wire.append(write)
            client.closesWhenWritten = true
            return nil
        case .http2(let write, let initial, let upgrade):
            client.wire.append(write)
            begin(client)
            if !upgrade.isEmpty { trace(responder.answer(upgrade, on: &client.connection, peer: peer), connection: client.id, to: tracer) }
            return initial
        }
    }

    /// Octets read into `readBuffer`: the count, 0 at the end of the connection, -1 for "not now".
    func receive(_ client: Client) -> Int {
        // Lingering, what the client sends is dropped unread: over TLS too, after our close_notify.
        if let tls = client.tls, client.lingeringSince == nil { return readBuffer.withUnsafeMutableBytes { tls.read($0) } }
        while true {
            let n = readBuffer.withUnsafeMutableBytes { Glibc.read(client.fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return -1 }
            if n > 0, let tap = client.tap { tap.bytes(sent: false, Array(readBuffer[0..<n])) }
            return max(0, n)
        }
    }

    /// The most plaintext a TLS record carries (RFC 8446 §5.1, 2^14 octets): what a TLS connection
    /// gathers from its wire queue for one SSL_write (`WireQueue.withRecord`).
    static let recordSize = 16_384

    /// Pieces of the wire queue a gathered write takes at most.
    static let gatherLimit = 64

    /// Octets of `client.wire` written: the count, 0 when the connection failed, -1 for "not now".
    /// On TCP the pieces go in one gathered write (sendmsg: a body is not copied to be sent); over
    /// TLS a record's worth at a time, small pieces gathered with what follows them
    /// (`WireQueue.withRecord`), a piece of a record or more encrypted where it lies.
    func transmit(_ client: Client) -> Int {
        if let tls = client.tls { return client.wire.withRecord(size: Self.recordSize, scratch: recordBuffer, tls.write) ?? -1 }
        return client.wire.withBuffers(limit: Self.gatherLimit) { buffers in
            withUnsafeTemporaryAllocation(of: iovec.self, capacity: buffers.count) { vectors in
                for i in buffers.indices {
                    vectors[i] = iovec(iov_base: UnsafeMutableRawPointer(mutating: buffers[i].baseAddress), iov_len: buffers[i].count)
                }
                var message = msghdr()
                message.msg_iov = vectors.baseAddress
                message.msg_iovlen = buffers.count
                while true {
                    let n = sendmsg(client.fd, &message, Int32(MSG_NOSIGNAL))
                    if n < 0 && errno == EINTR { continue }
                    if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return -1 }
                    if n > 0, let tap = client.tap { tap.bytes(sent: true, Self.first(n, of: buffers)) }
                    return max(0, n)
                }
            }
        }
    }

    /// The first `count` octets of `buffers`, in one array (for the capture).
    static func first(_ count: Int, of buffers: UnsafeBufferPointer<UnsafeRawBufferPointer>) -> [UInt8] {
        var octets: [UInt8] = []
        for buffer in buffers where octets.count < count { octets += buffer.prefix(count - octets.count) }
        return octets
    }

    /// Moves what the engine queued onto the connection's wire queue: frames encoded, bodies as
    /// they lie; with a tracer, frame by frame as values, each traced.
    func queueOutbound(_ client: Client) {
        guard let tracer else { return client.connection.takeOutbound(into: &client.wire) }
        for item in client.connection.takeOutbound() {
            tracer(client.id, .sent(item))
            switch item {
            case .preface: client.wire.append(connectionPreface)
            case .frame(let frame): client.wire.append(frame: frame)
            }
        }
    }

    func writeTo(_ client: Client) {
        while !client.wire.isEmpty {
            let n = transmit(client)
            if n == -1 { break }
            guard n > 0 else {
                close(client, note: "write failed")
                return
            }
            client.wire.consume(n)
            client.lastActive = ServerConnection.now()
            client.lastWriteProgress = client.lastActive
        }
        if client.readingPaused && client.pending < Self.resumeBelow { client.readingPaused = false }
        if client.pending == 0 && client.closesWhenWritten { return lingeringClose(client) }
        updateInterest(client)
    }

    /// Reading unless paused, writing while something waits.
    func updateInterest(_ client: Client) {
        let events = (client.readingPaused ? 0 : EPOLLIN.rawValue) | (client.pending > 0 ? EPOLLOUT.rawValue : 0)
        guard events != client.interest else { return }
        client.interest = events
        watch(client.fd, events, modify: true)
    }

    /// A last write before closing (GOAWAY), bounded: whatever the socket takes at once.
    func flushBlocking(_ client: Client) {
        writeTo(client)
    }

    func close(_ client: Client, note: String?) {
        if let note { tracer?(client.id, .note(note)) }
        if client.lingeringSince == nil { client.tls?.shutdown() }
        client.tap?.close()
        _ = epoll_ctl(epoll, EPOLL_CTL_DEL, client.fd, nil)
        Glibc.close(client.fd)
        clients[client.fd] = nil
        responder.closed(peer: PeerInfo(connection: client.id, address: ""))
        tracer?(client.id, .note("connection closed"))
    }
}

/// Numbers for connections, handed out in order to the loops of one server.
final class ConnectionNumbers: @unchecked Sendable {
    private let lock = NSLock()
    private var last = 0

    func next() -> Int {
        lock.withLock {
            last += 1
            return last
        }
    }
}
