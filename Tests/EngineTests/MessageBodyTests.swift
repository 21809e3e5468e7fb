import Testing
@testable import Engine

private func drain(_ lab: inout Lab) {
    var steps = 0
    while lab.deliver() != nil { steps += 1; if steps > 10_000 { break } }
}

@Suite("Message content rules: RFC 9113 §8.1.1, RFC 9110 §6.4.1")
struct MessageBodyTests {
    /// A GET or HEAD answered by hand with `block` (no END_STREAM) and DATA `data` with END_STREAM.
    private func answered(_ method: String, block: [UInt8], data: [UInt8]) throws -> Lab {
        var lab = Lab()
        lab.configure { $0.autoRespond = false }
        drain(&lab)
        try lab.act(.client) { (c) throws(UsageError) in _ = try c.sendRequest(request(method, "/json")) }
        drain(&lab)
        lab.sendRaw(FrameEncoder.encode(Frame(streamID: 1, flags: .endHeaders, payload: .headers(block: block, priority: nil))), from: .server)
        lab.sendRaw(FrameEncoder.encode(.data(1, data, endStream: true)), from: .server)
        drain(&lab)
        return lab
    }

    private func streamErrors(_ lab: Lab) -> [ProtocolError] {
        lab.log.flatMap(\.events).compactMap { if case .protocolError(let e) = $0, !e.isConnectionError { return e } else { return nil } }
    }

    @Test("a 204 whose DATA carries octets is malformed: RST_STREAM PROTOCOL_ERROR")
    func noContentWithData() throws {
        let lab = try answered("GET", block: [0x89], data: Array("x".utf8))  // :status 204
        #expect(streamErrors(lab).map(\.code) == [.protocolError])
        #expect(lab.state.client.streams[1]?.closeReason == .resetSent)
    }

    @Test("a response to HEAD may carry a content-length with no content; empty DATA ends it")
    func headWithLength() throws {
        let lab = try answered("HEAD", block: [0x88, 0x0f, 0x0d, 0x01, 0x33], data: [])  // :status 200, content-length: 3
        #expect(streamErrors(lab).isEmpty)
        #expect(lab.state.client.streams[1]?.state == .closed && lab.state.client.streams[1]?.closeReason == .endStream)
    }

    @Test("content-length that is not the sum of the DATA is malformed (a GET's response)")
    func lengthMismatch() throws {
        let lab = try answered("GET", block: [0x88, 0x0f, 0x0d, 0x01, 0x33], data: Array("hello".utf8))
        #expect(streamErrors(lab).first?.section == "§8.1.1")
    }
}
