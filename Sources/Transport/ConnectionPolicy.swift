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

    /// Whether an HTTP/1.1 connection stays open after answering `request`, the `answered`-th on it
    /// (RFC 9112 §9.3): not when the request has the "close" connection option; not for HTTP/1.0 (its
    /// "keep-alive" is not honoured here, which §9.3 allows: the connection then closes after the
    /// response); not past `keepAliveRequests`; otherwise it persists, HTTP/1.1's default.
    func persists(after request: HTTP1Request, answered: Int) -> Bool {
        let options = request.fields.filter { $0.name.lowercased() == "connection" }
            .flatMap { $0.value.split(separator: ",") }.map { HTTP1Mapping.trim(String($0)).lowercased() }
        return !options.contains("close") && request.version == "HTTP/1.1" && answered < limits.keepAliveRequests
    }

    /// When an HTTP/1.1 connection is closed whatever arrives: a request must come whole within the
    /// idle timeout of its first octets (of the connection's opening for the first: the slowloris
    /// rule), and the next must begin within `keepAliveTimeout` of the last answer.
    /// `lastWritten`: when the last answer's last octets were written, if later than it was made.
    func http1Deadline(_ opening: ServerOpening, lastWritten: Double = 0) -> Double {
        if let started = opening.requestStarted { return started + limits.idleTimeout }
        if let answered = opening.lastAnswered { return max(answered, lastWritten) + limits.keepAliveTimeout }
        return opening.opened + limits.idleTimeout
    }

    /// The trace's note when an HTTP/1.1 connection passes its deadline.
    func http1Note(_ opening: ServerOpening) -> String {
        if opening.requestStarted == nil, opening.lastAnswered != nil {
            return "no new HTTP/1.1 request within \(Self.seconds(limits.keepAliveTimeout)) of the last answer: closed (keep-alive timeout)"
        }
        return "no whole HTTP/1.1 request within \(Self.seconds(limits.idleTimeout)): closed (idle timeout)"
    }

    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value)) s" : "\(value) s"
    }
}
