/// Graceful shutdown (RFC 9113 §6.8) in two GOAWAY frames.
///
/// §6.8: "A server that is attempting to gracefully shut down a connection SHOULD send an initial
/// GOAWAY frame with the last stream identifier set to 2^31-1 and a NO_ERROR code. [...] After
/// allowing time for any in-flight stream creation (at least one round-trip time), the server MAY
/// send another GOAWAY frame with an updated last stream identifier."
///
/// How the round trip is measured is this implementation's choice (the RFC names none): a PING
/// (§6.7, "a mechanism for measuring a minimal round-trip time") sent right after the first GOAWAY.
/// Its ACK proves the peer has read the first GOAWAY, so every stream it will ever open here has
/// already arrived; the final GOAWAY then names the highest of them.
///
///     beginGracefulShutdown ──▶ GOAWAY 2^31-1 NO_ERROR, PING shutdownPing
///     PING ACK shutdownPing ──▶ GOAWAY <highest peer stream> NO_ERROR
extension Connection {
    /// The last stream id of the first GOAWAY: the largest there is, so that nothing is refused yet.
    public static let unboundedLastStreamID: UInt32 = 0x7fff_ffff
    /// The PING payload that measures the round trip: "goaway!!" in ASCII, easy to spot on the wire.
    public static let shutdownPing: UInt64 = 0x676f_6177_6179_2121

    /// Starts a graceful shutdown: GOAWAY with last stream id 2^31−1 and NO_ERROR, then a PING whose
    /// ACK sends the final GOAWAY.
    @discardableResult
    public mutating func beginGracefulShutdown(debug: String = "") throws(UsageError) -> [Event] {
        guard !isClosed else { throw UsageError("the connection is closed") }
        guard goawaySent == nil else {
            throw UsageError("this endpoint already sent GOAWAY (last stream \(goawaySent?.lastStreamID ?? 0)); a graceful shutdown starts with the first")
        }
        var events: [Event] = []
        goawaySent = (Self.unboundedLastStreamID, .noError)
        queue(.goaway(lastStreamID: Self.unboundedLastStreamID, .noError, debug: debug))
        events.append(.goawaySent(lastStreamID: Self.unboundedLastStreamID, code: .noError, debug: debug))
        queue(.ping(Self.shutdownPing))
        shutdownPingOutstanding = true
        return events
    }

    /// The PING came back: the peer has seen the first GOAWAY. The second names the highest stream
    /// the peer opened (`sendGoaway` never raises it, §6.8).
    mutating func finishGracefulShutdown(into events: inout [Event]) {
        shutdownPingOutstanding = false
        sendGoaway(.noError, debug: "", into: &events)
    }
}
