import Engine
import Testing

/// A frame other than the awaited CONTINUATION inside a field block is a connection error of type
/// PROTOCOL_ERROR; the error cites the section whose receiver MUST applies: the one of the frame
/// that left the block open. RFC 9113 §6.2: "A HEADERS frame without the END_HEADERS flag set MUST
/// be followed by a CONTINUATION frame for the same stream. A receiver MUST treat the receipt of any
/// other type of frame or a frame on a different stream as a connection error (Section 5.4.1) of
/// type PROTOCOL_ERROR." §6.10 says the same of a CONTINUATION without END_HEADERS.
@Suite("the rule a frame inside a field block breaks (RFC 9113 §6.2, §6.10)")
struct HeaderBlockRuleTests {
    @Test("after a HEADERS without END_HEADERS: PROTOCOL_ERROR citing §6.2")
    func afterHeaders() {
        var server = handshakenServer()
        var encoder = HPACKEncoder()
        let block = requestBlock(&encoder)
        _ = server.receive(bytes: rawFrame(1, flags: 1, stream: 1, Array(block.prefix(3))) + rawFrame(6, stream: 0, [UInt8](repeating: 0, count: 8)))
        #expect(server.goawaySent?.code == .protocolError)
        #expect(server.closeReason?.contains("§6.2") == true && server.closeReason?.contains("§6.10") == false, "\(server.closeReason ?? "open")")
    }

    @Test("after a CONTINUATION without END_HEADERS: PROTOCOL_ERROR citing §6.10")
    func afterContinuation() {
        var server = handshakenServer()
        var encoder = HPACKEncoder()
        let block = requestBlock(&encoder)
        _ = server.receive(bytes: rawFrame(1, flags: 1, stream: 1, Array(block.prefix(2))) + rawFrame(9, stream: 1, Array(block.dropFirst(2).prefix(1)))
                                  + rawFrame(6, stream: 0, [UInt8](repeating: 0, count: 8)))
        #expect(server.goawaySent?.code == .protocolError)
        #expect(server.closeReason?.contains("§6.10") == true, "\(server.closeReason ?? "open")")
    }

    @Test("a CONTINUATION on another stream, after a HEADERS: §6.2 too")
    func otherStream() {
        var server = handshakenServer()
        var encoder = HPACKEncoder()
        let block = requestBlock(&encoder)
        _ = server.receive(bytes: rawFrame(1, flags: 1, stream: 1, Array(block.prefix(3))) + rawFrame(9, flags: 4, stream: 3, Array(block.dropFirst(3))))
        #expect(server.goawaySent?.code == .protocolError)
        #expect(server.closeReason?.contains("§6.2") == true, "\(server.closeReason ?? "open")")
    }
}
