import Engine

/// Attaching the lab to a real peer: `connect` puts a real server in the server's place, `listen` a
/// real client in the client's. The peer's bytes become wire items on arrival (`Lab.receiveFromRemote`);
/// items delivered to it are written to it; the lab cannot act for it, and `back` is off.
extension Session {
    mutating func connect(_ url: String) throws -> [String] {
        guard let connector else { throw CommandError("connect needs the h2lab REPL (no network in lessons)") }
        let (peer, authority) = try connector(url)
        remote?.close()
        remote = peer
        lab = Lab(remoteServer: authority, scheme: url.lowercased().hasPrefix("https:") ? "https" : "http")
        return ["  connected to \(authority): our client ⇄ a real server. Frames from it wait on the wire;",
                "  `back` is off (a real server cannot be rewound). `step` to begin."] + renderer.wire(lab)
    }

    mutating func listen(_ request: ListenRequest, _ interrupted: @Sendable () -> Bool) throws -> [String] {
        guard let listener else { throw CommandError("listen needs the h2lab REPL (no network in lessons)") }
        // What the listener announces is printed at once (it says where to point a browser).
        var announced: [String] = []
        let sink = live, renderer = renderer
        let (peer, name) = try listener(request, { text in
            let lines = renderer.wrap("  " + text)
            sink?(lines)
            announced += lines
        }, interrupted)
        if sink != nil {
            liveLines += announced
            announced = []
        }
        remote?.close()
        remote = peer
        lab = Lab(remoteClient: name)
        pullFromRemote(wait: true)
        return announced + [
            "  the client from \(name) is the lab's client now; our server answers from the demo site.",
            "  Its frames wait on the wire: `step` delivers them, `auto on` lets them flow live (Ctrl-C",
            "  stops watching). `back` is off (a real client cannot be rewound); `help listen` on time-outs.",
        ] + renderer.wire(lab)
    }

    /// A real peer acts by itself: the lab cannot make it send anything.
    func ensureLocal(_ role: Role) throws {
        guard let peer = lab.state.remote, peer.role == role else { return }
        throw CommandError("the \(role) is a real peer (\(peer.name)): the lab cannot act for it",
                           hint: role == .client ? "act as our server: `server ping`, `server settings ...`" : "act as our client: `ping`, `request GET /`")
    }

    /// Delivers the next frame; one addressed to a real peer is written to it.
    mutating func deliver(from: Role? = nil) -> Delivery? {
        pullFromRemote(wait: false)
        if lab.wireIsEmpty { pullFromRemote(wait: true) }
        guard let delivery = lab.deliver(from: from) else { return nil }
        if lab.state.isRemote(delivery.item.to), let remote {
            remote.send(delivery.item.bytes)
        }
        return delivery
    }

    /// Moves bytes the real peer sent onto the wire; with `wait`, gives it a moment to answer. Once
    /// something arrives, whatever follows right behind it is taken too, so that a burst (a browser's
    /// preface, SETTINGS, WINDOW_UPDATE and first HEADERS) shows up whole.
    mutating func pullFromRemote(wait: Bool, milliseconds: Int32 = 1_000) {
        guard let remote, var bytes = remote.receive(waitMilliseconds: wait ? milliseconds : 0) else { return }
        while bytes.count < 1 << 20, let more = remote.receive(waitMilliseconds: 20) { bytes += more }
        lab.receiveFromRemote(bytes)
    }

    /// While the prompt waits for a command (the REPL calls this about ten times a second): what a
    /// real peer sent meanwhile. With `auto on` it is delivered at once, and what follows with it
    /// (until a breakpoint); otherwise it is announced and waits on the wire for `step`. Also says,
    /// once, that the peer has gone. Empty when nothing happened.
    public mutating func idle() -> [String] {
        guard let remote, let peer = lab.state.remote else { return [] }
        let waiting = lab.state.toServer.count + lab.state.toClient.count
        pullFromRemote(wait: false)
        let arrived = lab.state.toServer.count + lab.state.toClient.count - waiting
        var lines: [String] = []
        if arrived > 0 {
            if autoDeliver {
                lines = runUntilBreak([], { false })
                if lines.last == "  the wire is empty" { lines.removeLast() }
            } else {
                lines = ["  \(arrived) frame\(arrived == 1 ? "" : "s") from the \(peer.role) at \(peer.name), waiting on the wire (`step` delivers):"]
                    + renderer.wire(lab)
            }
        }
        if remote.isClosed && !peerGoneNoted {
            peerGoneNoted = true
            if !lines.contains(where: { $0.contains("closed the connection") }) { lines += peerClosedNote() }
        }
        return lines
    }

    /// Said once a real peer has closed its end.
    func peerClosedNote() -> [String] {
        guard let peer = lab.state.remote, remote?.isClosed == true else { return [] }
        return ["  the \(peer.role) at \(peer.name) closed the connection"]
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
