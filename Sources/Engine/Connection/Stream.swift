/// Why a stream reached "closed": it matters for what may still arrive on it (§5.1).
public enum CloseReason: String, Hashable, Sendable {
    case endStream = "END_STREAM both ways"
    case resetSent = "RST_STREAM sent"
    case resetReceived = "RST_STREAM received"
    case goaway = "beyond the peer's GOAWAY"
}

/// Everything one endpoint knows about one stream.
public struct StreamRecord: Hashable, Sendable {
    public let id: UInt32
    public internal(set) var state: StreamState = .idle
    public internal(set) var closeReason: CloseReason?
    /// How much this endpoint may still send, and how much it is prepared to receive.
    public internal(set) var sendWindow: FlowWindow
    public internal(set) var receiveWindow: FlowWindow
    /// Received flow-controlled octets not yet returned by WINDOW_UPDATE.
    public internal(set) var unacknowledgedReceived = 0

    /// The request (for a server, or a pushed stream) and the response, as header lists. Held
    /// here: every stream has them, and a box for them was an allocation and a free per stream.
    public internal(set) var requestHeaders: [HeaderField]?
    public internal(set) var responseHeaders: [HeaderField]?

    /// The lists few streams have, behind one reference (see `HeaderLists`); nil until the first is set.
    private var lists: HeaderLists?
    public internal(set) var informationalHeaders: [[HeaderField]] {
        get { lists?.informational ?? [] }
        set {
            guard lists != nil || !newValue.isEmpty else { return }  // no box made to hold nothing
            writableLists().informational = newValue
        }
    }
    public internal(set) var trailers: [HeaderField]? {
        get { lists?.trailers }
        set {
            guard lists != nil || newValue != nil else { return }
            writableLists().trailers = newValue
        }
    }
    public internal(set) var receivedBody: [UInt8] = []
    public internal(set) var receivedBodyLength = 0
    public internal(set) var sentBodyLength = 0
    /// content-length of the message being received, checked against DATA (§8.1.1).
    var expectedContentLength: Int?
    /// Whether the received message is a response to HEAD (no body expected, whatever content-length).
    var isResponseToHead = false

    /// The RFC 9218 priority the client asked for (its `priority` field, then PRIORITY_UPDATE
    /// frames; the latest wins); nil: no signal, served as the defaults (§4).
    public internal(set) var priority: Priority?

    /// The protocol an extended CONNECT asked for (its `:protocol`, RFC 8441 §4): the stream is a
    /// tunnel, its DATA the protocol's bytes.
    public internal(set) var tunnelProtocol: String?

    /// A request sent with `expect: 100-continue` whose content waits for the server's 100
    /// (Continue) or final response (RFC 9110 §10.1.1).
    public internal(set) var awaitingContinue = false

    /// Body octets waiting for flow-control credit, and whether END_STREAM follows them.
    public internal(set) var pendingSend: [UInt8] = []
    var pendingSendOffset = 0
    var pendingEndStream = false
    /// Trailers to send after the pending body.
    var pendingTrailers: [HeaderField]? {
        get { lists?.pendingTrailers }
        set {
            guard lists != nil || newValue != nil else { return }  // a reset's `dropPendingSend`, say
            writableLists().pendingTrailers = newValue
        }
    }

    /// The lists, copied first if another record shares them (copy on write).
    private mutating func writableLists() -> HeaderLists {
        if isKnownUniquelyReferenced(&lists), let lists { return lists }
        let fresh = lists.map(HeaderLists.init(copying:)) ?? HeaderLists()
        lists = fresh
        return fresh
    }

    public var pendingSendCount: Int { pendingSend.count - pendingSendOffset }

    /// A reset or refused stream sends nothing more.
    mutating func dropPendingSend() {
        pendingSend = []
        pendingSendOffset = 0
        pendingEndStream = false
        pendingTrailers = nil
    }

    init(id: UInt32, sendWindow: Int, receiveWindow: Int) {
        self.id = id
        self.sendWindow = FlowWindow(sendWindow)
        self.receiveWindow = FlowWindow(receiveWindow)
    }

    /// "GET /html" for a request, "" if unknown.
    public var requestLine: String {
        guard let request = requestHeaders else { return "" }
        let method = request.first { $0.name == ":method" }?.value ?? "?"
        let path = request.first { $0.name == ":path" }?.value ?? ""
        return "\(method) \(path)"
    }

    public var status: String? { responseHeaders?.first { $0.name == ":status" }?.value }

    /// Every status the stream carried, interim (1xx) ones first: "103 → 200" (RFC 9113 §8.1).
    public var statusChain: String? {
        let interim = informationalHeaders.compactMap { $0.first { $0.name == ":status" }?.value }
        let all = interim + (status.map { [$0] } ?? [])
        return all.isEmpty ? nil : all.joined(separator: " → ")
    }
}

/// The header lists few streams have (interim responses, trailers) behind one reference, copied
/// on write: a record copied costs one retain for them, not three. Value semantics hold: a record
/// about to change shared lists copies them first.
final class HeaderLists: Hashable, @unchecked Sendable {
    var informational: [[HeaderField]] = []
    var trailers: [HeaderField]?
    var pendingTrailers: [HeaderField]?

    init() {}

    init(copying other: HeaderLists) {
        informational = other.informational
        trailers = other.trailers
        pendingTrailers = other.pendingTrailers
    }

    static func == (a: HeaderLists, b: HeaderLists) -> Bool {
        a === b || (a.informational == b.informational && a.trailers == b.trailers && a.pendingTrailers == b.pendingTrailers)
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(informational)
        hasher.combine(trailers)
        hasher.combine(pendingTrailers)
    }
}
