import Testing
@testable import Engine

/// Why a server ends a connection of its own accord, and the GOAWAY each reason carries (RFC 9113
/// §6.8, §7): the rule every driver (event loops, threaded server, panel) calls instead of picking codes.
@Suite("a server's reasons to end a connection, and their GOAWAY (§6.8, §7)")
struct ServerEndingTests {
    /// reason → (error code, debug data)
    static let table: [(ServerEnding, ErrorCode, String)] = [
        (.noHandshake, .protocolError, "idle timeout"),
        (.noPreface, .protocolError, "idle timeout"),                  // §3.4: no valid preface
        (.headerBlockIncomplete, .enhanceYourCalm, "idle timeout"),    // §7: excessive load (a slowloris)
        (.notReading, .noError, "idle timeout"),
        (.idle, .noError, "idle timeout"),
        (.shuttingDown, .noError, "server shutting down"),             // §6.8: graceful
        (.makingRoom, .noError, "server full: the idlest connection makes room"),
        (.inadequateSecurity(session: "TLSv1.1 AES128-SHA"), .inadequateSecurity, "TLSv1.1 AES128-SHA breaks RFC 9113 §9.2"),  // §9.2.1
    ]

    @Test("each reason sends GOAWAY with its code and debug data, naming the last stream the peer opened")
    func goawayPerReason() {
        for (reason, code, debug) in Self.table {
            var server = handshakenServer()
            _ = sent(&server)
            let events = server.end(reason)
            #expect(events.contains(.goawaySent(lastStreamID: 0, code: code, debug: debug)), "\(reason): \(events)")
            #expect(sent(&server) == [.goaway(lastStreamID: 0, code, debug: debug)], "\(reason)")
            #expect(reason.code == code && reason.debug == debug)
        }
    }
}
