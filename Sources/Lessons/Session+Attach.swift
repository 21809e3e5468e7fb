import Engine

/// Attaching the lab to a real peer: `connect` puts a real server in the server's place, `listen` a
/// real client in the client's. The peer's bytes become wire items on arrival (`Lab.receiveFromRemote`);
/// items delivered to it are written to it; the lab cannot act for it, and `back` is off.
extension Session {
    mutating func attaching(_ command: Command, _ interrupted: @Sendable () -> Bool) throws -> [String] {
        switch command {
        case .connect(let url): return try connect(url)
        case .listen(let tls, let port, let timeout, let cert, let key):
            return try listen(ListenRequest(tls: tls, port: port ?? (tls ? 8443 : 8080), timeout: timeout, cert: cert, key: key),
                              interrupted)
        case .proxy(let url, let tls, let port, let timeout, let cert, let key):
            return try proxy(to: url, ListenRequest(tls: tls, port: port ?? (tls ? 8443 : 8080), timeout: timeout, cert: cert, key: key),
                             interrupted)
        case .drop(let from, let type):
            return renderer.delivery(try drop(from: from, type: type))
        case .edit(let stream, let edits):
            return try edit(stream: stream, edits)
        case .connection(let number):
            return try connection(number)
        default:
            throw CommandError("`\(command)` is not a command of this group")
        }
    }

    mutating func connect(_ url: String) throws -> [String] {
        guard let connector else { throw CommandError("connect needs the h2lab REPL (no network in lessons)") }
        let (peer, authority) = try connector(url)
        attach(Lab(remoteServer: authority, scheme: Self.scheme(of: url)), remote: peer)
        return ["  connected to \(authority): our client ⇄ a real server. Frames from it wait on the wire;",
                "  `back` is off (a real server cannot be rewound). `step` to begin."] + renderer.wire(lab)
    }

    /// Waits for a real client, for `listen` and `proxy`. What the listener announces is printed at
    /// once (it says where to point a browser); returns the lines not printed yet (without live output).
    mutating func acceptClient(_ request: ListenRequest, for command: String, _ interrupted: @Sendable () -> Bool) throws
        -> (peer: RemotePeer, name: String, more: RemoteAcceptor?, announced: [String]) {
        guard let listener else { throw CommandError("\(command) needs the h2lab REPL (no network in lessons)") }
        var announced: [String] = []
        let sink = live, renderer = renderer
        let (peer, name, more) = try listener(request, { text in
            let lines = renderer.wrap("  " + text)
            sink?(lines)
            announced += lines
        }, interrupted)
        if sink != nil {
            liveLines += announced
            announced = []
        }
        return (peer, name, more, announced)
    }

    mutating func listen(_ request: ListenRequest, _ interrupted: @Sendable () -> Bool) throws -> [String] {
        let (peer, name, more, announced) = try acceptClient(request, for: "listen", interrupted)
        attach(Lab(remoteClient: name), remote: peer, more: more, mode: .listen)
        pullFromRemote(wait: true)
        return announced + [
            "  the client from \(name) is the lab's client now; our server answers from the demo site.",
            "  Its frames wait on the wire: `step` delivers them, `auto on` lets them flow live (Ctrl-C",
            "  stops watching). `back` is off (a real client cannot be rewound); `help listen` on time-outs.",
        ] + renderer.wire(lab)
    }

    /// H2Lab between a real client and the real server at `url` (`proxy`): the client is accepted as
    /// `listen` accepts one, then a connection of H2Lab's own goes to the server; from then on each
    /// side's frames wait on the wire and are forwarded when delivered.
    mutating func proxy(to url: String, _ request: ListenRequest, _ interrupted: @Sendable () -> Bool) throws -> [String] {
        guard let connector else { throw CommandError("proxy needs the h2lab REPL (no network in lessons)") }
        let (client, name, more, announced) = try acceptClient(request, for: "proxy", interrupted)
        let server: (peer: RemotePeer, authority: String)
        do {
            server = try connector(url)
        } catch let error as CommandError {
            client.close()
            more?.close()
            throw CommandError("a client came from \(name), but \(url) cannot be reached (\(error.message)); closed the client",
                               hint: "is the server running? `h2lab serve --port 8080` starts one")
        }
        attach(Lab(relaying: name, to: server.authority, scheme: Self.scheme(of: url)), remote: client, upstream: server.peer,
               more: more, mode: .proxy(url: url))
        pullFromRemote(wait: true)
        return announced + [
            "  H2Lab sits between the client from \(name) and the server at \(server.authority), each leg its own",
            "  connection with its own HPACK tables. Frames from either side wait on the wire: `step` forwards",
            "  the next, `drop` discards it, `edit NAME VALUE` changes a waiting HEADERS before it goes.",
            "  `show streams|hpack|windows|settings` show both peers; `back` is off (they cannot be rewound).",
        ] + renderer.wire(lab)
    }

    /// Takes the next waiting frame (from one side, of one type) off the wire: the receiver never
    /// sees it. A real peer that has not sent that frame yet is given a moment.
    mutating func drop(from: Role?, type: FrameType?) throws -> Delivery {
        func target() -> WireItem? {
            let waiting = [lab.state.toServer, lab.state.toClient].filter { from == nil || $0.first?.from == from }
                .flatMap { $0 }.sorted { $0.order < $1.order }
            guard let type else { return waiting.first }
            return waiting.first { !$0.isPreface && FrameHeader($0.bytes)?.type == type }
        }
        pullFromRemote(wait: false)
        if lab.state.isAttached { for _ in 0..<3 where target() == nil { pullFromRemote(wait: true) } }
        let which = [from.map { "from the \($0)" }, type.map { "of type \($0.name)" }].compactMap { $0 }.joined(separator: " ")
        guard let item = target() else {
            throw CommandError(which.isEmpty ? "the wire is empty: nothing to drop" : "no frame \(which) waits on the wire",
                               hint: "`show wire` lists what waits")
        }
        // Frames ahead of it from the same side stay; a header block among them would be decoded
        // after this one, out of the order HPACK needs.
        let ahead = lab.state.queue(to: item.to).prefix { $0.order < item.order }
        if lab.state.relay != nil, ahead.contains(where: { [.headers, .pushPromise, .continuation].contains(FrameHeader($0.bytes)?.type) }) {
            throw CommandError("a header block from the \(item.from) waits before that \(item.summary): HPACK needs them in order",
                               hint: "`step \(item.from)` it first")
        }
        guard let delivery = lab.drop(order: item.order) else { throw CommandError("nothing to drop") }
        return delivery
    }

    /// Changes the header block of the oldest waiting HEADERS or PUSH_PROMISE (on `stream`, if given)
    /// before it is forwarded. Only between real peers: H2Lab encodes every forwarded block again with
    /// its own HPACK context, so a changed block costs the receiver nothing; in a lab of our own the
    /// sender's encoder has already taken the block into its table, and the tables would part.
    mutating func edit(stream: UInt32?, _ edits: [FieldEdit]) throws -> [String] {
        guard lab.state.relay != nil else {
            throw CommandError("edit changes a frame passing between two real peers: it needs `proxy`",
                               hint: "in the lab, send what you want: `request GET /json user-agent: me`, or `send headers ...`")
        }
        func target() -> WireItem? {
            lab.state.wireItems.first { item in
                guard !item.isPreface, let header = FrameHeader(item.bytes),
                      header.type == .headers || header.type == .pushPromise else { return false }
                return stream == nil || header.streamID == stream
            }
        }
        // A peer that has only just connected may not have sent its HEADERS yet: give it a moment.
        pullFromRemote(wait: false)
        for _ in 0..<3 where target() == nil { pullFromRemote(wait: true) }
        guard let item = target() else {
            throw CommandError("no HEADERS or PUSH_PROMISE waits on the wire" + (stream.map { " for stream \($0)" } ?? ""),
                               hint: "`show wire` lists what waits")
        }
        lab.edit(order: item.order, edits)
        return ["  the \(item.summary) from the \(item.from) goes to the \(item.to) with: "
                + edits.map(\.description).joined(separator: "; "),
                "  (H2Lab decodes it as sent, to keep the \(item.from)'s table, and encodes the edited fields)"]
    }

    /// A real peer acts by itself: the lab cannot make it send anything.
    func ensureLocal(_ role: Role) throws {
        guard let peer = lab.state.realPeer(role) else { return }
        if lab.state.relay != nil {
            throw CommandError("the \(role) is a real peer (\(peer.name)) and H2Lab only sits between the two",
                               hint: "`step` forwards the next frame, `drop` discards it, `edit NAME VALUE` changes a waiting HEADERS")
        }
        throw CommandError("the \(role) is a real peer (\(peer.name)): the lab cannot act for it",
                           hint: role == .client ? "act as our server: `server ping`, `server settings ...`" : "act as our client: `ping`, `request GET /`")
    }

    /// The transport of the real peer in `role`'s place.
    func transport(_ role: Role) -> RemotePeer? {
        if lab.state.relay != nil { return role == .client ? remote : upstream }
        return lab.state.remote?.role == role ? remote : nil
    }

    /// The real peers and their transports.
    var attached: [(role: Role, peer: RemotePeer)] {
        [Role.client, .server].compactMap { role in transport(role).map { (role, $0) } }
    }

    /// Whether a real peer takes part (the REPL then watches for its frames at the prompt).
    public var isAttached: Bool { !attached.isEmpty }

    /// Delivers the next frame; one addressed to a real peer is written to it (between two real
    /// peers, what H2Lab forwards: a header block encoded again).
    mutating func deliver(from: Role? = nil) -> Delivery? {
        pullFromRemote(wait: false)
        // With other connections to serve, the current one is waited on briefly.
        if lab.nextItem(from: from) == nil { pullFromRemote(wait: true, milliseconds: parked.isEmpty ? 1_000 : 100) }
        return deliverWaiting(from: from)
    }

    /// Delivers what already waits on the wire, without asking the peers for more.
    mutating func deliverWaiting(from: Role? = nil) -> Delivery? {
        guard let delivery = lab.deliver(from: from) else { return nil }
        if let peer = transport(delivery.item.to) {
            let bytes = delivery.relayed.map(\.forwarded) ?? delivery.item.bytes
            if !bytes.isEmpty { peer.send(bytes) }
        }
        return delivery
    }

    /// Moves bytes the real peers sent onto the wire; with `wait`, gives them a moment to answer.
    /// Once something arrives, whatever follows right behind it is taken too, so that a burst (a
    /// browser's preface, SETTINGS, WINDOW_UPDATE and first HEADERS) shows up whole.
    /// A peer's frames are read only while fewer than this many of them wait on the wire (and
    /// `wireHoldOctets` of octets): past it the socket is left unread, so that a peer sending
    /// without pause (a PING flood, an endless download nobody steps through) is held back by TCP's
    /// own flow control instead of filling this process.
    public static let wireHoldFrames = 1_024
    public static let wireHoldOctets = 4 << 20

    /// The octets one pull takes from a peer, about (its last read, of at most 64 KiB, may pass
    /// it); a browser's first burst fits many times over.
    public static let pullOctets = 256 << 10

    /// How many more octets `role`'s real peer may have read onto the wire: 0 once the frames it
    /// sent and the lab has not yet delivered reach the hold.
    func wireRoom(from role: Role) -> Int {
        let waiting = lab.state.queue(to: role.peer)
        if waiting.count >= Self.wireHoldFrames { return 0 }
        var octets = 0
        for item in waiting {
            octets += item.bytes.count
            if octets >= Self.wireHoldOctets { return 0 }
        }
        return min(Self.pullOctets, Self.wireHoldOctets - octets)
    }

    mutating func pullFromRemote(wait: Bool, milliseconds: Int32 = 1_000) {
        let peers = attached.map { (role: $0.role, peer: $0.peer, room: wireRoom(from: $0.role)) }.filter { $0.room > 0 }
        guard !peers.isEmpty else { return }
        // One peer: wait on it. Two: look at each in turn, briefly, until the time is up.
        let slice: Int32 = wait ? (peers.count == 1 ? milliseconds : 10) : 0
        var waited: Int32 = 0
        while true {
            var arrived = false
            for (role, peer, room) in peers {
                guard var bytes = peer.receive(waitMilliseconds: slice) else { continue }
                while bytes.count < room, let more = peer.receive(waitMilliseconds: 20) { bytes += more }
                lab.receiveFromRemote(bytes, from: role)
                arrived = true
            }
            waited += slice * Int32(peers.count)
            if arrived || !wait || waited >= milliseconds { return }
        }
    }

    /// While the prompt waits for a command (the REPL calls this about ten times a second): what a
    /// real peer sent meanwhile. With `auto on` it is delivered at once, and what follows with it
    /// (until a breakpoint); otherwise it is announced and waits on the wire for `step`. Also says,
    /// once, that a peer has gone. Empty when nothing happened.
    public mutating func idle() -> [String] {
        var lines = acceptNew()
        lines += idleCurrent()
        return lines + serviceParked()
    }

    /// `idle()` for the current connection.
    mutating func idleCurrent() -> [String] {
        guard isAttached else { return [] }
        let before = (lab.state.toServer.count, lab.state.toClient.count)
        pullFromRemote(wait: false)
        let arrived = [(Role.client, lab.state.toServer.count - before.0), (Role.server, lab.state.toClient.count - before.1)]
            .filter { $0.1 > 0 }
        var lines: [String] = []
        if !arrived.isEmpty {
            if autoDeliver {
                lines = runUntilBreak([], { false })
                if lines.last == "  the wire is empty" { lines.removeLast() }
            } else {
                let said = arrived.compactMap { role, count in
                    lab.state.realPeer(role).map { "\(count) frame\(count == 1 ? "" : "s") from the \(role) at \($0.name)" }
                }
                lines = ["  " + said.joined(separator: " and ") + ", waiting on the wire (`step` delivers):"] + renderer.wire(lab)
            }
        }
        for (role, peer) in attached where peer.isClosed && !peersGoneNoted.contains(role) {
            peersGoneNoted.insert(role)
            let note = closedNote(role)
            if !lines.contains(note) { lines.append(note) }
        }
        return lines
    }

    /// Said once a real peer has closed its end.
    func peerClosedNote() -> [String] {
        attached.filter { $0.peer.isClosed }.map { closedNote($0.role) }
    }

    func closedNote(_ role: Role) -> String {
        "  " + (renderer.connection.map { "connection \($0): " } ?? "") + "the \(role) at \(lab.state.realPeer(role)?.name ?? "?") closed the connection"
    }
}

extension Session {
    /// What `listen` asks the executable for: TLS (ALPN h2) or h2c, and the port (0: any free one).
    public struct ListenRequest: Hashable, Sendable {
        public var tls: Bool
        public var port: UInt16
        /// Seconds to wait for a client before giving up (nil: until Ctrl-C).
        public var timeout: Double?
        /// A certificate and key of one's own (PEM), instead of the lab's self-signed one.
        public var cert: String?
        public var key: String?
    }
}

/// A real peer behind a transport, as the lab sees it: bytes out, bytes in.
public protocol RemotePeer: AnyObject, Sendable {
    /// Whether the peer has closed the connection (or it failed).
    var isClosed: Bool { get }
    func send(_ bytes: [UInt8])
    /// Whatever has arrived, waiting up to `waitMilliseconds` for something; nil if nothing.
    func receive(waitMilliseconds: Int32) -> [UInt8]?
    func close()
}
