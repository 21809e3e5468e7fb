import Engine

/// One conformance case: what is sent, what RFC 9113 or RFC 7541 requires (in our words, with its
/// section), and the test, run on a fresh connection.
public struct CheckCase: Sendable {
    public var section: String
    public var number: Int
    public var title: String
    public var requirement: String
    /// False for the few cases that begin before the handshake (the preface itself).
    public var handshake = true
    /// Our SETTINGS in the handshake.
    public var settings: [Setting] = []
    public var test: @Sendable (Probe, Int) -> Outcome

    public var id: String { "\(section)/\(number)" }
}

// Frame type numbers and flags, for frames built by hand (§6).
let DATA: UInt8 = 0, HEADERS: UInt8 = 1, PRIORITY: UInt8 = 2, RST: UInt8 = 3, SETTINGS: UInt8 = 4
let PING: UInt8 = 6, GOAWAY: UInt8 = 7, WINDOW: UInt8 = 8, CONTINUATION: UInt8 = 9
let endStream: UInt8 = 0x1, endHeaders: UInt8 = 0x4, padded: UInt8 = 0x8, priorityFlag: UInt8 = 0x20

func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
func setting(_ id: UInt16, _ value: UInt32) -> [UInt8] { [UInt8(id >> 8), UInt8(id & 0xFF)] + be32(value) }

extension Probe {
    /// A HEADERS frame for a request on `stream`.
    func request(_ stream: UInt32, flags: UInt8 = endStream | endHeaders, method: String = "GET", path: String = "/",
                 extra: [HeaderField] = []) -> [UInt8] {
        rawFrame(HEADERS, flags: flags, stream: stream, headerBlock(requestFields(method: method, path: path, extra: extra)))
    }

    /// A request whose header list is exactly `fields` (for malformed requests, §8).
    func request(_ stream: UInt32, fields: [HeaderField], flags: UInt8 = endStream | endHeaders) -> [UInt8] {
        rawFrame(HEADERS, flags: flags, stream: stream, headerBlock(fields))
    }
}

/// The suite, by section of RFC 9113 (then RFC 7541), as h2spec arranges it.
public enum Cases {
    public static let all: [CheckCase] = {
        var list: [CheckCase] = []
        var counters: [String: Int] = [:]
        func add(_ section: String, _ title: String, _ requirement: String, handshake: Bool = true,
                 settings: [Setting] = [], _ test: @escaping @Sendable (Probe, Int) -> Outcome) {
            counters[section, default: 0] += 1
            list.append(CheckCase(section: section, number: counters[section] ?? 1, title: title, requirement: requirement,
                                  handshake: handshake, settings: settings, test: test))
        }
        let connection = "§5.4.1: a connection error is answered with GOAWAY carrying the error code"
        /// Our SETTINGS for cases that need the server to keep a stream open until the violation
        /// arrives: an initial window of 0 (§6.9.2), so a server that answers at once (a 405 before
        /// the body, say) cannot finish its response, and the stream stays open on its side.
        let holdOpen = [Setting(.initialWindowSize, 0)]

        // §3.4 The connection preface
        add("3.4", "sends an invalid connection preface",
            "§3.4: a client connection preface that is not exactly the 24 octets PRI * HTTP/2.0… is a connection error PROTOCOL_ERROR",
            handshake: false) { p, s in
            p.send(Array("PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n".utf8) + rawFrame(SETTINGS, stream: 0))
            return p.expectConnectionError(.protocolError, since: s)
        }

        // §4.1 Frame format
        add("4.1", "sends a frame of an unknown type",
            "§4.1, §5.5: frames of unknown types must be ignored and discarded") { p, s in
            p.send(rawFrame(0x16, stream: 0, Array(repeating: 0, count: 8)))
            return p.expectIgnored(since: s)
        }
        add("4.1", "sends a PING with undefined flags set",
            "§4.1: flags a frame type does not define must be ignored; the PING is answered") { p, s in
            p.send(rawFrame(PING, flags: 0x16 & ~0x1, stream: 0, be32(0x6832) + be32(7)))
            let answer = p.next { $0.type == .ping || $0.type == .goaway }
            return answer?.type == .ping && answer?.flags ?? 0 & 1 == 1 ? .passed
                : .failed(expected: "PING ACK", got: p.got(since: s))
        }
        add("4.1", "sends a PING with the reserved bit of the stream identifier set",
            "§4.1: the reserved bit must be ignored when received; the PING (stream 0) is answered") { p, s in
            var frame = rawFrame(PING, stream: 0, be32(1) + be32(2))
            frame[5] |= 0x80
            p.send(frame)
            let answer = p.next { $0.type == .ping || $0.type == .goaway }
            return answer?.type == .ping ? .passed : .failed(expected: "PING ACK", got: p.got(since: s))
        }

        // §4.2 Frame size
        add("4.2", "sends a DATA frame larger than SETTINGS_MAX_FRAME_SIZE on an open stream",
            "§4.2: a frame over SETTINGS_MAX_FRAME_SIZE is a FRAME_SIZE_ERROR (a stream error may be a connection error)") { p, s in
            let limit = Int(p.serverSettings.maxFrameSize)
            p.send(p.request(1, flags: endHeaders, method: "POST"))
            p.send(rawFrame(DATA, stream: 1, Array(repeating: 0x61, count: limit + 1)))
            return p.expectStreamError(1, .frameSizeError, since: s)
        }
        add("4.2", "sends a HEADERS frame larger than SETTINGS_MAX_FRAME_SIZE",
            "§4.2: an oversized frame that could change connection state (HEADERS) is a connection error FRAME_SIZE_ERROR") { p, s in
            let limit = Int(p.serverSettings.maxFrameSize)
            let big = HeaderField("x-big", String(repeating: "a", count: limit))
            var policy = EncoderPolicy()
            policy.huffman = .never
            p.encoder.policy = policy
            p.send(p.request(1, extra: [big]))
            return p.expectConnectionError(.frameSizeError, since: s)
        }

        // §4.3 Field section compression and decompression
        add("4.3", "sends a header block that cannot be decoded",
            "§4.3: a field block that fails to decompress is a connection error COMPRESSION_ERROR") { p, s in
            p.send(rawFrame(HEADERS, flags: endStream | endHeaders, stream: 1, [0x82, 0x84, 0x86, 0xff, 0xff, 0xff, 0xff, 0xff]))
            return p.expectConnectionError(.compressionError, since: s)
        }
        add("4.3", "sends a PRIORITY frame between HEADERS and its CONTINUATION",
            "§4.3, §6.10: a field block is contiguous; any other frame before it ends is a connection error PROTOCOL_ERROR") { p, s in
            let block = p.headerBlock(p.requestFields())
            p.send(rawFrame(HEADERS, flags: endStream, stream: 1, Array(block.prefix(2))))
            p.send(rawFrame(PRIORITY, stream: 1, be32(0) + [15]))
            p.send(rawFrame(CONTINUATION, flags: endHeaders, stream: 1, Array(block.dropFirst(2))))
            return p.expectConnectionError(.protocolError, since: s)
        }
        add("4.3", "sends HEADERS on another stream while a header block is unfinished",
            "§4.3: a field block must be contiguous on its stream; interleaving is a connection error PROTOCOL_ERROR") { p, s in
            let block = p.headerBlock(p.requestFields())
            p.send(rawFrame(HEADERS, flags: endStream, stream: 1, block))
            p.send(p.request(3))
            return p.expectConnectionError(.protocolError, since: s)
        }

        // §5.1 Stream states
        add("5.1", "idle: sends DATA on an idle stream",
            "§5.1: in idle state, only HEADERS and PRIORITY may be received; anything else is a connection error PROTOCOL_ERROR") { p, s in
            p.send(rawFrame(DATA, flags: endStream, stream: 1, Array("test".utf8)))
            return p.expectConnectionError(.protocolError, since: s)
        }
        add("5.1", "idle: sends RST_STREAM on an idle stream",
            "§5.1, §6.4: RST_STREAM on an idle stream is a connection error PROTOCOL_ERROR") { p, s in
            p.send(rawFrame(RST, stream: 1, be32(8)))
            return p.expectConnectionError(.protocolError, since: s)
        }
        add("5.1", "idle: sends WINDOW_UPDATE on an idle stream",
            "§5.1: WINDOW_UPDATE on an idle stream is a connection error PROTOCOL_ERROR") { p, s in
            p.send(rawFrame(WINDOW, stream: 1, be32(100)))
            return p.expectConnectionError(.protocolError, since: s)
        }
        add("5.1", "idle: sends CONTINUATION on an idle stream",
            "§5.1, §6.10: CONTINUATION without a HEADERS before it is a connection error PROTOCOL_ERROR") { p, s in
            p.send(rawFrame(CONTINUATION, flags: endHeaders, stream: 1, p.headerBlock(p.requestFields())))
            return p.expectConnectionError(.protocolError, since: s)
        }
        add("5.1", "half-closed (remote): sends DATA after END_STREAM",
            "§5.1: a frame other than WINDOW_UPDATE, PRIORITY or RST_STREAM on a half-closed (remote) stream is a stream error STREAM_CLOSED") { p, s in
            p.send(p.request(1, method: "POST"))
            p.send(rawFrame(DATA, flags: endStream, stream: 1, Array("test".utf8)))
            return p.expectStreamError(1, .streamClosed, since: s)
        }
        add("5.1", "half-closed (remote): sends HEADERS after END_STREAM",
            "§5.1: HEADERS on a half-closed (remote) stream is a stream error STREAM_CLOSED") { p, s in
            p.send(p.request(1))
            p.send(p.request(1))
            return p.expectStreamError(1, .streamClosed, since: s)
        }
        add("5.1", "half-closed (remote): sends CONTINUATION after END_STREAM",
            "§5.1, §6.10: CONTINUATION not preceded by an unfinished HEADERS is an error (STREAM_CLOSED or PROTOCOL_ERROR)") { p, s in
            p.send(p.request(1))
            p.send(rawFrame(CONTINUATION, flags: endHeaders, stream: 1, p.headerBlock(p.requestFields())))
            return p.expectStreamError(1, .streamClosed, .protocolError, since: s)
        }
        add("5.1", "closed: sends DATA after sending RST_STREAM",
            "§5.1: DATA on a stream the client reset is a stream error STREAM_CLOSED") { p, s in
            p.send(p.request(1, flags: endHeaders, method: "POST"))
            p.send(rawFrame(RST, stream: 1, be32(8)))
            p.send(rawFrame(DATA, flags: endStream, stream: 1, Array("test".utf8)))
            return p.expectStreamError(1, .streamClosed, since: s)
        }
        add("5.1", "closed: sends HEADERS after sending RST_STREAM",
            "§5.1: HEADERS on a closed stream is a stream error STREAM_CLOSED (or a connection error)") { p, s in
            p.send(p.request(1, flags: endHeaders, method: "POST"))
            p.send(rawFrame(RST, stream: 1, be32(8)))
            p.send(p.request(1))
            return p.expectStreamError(1, .streamClosed, .protocolError, since: s)
        }
        add("5.1", "closed: sends DATA on a stream that ended normally",
            "§5.1: DATA on a stream closed by END_STREAM both ways is an error STREAM_CLOSED") { p, s in
            p.send(p.request(1))
            _ = p.next { ($0.type == .data || $0.type == .headers) && $0.stream == 1 && $0.flags & endStream != 0 }
            p.send(rawFrame(DATA, flags: endStream, stream: 1, Array("test".utf8)))
            return p.expectStreamError(1, .streamClosed, since: s)
        }

        // §5.1.1 Stream identifiers
        add("5.1.1", "sends a request on an even-numbered stream",
            "§5.1.1: streams a client opens have odd identifiers; an even one is a connection error PROTOCOL_ERROR") { p, s in
            p.send(p.request(2))
            return p.expectConnectionError(.protocolError, since: s)
        }
        add("5.1.1", "opens stream 5, then stream 3",
            "§5.1.1: a new stream's identifier must exceed every one opened before; a smaller one is a connection error PROTOCOL_ERROR") { p, s in
            p.send(p.request(5))
            _ = p.next { $0.type == .headers && $0.stream == 5 }
            p.send(p.request(3))
            return p.expectConnectionError(.protocolError, since: s)
        }
        compressionContextCases { add($0, $1, $2, $3) }

        // §5.1.2 Stream concurrency
        add("5.1.2", "opens more streams than SETTINGS_MAX_CONCURRENT_STREAMS allows",
            "§5.1.2: a stream beyond the advertised limit is a stream error PROTOCOL_ERROR or REFUSED_STREAM", settings: holdOpen) { p, s in
            guard let limit = p.serverSettings.maxConcurrentStreams, limit <= 1_000 else { return .passed }
            var bytes: [UInt8] = []
            for i in 0...Int(limit) { bytes += p.request(UInt32(2 * i + 1), flags: endHeaders, method: "POST") }
            p.send(bytes, note: "HEADERS without END_STREAM on streams 1 to \(2 * Int(limit) + 1) (\(limit + 1) streams)")
            let outcome = p.expectStreamError(UInt32(2 * Int(limit) + 1), .protocolError, .refusedStream, since: s)
            // A server that answered and ended some of the streams itself (a 405 before the body, say)
            // never had more than the limit open: the case cannot judge it.
            let reset = (0..<Int(limit)).filter { p.serverReset(UInt32(2 * $0 + 1), since: s, before: nil) != nil }.count
            if outcome != .passed && reset > 0 {
                return .inconclusive(why: "the server reset \(reset) of the first \(limit) streams itself (closed, §5.1.2: they no longer "
                                          + "count) before the last one arrived, so no more than \(limit) were ever open", got: p.got(since: s))
            }
            return outcome
        }

        // §5.3.1 Stream dependencies
        add("5.3.1", "sends HEADERS whose priority depends on its own stream",
            "§5.3.1: a stream cannot depend on itself; that is a stream error PROTOCOL_ERROR") { p, s in
            let block = p.headerBlock(p.requestFields())
            p.send(rawFrame(HEADERS, flags: endStream | endHeaders | priorityFlag, stream: 1, be32(1) + [15] + block))
            return p.expectStreamError(1, .protocolError, since: s)
        }
        add("5.3.1", "sends PRIORITY depending on its own stream",
            "§5.3.1: a PRIORITY frame making a stream depend on itself is a stream error PROTOCOL_ERROR") { p, s in
            p.send(rawFrame(PRIORITY, stream: 1, be32(1) + [15]))
            return p.expectStreamError(1, .protocolError, since: s)
        }

        // §5.4.1 Connection error handling
        add("5.4.1", "causes a connection error: GOAWAY, then the connection closes",
            "§5.4.1: after a connection error the endpoint sends GOAWAY and then closes the TCP connection") { p, s in
            p.send(rawFrame(PING, stream: 1, be32(0) + be32(0)))
            let result = p.expectConnectionError(.protocolError, since: s)
            guard result == .passed else { return result }
            p.drain(p.timeout)
            return p.closed ? .passed : .failed(expected: "the connection closed after GOAWAY", got: p.got(since: s))
        }

        // §5.5 Extending HTTP/2
        add("5.5", "sends an unknown extension frame on a stream",
            "§5.5: unknown frame types are ignored, on any stream") { p, s in
            p.send(rawFrame(0xfa, stream: 1, Array("ext".utf8)))
            return p.expectIgnored(since: s)
        }
        add("5.5", "sends an unknown extension frame in the middle of a header block",
            "§5.5, §6.10: even an unknown frame may not interrupt a field block: connection error PROTOCOL_ERROR") { p, s in
            let block = p.headerBlock(p.requestFields())
            p.send(rawFrame(HEADERS, flags: endStream, stream: 1, block))
            p.send(rawFrame(0xfa, stream: 1, Array("ext".utf8)))
            return p.expectConnectionError(.protocolError, since: s)
        }

        // §6.1 DATA
        add("6.1", "sends DATA on stream 0",
            "§6.1: DATA must be on a stream; on stream 0 it is a connection error PROTOCOL_ERROR") { p, s in
            p.send(rawFrame(DATA, flags: endStream, stream: 0, Array("test".utf8)))
            return p.expectConnectionError(.protocolError, since: s)
        }
        add("6.1", "sends DATA whose pad length is not less than its payload",
            "§6.1: padding as long as the payload or longer is a connection error PROTOCOL_ERROR") { p, s in
            p.send(p.request(1, flags: endHeaders, method: "POST"))
            p.send(rawFrame(DATA, flags: endStream | padded, stream: 1, [6] + Array("test".utf8)))
            return p.expectConnectionError(.protocolError, since: s)
        }
        add("6.1", "sends DATA on a half-closed (remote) stream",
            "§6.1: DATA on a stream that is not open or half-closed (local) is a stream error STREAM_CLOSED") { p, s in
            p.send(p.request(1))
            p.send(rawFrame(DATA, stream: 1, Array("x".utf8)))
            return p.expectStreamError(1, .streamClosed, since: s)
        }

        // §6.2 HEADERS
        add("6.2", "sends HEADERS without END_HEADERS, then DATA on the stream",
            "§6.2: a HEADERS without END_HEADERS must be followed by CONTINUATION; anything else is a connection error PROTOCOL_ERROR") { p, s in
            p.send(rawFrame(HEADERS, stream: 1, p.headerBlock(p.requestFields(method: "POST"))))
            p.send(rawFrame(DATA, flags: endStream, stream: 1, Array("test".utf8)))
            return p.expectConnectionError(.protocolError, since: s)
        }
        add("6.2", "sends HEADERS on stream 0",
            "§6.2: HEADERS on stream 0 is a connection error PROTOCOL_ERROR") { p, s in
            p.send(p.request(0))
            return p.expectConnectionError(.protocolError, since: s)
        }
        add("6.2", "sends HEADERS whose pad length is not less than its payload",
            "§6.2: padding that fills the payload or more is a connection error PROTOCOL_ERROR") { p, s in
            let block = p.headerBlock(p.requestFields())
            p.send(rawFrame(HEADERS, flags: endStream | endHeaders | padded, stream: 1, [UInt8(block.count + 1)] + block))
            return p.expectConnectionError(.protocolError, since: s)
        }

        // §6.3 PRIORITY
        add("6.3", "sends PRIORITY on stream 0",
            "§6.3: PRIORITY on stream 0 is a connection error PROTOCOL_ERROR") { p, s in
            p.send(rawFrame(PRIORITY, stream: 0, be32(1) + [15]))
            return p.expectConnectionError(.protocolError, since: s)
        }
        add("6.3", "sends PRIORITY with 4 octets instead of 5",
            "§6.3: a PRIORITY frame of any length but 5 is a stream error FRAME_SIZE_ERROR") { p, s in
            p.send(rawFrame(PRIORITY, stream: 1, be32(3)))
            return p.expectStreamError(1, .frameSizeError, since: s)
        }
        add("6.3", "sends PRIORITY on an idle stream",
            "§6.3, §5.1: PRIORITY may be sent on a stream in any state, idle included; it changes no state") { p, s in
            p.send(rawFrame(PRIORITY, stream: 9, be32(0) + [15]))
            return p.expectIgnored(since: s, "PRIORITY to be accepted")
        }

        // §6.4 RST_STREAM
        add("6.4", "sends RST_STREAM on stream 0",
            "§6.4: RST_STREAM on stream 0 is a connection error PROTOCOL_ERROR") { p, s in
            p.send(rawFrame(RST, stream: 0, be32(8)))
            return p.expectConnectionError(.protocolError, since: s)
        }
        add("6.4", "sends RST_STREAM with 3 octets instead of 4",
            "§6.4: an RST_STREAM of any length but 4 is a connection error FRAME_SIZE_ERROR") { p, s in
            p.send(p.request(1, flags: endHeaders, method: "POST"))
            p.send(rawFrame(RST, stream: 1, [0, 0, 8]))
            return p.expectConnectionError(.frameSizeError, since: s)
        }

        // §6.5 SETTINGS
        add("6.5", "sends SETTINGS with ACK and a payload",
            "§6.5: a SETTINGS ACK with a payload is a connection error FRAME_SIZE_ERROR") { p, s in
            p.send(rawFrame(SETTINGS, flags: 0x1, stream: 0, setting(3, 100)))
            return p.expectConnectionError(.frameSizeError, since: s)
        }
        add("6.5", "sends SETTINGS on stream 1",
            "§6.5: SETTINGS apply to the connection; on a stream it is a connection error PROTOCOL_ERROR") { p, s in
            p.send(rawFrame(SETTINGS, stream: 1, setting(3, 100)))
            return p.expectConnectionError(.protocolError, since: s)
        }
        add("6.5", "sends SETTINGS of 3 octets",
            "§6.5: a SETTINGS payload that is not a multiple of 6 octets is a connection error FRAME_SIZE_ERROR") { p, s in
            p.send(rawFrame(SETTINGS, stream: 0, [0, 3, 0]))
            return p.expectConnectionError(.frameSizeError, since: s)
        }
        add("6.5.2", "sends SETTINGS_ENABLE_PUSH of 2",
            "§6.5.2: SETTINGS_ENABLE_PUSH other than 0 or 1 is a connection error PROTOCOL_ERROR") { p, s in
            p.send(rawFrame(SETTINGS, stream: 0, setting(2, 2)))
            return p.expectConnectionError(.protocolError, since: s)
        }
        add("6.5.2", "sends SETTINGS_INITIAL_WINDOW_SIZE of 2^31",
            "§6.5.2: an initial window size above 2^31-1 is a connection error FLOW_CONTROL_ERROR") { p, s in
            p.send(rawFrame(SETTINGS, stream: 0, setting(4, 0x8000_0000)))
            return p.expectConnectionError(.flowControlError, since: s)
        }
        add("6.5.2", "sends SETTINGS_MAX_FRAME_SIZE of 16 383",
            "§6.5.2: a maximum frame size below 2^14 is a connection error PROTOCOL_ERROR") { p, s in
            p.send(rawFrame(SETTINGS, stream: 0, setting(5, 16_383)))
            return p.expectConnectionError(.protocolError, since: s)
        }
        add("6.5.2", "sends SETTINGS_MAX_FRAME_SIZE of 2^24",
            "§6.5.2: a maximum frame size above 2^24-1 is a connection error PROTOCOL_ERROR") { p, s in
            p.send(rawFrame(SETTINGS, stream: 0, setting(5, 1 << 24)))
            return p.expectConnectionError(.protocolError, since: s)
        }
        add("6.5.2", "sends a SETTINGS parameter of an unknown identifier",
            "§6.5.2: unknown settings must be ignored; the SETTINGS is acknowledged") { p, s in
            p.send(rawFrame(SETTINGS, stream: 0, setting(0xff, 1)))
            let answer = p.next { ($0.type == .settings && $0.flags & 1 != 0) || $0.type == .goaway }
            return answer?.type == .settings ? .passed : .failed(expected: "SETTINGS ACK", got: p.got(since: s))
        }
        add("6.5.3", "sends SETTINGS and waits for the acknowledgement",
            "§6.5.3: a SETTINGS frame is applied and acknowledged with SETTINGS ACK as soon as possible") { p, s in
            p.send(rawFrame(SETTINGS, stream: 0, setting(3, 100) + setting(4, 65_535)))
            let answer = p.next { ($0.type == .settings && $0.flags & 1 != 0) || $0.type == .goaway }
            return answer?.type == .settings ? .passed : .failed(expected: "SETTINGS ACK", got: p.got(since: s))
        }

        // §6.7 PING
        add("6.7", "sends PING",
            "§6.7: a PING without ACK is answered by a PING with ACK and the same 8 octets") { p, s in
            p.send(rawFrame(PING, stream: 0, Array("h2lab!!!".utf8)))
            let answer = p.next { $0.type == .ping || $0.type == .goaway }
            return answer?.type == .ping && answer?.payload == Array("h2lab!!!".utf8) && (answer?.flags ?? 0) & 1 == 1 ? .passed
                : .failed(expected: "PING ACK carrying \"h2lab!!!\"", got: p.got(since: s))
        }
        add("6.7", "sends a PING with ACK, then a PING",
            "§6.7: a PING ACK must not be answered; only the second PING is") { p, s in
            p.send(rawFrame(PING, flags: 0x1, stream: 0, Array("unasked!".utf8)))
            p.send(rawFrame(PING, stream: 0, Array("answered".utf8)))
            let answer = p.next { $0.type == .ping || $0.type == .goaway }
            return answer?.payload == Array("answered".utf8) ? .passed
                : .failed(expected: "only a PING ACK carrying \"answered\"", got: p.got(since: s))
        }
        add("6.7", "sends PING on stream 1",
            "§6.7: PING belongs to the connection; on a stream it is a connection error PROTOCOL_ERROR") { p, s in
            p.send(rawFrame(PING, stream: 1, Array("h2lab!!!".utf8)))
            return p.expectConnectionError(.protocolError, since: s)
        }
        add("6.7", "sends PING of 6 octets",
            "§6.7: a PING of any length but 8 is a connection error FRAME_SIZE_ERROR") { p, s in
            p.send(rawFrame(PING, stream: 0, Array("h2lab!".utf8)))
            return p.expectConnectionError(.frameSizeError, since: s)
        }

        // §6.8 GOAWAY
        add("6.8", "sends GOAWAY on stream 1",
            "§6.8: GOAWAY belongs to the connection; on a stream it is a connection error PROTOCOL_ERROR") { p, s in
            p.send(rawFrame(GOAWAY, stream: 1, be32(0) + be32(0)))
            return p.expectConnectionError(.protocolError, since: s)
        }

        // §6.9 WINDOW_UPDATE
        add("6.9", "sends WINDOW_UPDATE of 0 on the connection",
            "§6.9: an increment of 0 for the connection is a connection error PROTOCOL_ERROR") { p, s in
            p.send(rawFrame(WINDOW, stream: 0, be32(0)))
            return p.expectConnectionError(.protocolError, since: s)
        }
        add("6.9", "sends WINDOW_UPDATE of 0 on an open stream",
            "§6.9: an increment of 0 for a stream is a stream error PROTOCOL_ERROR", settings: holdOpen) { p, s in
            p.send(p.request(1, flags: endHeaders, method: "POST"))
            p.send(rawFrame(WINDOW, stream: 1, be32(0)))
            return p.expectStreamError(1, .protocolError, since: s)
        }
        add("6.9", "sends WINDOW_UPDATE of 3 octets",
            "§6.9: a WINDOW_UPDATE of any length but 4 is a connection error FRAME_SIZE_ERROR") { p, s in
            p.send(rawFrame(WINDOW, stream: 0, [0, 0, 1]))
            return p.expectConnectionError(.frameSizeError, since: s)
        }
        add("6.9.1", "grows the connection window past 2^31-1",
            "§6.9.1: a window beyond 2^31-1 octets is a connection error FLOW_CONTROL_ERROR (for the connection)") { p, s in
            p.send(rawFrame(WINDOW, stream: 0, be32(0x7fff_ffff)) + rawFrame(WINDOW, stream: 0, be32(0x7fff_ffff)))
            return p.expectConnectionError(.flowControlError, since: s)
        }
        add("6.9.1", "grows a stream's window past 2^31-1",
            "§6.9.1: a stream window beyond 2^31-1 is a stream error FLOW_CONTROL_ERROR") { p, s in
            p.send(p.request(1, flags: endHeaders, method: "POST"))
            p.send(rawFrame(WINDOW, stream: 1, be32(0x7fff_ffff)) + rawFrame(WINDOW, stream: 1, be32(0x7fff_ffff)))
            return p.expectStreamError(1, .flowControlError, since: s)
        }
        add("6.9.2", "raises SETTINGS_INITIAL_WINDOW_SIZE past what an open stream's window can hold",
            "§6.9.2: a change of SETTINGS_INITIAL_WINDOW_SIZE that takes a window past 2^31-1 is a connection error FLOW_CONTROL_ERROR",
            settings: holdOpen) { p, s in
            // From an initial window of 0, the stream's window is raised to 2^31-1 - 65 536, then the
            // initial window to 2^31-1: past the limit by far more than any response the server may
            // have sent on it meanwhile (a window it spent would otherwise keep it under).
            p.send(p.request(1, flags: endHeaders, method: "POST"))
            p.send(rawFrame(WINDOW, stream: 1, be32(0x7fff_ffff - 65_536)))
            p.send(rawFrame(SETTINGS, stream: 0, setting(4, 0x7fff_ffff)))
            let outcome = p.expectConnectionError(.flowControlError, since: s)
            if outcome != .passed, let reset = p.serverReset(1, since: s, before: nil) {
                return .inconclusive(why: "the server \(reset) before the SETTINGS arrived: a closed stream has no window to overflow",
                                     got: p.got(since: s))
            }
            return outcome
        }
        add("6.9.2", "sets SETTINGS_INITIAL_WINDOW_SIZE to 1, then requests",
            "§6.9.2: the initial window applies to new streams: the response comes in DATA frames of at most 1 octet",
            settings: [Setting(.initialWindowSize, 1)]) { p, s in
            p.send(p.request(1, path: "/"))
            let data = p.next { ($0.type == .data && $0.stream == 1 && !$0.payload.isEmpty) || $0.type == .goaway || $0.type == .rstStream }
            guard let data, data.type == .data else {
                return .failed(expected: "DATA of 1 octet on stream 1", got: p.got(since: s))
            }
            let length = data.payload.count - (data.flags & padded != 0 ? 1 + Int(data.payload.first ?? 0) : 0)
            return length <= 1 ? .passed : .failed(expected: "DATA of at most 1 octet", got: "DATA of \(length) octets")
        }

        // §6.10 CONTINUATION
        add("6.10", "sends HEADERS and one CONTINUATION",
            "§6.10: a field block may continue in CONTINUATION frames; the request is answered") { p, s in
            let block = p.headerBlock(p.requestFields())
            p.send(rawFrame(HEADERS, flags: endStream, stream: 1, Array(block.prefix(3))))
            p.send(rawFrame(CONTINUATION, flags: endHeaders, stream: 1, Array(block.dropFirst(3))))
            return p.expectResponse(1, since: s)
        }
        add("6.10", "sends HEADERS and two CONTINUATIONs",
            "§6.10: any number of CONTINUATION frames may follow; the request is answered") { p, s in
            let block = p.headerBlock(p.requestFields())
            p.send(rawFrame(HEADERS, flags: endStream, stream: 1, Array(block.prefix(2))))
            p.send(rawFrame(CONTINUATION, stream: 1, Array(block.dropFirst(2).prefix(2))))
            p.send(rawFrame(CONTINUATION, flags: endHeaders, stream: 1, Array(block.dropFirst(4))))
            return p.expectResponse(1, since: s)
        }
        add("6.10", "sends CONTINUATION after a HEADERS that had END_HEADERS",
            "§6.10: CONTINUATION must follow a frame without END_HEADERS; otherwise it is a connection error PROTOCOL_ERROR") { p, s in
            p.send(p.request(1, flags: endHeaders, method: "POST"))
            p.send(rawFrame(CONTINUATION, flags: endHeaders, stream: 1, p.headerBlock([HeaderField("x-more", "1")])))
            return p.expectConnectionError(.protocolError, since: s)
        }
        add("6.10", "sends CONTINUATION on stream 0",
            "§6.10: CONTINUATION on stream 0 is a connection error PROTOCOL_ERROR") { p, s in
            let block = p.headerBlock(p.requestFields())
            p.send(rawFrame(HEADERS, flags: endStream, stream: 1, Array(block.prefix(2))))
            p.send(rawFrame(CONTINUATION, flags: endHeaders, stream: 0, Array(block.dropFirst(2))))
            return p.expectConnectionError(.protocolError, since: s)
        }
        add("6.10", "sends CONTINUATION on a different stream",
            "§6.10: CONTINUATION must be on the stream of the block it continues; otherwise a connection error PROTOCOL_ERROR") { p, s in
            let block = p.headerBlock(p.requestFields())
            p.send(rawFrame(HEADERS, flags: endStream, stream: 1, Array(block.prefix(2))))
            p.send(rawFrame(CONTINUATION, flags: endHeaders, stream: 3, Array(block.dropFirst(2))))
            return p.expectConnectionError(.protocolError, since: s)
        }

        // §8.1 HTTP message framing
        add("8.1", "sends a second HEADERS (trailers) without END_STREAM",
            "§8.1: trailers must carry END_STREAM; a second field block without it makes the request malformed: stream error PROTOCOL_ERROR",
            settings: holdOpen) { p, s in
            p.send(p.request(1, flags: endHeaders, method: "POST"))
            p.send(rawFrame(HEADERS, flags: endHeaders, stream: 1, p.headerBlock([HeaderField("x-trailer", "1")])))
            return p.expectStreamError(1, .protocolError, since: s)
        }
        add("8.1.1", "sends content-length 5 with 4 octets of DATA",
            "§8.1.1: a content-length that differs from the DATA received makes the request malformed: stream error PROTOCOL_ERROR") { p, s in
            p.send(p.request(1, flags: endHeaders, method: "POST", extra: [HeaderField("content-length", "5")]))
            p.send(rawFrame(DATA, flags: endStream, stream: 1, Array("test".utf8)))
            return p.expectStreamError(1, .protocolError, since: s)
        }
        add("8.1.1", "sends content-length 1 with 4 octets of DATA in two frames",
            "§8.1.1: DATA beyond the content-length makes the request malformed: stream error PROTOCOL_ERROR") { p, s in
            p.send(p.request(1, flags: endHeaders, method: "POST", extra: [HeaderField("content-length", "1")]))
            p.send(rawFrame(DATA, stream: 1, Array("te".utf8)) + rawFrame(DATA, flags: endStream, stream: 1, Array("st".utf8)))
            return p.expectStreamError(1, .protocolError, since: s)
        }

        // §8.2 HTTP fields
        let malformed = "makes the request malformed: stream error PROTOCOL_ERROR (§8.1.1)"
        add("8.2", "sends a field name with uppercase letters",
            "§8.2: field names must be lowercase in HTTP/2; an uppercase one \(malformed)") { p, s in
            p.send(p.request(1, extra: [HeaderField("X-Upper", "1")]))
            return p.expectStreamError(1, .protocolError, since: s)
        }
        add("8.2.1", "sends a field value containing NUL",
            "§8.2.1: a field value with NUL, CR or LF \(malformed)") { p, s in
            p.send(p.request(1, extra: [HeaderField("x-nul", "a\u{0}b")]))
            return p.expectStreamError(1, .protocolError, since: s)
        }
        add("8.2.1", "sends an empty field name",
            "§8.2.1: a field name must be a non-empty token; an empty one \(malformed)") { p, s in
            p.send(p.request(1, extra: [HeaderField("", "empty name")]))
            return p.expectStreamError(1, .protocolError, since: s)
        }
        add("8.2.1", "sends a field name with a space",
            "§8.2.1: a field name with characters outside a token (a space) \(malformed)") { p, s in
            p.send(p.request(1, extra: [HeaderField("x name", "1")]))
            return p.expectStreamError(1, .protocolError, since: s)
        }
        add("8.2.2", "sends the connection-specific field connection: keep-alive",
            "§8.2.2: connection-specific fields must not appear in HTTP/2; one \(malformed)") { p, s in
            p.send(p.request(1, extra: [HeaderField("connection", "keep-alive")]))
            return p.expectStreamError(1, .protocolError, since: s)
        }
        add("8.2.2", "sends te: gzip",
            "§8.2.2: te may only be \"trailers\"; any other value \(malformed)") { p, s in
            p.send(p.request(1, extra: [HeaderField("te", "gzip")]))
            return p.expectStreamError(1, .protocolError, since: s)
        }
        add("8.2.2", "sends te: trailers",
            "§8.2.2: te: trailers is allowed; the request is answered") { p, s in
            p.send(p.request(1, extra: [HeaderField("te", "trailers")]))
            return p.expectResponse(1, since: s)
        }

        // §8.3.1 Request pseudo-header fields
        add("8.3", "sends an unknown pseudo-header field",
            "§8.3: pseudo-header fields other than those defined \(malformed)") { p, s in
            p.send(p.request(1, fields: p.requestFields() + [HeaderField(":foo", "bar")]))
            return p.expectStreamError(1, .protocolError, since: s)
        }
        add("8.3", "sends the response pseudo-header :status in a request",
            "§8.3: response pseudo-headers in a request \(malformed)") { p, s in
            p.send(p.request(1, fields: p.requestFields() + [HeaderField(":status", "200")]))
            return p.expectStreamError(1, .protocolError, since: s)
        }
        add("8.3", "sends a pseudo-header field after a regular field",
            "§8.3: all pseudo-headers come before regular fields; one after \(malformed)") { p, s in
            let fields = p.requestFields()
            p.send(p.request(1, fields: Array(fields.prefix(3)) + [HeaderField("x-regular", "1"), fields[3]]))
            return p.expectStreamError(1, .protocolError, since: s)
        }
        add("8.3", "sends a pseudo-header field in trailers",
            "§8.3: pseudo-headers may not appear in trailers; one there \(malformed)", settings: holdOpen) { p, s in
            p.send(p.request(1, flags: endHeaders, method: "POST"))
            p.send(rawFrame(DATA, stream: 1, Array("test".utf8)))
            p.send(rawFrame(HEADERS, flags: endStream | endHeaders, stream: 1, p.headerBlock([HeaderField(":method", "POST")])))
            return p.expectStreamError(1, .protocolError, since: s)
        }
        for name in [":method", ":scheme", ":path"] {
            add("8.3.1", "sends a request without \(name)",
                "§8.3.1: every request carries exactly one :method, :scheme and :path; a missing \(name) \(malformed)") { p, s in
                p.send(p.request(1, fields: p.requestFields().filter { $0.name != name }))
                return p.expectStreamError(1, .protocolError, since: s)
            }
            add("8.3.1", "sends a request with \(name) twice",
                "§8.3.1: a pseudo-header appears at most once; a second \(name) \(malformed)") { p, s in
                let fields = p.requestFields()
                let twice = fields + fields.filter { $0.name == name }
                p.send(p.request(1, fields: twice.sorted { ($0.name.hasPrefix(":") ? 0 : 1) < ($1.name.hasPrefix(":") ? 0 : 1) }))
                return p.expectStreamError(1, .protocolError, since: s)
            }
        }
        add("8.3.1", "sends an empty :path",
            "§8.3.1: :path must not be empty for http or https URIs; an empty one \(malformed)") { p, s in
            p.send(p.request(1, fields: p.requestFields().map { $0.name == ":path" ? HeaderField(":path", "") : $0 }))
            return p.expectStreamError(1, .protocolError, since: s)
        }

        // RFC 7541: HPACK
        add("hpack/2.3.3", "refers to index 70 of an empty dynamic table",
            "RFC 7541 §2.3.3: an index beyond both tables is a decoding error: connection error COMPRESSION_ERROR (RFC 9113 §4.3)") { p, s in
            p.send(rawFrame(HEADERS, flags: endStream | endHeaders, stream: 1, [0x82, 0x86, 0x84, 0xc6]))
            return p.expectConnectionError(.compressionError, since: s)
        }
        add("hpack/4.2", "sends a dynamic table size update larger than SETTINGS_HEADER_TABLE_SIZE",
            "RFC 7541 §4.2, §6.3: a size update above the decoder's limit is a decoding error: COMPRESSION_ERROR") { p, s in
            // 0x3f 0xe1 0x1f: size update to 4 097 (5-bit prefix).
            p.send(rawFrame(HEADERS, flags: endStream | endHeaders, stream: 1, [0x3f, 0xe2, 0x1f, 0x82, 0x86, 0x84]))
            return p.expectConnectionError(.compressionError, since: s)
        }
        add("hpack/4.2", "sends a dynamic table size update after a field",
            "RFC 7541 §4.2: size updates must open the block; one after a field is a decoding error: COMPRESSION_ERROR") { p, s in
            p.send(rawFrame(HEADERS, flags: endStream | endHeaders, stream: 1, [0x82, 0x20, 0x86, 0x84]))
            return p.expectConnectionError(.compressionError, since: s)
        }
        add("hpack/5.2", "sends a Huffman string padded with more than 7 bits",
            "RFC 7541 §5.2: padding longer than 7 bits is a decoding error: COMPRESSION_ERROR") { p, s in
            // :path with a Huffman value "/" (0x63 → 6 bits) followed by a whole octet of 1s.
            p.send(rawFrame(HEADERS, flags: endStream | endHeaders, stream: 1, [0x82, 0x86, 0x44, 0x82, 0x63, 0xff]))
            return p.expectConnectionError(.compressionError, since: s)
        }
        add("hpack/5.2", "sends a Huffman string whose padding is not all 1s",
            "RFC 7541 §5.2: padding that is not the most significant bits of EOS is a decoding error: COMPRESSION_ERROR") { p, s in
            p.send(rawFrame(HEADERS, flags: endStream | endHeaders, stream: 1, [0x82, 0x86, 0x44, 0x81, 0x60]))
            return p.expectConnectionError(.compressionError, since: s)
        }
        add("hpack/6.1", "refers to index 0",
            "RFC 7541 §6.1: index 0 is not a valid index; it is a decoding error: COMPRESSION_ERROR") { p, s in
            p.send(rawFrame(HEADERS, flags: endStream | endHeaders, stream: 1, [0x80, 0x82, 0x86, 0x84]))
            return p.expectConnectionError(.compressionError, since: s)
        }
        add("hpack/5.1", "sends an integer that overflows",
            "RFC 7541 §5.1: an integer too large to represent is a decoding error: COMPRESSION_ERROR") { p, s in
            p.send(rawFrame(HEADERS, flags: endStream | endHeaders, stream: 1,
                            [0x82, 0x86, 0x84, 0xff] + Array(repeating: 0xff, count: 10) + [0x01]))
            return p.expectConnectionError(.compressionError, since: s)
        }
        add("hpack/6.2.1", "adds a field to the dynamic table, then refers to it in the next request",
            "RFC 7541 §6.2.1, §2.3.3: a literal with incremental indexing becomes index 62 for the next block; both requests are answered") { p, s in
            p.send(p.request(1, extra: [HeaderField("x-h2lab", "indexed")]))
            guard p.expectResponse(1, since: s) == .passed else { return .failed(expected: "a response on stream 1", got: p.got(since: s)) }
            p.send(p.request(3, extra: [HeaderField("x-h2lab", "indexed")]))
            return p.expectResponse(3, since: s)
        }
        add("hpack/6.3", "shrinks the dynamic table to 0 at the start of a block, then grows it back",
            "RFC 7541 §6.3, §4.2: size updates at the start of a block within the limit are accepted; the request is answered") { p, s in
            let block = p.headerBlock(p.requestFields(extra: [HeaderField("x-h2lab", "1")]))
            p.send(rawFrame(HEADERS, flags: endStream | endHeaders, stream: 1, [0x20, 0x3f, 0xe1, 0x1f] + block))
            return p.expectResponse(1, since: s)
        }

        // More of the same sections: what must be accepted, and the remaining malformed forms.
        add("3.4", "sends the preface, then PING instead of SETTINGS",
            "§3.4: the client preface must be followed by a SETTINGS frame; anything else first is a connection error PROTOCOL_ERROR",
            handshake: false) { p, s in
            p.send(connectionPreface, note: "connection preface")
            p.send(rawFrame(PING, stream: 0, Array("h2lab!!!".utf8)))
            return p.expectConnectionError(.protocolError, since: s)
        }
        add("4.2", "sends a SETTINGS frame larger than SETTINGS_MAX_FRAME_SIZE",
            "§4.2: an oversized SETTINGS (it changes connection state) is a connection error FRAME_SIZE_ERROR") { p, s in
            let count = Int(p.serverSettings.maxFrameSize) / 6 + 1
            p.send(rawFrame(SETTINGS, stream: 0, (0..<count).flatMap { _ in setting(3, 100) }))
            return p.expectConnectionError(.frameSizeError, since: s)
        }
        add("5.1", "open: sends HEADERS, then DATA with END_STREAM",
            "§5.1: an open stream takes DATA; END_STREAM half-closes it and the request is answered") { p, s in
            p.send(p.request(1, flags: endHeaders, method: "POST"))
            p.send(rawFrame(DATA, flags: endStream, stream: 1, Array("test".utf8)))
            return p.expectResponse(1, since: s)
        }
        for (kind, frame) in [("WINDOW_UPDATE", rawFrame(WINDOW, stream: 1, be32(100))),
                              ("PRIORITY", rawFrame(PRIORITY, stream: 1, be32(0) + [15])),
                              ("RST_STREAM", rawFrame(RST, stream: 1, be32(8)))] {
            add("5.1", "half-closed (remote): sends \(kind)",
                "§5.1: a half-closed (remote) stream still takes \(kind); it is no error") { p, s in
                p.send(p.request(1))
                p.send(frame)
                return p.expectIgnored(since: s, "\(kind) to be accepted")
            }
        }
        for (kind, frame) in [("WINDOW_UPDATE", rawFrame(WINDOW, stream: 1, be32(100))),
                              ("RST_STREAM", rawFrame(RST, stream: 1, be32(8))),
                              ("PRIORITY", rawFrame(PRIORITY, stream: 1, be32(0) + [15]))] {
            add("5.1", "closed: sends \(kind) just after the stream ended",
                "§5.1: \(kind) arriving shortly after a stream closed must be ignored") { p, s in
                p.send(p.request(1))
                _ = p.next { ($0.type == .data || $0.type == .headers) && $0.stream == 1 && $0.flags & endStream != 0 }
                p.send(frame)
                return p.expectIgnored(since: s, "\(kind) to be ignored")
            }
        }
        add("5.1.1", "reuses stream 1 after it closed",
            "§5.1.1: a stream identifier cannot be reused; a new HEADERS on a closed stream is an error STREAM_CLOSED or PROTOCOL_ERROR") { p, s in
            p.send(p.request(1))
            _ = p.next { ($0.type == .data || $0.type == .headers) && $0.stream == 1 && $0.flags & endStream != 0 }
            p.send(p.request(1))
            return p.expectStreamError(1, .streamClosed, .protocolError, since: s)
        }
        add("6.1", "sends padded DATA",
            "§6.1: DATA may be padded; the padding is discarded and the request answered") { p, s in
            p.send(p.request(1, flags: endHeaders, method: "POST"))
            p.send(rawFrame(DATA, flags: endStream | padded, stream: 1, [4] + Array("test".utf8) + [0, 0, 0, 0]))
            return p.expectResponse(1, since: s)
        }
        add("6.2", "sends padded HEADERS",
            "§6.2: HEADERS may be padded; the request is answered") { p, s in
            let block = p.headerBlock(p.requestFields())
            p.send(rawFrame(HEADERS, flags: endStream | endHeaders | padded, stream: 1, [3] + block + [0, 0, 0]))
            return p.expectResponse(1, since: s)
        }
        add("6.2", "sends HEADERS with priority fields",
            "§6.2: the PRIORITY flag adds 5 octets of priority before the block; the request is answered") { p, s in
            let block = p.headerBlock(p.requestFields())
            p.send(rawFrame(HEADERS, flags: endStream | endHeaders | priorityFlag, stream: 1, be32(0) + [15] + block))
            return p.expectResponse(1, since: s)
        }
        add("6.3", "sends PRIORITY on an open stream",
            "§6.3: PRIORITY on an open stream changes nothing the server must answer") { p, s in
            p.send(p.request(1, flags: endHeaders, method: "POST"))
            p.send(rawFrame(PRIORITY, stream: 1, be32(0) + [200]))
            return p.expectIgnored(since: s, "PRIORITY to be accepted")
        }
        add("6.3", "sends PRIORITY making one request depend on another",
            "§6.3: a dependency on another stream is accepted (RFC 9113 deprecates the scheme, not the frame)") { p, s in
            p.send(p.request(1, flags: endHeaders, method: "POST"))
            p.send(p.request(3, flags: endHeaders, method: "POST"))
            p.send(rawFrame(PRIORITY, stream: 3, be32(1) + [15]))
            return p.expectIgnored(since: s, "PRIORITY to be accepted")
        }
        add("6.4", "sends RST_STREAM with 5 octets",
            "§6.4: an RST_STREAM of any length but 4 is a connection error FRAME_SIZE_ERROR") { p, s in
            p.send(p.request(1, flags: endHeaders, method: "POST"))
            p.send(rawFrame(RST, stream: 1, [0, 0, 0, 8, 0]))
            return p.expectConnectionError(.frameSizeError, since: s)
        }
        add("6.4", "sends RST_STREAM on an open stream",
            "§6.4: RST_STREAM closes the stream at once; the server sends nothing more on it, and no error") { p, s in
            p.send(p.request(1, flags: endHeaders, method: "POST"))
            p.send(rawFrame(RST, stream: 1, be32(8)))
            return p.expectIgnored(since: s, "the reset to be accepted")
        }
        add("6.5", "sends SETTINGS of 7 octets",
            "§6.5: a SETTINGS payload that is not a multiple of 6 is a connection error FRAME_SIZE_ERROR") { p, s in
            p.send(rawFrame(SETTINGS, stream: 0, setting(3, 100) + [0]))
            return p.expectConnectionError(.frameSizeError, since: s)
        }
        add("6.5", "sends SETTINGS with no parameters",
            "§6.5: an empty SETTINGS is valid and acknowledged") { p, s in
            p.send(rawFrame(SETTINGS, stream: 0))
            let answer = p.next { ($0.type == .settings && $0.flags & 1 != 0) || $0.type == .goaway }
            return answer?.type == .settings ? .passed : .failed(expected: "SETTINGS ACK", got: p.got(since: s))
        }
        let accepted: [(String, UInt16, UInt32)] = [
            ("SETTINGS_ENABLE_PUSH of 1", 2, 1), ("SETTINGS_MAX_CONCURRENT_STREAMS of 0", 3, 0),
            ("SETTINGS_INITIAL_WINDOW_SIZE of 2^31-1", 4, 0x7fff_ffff), ("SETTINGS_MAX_FRAME_SIZE of 2^24-1", 5, 0xff_ffff),
            ("SETTINGS_MAX_HEADER_LIST_SIZE of 1 000", 6, 1_000), ("SETTINGS_HEADER_TABLE_SIZE of 0", 1, 0),
        ]
        for (what, id, value) in accepted {
            add("6.5.2", "sends \(what)",
                "§6.5.2: \(what) is within the setting's range: applied and acknowledged") { p, s in
                p.send(rawFrame(SETTINGS, stream: 0, setting(id, value)))
                let answer = p.next { ($0.type == .settings && $0.flags & 1 != 0) || $0.type == .goaway }
                return answer?.type == .settings ? .passed : .failed(expected: "SETTINGS ACK", got: p.got(since: s))
            }
        }
        add("6.5.2", "sets SETTINGS_HEADER_TABLE_SIZE to 0, then requests",
            "§6.5.2, RFC 7541 §4.2: the server's encoder must keep to a table of 0 octets; the response decodes without it",
            settings: [Setting(.headerTableSize, 0)]) { p, s in
            p.send(p.request(1))
            guard let answer = p.next(where: { ($0.type == .headers && $0.stream == 1) || $0.type == .goaway }),
                  case .headers(let block, _)? = answer.frame?.payload else {
                return .failed(expected: "a response on stream 1", got: p.got(since: s))
            }
            var strict = HPACKDecoder(tableSize: 0)
            do {
                _ = try strict.decode(block)
                return .passed
            } catch {
                return .failed(expected: "a response that decodes with a 0-octet table", got: "\(error)")
            }
        }
        add("6.7", "sends PING of 9 octets",
            "§6.7: a PING of any length but 8 is a connection error FRAME_SIZE_ERROR") { p, s in
            p.send(rawFrame(PING, stream: 0, Array("h2lab!!!!".utf8)))
            return p.expectConnectionError(.frameSizeError, since: s)
        }
        add("6.9", "sends WINDOW_UPDATE of 5 octets",
            "§6.9: a WINDOW_UPDATE of any length but 4 is a connection error FRAME_SIZE_ERROR") { p, s in
            p.send(rawFrame(WINDOW, stream: 0, [0, 0, 0, 1, 0]))
            return p.expectConnectionError(.frameSizeError, since: s)
        }
        add("6.9", "sends WINDOW_UPDATE on a half-closed (remote) stream",
            "§6.9: WINDOW_UPDATE may arrive on a half-closed (remote) stream; it is no error") { p, s in
            p.send(p.request(1))
            p.send(rawFrame(WINDOW, stream: 1, be32(1_000)))
            return p.expectIgnored(since: s, "WINDOW_UPDATE to be accepted")
        }
        add("6.9", "sends WINDOW_UPDATE with the reserved bit set",
            "§6.9: the reserved bit of the increment is ignored; an increment of 1 is valid") { p, s in
            p.send(rawFrame(WINDOW, stream: 0, be32(0x8000_0001)))
            return p.expectIgnored(since: s, "WINDOW_UPDATE to be accepted")
        }
        add("6.9.1", "sets SETTINGS_INITIAL_WINDOW_SIZE to 0, requests, then opens the window",
            "§6.9.1: a sender must not exceed the window: no DATA until WINDOW_UPDATE, then the response body",
            settings: [Setting(.initialWindowSize, 0)]) { p, s in
            p.send(p.request(1))
            _ = p.next(within: 0.3) { $0.type == .data && $0.stream == 1 && !$0.payload.isEmpty }
            if p.received.dropFirst(s).contains(where: { $0.type == .data && $0.stream == 1 && !$0.payload.isEmpty }) {
                return .failed(expected: "no DATA while the stream window is 0", got: p.got(since: s))
            }
            p.send(rawFrame(WINDOW, stream: 1, be32(100_000)))
            let data = p.next { ($0.type == .data && $0.stream == 1) || $0.type == .goaway }
            return data?.type == .data ? .passed : .failed(expected: "DATA once the window opened", got: p.got(since: s))
        }
        add("6.10", "sends a CONTINUATION of 0 octets that ends the block",
            "§6.10: a CONTINUATION may be empty; END_HEADERS ends the block and the request is answered") { p, s in
            p.send(rawFrame(HEADERS, flags: endStream, stream: 1, p.headerBlock(p.requestFields())))
            p.send(rawFrame(CONTINUATION, flags: endHeaders, stream: 1))
            return p.expectResponse(1, since: s)
        }
        add("6.10", "sends HEADERS without END_HEADERS, then HEADERS on the same stream",
            "§6.10: only CONTINUATION may follow an unfinished field block: connection error PROTOCOL_ERROR") { p, s in
            p.send(rawFrame(HEADERS, flags: endStream, stream: 1, p.headerBlock(p.requestFields())))
            p.send(p.request(1))
            return p.expectConnectionError(.protocolError, since: s)
        }
        add("8.1", "sends a request body in several DATA frames",
            "§8.1: a message body is carried by any number of DATA frames; the request is answered") { p, s in
            p.send(p.request(1, flags: endHeaders, method: "POST", extra: [HeaderField("content-length", "12")]))
            p.send(rawFrame(DATA, stream: 1, Array("abcd".utf8)) + rawFrame(DATA, stream: 1, Array("efgh".utf8))
                   + rawFrame(DATA, flags: endStream, stream: 1, Array("ijkl".utf8)))
            return p.expectResponse(1, since: s)
        }
        add("8.1", "sends a request with trailers",
            "§8.1: trailers follow the body in a HEADERS frame with END_STREAM; the request is answered") { p, s in
            p.send(p.request(1, flags: endHeaders, method: "POST"))
            p.send(rawFrame(DATA, stream: 1, Array("test".utf8)))
            p.send(rawFrame(HEADERS, flags: endStream | endHeaders, stream: 1, p.headerBlock([HeaderField("x-trailer", "1")])))
            return p.expectResponse(1, since: s)
        }
        add("8.1", "sends HEAD",
            "§8.1: a HEAD request is answered with the header section (and no body)") { p, s in
            p.send(p.request(1, method: "HEAD"))
            return p.expectResponse(1, since: s)
        }
        add("8.1.1", "sends content-length 0 with a 1-octet body",
            "§8.1.1: a body longer than content-length makes the request malformed: stream error PROTOCOL_ERROR") { p, s in
            p.send(p.request(1, flags: endHeaders, method: "POST", extra: [HeaderField("content-length", "0")]))
            p.send(rawFrame(DATA, flags: endStream, stream: 1, Array("x".utf8)))
            return p.expectStreamError(1, .protocolError, since: s)
        }
        for (what, field) in [("a colon inside its name", HeaderField("x:y", "1")),
                              ("a value starting with a space", HeaderField("x-space", " leading")),
                              ("a value ending with a tab", HeaderField("x-tab", "trailing\t")),
                              ("a value containing LF", HeaderField("x-lf", "a\nb")),
                              ("a value containing CR", HeaderField("x-cr", "a\rb"))] {
            add("8.2.1", "sends a field with \(what)",
                "§8.2.1: a field with \(what) \(malformed)") { p, s in
                p.send(p.request(1, extra: [field]))
                return p.expectStreamError(1, .protocolError, since: s)
            }
        }
        for name in ["keep-alive", "proxy-connection", "transfer-encoding", "upgrade"] {
            add("8.2.2", "sends the connection-specific field \(name)",
                "§8.2.2: \(name) is connection-specific and must not appear in HTTP/2; it \(malformed)") { p, s in
                p.send(p.request(1, extra: [HeaderField(name, name == "transfer-encoding" ? "chunked" : "1")]))
                return p.expectStreamError(1, .protocolError, since: s)
            }
        }
        add("8.3.1", "sends a request with :authority twice",
            "§8.3: a pseudo-header field appears at most once; a second :authority \(malformed)") { p, s in
            let fields = p.requestFields()
            p.send(p.request(1, fields: fields + fields.filter { $0.name == ":authority" }))
            return p.expectStreamError(1, .protocolError, since: s)
        }
        add("8.5", "sends CONNECT with :scheme and :path",
            "§8.5: a CONNECT request carries only :method and :authority; :scheme or :path \(malformed)") { p, s in
            p.send(p.request(1, fields: [HeaderField(":method", "CONNECT"), HeaderField(":scheme", "http"),
                                         HeaderField(":path", "/"), HeaderField(":authority", "example.com:443")]))
            return p.expectStreamError(1, .protocolError, since: s)
        }
        add("8.5", "sends CONNECT without :authority",
            "§8.5: a CONNECT request must carry :authority; without it \(malformed)") { p, s in
            p.send(p.request(1, fields: [HeaderField(":method", "CONNECT")]))
            return p.expectStreamError(1, .protocolError, since: s)
        }
        add("hpack/6.2.2", "sends a literal field without indexing, new name",
            "RFC 7541 §6.2.2: a literal without indexing is decoded and leaves the table alone; the request is answered") { p, s in
            var policy = EncoderPolicy()
            policy.indexing = .withoutIndexing
            p.encoder.policy = policy
            p.send(p.request(1, extra: [HeaderField("x-literal", "plain")]))
            return p.expectResponse(1, since: s)
        }
        add("hpack/6.2.3", "sends a never-indexed literal field",
            "RFC 7541 §6.2.3: a never-indexed literal is decoded like any other; the request is answered") { p, s in
            var policy = EncoderPolicy()
            policy.indexing = .neverIndexed
            p.encoder.policy = policy
            p.send(p.request(1, extra: [HeaderField("authorization", "secret")]))
            return p.expectResponse(1, since: s)
        }
        add("hpack/5.2", "sends every string Huffman-coded",
            "RFC 7541 §5.2: Huffman-coded strings are decoded; the request is answered") { p, s in
            var policy = EncoderPolicy()
            policy.huffman = .always
            p.encoder.policy = policy
            p.send(p.request(1, extra: [HeaderField("x-huffman", "every string coded")]))
            return p.expectResponse(1, since: s)
        }
        add("hpack/5.2", "sends a Huffman string that contains EOS",
            "RFC 7541 §5.2: a Huffman string containing the EOS symbol is a decoding error: COMPRESSION_ERROR") { p, s in
            // :path with a 4-octet Huffman value of all 1s: the 30-bit EOS code, then padding.
            p.send(rawFrame(HEADERS, flags: endStream | endHeaders, stream: 1, [0x82, 0x86, 0x44, 0x84, 0xff, 0xff, 0xff, 0xff]))
            return p.expectConnectionError(.compressionError, since: s)
        }
        add("hpack/5.2", "sends a string longer than the header block",
            "RFC 7541 §5.2: a string whose length runs past the block is a decoding error: COMPRESSION_ERROR") { p, s in
            p.send(rawFrame(HEADERS, flags: endStream | endHeaders, stream: 1, [0x82, 0x86, 0x84, 0x40, 0x0a, 0x61]))
            return p.expectConnectionError(.compressionError, since: s)
        }
        add("hpack/2.3.3", "refers to the entry just past the dynamic table",
            "RFC 7541 §2.3.3: with one entry (62) in the table, index 63 is a decoding error: COMPRESSION_ERROR") { p, s in
            // A literal with incremental indexing adds x: y as 62; 0xbf is index 63.
            p.send(rawFrame(HEADERS, flags: endStream | endHeaders, stream: 1,
                            [0x82, 0x86, 0x84, 0x40, 0x01, 0x78, 0x01, 0x79, 0xbf]))
            return p.expectConnectionError(.compressionError, since: s)
        }
        add("hpack/4.2", "sends a size update to exactly SETTINGS_HEADER_TABLE_SIZE",
            "RFC 7541 §4.2: a size update up to the limit is valid; the request is answered") { p, s in
            let block = p.headerBlock(p.requestFields())
            p.send(rawFrame(HEADERS, flags: endStream | endHeaders, stream: 1, [0x3f, 0xe1, 0x1f] + block))
            return p.expectResponse(1, since: s)
        }
        add("generic", "sends a GET request",
            "§8.1: a request of HEADERS with END_STREAM gets a complete response") { p, s in
            p.send(p.request(1))
            let end = p.next { ($0.type == .data || $0.type == .headers) && $0.stream == 1 && $0.flags & endStream != 0 || $0.type == .goaway }
            return end != nil && end?.type != .goaway ? .passed : .failed(expected: "a complete response on stream 1", got: p.got(since: s))
        }
        add("generic", "sends many requests on one connection",
            "§5.1, §5.1.2: streams are independent; ten requests on streams 1 to 19 are all answered") { p, s in
            var bytes: [UInt8] = []
            for i in 0..<10 { bytes += p.request(UInt32(2 * i + 1)) }
            p.send(bytes, note: "HEADERS with END_STREAM on streams 1, 3, … 19")
            for i in 0..<10 where p.expectResponse(UInt32(2 * i + 1), since: s) != .passed {
                return .failed(expected: "responses on streams 1 to 19", got: p.got(since: s))
            }
            return .passed
        }
        add("generic", "sends a request with 100 fields",
            "§8.2: a request with many fields within the server's limits is answered") { p, s in
            p.send(p.request(1, extra: (0..<100).map { HeaderField("x-field-\($0)", "value \($0)") }))
            return p.expectResponse(1, since: s)
        }
        return list
    }()
}
