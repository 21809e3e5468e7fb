/// Why a server ends an HTTP/2 connection of its own accord, and the GOAWAY that says so (RFC 9113
/// §6.8: "GOAWAY ... initiate shutdown of a connection or ... signal serious error conditions").
///
/// The drivers (the event loops, the threaded server, the panel) decide *when* a connection ends, by
/// their clocks and sockets; *which* error code each reason carries is protocol, decided here, so
/// that every driver sends the same GOAWAY for the same reason.
public enum ServerEnding: Sendable, Hashable {
    /// The TLS handshake did not finish in time.
    case noHandshake
    /// The client did not send its whole connection preface (§3.4) in time: PROTOCOL_ERROR, as for
    /// a preface that is not one (§3.4: "MUST be treated as a connection error").
    case noPreface
    /// A header block was left unfinished (CONTINUATION never came, §6.10) for too long: a slowloris,
    /// ENHANCE_YOUR_CALM (§7: "the peer might be exhibiting behavior that might be generating excessive load").
    case headerBlockIncomplete
    /// The client read nothing of what was written for too long: NO_ERROR, the server merely gives up.
    case notReading
    /// Nothing moved either way for too long: NO_ERROR (§6.8, a graceful close; the client may reconnect).
    case idle
    /// The server is shutting down: NO_ERROR, open streams are finished first (§6.8).
    case shuttingDown
    /// The server is full and this was its idlest connection: NO_ERROR, nothing was lost (§6.8).
    case makingRoom
    /// The TLS session named breaks §9.2 (TLS 1.2 or later, an allowed cipher suite): INADEQUATE_SECURITY (§9.2.1, §7).
    case inadequateSecurity(session: String)

    /// The GOAWAY's error code (§7).
    public var code: ErrorCode {
        switch self {
        case .noHandshake, .noPreface: return .protocolError
        case .headerBlockIncomplete: return .enhanceYourCalm
        case .notReading, .idle, .shuttingDown, .makingRoom: return .noError
        case .inadequateSecurity: return .inadequateSecurity
        }
    }

    /// The GOAWAY's additional debug data (§6.8: opaque, for diagnostics).
    public var debug: String {
        switch self {
        case .noHandshake, .noPreface, .headerBlockIncomplete, .notReading, .idle: return "idle timeout"
        case .shuttingDown: return "server shutting down"
        case .makingRoom: return "server full: the idlest connection makes room"
        case .inadequateSecurity(let session): return "\(session) breaks RFC 9113 §9.2"
        }
    }
}

extension Connection {
    /// Ends the connection for `reason`: GOAWAY with its code and debug data (§6.8).
    @discardableResult
    public mutating func end(_ reason: ServerEnding) -> [Event] {
        sendGoaway(reason.code, debug: reason.debug)
    }
}
