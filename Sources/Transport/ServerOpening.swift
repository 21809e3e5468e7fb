import Engine

/// A server connection until HTTP/2 begins, and for good when it speaks HTTP/1.1: its first octets
/// sniffed (ConnectionPolicy.opening), HTTP/1.1 requests read (HTTP1RequestReader, RFC 9112) and
/// answered through the responder, or upgraded to h2c when one asks (RFC 7540 §3.2, the request
/// becoming stream 1). One definition for the event loops and the threaded server: octets in, what
/// to write and what happens next out; the drivers own the sockets and the clocks.
struct ServerOpening {
    /// What the driver does next.
    enum Next {
        /// Writes `write` (perhaps nothing) and reads on.
        case read(write: [UInt8])
        /// Writes `write`, then closes the connection.
        case close(write: [UInt8])
        /// Writes `write` (the upgrade's 101, or nothing), then begins HTTP/2: the engine starts,
        /// the responder answers `upgrade` (stream 1's events, for an upgrade), and `initial` (octets
        /// already read) goes to the engine.
        case http2(write: [UInt8], initial: [UInt8], upgrade: [Event])
    }

    /// When the connection opened (for the deadlines, ConnectionPolicy.http1Deadline).
    let opened: Double
    /// Whether the connection turned out to speak HTTP/1.1.
    private(set) var speaksHTTP1 = false
    /// Octets read while it was undecided.
    private var sniffed: [UInt8] = []
    private var reader = HTTP1RequestReader()

    init(opened: Double) { self.opened = opened }

    /// Octets read from the connection.
    mutating func receive<C: Collection>(_ octets: C, connection: inout Connection, responder: any Responder, peer: PeerInfo,
                                         tracer: Tracer?) -> Next where C.Element == UInt8 {
        var input: [UInt8]
        if speaksHTTP1 {
            input = Array(octets)
        } else {
            sniffed += octets
            switch ConnectionPolicy.opening(of: sniffed) {
            case .undecided: return .read(write: [])
            case .http2: return .http2(write: [], initial: sniffed, upgrade: [])
            case .http1:
                speaksHTTP1 = true
                input = sniffed
                sniffed = []
            }
        }
        let id = peer.connection
        let request: HTTP1Request
        switch reader.append(input) {
        case .incomplete: return .read(write: [])
        case .rejected(let status, let reason):
            tracer?(id, .note("HTTP/1.1 request refused with \(status): \(reason)"))
            return .close(write: HTTP1Mapping.rejection(status: status, reason: reason))
        case .request(let complete): request = complete
        }
        if let settings = request.h2cUpgradeSettings {
            let (fields, _) = HTTP1Mapping.headers(for: request, scheme: "http")
            do {
                let events = try connection.acceptUpgrade(request: fields, body: request.body, http2Settings: settings)
                tracer?(id, .note("HTTP/1.1 \(request.method) \(request.target) upgraded to h2c: it is stream 1"))
                return .http2(write: HTTP1Mapping.switchingToH2C, initial: reader.leftover, upgrade: events)
            } catch {
                tracer?(id, .note("h2c upgrade refused: \(error); answering over HTTP/1.1"))
            }
        }
        tracer?(id, .note("HTTP/1.1 \(request.method) \(request.target): answered over HTTP/1.1"))
        let response = Self.answer(request, responder: responder, peer: peer)
        return .close(write: HTTP1Mapping.http1Response(status: response.status, fields: response.headers, body: response.body, close: true))
    }

    /// The answer to an HTTP/1.1 request that stays HTTP/1.1: the responder's, or 505 from one that
    /// speaks HTTP/2 only.
    static func answer(_ request: HTTP1Request, responder: any Responder, peer: PeerInfo) -> SiteResponse {
        let (fields, _) = HTTP1Mapping.headers(for: request, scheme: "http")
        return responder.answerHTTP1(SiteRequest(headers: fields, body: request.body), peer: peer)
            ?? SiteResponse(status: 505, headers: [HeaderField("content-type", "text/plain")], body: Array("HTTP/2 only\n".utf8))
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

extension Substring {
    var trimmingSpaces: String { String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed()) }
}
