import Testing
@testable import Engine

/// A client's bounds on what a server may promise (RFC 9113 §8.4): nothing in the RFC limits how
/// many pushes a server promises (reserved streams do not count toward MAX_CONCURRENT_STREAMS,
/// §5.1.2), so the client refuses what it does not want (§8.4.2) and holds a bounded number.
@Suite("server push, bounded by the client (§8.4.2)")
struct PushBoundTests {
    /// A client that has sent its SETTINGS (and a GET on stream 1) and received the server's,
    /// which it acknowledged; `acknowledged` says whether the server acknowledged the client's.
    func client(push: Bool, acknowledged: Bool) throws -> Connection {
        var client = Connection(role: .client, configuration: .init(settings: [Setting(.enablePush, push ? 1 : 0)]))
        client.start()
        _ = try client.sendRequest(fields([(":method", "GET"), (":scheme", "https"), (":path", "/"), (":authority", "x")]))
        _ = client.receive(bytes: rawFrame(4, stream: 0, []) + (acknowledged ? rawFrame(4, flags: 1, stream: 0, []) : []))
        _ = client.takeOutbound()
        return client
    }

    @Test("a promise before the client's ENABLE_PUSH=0 is acknowledged: reserved, then CANCEL; its block kept the table in step")
    func refusedBeforeAcknowledgement() throws {
        var client = try client(push: false, acknowledged: false)
        var encoder = HPACKEncoder()
        // The promise's block adds an entry (x-path) that the response's block refers to by index:
        // had the client skipped the block, that index would name nothing (or another field).
        _ = client.receive(bytes: rawFrame(5, flags: 4, stream: 1, be32(2)
                                           + requestBlock(&encoder, path: "/promised-path", extra: [("x-path", "/promised-path")])))
        #expect(!client.isClosed)
        #expect(sent(&client) == [.rstStream(2, .cancel)])
        #expect(client.state(of: 2) == .closed)
        let response = encoder.encode([HeaderField(":status", "200"), HeaderField("x-path", "/promised-path")])
        #expect(response.fields.last?.representation == .indexed(index: 62), "the response refers to the promise's entry")
        _ = client.receive(bytes: rawFrame(1, flags: 5, stream: 1, response.bytes))
        #expect(!client.isClosed, "the table stayed in step with the server's encoder (§4.3)")
        #expect(client.streams[1]?.responseHeaders?.last == HeaderField("x-path", "/promised-path"))
    }

    @Test("a client that accepts pushes holds at most maxReservedPushes promised; the next is REFUSED_STREAM")
    func reservedBound() throws {
        var client = try client(push: true, acknowledged: true)
        var encoder = HPACKEncoder()
        let limit = Connection.maxReservedPushes
        for n in 1...limit {
            _ = client.receive(bytes: rawFrame(5, flags: 4, stream: 1, be32(UInt32(2 * n)) + requestBlock(&encoder, path: "/\(n)")))
        }
        #expect(sent(&client).isEmpty, "\(limit) promises are held")
        #expect(client.reservedPushes == limit)
        let next = UInt32(2 * (limit + 1))
        _ = client.receive(bytes: rawFrame(5, flags: 4, stream: 1, be32(next) + requestBlock(&encoder, path: "/one-more")))
        #expect(sent(&client) == [.rstStream(next, .refusedStream)])
        #expect(client.reservedPushes == limit && !client.isClosed)
        // A pushed response that begins frees a place.
        let response = encoder.encode([HeaderField(":status", "200")])
        _ = client.receive(bytes: rawFrame(1, flags: 4, stream: 2, response.bytes))
        #expect(client.reservedPushes == limit - 1)
        _ = client.receive(bytes: rawFrame(5, flags: 4, stream: 1, be32(next + 2) + requestBlock(&encoder, path: "/again")))
        #expect(sent(&client).isEmpty && client.reservedPushes == limit)
    }

    @Test("a response that completes in the same read as hundreds of refused promises keeps its record for whoever reads it")
    func resultOutlivesRefusals() throws {
        var client = try client(push: false, acknowledged: false)
        _ = try client.sendRequest(fields([(":method", "GET"), (":scheme", "https"), (":path", "/second"), (":authority", "x")]))
        var encoder = HPACKEncoder()
        var read = rawFrame(1, flags: 4, stream: 3, encoder.encode([HeaderField(":status", "200")]).bytes)
            + rawFrame(0, flags: 1, stream: 3, Array("the body".utf8))
        for n in 1...500 { read += rawFrame(5, flags: 4, stream: 1, be32(UInt32(2 * n)) + requestBlock(&encoder, path: "/\(n)")) }
        _ = client.receive(bytes: read)
        #expect(client.state(of: 3) == .closed)
        #expect(client.streams[3]?.status == "200" && client.streams[3]?.receivedBody == Array("the body".utf8))
        #expect(client.streams.count < 10, "refused promises leave no records: \(client.streams.count)")
    }

    @Test("a server that never acknowledges and promises without end: the client's streams stay bounded")
    func flood() throws {
        var client = try client(push: false, acknowledged: false)
        var encoder = HPACKEncoder()
        for n in 1...20_000 {
            _ = client.receive(bytes: rawFrame(5, flags: 4, stream: 1, be32(UInt32(2 * n)) + requestBlock(&encoder, path: "/\(n % 7)")))
            if n % 1_000 == 0 { _ = client.takeOutbound() }
        }
        #expect(!client.isClosed)
        #expect(client.streams.count <= 400, "\(client.streams.count) stream records held")
        #expect(client.state(of: 1) == .halfClosedLocal)
    }
}
