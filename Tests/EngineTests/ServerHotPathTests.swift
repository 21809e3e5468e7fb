import Foundation
import Testing
@testable import Engine

/// What `serve` does faster than the lab must come out the same: the demo site's fixed pages sent
/// from lists kept once, a dynamic entry's strings kept and shared, the encoder's lookups on
/// octets, and stream records moved rather than copied.
@Suite("The server's fast paths agree with the plain ones")
struct ServerHotPathTests {
    static func list(_ pairs: [(String, String)]) -> [HeaderField] { fields(pairs) }

    @Test("a GET of a fixed page is answered from the page's kept lists, and they are what the site makes",
          arguments: ["/", "/json", "/html", "/styles.css", "/html?greeting=1", "/?"])
    func fixedPageIsTheSitesAnswer(path: String) throws {
        let request = Self.list([(":method", "GET"), (":scheme", "https"), (":path", path), (":authority", "lab"), ("accept", "*/*")])
        let kept = try #require(DemoSite().staticAnswer(getting: request))
        let made = DemoSite().respond(to: SiteRequest(headers: request, body: []))
        #expect(kept.headerList == made.headerList)
        #expect(kept.body == made.body)
        // The same order of pseudo-headers, any of them first.
        let reordered = Self.list([(":path", path), (":authority", "lab"), (":method", "GET"), (":scheme", "https")])
        #expect(DemoSite().staticAnswer(getting: reordered)?.headerList == made.headerList)
    }

    /// A site with a clock and files (`serve --root`): the kept lists with Date added are what
    /// the site makes for the same request, for a file and a fixed page, and a HEAD of a file
    /// carries its fields without the body.
    @Test("a GET of a static file or a fixed page on a site with a clock is the site's answer, Date included",
          arguments: ["/notes/a.txt", "/notes/a.txt?x=1", "/html"])
    func staticAnswerWithDate(path: String) throws {
        var site = DemoSite()
        site.files = ["/notes/a.txt": StaticFile(contentType: "text/plain; charset=utf-8", body: Array("hello\n".utf8),
                                                 lastModified: 784_111_777)]
        site.date = { "Sun, 06 Nov 1994 08:49:37 GMT" }
        let request = Self.list([(":method", "GET"), (":scheme", "https"), (":path", path), (":authority", "lab")])
        let kept = try #require(site.staticAnswer(getting: request))
        let made = site.respond(to: SiteRequest(headers: request, body: []))
        #expect(kept.headerList == made.headerList)
        #expect(kept.body == made.body)
        #expect(made.headers.contains(HeaderField("date", "Sun, 06 Nov 1994 08:49:37 GMT")))
        let head = site.respond(to: SiteRequest(method: "HEAD", path: path))
        #expect(head.body.isEmpty && head.headers == made.headers)
    }

    @Test("anything but a GET of a fixed page goes to the site as a request")
    func notFixed() {
        let cases: [[(String, String)]] = [
            [(":method", "HEAD"), (":scheme", "https"), (":path", "/html")],
            [(":method", "POST"), (":scheme", "https"), (":path", "/json")],
            [(":method", "GETS"), (":scheme", "https"), (":path", "/json")],
            [(":method", "GET"), (":scheme", "https"), (":path", "/echo")],
            [(":method", "GET"), (":scheme", "https"), (":path", "/html/")],
            [(":method", "GET"), (":scheme", "https"), (":path", "/.well-known/h2/state")],
            [(":method", "GET"), (":scheme", "https"), (":path", "/styles.cs")],
            [(":method", "GET"), (":scheme", "https")],
            [(":scheme", "https"), (":path", "/html")],
            // Only the pseudo-headers at the head of the list count (§8.3).
            [(":method", "GET"), ("accept", "*/*"), (":path", "/html")],
            [],
        ]
        for pairs in cases {
            #expect(DemoSite().staticAnswer(getting: Self.list(pairs)) == nil, "\(pairs)")
        }
    }

    /// Two servers configured as `serve` configures them, fed the same octets: one answers as
    /// `serve` does (no pushes: fixed pages from their kept lists), the other through a
    /// `SiteRequest` for every request. They must write the same octets, request after request.
    @Test("a server answering fixed pages from kept lists writes the octets of one that builds each answer")
    func sameOctetsOnTheWire() throws {
        var configuration = Connection.Configuration.server
        configuration.reportsHeaderBlocks = false
        configuration.reportsProgress = false
        var fast = handshakenServer(configuration), plain = handshakenServer(configuration)
        let site = DemoSite()
        var encoder = HPACKEncoder()
        let requests: [(String, String, [(String, String)])] = [
            ("GET", "/styles.css", []), ("GET", "/styles.css", [("user-agent", "a long user agent, longer than fifteen")]),
            ("HEAD", "/html", []), ("GET", "/json?pretty", []), ("GET", "/", []), ("GET", "/missing", []),
            ("GET", "/echo", [("x-note", "hello")]), ("DELETE", "/html", []), ("GET", "/styles.css", []),
        ]
        var id: UInt32 = 1
        for (method, path, extra) in requests {
            let block = requestBlock(&encoder, path: path, method: method, extra: extra)
            let bytes = rawFrame(1, flags: 0x5, stream: id, block)  // HEADERS, END_STREAM | END_HEADERS
            let fastEvents = fast.receive(bytes: bytes)
            let plainEvents = plain.receive(bytes: bytes)
            #expect(fastEvents == plainEvents)
            _ = site.answer(fastEvents, on: &fast)
            _ = site.answer(plainEvents, on: &plain) { _ in [] }
            let fastOctets = fast.takeOutbound().flatMap(\.bytes), plainOctets = plain.takeOutbound().flatMap(\.bytes)
            #expect(!fastOctets.isEmpty)
            #expect(fastOctets == plainOctets, "\(method) \(path)")
            #expect(fast.streams[id] == plain.streams[id], "\(method) \(path)")
            id += 2
        }
        #expect(fast.encoder == plain.encoder)
    }

    /// A request's HEADERS opening a new stream is taken without a `Frame` and decoded where it
    /// lies in the read buffer (`Connection.receivePlainHeaders`) when nothing can see the
    /// difference: no play-by-play is reported. A server that reports it takes every frame the
    /// general way. Fed the same octets, the two must write the same octets and report the same
    /// outcomes, for requests that take the short path and for every frame it leaves to the other.
    @Test("a request's HEADERS taken where it lies in the read buffer is answered as through a Frame",
          arguments: 0..<12)
    func plainHeaders(scenario: Int) throws {
        var configuration = Connection.Configuration.server
        configuration.reportsHeaderBlocks = false
        configuration.reportsProgress = false
        configuration.settings = [Setting(.maxConcurrentStreams, 3)]
        var general = configuration
        general.reportsProgress = true  // every frame through `receive(_:into:)`
        configuration.encodesOutbox = true  // as `serve` runs when nothing traces
        var fast = handshakenServer(configuration), plain = handshakenServer(general)
        var encoder = HPACKEncoder()
        func headers(_ id: UInt32, flags: UInt8 = 0x5, path: String = "/styles.css", extra: [(String, String)] = []) -> [UInt8] {
            rawFrame(1, flags: flags, stream: id, requestBlock(&encoder, path: path, extra: extra))
        }
        var input: [[UInt8]] = [headers(1), headers(3, extra: [("user-agent", "h2load nghttp2/1.52.0")]), headers(5)]
        switch scenario {
        case 1: input.append(headers(3))  // a stream already used: STREAM_CLOSED, the general path
        case 2: input.append(headers(2))  // an even stream: the client may not open it (§5.1.1)
        case 3: input.append(rawFrame(1, flags: 0x5, stream: 0, [0x82]))  // stream 0 (§6.2)
        case 4: input.append(rawFrame(1, flags: 0xd, stream: 7, [0x02] + requestBlock(&encoder) + [0, 0]))  // PADDED
        case 5: input.append(rawFrame(1, flags: 0x25, stream: 7, [0, 0, 0, 0, 15] + requestBlock(&encoder)))  // PRIORITY
        case 6:  // a block in two frames: HEADERS, then CONTINUATION
            let block = requestBlock(&encoder, path: "/html")
            input.append(rawFrame(1, flags: 0x1, stream: 7, Array(block.prefix(3))) + rawFrame(9, flags: 0x4, stream: 7, Array(block.dropFirst(3))))
        case 7: input.append(headers(7, extra: [("Upper", "x")]))  // malformed (§8.2.1): RST_STREAM
        case 8: input.append(headers(7, flags: 0x4))  // no END_STREAM: the request stays open
        case 9: input.append(rawFrame(1, flags: 0x5, stream: 7, [0xff, 0xff, 0xff, 0xff]))  // a bad block: COMPRESSION_ERROR
        case 10: input.append(rawFrame(7, stream: 0, [0, 0, 0, 1, 0, 0, 0, 0]) + headers(9))  // after the client's GOAWAY
        case 11:  // over SETTINGS_MAX_CONCURRENT_STREAMS, with the first three still open
            encoder = HPACKEncoder()  // the blocks above are not sent: a table as the server's
            input = [headers(1, flags: 0x4), headers(3, flags: 0x4), headers(5, flags: 0x4), headers(7)]
        default: break
        }
        func outcomes(_ events: [Event]) -> [Event] {
            events.filter {
                switch $0 {
                case .protocolError, .streamReset, .messageComplete, .goawayReceived: return true
                default: return false
                }
            }
        }
        let site = DemoSite()
        for bytes in input {
            let fastEvents = fast.receive(bytes: bytes), plainEvents = plain.receive(bytes: bytes)
            #expect(outcomes(fastEvents) == outcomes(plainEvents), "scenario \(scenario)")
            _ = site.answer(fastEvents, on: &fast)
            _ = site.answer(plainEvents, on: &plain)
            var wire = WireQueue()
            fast.takeOutbound(into: &wire)
            #expect(WireQueueTests.drain(&wire) == plain.takeOutbound().flatMap(\.bytes), "scenario \(scenario)")
        }
        // The comparison is of the two paths: the short one was taken, the other never; and no
        // scenario ended the connection before its last frame unless it meant to.
        #expect(fast.plainHeadersTaken >= 3 && plain.plainHeadersTaken == 0)
        #expect(fast.isClosed == [1, 2, 3, 9].contains(scenario), "scenario \(scenario)")
        #expect(fast.isClosed == plain.isClosed)
        #expect(fast.highestPeerStreamID == plain.highestPeerStreamID)
        for id in Set(fast.streams.keys).union(plain.streams.keys) {
            #expect(fast.streams[id] == plain.streams[id], "stream \(id), scenario \(scenario)")
        }
    }

    @Test("the encoder writes the same octets with a report as without, for every corpus story")
    func reportedEncodingIsTheSame() throws {
        for implementation in HPACKCorpusTests.implementations {
            for file in try HPACKCorpusTests.stories(in: implementation) {
                let story = try HPACKStory.parse(Data(contentsOf: file))
                for policy in [EncoderPolicy.standard, .network] {
                    var reported = HPACKEncoder(tableSize: 256, policy: policy), plain = HPACKEncoder(tableSize: 256, policy: policy)
                    for item in story.cases {
                        var octets: [UInt8] = []
                        plain.encode(item.headers, into: &octets)
                        let block = reported.encode(item.headers)
                        #expect(block.bytes == octets, "\(implementation)/\(file.lastPathComponent) \(item.seqno ?? -1)")
                    }
                    #expect(reported == plain)
                }
            }
        }
    }

    /// Fields drawn from a small pool, so that most come back indexed from the dynamic table (the
    /// kept strings), through a small table that evicts all the time and is resized now and then.
    @Test("a dynamic entry's kept strings are the entry's, through evictions, resizes, growth and copies")
    func keptStrings() throws {
        var random = SplitMix(seed: 7541)
        let names = ["user-agent", "accept", "cookie", "x-a", "x-bb", "content-type", ":path"]
        let values = ["", "v", "a value of some length", "gzip, deflate, br", "h2load nghttp2/1.52.0", "éè", String(repeating: "z", count: 90)]
        var encoder = HPACKEncoder(tableSize: 300)
        var decoder = HPACKDecoder(tableSize: 300)
        var octetDecoder = HPACKDecoder(tableSize: 300)
        var copies: [(HPACKDecoder, HPACKEncoder)] = []
        for step in 0..<3_000 {
            if step % 250 == 0 {
                let size = [0, 64, 300, 180][Int(random.next() % 4)]
                encoder.setPeerLimit(size)
            }
            let count = 1 + Int(random.next() % 8)
            let list = (0..<count).map { _ in
                HeaderField(names[Int(random.next() % UInt64(names.count))], values[Int(random.next() % UInt64(values.count))])
            }
            let block = encoder.encode(list).bytes
            let decoded = try decoder.decode(block)
            #expect(decoded == list, "step \(step)")
            var viaOctets: [HeaderField] = []
            try block.withUnsafeBufferPointer { buffer in
                try octetDecoder.decode(buffer) { name, value in
                    viaOctets.append(HeaderField(String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self)))
                }
            }
            #expect(viaOctets == list, "step \(step)")
            #expect(decoder.table == octetDecoder.table)
            if step % 400 == 0 { copies.append((decoder, encoder)) }
        }
        // Each copy (a lab's snapshot) goes on from where it was taken, its kept strings its own.
        for (index, pair) in copies.enumerated() {
            var (copy, copyEncoder) = pair
            for n in 0..<50 {
                let list = [HeaderField(names[(index + n) % names.count], values[n % values.count]),
                            HeaderField(names[n % names.count], values[(index * 3 + n) % values.count])]
                #expect(try copy.decode(copyEncoder.encode(list).bytes) == list, "copy \(index), block \(n)")
            }
        }
    }

    @Test("octet runs compare equal exactly when they are, at every length and differing position")
    func sameOctets() {
        for length in 0...40 {
            let a = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            a.withUnsafeBufferPointer { pa in
                var b = a
                b.withUnsafeBufferPointer { #expect(DynamicTable.same(pa, $0), "length \(length)") }
                for i in 0..<length {
                    b[i] ^= 0x20
                    b.withUnsafeBufferPointer { #expect(!DynamicTable.same(pa, $0), "length \(length), octet \(i)") }
                    b[i] ^= 0x20
                }
                (a + [0]).withUnsafeBufferPointer { #expect(!DynamicTable.same(pa, $0)) }
            }
        }
    }

    /// `withStream` moves the record out for the call and back after it, however the closure
    /// returns: the change is in the table, the table holds a stand-in only during the call, and a
    /// stream with no record gets no call.
    @Test("a record changed through withStream is the changed record, in its place, after any return")
    func withStream() throws {
        var connection = Connection(role: .server)
        for id in stride(from: UInt32(1), through: 41, by: 2) { connection.streams[id] = StreamRecord(id: id, sendWindow: 100, receiveWindow: 100) }
        let seen = connection.withStream(7) { connection, record -> UInt32? in
            record.sentBodyLength = 12
            record.requestHeaders = [HeaderField(":path", "/html")]
            guard record.sentBodyLength == 0 else { return connection.streams.read(7, \.sentBodyLength).map(UInt32.init) }  // an early return
            return nil
        }
        #expect(seen == .some(.some(0)), "during the call the table holds a stand-in")
        #expect(connection.streams[7]?.sentBodyLength == 12 && connection.streams[7]?.requestHeaders == [HeaderField(":path", "/html")])
        #expect(connection.streams.count == 21)
        #expect(connection.withStream(99) { _, _ in true } == nil && !connection.streams.contains(99))
    }
}
