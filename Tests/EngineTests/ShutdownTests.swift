import Testing
@testable import Engine

/// RFC 9113 §6.8 (GOAWAY, graceful shutdown) and §6.5.2/§6.6 (a client's ENABLE_PUSH=0).
@Suite("GOAWAY and graceful shutdown (§6.8)")
struct ShutdownTests {
    static let get = fields([(":method", "GET"), (":scheme", "http"), (":path", "/json"), (":authority", "lab")])

    @Test("graceful shutdown: GOAWAY 2^31-1 and a PING; its ACK sends GOAWAY with the real last stream (§6.8)")
    func twoGoaways() throws {
        var lab = Lab()
        while lab.deliver() != nil {}
        try lab.act(.client) { (c) throws(UsageError) in _ = try c.sendRequest(Self.get) }
        lab.deliver(from: .client)
        // Streams 3 and 5 are in flight when the server starts to shut down.
        try lab.act(.client) { (c) throws(UsageError) in _ = try c.sendRequest(Self.get); _ = try c.sendRequest(Self.get) }
        let (_, queued) = try lab.act(.server) { (s) throws(UsageError) in try s.beginGracefulShutdown() }
        #expect(queued.compactMap(\.frame) == [.goaway(lastStreamID: 0x7fff_ffff, .noError), .ping(Connection.shutdownPing)])
        while lab.deliver() != nil {}
        // Nothing was lost: 3 and 5 arrived before the client could know, and were served.
        for id: UInt32 in [1, 3, 5] { #expect(lab.state.client.streams[id]?.status == "200") }
        #expect(lab.state.server.goawaySent?.lastStreamID == 5)
        #expect(lab.state.client.goawayReceived?.lastStreamID == 5)
        #expect(!lab.state.server.shutdownPingOutstanding)
        // The first GOAWAY already forbade new streams (§6.8: "Receivers of a GOAWAY frame MUST NOT open additional streams").
        #expect(throws: UsageError.self) { try lab.act(.client) { (c) throws(UsageError) in _ = try c.sendRequest(Self.get) } }
    }

    @Test("the final GOAWAY waits for the PING's ACK, not any PING's")
    func onlyItsOwnPing() throws {
        var server = handshakenServer()
        try server.beginGracefulShutdown()
        _ = sent(&server)
        _ = server.receive(bytes: rawFrame(6, flags: 1, stream: 0, [UInt8](repeating: 7, count: 8)))
        #expect(sent(&server).isEmpty)
        #expect(server.shutdownPingOutstanding)
        #expect(throws: UsageError.self) { try server.beginGracefulShutdown() }
    }

    @Test("after GOAWAY, a late stream's field block is still decoded and its DATA counted (§6.8, §4.3)")
    func lateStreamsMinimallyProcessed() throws {
        var server = handshakenServer()
        var encoder = HPACKEncoder()
        _ = server.receive(bytes: rawFrame(1, flags: 5, stream: 1, requestBlock(&encoder, path: "/a")))
        server.sendGoaway(.noError)
        _ = sent(&server)
        let before = server.decoder.table.count
        let events = server.receive(bytes: rawFrame(1, flags: 4, stream: 3, requestBlock(&encoder, path: "/late", method: "POST"))
                                    + rawFrame(0, flags: 1, stream: 3, [UInt8](repeating: 1, count: 100)))
        #expect(!server.isClosed && sent(&server).isEmpty)
        #expect(server.decoder.table.count == before + 1)  // :path /late entered the table
        #expect(server.connectionReceiveWindow.value == 65_535 - 100)
        #expect(events.filter { if case .frameIgnored = $0 { return true } else { return false } }.count == 2)
        // The lab shows the late block field by field: it was decoded, not skipped.
        #expect(events.contains { if case .headersReceived(3, .request, _) = $0 { return true } else { return false } })
        // A stream the encoder then refers to by index still decodes: the contexts agree.
        _ = server.receive(bytes: rawFrame(1, flags: 5, stream: 5, requestBlock(&encoder, path: "/late")))
        #expect(!server.isClosed)
    }

    @Test("a second GOAWAY never raises the last stream id (§6.8)")
    func neverIncrease() throws {
        var server = handshakenServer()
        var encoder = HPACKEncoder()
        _ = server.receive(bytes: rawFrame(1, flags: 5, stream: 1, requestBlock(&encoder)))
        server.sendGoaway(.noError)
        _ = server.receive(bytes: rawFrame(1, flags: 5, stream: 3, requestBlock(&encoder)))
        _ = sent(&server)
        server.sendGoaway(.internalError)
        #expect(sent(&server).last?.payload == .goaway(lastStreamID: 1, errorCode: .internalError, debugData: []))
    }

    @Test("a client sends SETTINGS_ENABLE_PUSH=0 by default, as browsers do")
    func pushOffByDefault() {
        #expect(Connection.Configuration.client.settings.contains(Setting(.enablePush, 0)))
    }

    @Test("PUSH_PROMISE after the client's ENABLE_PUSH=0 was acknowledged: PROTOCOL_ERROR (§6.5.2, §6.6)")
    func pushAfterAcknowledgedZero() throws {
        var lab = Lab()
        while lab.deliver() != nil {}
        try lab.act(.client) { (c) throws(UsageError) in _ = try c.sendRequest(Self.get) }
        lab.deliver(from: .client)
        var encoder = HPACKEncoder()
        let promise = Frame(streamID: 1, flags: .endHeaders, payload: .pushPromise(promisedStreamID: 2, block: requestBlock(&encoder)))
        try lab.act(.server) { $0.sendUnchecked(promise) }
        while lab.deliver() != nil {}
        #expect(lab.state.client.goawaySent?.code == .protocolError)
        #expect(lab.state.client.closeReason?.contains("ENABLE_PUSH=0 was acknowledged (RFC 9113 §6.5.2)") == true)
    }
}
