/// Bytes on the wire between two endpoints: one frame (or the preface), sent but not yet delivered.
public struct WireItem: Hashable, Sendable {
    public var from: Role
    public var bytes: [UInt8]
    /// Global order in which items were put on the wire; `step` delivers the oldest first.
    public var order: Int
    /// Changes to its header block, made while it waits (`edit`, between real peers only).
    public var edits: [FieldEdit] = []

    public var to: Role { from.peer }

    /// The item decoded for display (nil if the bytes are not one well-formed frame).
    public var frame: Frame? {
        guard let item = FrameDecoder.decodeAll(bytes, expectPreface: false).items.first?.item, case .frame(let frame) = item else {
            return nil
        }
        return frame
    }

    public var isPreface: Bool { bytes == connectionPreface }

    /// "HEADERS stream 1", "preface", "SETTINGS", "raw 12 octets".
    public var summary: String {
        if isPreface { return "preface" }
        guard let header = FrameHeader(bytes), bytes.count == FrameHeader.size + header.length else { return "raw \(bytes.count) octets" }
        let ack = (header.type == .settings || header.type == .ping) && header.flags.contains(.ack) ? " ACK" : ""
        return header.streamID == 0 ? header.type.name + ack : "\(header.type.name) stream \(header.streamID)"
    }
}

/// One delivery: the item, and what the receiver did with it.
public struct Delivery: Hashable, Sendable {
    public var sequence: Int
    public var item: WireItem
    /// The receiving endpoint's events (between real peers: what H2Lab followed of both).
    public var events: [Event]
    /// What the receiver put on the wire in reply (automatic ACKs, WINDOW_UPDATEs, responses, errors).
    public var queued: [WireItem]
    /// Taken off the wire by `drop`: the receiver never saw it.
    public var dropped = false
    /// Between two real peers (`proxy`): what H2Lab forwarded and what each peer's state did.
    public var relayed: Relay.Outcome?
}

/// Everything a lab snapshot holds: both endpoints and the wire. A value: copying it is a snapshot.
public struct LabState: Sendable {
    public var client: Connection
    public var server: Connection
    /// The frames on their way each way, oldest first. Kept as a `History` (shared chunks), not an
    /// array: every delivery keeps a snapshot of the state for `back`, and an array the delivery
    /// then shortened at its front was copied whole into each one (10 000 PINGs queued at once,
    /// then delivered, held 4 GB of copies).
    public var toServer = History<WireItem>()
    public var toClient = History<WireItem>()
    public var deliveries = 0
    public var nextOrder = 0
    /// Octets both ends have put on the wire since this connection began (a bound for labs that
    /// run on a shared server: the classroom).
    public var sentOctets = 0
    /// Whether the server answers complete requests from the demo site by itself.
    public var autoRespond = true
    /// Whether the server pushes /styles.css with /html (when the client allows push).
    public var pushStylesheet = false
    /// Whether the server sends 103 (Early Hints) before /html (RFC 8297).
    public var earlyHints = false
    /// One endpoint is a real peer behind a transport (`connect` makes it the server, `listen` the
    /// client): frames delivered to it are handed to the driver to write, and its bytes arrive
    /// through `receiveFromRemote`. The lab's own connection for that role stays unused.
    public var remote: RemoteEndpoint?
    /// Both endpoints are real peers and H2Lab sits between them (`proxy`); the lab's own
    /// connections stay unused.
    public var relay: Relay?
    /// Octets from each remote peer that do not yet make a whole item.
    var remoteBuffers: [Role: [UInt8]] = [:]
    /// Whether a remote client's first 24 octets (its preface) have been put on the wire.
    var remotePrefaceTaken = false

    public func connection(_ role: Role) -> Connection { role == .client ? client : server }

    /// The `:scheme` of the in-memory lab's requests. Its wire carries the frames in the clear, as
    /// h2c with prior knowledge does (RFC 9113 §3.3), so the scheme is "http": `:scheme` names the
    /// target URI's scheme (§8.3.1), and an "https" URI is only reached over TLS (RFC 9110 §4.2.2).
    /// Over a real TLS connection (`connect https://…`) it is "https".
    public static let inMemoryScheme = "http"

    /// Whether `role` is a real peer rather than one of the lab's endpoints.
    public func isRemote(_ role: Role) -> Bool { relay != nil || remote?.role == role }

    /// Whether any endpoint is a real peer.
    public var isAttached: Bool { relay != nil || remote != nil }

    /// The real peer in `role`'s place, if it is one: its name, and the scheme it was reached over.
    public func realPeer(_ role: Role) -> RemoteEndpoint? {
        if let relay { return RemoteEndpoint(role: role, name: relay.peer(role).name, scheme: relay.scheme) }
        return remote?.role == role ? remote : nil
    }

    public func queue(to role: Role) -> History<WireItem> { role == .server ? toServer : toClient }

    /// Both queues' items in the order they were put on the wire.
    public var wireItems: [WireItem] { (Array(toServer) + Array(toClient)).sorted { $0.order < $1.order } }
}

/// A real peer in the lab: which role it plays and what to call it ("127.0.0.1:8080", "a client").
public struct RemoteEndpoint: Hashable, Sendable {
    public var role: Role
    public var name: String
    /// How it was reached ("http", "https"): the `:scheme` of requests to a real server.
    public var scheme: String

    public init(role: Role, name: String, scheme: String = "http") {
        self.role = role
        self.name = name
        self.scheme = scheme
    }
}

/// A lab: our client and our server with a wire between them, stepped one frame at a time, with a
/// snapshot before every delivery so that `back` is a lookup (DESIGN.md: state is a value). Copies
/// of a lab share their past (History.swift): keeping one costs no copy of it.
public struct Lab: Sendable {
    public private(set) var state: LabState
    /// Every delivery so far, in order.
    public private(set) var log = History<Delivery>()
    private var snapshots = History<Snapshot>()
    public var site = DemoSite()

    public init(client: Connection.Configuration = .client, server: Connection.Configuration = .server) {
        state = LabState(client: Connection(role: .client, configuration: client),
                         server: Connection(role: .server, configuration: server))
        state.client.start()
        state.server.start()
        collect(from: .server)
        collect(from: .client)
    }

    /// A lab that began as HTTP/1.1 and was upgraded to h2c (RFC 7540 §3.2): the client's request,
    /// sent with `Upgrade: h2c` and `HTTP2-Settings`, is stream 1, half-closed on both sides; the
    /// server applied the HTTP2-Settings and answers stream 1 after its SETTINGS. Both prefaces
    /// wait on the wire, the server's first.
    public init(upgrading request: [HeaderField], client: Connection.Configuration = .client,
                server: Connection.Configuration = .server) throws(UsageError) {
        state = LabState(client: Connection(role: .client, configuration: client),
                         server: Connection(role: .server, configuration: server))
        let settings = state.client.http2SettingsHeader
        _ = try state.client.startUpgraded(request: request)
        let events = try state.server.acceptUpgrade(request: request, body: [], http2Settings: settings)
        state.server.start()
        _ = respondToCompletedRequests(events)
        state.client.start()
        collect(from: .server)
        collect(from: .client)
    }

    /// A lab whose client is ours and whose server is a real peer named `peer` (e.g. "127.0.0.1:8080"),
    /// reached over `scheme`.
    public init(remoteServer peer: String, scheme: String = "http", client: Connection.Configuration = .client) {
        state = LabState(client: Connection(role: .client, configuration: client), server: Connection(role: .server))
        state.remote = RemoteEndpoint(role: .server, name: peer, scheme: scheme)
        state.autoRespond = false
        state.client.start()
        collect(from: .client)
    }

    /// A lab whose server is ours (answering from the demo site) and whose client is a real peer
    /// named `peer` (a browser, curl). Our server's SETTINGS waits on the wire from the start.
    public init(remoteClient peer: String, server: Connection.Configuration = .server) {
        state = LabState(client: Connection(role: .client), server: Connection(role: .server, configuration: server))
        state.remote = RemoteEndpoint(role: .client, name: peer)
        state.server.start()
        collect(from: .server)
    }

    /// A lab between a real client (`client`, e.g. "127.0.0.1") and a real server (`server`, e.g.
    /// "127.0.0.1:8080", reached over `scheme`), with H2Lab in the middle forwarding what is
    /// delivered (the REPL's `proxy`). The wire starts empty: both peers speak first.
    public init(relaying client: String, to server: String, scheme: String) {
        state = LabState(client: Connection(role: .client), server: Connection(role: .server))
        state.relay = Relay(client: client, server: server, scheme: scheme)
        state.autoRespond = false
    }

    /// Bytes that arrived from the remote peer (`from`, when both are remote): a client's 24-octet
    /// preface, then each complete frame, waits on the wire as one item, decoded only when it is
    /// delivered. Bytes that cannot be a preface, or a frame longer than the receiver allows, go on
    /// the wire as they are, so that the receiver answers them with the RFC's error instead of the
    /// lab waiting for octets forever.
    public mutating func receiveFromRemote(_ bytes: [UInt8], from: Role? = nil) {
        guard let role = from ?? state.remote?.role, state.isRemote(role) else { return }
        let buffer = (state.remoteBuffers[role] ?? []) + bytes
        var start = 0  // items are cut from `buffer` by moving this, not by shifting the buffer
        func take(_ count: Int) {
            sendRaw(Array(buffer[start..<(start + count)]), from: role)
            start += count
        }
        if role == .client && !state.remotePrefaceTaken {
            let count = min(buffer.count, connectionPreface.count)
            guard count == connectionPreface.count || !connectionPreface.starts(with: buffer) else {
                state.remoteBuffers[role] = buffer
                return
            }
            state.remotePrefaceTaken = true
            take(count)
        }
        // Between two real peers, the receiver's limit is its own business: frames pass whole.
        let limit = state.relay == nil ? Int(state.connection(role.peer).localSettings.maxFrameSize) : (1 << 24) - 1
        while let header = FrameHeader(buffer[start...]) {
            if header.length > limit {
                take(buffer.count - start)
            } else if buffer.count - start >= FrameHeader.size + header.length {
                take(FrameHeader.size + header.length)
            } else {
                break
            }
        }
        state.remoteBuffers[role] = Array(buffer[start...])
    }

    // MARK: Acting

    /// Runs a change on one endpoint and puts whatever it queued on the wire. Returns the items.
    @discardableResult
    public mutating func act<T>(
        _ role: Role, _ body: (inout Connection) throws(UsageError) -> T
    ) throws(UsageError) -> (result: T, queued: [WireItem]) {
        let result: T
        if role == .client { result = try body(&state.client) } else { result = try body(&state.server) }
        return (result, collect(from: role))
    }

    /// Puts arbitrary bytes on the wire from `role` (for crafted and invalid frames).
    @discardableResult
    public mutating func sendRaw(_ bytes: [UInt8], from role: Role) -> WireItem {
        let item = WireItem(from: role, bytes: bytes, order: state.nextOrder)
        state.nextOrder += 1
        state.sentOctets += bytes.count
        if role == .client { state.toServer.append(item) } else { state.toClient.append(item) }
        return item
    }

    /// Moves what an endpoint queued onto the wire, one item per frame.
    @discardableResult
    mutating func collect(from role: Role) -> [WireItem] {
        let outbound = role == .client ? state.client.takeOutbound() : state.server.takeOutbound()
        return outbound.map { sendRaw($0.bytes, from: role) }
    }

    // MARK: Stepping

    /// The item `deliver` would take next: the oldest on the wire, or the oldest from `from`.
    public func nextItem(from: Role? = nil) -> WireItem? {
        let candidates = [state.toServer.first, state.toClient.first].compactMap { $0 }
            .filter { from == nil || $0.from == from }
        return candidates.min { $0.order < $1.order }
    }

    public var wireIsEmpty: Bool { state.toServer.isEmpty && state.toClient.isEmpty }

    /// Keeps the state before a delivery for `back`, in a lab of our own only: a real peer cannot
    /// be rewound, and a snapshot per frame of a peer that sends without pause would hold a copy of
    /// every wire it left behind.
    private mutating func keepSnapshot() {
        if !state.isAttached { snapshots.append(Snapshot(state)) }
    }

    /// Delivers the next item to its receiver and returns what happened; nil if nothing waits.
    public mutating func deliver(from: Role? = nil) -> Delivery? {
        guard let item = nextItem(from: from) else { return nil }
        keepSnapshot()
        if item.from == .client { state.toServer.removeFirst(1) } else { state.toClient.removeFirst(1) }
        var events: [Event]
        var relayed: Relay.Outcome?
        if state.relay != nil {
            relayed = state.relay?.deliver(item, drop: false)
            events = relayed.map { $0.senderEvents + $0.receiverEvents } ?? []  // for breakpoints and `next`
        } else if state.isRemote(item.to) {
            events = []  // the driver writes item.bytes to the real peer
        } else if item.to == .server {
            events = state.server.receive(bytes: item.bytes)
            events += respondToCompletedRequests(events)
        } else {
            events = state.client.receive(bytes: item.bytes)
        }
        state.deliveries += 1
        var delivery = Delivery(sequence: state.deliveries, item: item, events: events, queued: collect(from: item.to))
        if item.to == .server { state.server.releaseSpareBuffers() } else { state.client.releaseSpareBuffers() }
        delivery.relayed = relayed
        log.append(delivery)
        boundAttachedLog()
        return delivery
    }

    /// Takes the next item (as `deliver` would) off the wire without delivering it: the receiver
    /// never sees it. Between real peers, H2Lab still follows it on the sender's side (its HPACK
    /// context, for one). Logged like a delivery, so `back` undoes it in a lab of our own.
    public mutating func drop(from: Role? = nil) -> Delivery? {
        nextItem(from: from).flatMap { drop(order: $0.order) }
    }

    /// Takes the waiting item with `order` off the wire (frames ahead of it stay), as `drop(from:)`.
    public mutating func drop(order: Int) -> Delivery? {
        guard let item = state.toServer.first(where: { $0.order == order }) ?? state.toClient.first(where: { $0.order == order }) else {
            return nil
        }
        keepSnapshot()
        if item.from == .client { state.toServer.removeAll { $0.order == order } } else { state.toClient.removeAll { $0.order == order } }
        state.deliveries += 1
        let relayed = state.relay?.deliver(item, drop: true)
        var delivery = Delivery(sequence: state.deliveries, item: item, events: relayed.map { $0.senderEvents + $0.receiverEvents } ?? [],
                                queued: [], dropped: true)
        delivery.relayed = relayed
        log.append(delivery)
        boundAttachedLog()
        return delivery
    }

    /// Changes the header block of the waiting item with `order` before it is forwarded.
    public mutating func edit(order: Int, _ edits: [FieldEdit]) {
        if let i = state.toServer.firstIndex(where: { $0.order == order }) { state.toServer.update(at: i) { $0.edits += edits } }
        if let i = state.toClient.firstIndex(where: { $0.order == order }) { state.toClient.update(at: i) { $0.edits += edits } }
    }

    /// The demo site answers each request whose END_STREAM has arrived.
    mutating func respondToCompletedRequests(_ events: [Event]) -> [Event] {
        guard state.autoRespond else { return [] }
        let pushStylesheet = state.pushStylesheet
        var site = self.site
        site.earlyHints = state.earlyHints
        return site.answer(events, on: &state.server) { pushStylesheet && $0.path == "/html" ? ["/styles.css"] : [] }
    }

    /// Rewinds to the state before the last `count` deliveries. Constant time in the session length.
    /// Returns how many deliveries were undone.
    @discardableResult
    public mutating func back(_ count: Int = 1) -> Int {
        let n = min(count, snapshots.count)
        guard n > 0 else { return 0 }
        state = snapshots[snapshots.count - n].state
        snapshots.removeLast(n)
        log.removeLast(n)
        return n
    }

    public var canGoBack: Int { snapshots.count }

    /// The most deliveries a lab attached to a real peer keeps in its log (`history`, `show frame`):
    /// a peer that sends without pause, watched with `auto on`, would otherwise grow it without end.
    /// A lab of our own keeps its whole log: `back` and the lessons' `expect` read it.
    public static let attachedLogLimit = 10_000

    /// Forgets the oldest deliveries of an attached lab's log past `attachedLogLimit` (delivery
    /// numbers stay as they were: `delivery(numbered:)` finds the ones kept).
    public mutating func boundAttachedLog() {
        guard state.isAttached, log.count > Self.attachedLogLimit + Self.attachedLogLimit / 10 else { return }
        log.removeFirst(log.count - Self.attachedLogLimit)
    }

    /// Delivery number `n` (as in #4) if the log still holds it.
    public func delivery(numbered n: Int) -> Delivery? {
        guard let first = log.first?.sequence, n >= first, n - first < log.count else { return nil }
        return log[n - first]
    }

    /// Forgets all but the newest `count` snapshots, so that a lab that runs for hours (a
    /// classroom's) holds bounded memory; `back` then reaches only that far. Returns how many it
    /// forgot. Snapshots and the log stay aligned from their ends, which is all `back` needs.
    @discardableResult
    public mutating func forgetSnapshots(keeping count: Int) -> Int {
        let excess = snapshots.count - max(0, count)
        guard excess > 0 else { return 0 }
        snapshots.removeFirst(excess)
        return excess
    }

    /// A state kept for `back`, behind one reference: a `LabState` is over 2 KiB inline, and a
    /// chunk of the history copied for a lab that goes on (History.swift) copies references only.
    final class Snapshot: Sendable {
        let state: LabState
        init(_ state: LabState) { self.state = state }
    }

    /// Changes lab-wide options (auto-respond, push) without a delivery.
    public mutating func configure(_ body: (inout LabState) -> Void) { body(&state) }
}
