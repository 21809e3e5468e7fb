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

    /// The request (for a server, or a pushed stream) and the response, as header lists.
    public internal(set) var requestHeaders: [HeaderField]?
    public internal(set) var responseHeaders: [HeaderField]?
    public internal(set) var informationalHeaders: [[HeaderField]] = []
    public internal(set) var trailers: [HeaderField]?
    public internal(set) var receivedBody: [UInt8] = []
    public internal(set) var receivedBodyLength = 0
    public internal(set) var sentBodyLength = 0
    /// content-length of the message being received, checked against DATA (§8.1.1).
    var expectedContentLength: Int?
    /// Whether the received message is a response to HEAD (no body expected, whatever content-length).
    var isResponseToHead = false

    /// Body octets waiting for flow-control credit, and whether END_STREAM follows them.
    public internal(set) var pendingSend: [UInt8] = []
    var pendingSendOffset = 0
    var pendingEndStream = false
    /// Trailers to send after the pending body.
    var pendingTrailers: [HeaderField]?

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
}
