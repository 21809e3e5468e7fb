import Testing
@testable import Engine

/// A frame's bytes built by hand, so tests do not depend on the encoder being right.
func rawFrame(_ type: UInt8, flags: UInt8 = 0, stream: UInt32, _ payload: [UInt8]) -> [UInt8] {
    let n = payload.count
    return [UInt8(n >> 16 & 0xff), UInt8(n >> 8 & 0xff), UInt8(n & 0xff), type, flags,
            UInt8(stream >> 24 & 0xff), UInt8(stream >> 16 & 0xff), UInt8(stream >> 8 & 0xff), UInt8(stream & 0xff)] + payload
}

func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24 & 0xff), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)] }

@Suite("RFC 9113 §4 and §6 frame codec")
struct FrameCodecTests {
    static let samples: [Frame] = [
        .data(1, Array("hello".utf8), endStream: true),
        Frame(streamID: 3, flags: [], payload: .data(Array("padded".utf8)), padLength: 4),
        .headers(1, block: [0x82, 0x86, 0x84], endStream: true),
        Frame(streamID: 5, flags: .endHeaders, payload: .headers(block: [0x82], priority: PriorityFields(exclusive: true, dependency: 3, weight: 200)), padLength: 2),
        Frame(streamID: 7, payload: .priority(PriorityFields(exclusive: false, dependency: 1, weight: 15))),
        .rstStream(9, .cancel),
        .settings([Setting(.headerTableSize, 8192), Setting(.enablePush, 0), Setting(.initialWindowSize, 1 << 20), Setting(SettingID(0x99), 7)]),
        .settingsAck,
        Frame(streamID: 1, flags: .endHeaders, payload: .pushPromise(promisedStreamID: 2, block: [0x82, 0x87]), padLength: 1),
        .ping(0x0102_0304_0506_0708),
        .ping(42, ack: true),
        .goaway(lastStreamID: 7, .enhanceYourCalm, debug: "slow down"),
        .windowUpdate(0, increment: 1 << 30),
        Frame(streamID: 1, flags: .endHeaders, payload: .continuation(block: [0x84])),
        Frame(streamID: 3, flags: FrameFlags(rawValue: 0x42), payload: .unknown(type: 0xfa, payload: [1, 2, 3])),
    ]

    @Test("every frame type encodes and decodes to the same value")
    func roundTrip() {
        for frame in Self.samples {
            let bytes = FrameEncoder.encode(frame)
            #expect(bytes.count == 9 + frame.payloadLength)
            let (items, leftover) = FrameDecoder.decodeAll(bytes, expectPreface: false)
            #expect(leftover == 0)
            var expected = frame
            expected.flags = frame.wireFlags
            #expect(items.map(\.item) == [.frame(expected)], "\(frame.type)")
        }
    }

    @Test("the frame header layout of §4.1, byte by byte")
    func headerBytes() {
        let bytes = FrameEncoder.encode(.data(1, Array("hi".utf8), endStream: true))
        #expect(bytes == [0, 0, 2, 0, 1, 0, 0, 0, 1, 0x68, 0x69])
        let padded = FrameEncoder.encode(Frame(streamID: 1, payload: .data([0xaa]), padLength: 2))
        #expect(padded == [0, 0, 4, 0, 0x08, 0, 0, 0, 1, 2, 0xaa, 0, 0])
    }

    @Test("any chunking of a byte stream gives the same frames", arguments: [1, 2, 3, 7, 9, 10, 64, 1000])
    func chunking(size: Int) {
        var stream = connectionPreface
        for frame in Self.samples { stream += FrameEncoder.encode(frame) }
        let whole = FrameDecoder.decodeAll(stream, expectPreface: true).items.map(\.item)
        #expect(whole.count == Self.samples.count + 1)
        var decoder = FrameDecoder(expectPreface: true)
        var pieces: [DecodedItem] = []
        var offset = 0
        var generator = SystemRandomNumberGenerator()
        while offset < stream.count {
            let n = size == 1000 ? Int.random(in: 1...40, using: &generator) : size
            decoder.append(stream[offset..<min(stream.count, offset + n)])
            offset += n
            while let item = decoder.next() { pieces.append(item) }
        }
        #expect(pieces == whole)
    }

    @Test("the reserved bit is read and ignored (§4.1)")
    func reservedBit() {
        let bytes = rawFrame(0, stream: 0x8000_0001, [0x41])
        let items = FrameDecoder.decodeAll(bytes, expectPreface: false).items
        guard case .frame(let frame) = items.first?.item else { Issue.record("no frame"); return }
        #expect(frame.streamID == 1 && frame.reservedBit)
    }

    @Test("a wrong preface is a PROTOCOL_ERROR (§3.4) and an HTTP/1.1 request is recognised")
    func badPreface() {
        var decoder = FrameDecoder(expectPreface: true)
        decoder.append(Array("GET / HTTP/1.1\r\n".utf8))
        guard case .malformed(let error, _) = decoder.next() else { Issue.record("expected an error"); return }
        #expect(error.code == .protocolError && error.section == "§3.4" && error.isConnectionError)
        #expect(decoder.looksLikeHTTP1)
        #expect(decoder.next() == nil)
    }

    struct Rule: CustomTestStringConvertible, Sendable {
        var name: String
        var bytes: [UInt8]
        var code: ErrorCode
        var connection: Bool
        var section: String
        var testDescription: String { name }
    }

    static let rules: [Rule] = [
        Rule(name: "DATA on stream 0", bytes: rawFrame(0, stream: 0, [1]), code: .protocolError, connection: true, section: "§6.1"),
        Rule(name: "pad length ≥ payload", bytes: rawFrame(0, flags: 0x8, stream: 1, [5, 1, 2]), code: .protocolError, connection: true, section: "§6.1"),
        Rule(name: "HEADERS on stream 0", bytes: rawFrame(1, flags: 4, stream: 0, [0x82]), code: .protocolError, connection: true, section: "§6.2"),
        Rule(name: "HEADERS with PRIORITY too short", bytes: rawFrame(1, flags: 0x24, stream: 1, [0, 0]), code: .frameSizeError, connection: true, section: "§6.2"),
        Rule(name: "PRIORITY of 4 octets", bytes: rawFrame(2, stream: 1, [0, 0, 0, 0]), code: .frameSizeError, connection: false, section: "§6.3"),
        Rule(name: "PRIORITY on stream 0", bytes: rawFrame(2, stream: 0, [0, 0, 0, 1, 0]), code: .protocolError, connection: true, section: "§6.3"),
        Rule(name: "stream depending on itself", bytes: rawFrame(2, stream: 3, be32(3) + [0]), code: .protocolError, connection: false, section: "§5.3.1"),
        Rule(name: "RST_STREAM of 3 octets", bytes: rawFrame(3, stream: 1, [0, 0, 0]), code: .frameSizeError, connection: true, section: "§6.4"),
        Rule(name: "RST_STREAM on stream 0", bytes: rawFrame(3, stream: 0, be32(0)), code: .protocolError, connection: true, section: "§6.4"),
        Rule(name: "SETTINGS on stream 1", bytes: rawFrame(4, stream: 1, []), code: .protocolError, connection: true, section: "§6.5"),
        Rule(name: "SETTINGS ACK with payload", bytes: rawFrame(4, flags: 1, stream: 0, [0, 1, 0, 0, 0, 0]), code: .frameSizeError, connection: true, section: "§6.5"),
        Rule(name: "SETTINGS of 5 octets", bytes: rawFrame(4, stream: 0, [0, 1, 0, 0, 0]), code: .frameSizeError, connection: true, section: "§6.5"),
        Rule(name: "ENABLE_PUSH 2", bytes: rawFrame(4, stream: 0, [0, 2] + be32(2)), code: .protocolError, connection: true, section: "§6.5.2"),
        Rule(name: "INITIAL_WINDOW_SIZE 2^31", bytes: rawFrame(4, stream: 0, [0, 4] + be32(1 << 31)), code: .flowControlError, connection: true, section: "§6.5.2"),
        Rule(name: "MAX_FRAME_SIZE 16383", bytes: rawFrame(4, stream: 0, [0, 5] + be32(16_383)), code: .protocolError, connection: true, section: "§6.5.2"),
        Rule(name: "MAX_FRAME_SIZE 2^24", bytes: rawFrame(4, stream: 0, [0, 5] + be32(1 << 24)), code: .protocolError, connection: true, section: "§6.5.2"),
        Rule(name: "PUSH_PROMISE on stream 0", bytes: rawFrame(5, flags: 4, stream: 0, be32(2)), code: .protocolError, connection: true, section: "§6.6"),
        Rule(name: "PING of 7 octets", bytes: rawFrame(6, stream: 0, [0, 0, 0, 0, 0, 0, 0]), code: .frameSizeError, connection: true, section: "§6.7"),
        Rule(name: "PING on stream 1", bytes: rawFrame(6, stream: 1, [UInt8](repeating: 0, count: 8)), code: .protocolError, connection: true, section: "§6.7"),
        Rule(name: "GOAWAY of 7 octets", bytes: rawFrame(7, stream: 0, [UInt8](repeating: 0, count: 7)), code: .frameSizeError, connection: true, section: "§6.8"),
        Rule(name: "GOAWAY on stream 1", bytes: rawFrame(7, stream: 1, [UInt8](repeating: 0, count: 8)), code: .protocolError, connection: true, section: "§6.8"),
        Rule(name: "WINDOW_UPDATE of 3 octets", bytes: rawFrame(8, stream: 0, [0, 0, 1]), code: .frameSizeError, connection: true, section: "§6.9"),
        Rule(name: "WINDOW_UPDATE 0 on the connection", bytes: rawFrame(8, stream: 0, be32(0)), code: .protocolError, connection: true, section: "§6.9"),
        Rule(name: "WINDOW_UPDATE 0 on a stream", bytes: rawFrame(8, stream: 1, be32(0)), code: .protocolError, connection: false, section: "§6.9"),
        Rule(name: "CONTINUATION on stream 0", bytes: rawFrame(9, flags: 4, stream: 0, []), code: .protocolError, connection: true, section: "§6.10"),
        Rule(name: "frame over SETTINGS_MAX_FRAME_SIZE", bytes: rawFrame(0, stream: 1, [UInt8](repeating: 0, count: 16_385)), code: .frameSizeError, connection: true, section: "§4.2"),
    ]

    @Test("each §4/§6 rule gives its error code, scope and section", arguments: rules)
    func rule(_ rule: Rule) {
        let items = FrameDecoder.decodeAll(rule.bytes, expectPreface: false, maxFrameSize: 16_384).items
        guard case .malformed(let error, _) = items.first?.item else {
            Issue.record("\(rule.name): decoded without error: \(items)")
            return
        }
        #expect(error.code == rule.code)
        #expect(error.isConnectionError == rule.connection)
        #expect(error.section == rule.section)
    }

    @Test("unknown setting identifiers are kept and ignored (§6.5.2)")
    func unknownSetting() {
        let items = FrameDecoder.decodeAll(rawFrame(4, stream: 0, [0xab, 0xcd] + be32(9)), expectPreface: false).items
        #expect(items.map(\.item) == [.frame(.settings([Setting(SettingID(0xabcd), 9)]))])
    }
}

@Suite("Frame layout for annotated dumps")
struct FrameLayoutTests {
    @Test("HEADERS with padding and priority: every field at its offset")
    func headersLayout() {
        let frame = Frame(streamID: 5, flags: [.endHeaders, .endStream],
                          payload: .headers(block: [0x82, 0x84], priority: PriorityFields(exclusive: true, dependency: 3, weight: 15)), padLength: 2)
        let fields = FrameLayout.describe(FrameEncoder.encode(frame))
        #expect(fields.map(\.name) == ["Length", "Type", "Flags", "Reserved (R)", "Stream Identifier", "Pad Length",
                                       "Exclusive (E)", "Stream Dependency", "Weight", "Field Block Fragment", "Padding"])
        #expect(fields.map(\.offset) == [0, 3, 4, 5, 5, 9, 10, 10, 14, 15, 17])
        #expect(fields[2].meaning == "END_STREAM | END_HEADERS | PADDED | PRIORITY")
        #expect(fields[7].bits?.first == 1 && fields[7].bits?.count == 31 && fields[7].meaning == "3")
        #expect(fields[8].meaning == "15 (weight 16)")
    }

    @Test("SETTINGS lists identifier and value pairs")
    func settingsLayout() {
        let fields = FrameLayout.describe(FrameEncoder.encode(.settings([Setting(.maxConcurrentStreams, 100)])))
        #expect(fields.suffix(2).map(\.meaning) == ["SETTINGS_MAX_CONCURRENT_STREAMS", "100"])
        #expect(fields.suffix(2).map(\.offset) == [9, 11])
    }

    @Test("truncated and garbage input is described, never trapped")
    func garbage() {
        #expect(FrameLayout.describe([0, 0]).first?.name == "Incomplete header")
        let short = FrameLayout.describe(rawFrame(8, stream: 1, [0, 0]))
        #expect(short.contains { $0.name.hasSuffix("(truncated)") })
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let bytes = (0..<Int.random(in: 0...40, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            _ = FrameLayout.describe(bytes)
            _ = FrameDecoder.decodeAll(bytes)
        }
    }
}
