import Testing
@testable import Engine

/// What one connection may hold whatever the peer does: streams within MAX_CONCURRENT_STREAMS from
/// the moment it is sent (RFC 9113 §5.1.2), and a bound on the octets of bodies held (§10.5).
@Suite("Per-connection bounds: streams before the SETTINGS ACK, held bodies")
struct StreamLimitTests {
    static func post(_ encoder: inout HPACKEncoder, _ id: UInt32, end: Bool = false) -> [UInt8] {
        rawFrame(1, flags: end ? 5 : 4, stream: id, requestBlock(&encoder, path: "/echo", method: "POST"))
    }

    @Test("a stream beyond MAX_CONCURRENT_STREAMS sent but not acknowledged → RST_STREAM REFUSED_STREAM (§5.1.2), its block decoded")
    func beforeAcknowledgement() {
        var server = handshakenServer(Connection.Configuration(settings: [Setting(.maxConcurrentStreams, 2)]), acknowledge: false)
        #expect(server.localSettings.maxConcurrentStreams == nil)  // not in force: the client has not acknowledged
        var encoder = HPACKEncoder()
        var events = server.receive(bytes: Self.post(&encoder, 1) + Self.post(&encoder, 3) + Self.post(&encoder, 5))
        #expect(sent(&server) == [.rstStream(5, .refusedStream)])
        #expect(events.contains { if case .protocolError(let e) = $0 { return e.message.hasSuffix("2 (sent, not yet acknowledged)") } else { return false } })
        // The refused block was decoded: a request that refers to its entries is served once a place is free.
        events = server.receive(bytes: rawFrame(3, stream: 1, be32(8)) + Self.post(&encoder, 7, end: true))
        #expect(events.contains(.messageComplete(stream: 7, kind: .request)) && server.closeReason == nil)
    }

    @Test("after the ACK the limit in force applies, also REFUSED_STREAM; a lower one sent later applies at once")
    func acknowledgedAndLowered() throws {
        var server = handshakenServer(Connection.Configuration(settings: [Setting(.maxConcurrentStreams, 3)]))
        #expect(server.localSettings.maxConcurrentStreams == 3)
        try server.sendSettings([Setting(.maxConcurrentStreams, 1)])
        _ = sent(&server)
        var encoder = HPACKEncoder()
        var events = server.receive(bytes: Self.post(&encoder, 1) + Self.post(&encoder, 3))
        #expect(sent(&server) == [.rstStream(3, .refusedStream)])
        // The client acknowledges: 1 is in force.
        events = server.receive(bytes: rawFrame(4, flags: 1, stream: 0, []) + Self.post(&encoder, 5))
        #expect(sent(&server) == [.rstStream(5, .refusedStream)])
        #expect(events.contains { if case .protocolError(let e) = $0 { return e.message.hasSuffix("MAX_CONCURRENT_STREAMS 1") } else { return false } })
    }

    @Test("bodies held past maxHeldBodyOctets → RST_STREAM ENHANCE_YOUR_CALM (§10.5); closed streams let theirs go")
    func heldBodies() {
        var configuration = Connection.Configuration.server
        configuration.maxHeldBodyOctets = 100
        configuration.releasesClosedBodies = true
        var server = handshakenServer(configuration)
        var encoder = HPACKEncoder()
        let site = DemoSite()
        // Three requests of 80 octets one after the other: each fits once the one before has closed.
        for id in [1, 3, 5] as [UInt32] {
            let events = server.receive(bytes: Self.post(&encoder, id) + rawFrame(0, flags: 1, stream: id, [UInt8](repeating: 0x61, count: 80)))
            _ = site.answer(events, on: &server)
            #expect(server.state(of: id) == .closed && server.streams[id]?.closeReason == .endStream)
            #expect(server.heldBodyOctets == 0 && server.streams[id]?.receivedBody == [])
        }
        _ = sent(&server)
        // Two at once: the second passes the bound.
        _ = server.receive(bytes: Self.post(&encoder, 7) + Self.post(&encoder, 9) + rawFrame(0, stream: 7, [UInt8](repeating: 0x61, count: 80))
                           + rawFrame(0, stream: 9, [UInt8](repeating: 0x61, count: 80)))
        #expect(sent(&server).contains(.rstStream(9, .enhanceYourCalm)))
        #expect(server.heldBodyOctets == 80 && server.closeReason == nil)
    }
}
