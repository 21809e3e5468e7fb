import Engine

/// What a driver reports for tracing: a frame in or out, or an engine event.
public enum TraceItem: Sendable {
    case received(Frame, bytes: Int)
    case sent(Outbound)
    case event(Event)
    case note(String)
}

/// Receives trace items with the connection number; nil means tracing is off (nothing is formatted).
public typealias Tracer = @Sendable (_ connection: Int, _ item: TraceItem) -> Void

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

/// What answers requests on a server connection: the demo site, the control panel, the classroom, the proxy.
public protocol Responder: Sendable {
    /// Answers the requests whose END_STREAM arrived in `events`; returns the events of sending.
    func answer(_ events: [Event], on connection: inout Connection, peer: PeerInfo) -> [Event]
    /// Called whenever the connection wakes (at least every 200 ms): continues responses that
    /// go on over time, such as server-sent events.
    func tick(on connection: inout Connection, peer: PeerInfo) -> [Event]
    /// The connection ended.
    func closed(peer: PeerInfo)
    /// The answer to a request that came over HTTP/1.1 and stays there (the servers' fallback,
    /// RFC 9112), given as its HTTP/2 form; nil for a responder that speaks HTTP/2 only (the
    /// client gets 505).
    func answerHTTP1(_ request: SiteRequest, peer: PeerInfo) -> SiteResponse?
}

extension Responder {
    public func tick(on connection: inout Connection, peer: PeerInfo) -> [Event] { [] }
    public func closed(peer: PeerInfo) {}
    public func answerHTTP1(_ request: SiteRequest, peer: PeerInfo) -> SiteResponse? { nil }
}

extension DemoSite: Responder {
    public func answer(_ events: [Event], on connection: inout Connection, peer: PeerInfo) -> [Event] {
        answer(events, on: &connection)
    }

    /// The demo site answers HTTP/1.1 as it answers HTTP/2.
    public func answerHTTP1(_ request: SiteRequest, peer: PeerInfo) -> SiteResponse? {
        respond(to: request)
    }
}
