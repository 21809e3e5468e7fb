import Engine

/// Accepts further clients after a `listen` or `proxy` has its first (browsers open more than one
/// connection): supplied by the executable with the transport.
public protocol RemoteAcceptor: AnyObject, Sendable {
    /// A client that has connected since the last call (over TLS: one that chose h2), or nil at
    /// once if none has. Connections that cannot be HTTP/2 are closed; `say` tells how each went.
    func next(say: (String) -> Void) -> (peer: RemotePeer, name: String)?
    func close()
}

/// Several connections from real clients. `listen` and `proxy` go on accepting while attached; each
/// connection gets a number and a lab of its own, `connection N` makes it the one the views and
/// commands work on, and the others go on in the background: their frames wait on their wires
/// (announced at the prompt), or flow with `auto on`, each delivery marked with its connection.
/// Breakpoints stop deliveries of the current connection only.
extension Session {
    /// A connection not shown at the moment.
    struct Attachment: Sendable {
        var lab: Lab
        var remote: RemotePeer?
        var upstream: RemotePeer?
        var goneNoted: Set<Role> = []
    }

    /// What a newly accepted client becomes: the lab's client (`listen`) or one side of a relay to
    /// the server at a URL (`proxy`).
    enum AcceptMode: Sendable {
        case listen
        case proxy(url: String)
    }

    /// Closes every connection and makes `lab` with its peers the only one, connection 1; `more`
    /// accepts further clients, each made into a connection as `mode` says.
    mutating func attach(_ lab: Lab, remote: RemotePeer, upstream: RemotePeer? = nil, more: RemoteAcceptor? = nil, mode: AcceptMode = .listen) {
        accepting?.acceptor.close()
        for attachment in parked.values + [Attachment(lab: self.lab, remote: self.remote, upstream: self.upstream)] {
            attachment.remote?.close()
            attachment.upstream?.close()
        }
        parked = [:]
        connectionNumber = 1
        connectionCount = 1
        accepting = more.map { ($0, mode) }
        renderer.connection = nil
        self.remote = remote
        self.upstream = upstream
        self.lab = lab
    }

    /// "https" for an https:// URL, else "http".
    static func scheme(of url: String) -> String { url.lowercased().hasPrefix("https:") ? "https" : "http" }

    /// Whether anything real takes part: a peer of the current connection, another connection, or a
    /// listener still accepting (the REPL then calls `idle()` at the prompt).
    public var isLive: Bool { isAttached || !parked.isEmpty || accepting != nil }

    /// `connection`: the list; `connection N`: switch to N.
    mutating func connection(_ number: Int?) throws -> [String] {
        guard let number else {
            guard connectionCount > 1 || accepting != nil else {
                return ["  one connection" + (isAttached ? "" : " (the lab's own)") + ": `listen` or `proxy` accept more, each numbered"]
            }
            var lines: [String] = []
            for n in 1...connectionCount {
                let described: String?
                if n == connectionNumber {
                    described = describe(Attachment(lab: lab, remote: remote, upstream: upstream))
                } else {
                    described = parked[n].map(describe)
                }
                guard let described else { continue }
                lines.append((n == connectionNumber ? "  * " : "    ") + "\(n)".padding(4) + described)
            }
            return lines
        }
        guard number == connectionNumber || parked[number] != nil else {
            throw CommandError("no connection \(number)", hint: connectionCount > 1 ? "`connection` lists them" : "there is only connection 1")
        }
        switchTo(number)
        return ["  connection \(number): " + describe(Attachment(lab: lab, remote: remote, upstream: upstream))] + renderer.wire(lab)
    }

    func describe(_ a: Attachment) -> String {
        let client = a.lab.state.realPeer(.client)?.name ?? "our client"
        let server = a.lab.state.realPeer(.server)?.name ?? "our server"
        let waiting = a.lab.state.toServer.count + a.lab.state.toClient.count
        let closed = a.remote?.isClosed == true ? ", the client has closed it" : ""
        return "\(client) ⇄ \(server): \(a.lab.state.deliveries) deliveries, \(waiting) waiting\(closed)"
    }

    /// Makes connection `n` the current one; the current one is kept under its number.
    mutating func switchTo(_ n: Int) {
        guard n != connectionNumber, let next = parked.removeValue(forKey: n) else { return }
        parked[connectionNumber] = Attachment(lab: lab, remote: remote, upstream: upstream, goneNoted: peersGoneNoted)
        lab = next.lab
        remote = next.remote
        upstream = next.upstream
        peersGoneNoted = next.goneNoted
        connectionNumber = n
        renderer.connection = n
    }

    /// Runs `body` with connection `n` as the current one, then switches back.
    mutating func withConnection<T>(_ n: Int, _ body: (inout Session) -> T) -> T {
        let back = connectionNumber
        switchTo(n)
        defer { switchTo(back) }
        return body(&self)
    }

    /// Accepts the clients that have connected since, each a new numbered connection.
    /// The most connections a session follows at once (the current one and the parked): a
    /// browser opens a few; a client that opens them without end is refused past this, once the
    /// connections whose peers have gone are forgotten, oldest first.
    public static let maxConnections = 32

    mutating func acceptNew() -> [String] {
        guard let (acceptor, mode) = accepting else { return [] }
        var lines: [String] = []
        var refused: [String] = []
        while let (peer, name) = acceptor.next(say: { lines.append("  " + $0) }) {
            if parked.count + 1 >= Self.maxConnections {
                // Gone once its client has gone (a server leg may stay open long after, idle).
                let gone = parked.keys.sorted().first { parked[$0]?.remote?.isClosed ?? true }
                if let gone, let attachment = parked.removeValue(forKey: gone) {
                    attachment.upstream?.close()
                    lines.append("  connection \(gone) forgotten (its client had gone): a session follows at most \(Self.maxConnections)")
                } else {
                    peer.close()
                    refused.append(name)
                    continue
                }
            }
            let attachment: Attachment
            switch mode {
            case .listen:
                attachment = Attachment(lab: Lab(remoteClient: name), remote: peer)
            case .proxy(let url):
                guard let connector, let server = try? connector(url) else {
                    peer.close()
                    lines.append("  another client came from \(name), but \(url) cannot be reached: closed it")
                    continue
                }
                attachment = Attachment(lab: Lab(relaying: name, to: server.authority, scheme: Self.scheme(of: url)),
                                        remote: peer, upstream: server.peer)
            }
            connectionCount += 1
            parked[connectionCount] = attachment
            if renderer.connection == nil { renderer.connection = connectionNumber }
            lines.append("  connection \(connectionCount): another client from \(name) (browsers open more than one); "
                         + "`connection \(connectionCount)` shows it")
        }
        if !refused.isEmpty {
            // Said once per call, however many came (a client may open them without end).
            let names = Set(refused).sorted()
            let from = names.prefix(3).joined(separator: ", ") + (names.count > 3 ? " and \(names.count - 3) more" : "")
            lines.append("  refused \(refused.count) connection\(refused.count == 1 ? "" : "s") from \(from): "
                         + "\(Self.maxConnections) connections are open, the most a session follows")
        }
        return lines
    }

    /// The other connections: what their peers sent, delivered with `auto on` (each delivery marked
    /// with its connection) or announced; a peer that has gone is said once.
    mutating func serviceParked(wait: Bool = false) -> [String] {
        var lines: [String] = []
        for n in parked.keys.sorted() {
            lines += withConnection(n) { session -> [String] in
                let before = session.lab.state.toServer.count + session.lab.state.toClient.count
                session.pullFromRemote(wait: wait, milliseconds: 20)
                let arrived = session.lab.state.toServer.count + session.lab.state.toClient.count - before
                var lines: [String] = []
                if session.autoDeliver {
                    var count = 0
                    while count < session.deliveryLimit, let delivery = session.deliverWaiting() {
                        lines += session.renderer.delivery(delivery)
                        count += 1
                    }
                } else if arrived > 0 {
                    lines.append("  connection \(n): \(arrived) frame\(arrived == 1 ? "" : "s") waiting on its wire (`connection \(n)` shows them)")
                }
                for (role, peer) in session.attached where peer.isClosed && !session.peersGoneNoted.contains(role) {
                    session.peersGoneNoted.insert(role)
                    lines.append(session.closedNote(role))
                }
                return lines
            }
        }
        return lines
    }

    /// Whether a client of any connection is still there.
    var anyClientOpen: Bool {
        remote?.isClosed == false || parked.values.contains { $0.remote?.isClosed == false }
    }
}
