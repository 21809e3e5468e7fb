import Engine

/// The rules a server keeps to each connection, one definition for the event loops and the threaded
/// server (and so the panel and its demo servers): what a connection's first octets say it speaks,
/// and when it has been idle too long. The drivers keep the clocks and call these; which GOAWAY each
/// ending carries is the engine's (ServerEnding).
struct ConnectionPolicy: Sendable {
    var limits: ServerLimits

    /// What a connection's first octets say it speaks.
    enum Opening: Equatable { case undecided, http2, http1 }

    /// HTTP/2 with prior knowledge if the octets are the connection preface (RFC 9113 §3.4); still
    /// undecided while they are a prefix of it; otherwise HTTP/1.1 when they begin a request (a method,
    /// or the empty lines RFC 9112 §2.2 says a server SHOULD ignore before the request line), and
    /// HTTP/2 for anything else (the engine then refuses the preface, §3.4).
    static func opening(of octets: [UInt8]) -> Opening {
        if octets.count < connectionPreface.count && connectionPreface.starts(with: octets) { return .undecided }
        if octets.starts(with: connectionPreface) { return .http2 }
        let http1 = octets.first == 0x0d || octets.first == 0x0a || FrameDecoder.isHTTP1RequestStart(octets[...])
        return http1 ? .http1 : .http2
    }

    /// The idle rules of an HTTP/2 connection (or one still in its TLS handshake or before its
    /// preface): why it must end now, or nil. A connection that has not sent its whole preface (or
    /// finished its TLS handshake) `idleTimeout` after it opened, however it dribbles; a header block
    /// left incomplete that long (a slowloris); octets waiting to be written with no progress that
    /// long (a client that does not read); or nothing moving either way.
    func ending(now: Double, opened: Double, lastActive: Double, incompleteSince: Double?, stalledWriteSince: Double?,
                prefaceReceived: Bool, handshaking: Bool) -> ServerEnding? {
        let timeout = limits.idleTimeout
        if !prefaceReceived && now - opened > timeout { return handshaking ? .noHandshake : .noPreface }
        if let since = incompleteSince, now - since > timeout { return .headerBlockIncomplete }
        if let since = stalledWriteSince, now - since > timeout { return .notReading }
        if now - lastActive > timeout { return .idle }
        return nil
    }

    /// The trace's note when an idle rule ends a connection.
    func note(_ ending: ServerEnding) -> String {
        let why: String
        switch ending {
        case .noHandshake: why = "no TLS handshake"
        case .noPreface: why = "no preface"
        case .headerBlockIncomplete: why = "a header block left incomplete"
        case .notReading: why = "nothing read of what was sent"
        default: why = "idle"
        }
        return "\(why) for \(Self.seconds(limits.idleTimeout)): GOAWAY and close (idle timeout)"
    }

    /// When an HTTP/1.1 connection is closed whatever arrives: its request must come whole within
    /// the idle timeout of the connection's opening (the slowloris rule).
    func http1Deadline(_ opening: ServerOpening) -> Double {
        opening.opened + limits.idleTimeout
    }

    /// The trace's note when an HTTP/1.1 connection passes its deadline.
    func http1Note(_ opening: ServerOpening) -> String {
        "no whole HTTP/1.1 request within \(Self.seconds(limits.idleTimeout)): closed (idle timeout)"
    }

    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value)) s" : "\(value) s"
    }
}
