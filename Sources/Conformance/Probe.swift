import Engine
import Foundation
import Transport

/// A frame as it came off the wire: its header, raw payload, and (when it parses) the frame.
public struct RawFrame: Sendable {
    public var type: FrameType
    public var flags: UInt8
    public var stream: UInt32
    public var payload: [UInt8]
    public var frame: Frame?

    /// One line, as H2Lab's traces print frames.
    public var summary: String {
        guard let frame else { return "\(type.name) stream \(stream) (\(payload.count) octets, malformed)" }
        let line = TraceFormatter(events: false, json: false).frameLine(0, "", frame, 9 + payload.count)
        return String(line.dropFirst(4))  // drop "c0  "
    }

    public var errorCode: ErrorCode? {
        switch frame?.payload {
        case .goaway(_, let code, _)?, .rstStream(let code)?: return code
        default: return nil
        }
    }
}

/// Frame octets built by hand, for frames the engine would refuse to build (that is the point).
public func rawFrame(_ type: UInt8, flags: UInt8 = 0, stream: UInt32, _ payload: [UInt8] = []) -> [UInt8] {
    let length = payload.count
    return [UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF), type, flags,
            UInt8(stream >> 24 & 0x7F), UInt8(stream >> 16 & 0xFF), UInt8(stream >> 8 & 0xFF), UInt8(stream & 0xFF)] + payload
}

/// One connection to the server under test: sends what a case says, and reads what comes back
/// until a deadline, keeping a log of both for the report.
public final class Probe: @unchecked Sendable {
    public struct Target: Sendable {
        public var host: String
        public var port: UInt16
        public var tls: Bool
        public var authority: String

        public init(host: String, port: UInt16, tls: Bool) {
            self.host = host
            self.port = port
            self.tls = tls
            authority = "\(host):\(port)"
        }
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    let stream: ByteStream
    let target: Target
    var buffer: [UInt8] = []
    public private(set) var sent: [String] = []
    /// How many separate sends carried a frame on each stream: a stream sent on more than once had
    /// its violating frame come after the frames that opened it (Outcome.inconclusive's condition).
    public private(set) var sendsByStream: [UInt32: Int] = [:]
    public private(set) var received: [RawFrame] = []
    public private(set) var closed = false
    /// The most octets one probe reads from the server: past them it stops reading, and what it
    /// waits for counts as not come (a server that sends without end fills no memory of ours).
    public static let maxReceivedOctets = 16 << 20
    public private(set) var receivedOctets = 0
    /// Whether `maxReceivedOctets` was reached.
    public var flooded: Bool { receivedOctets >= Self.maxReceivedOctets }
    public var encoder = HPACKEncoder()
    public var decoder = HPACKDecoder(tableSize: 4096, maxHeaderListSize: nil)
    /// The server's settings, from its first SETTINGS frame.
    public private(set) var serverSettings = SettingsValues()
    let timeout: Double

    public init(_ target: Target, timeout: Double) throws {
        self.target = target
        self.timeout = timeout
        let socket: TCPSocket
        do {
            socket = try TCPSocket.connect(host: target.host, port: target.port)
        } catch {
            throw Failure(description: "cannot connect to \(target.authority): \(error)")
        }
        if target.tls {
            let tls = try TLSStream.connect(socket, context: try TLSContext.client(verify: false), host: target.host)
            guard tls.alpn == "h2" else {
                throw Failure(description: "\(target.authority) did not agree to h2 by ALPN (got \(tls.alpn.isEmpty ? "none" : tls.alpn))")
            }
            stream = tls
        } else {
            stream = socket
        }
    }

    deinit { stream.close() }

    // MARK: Sending

    /// Sends octets, noting in the log what they are.
    public func send(_ bytes: [UInt8], note: String? = nil) {
        var streams = Set<UInt32>(), offset = 0
        while offset + 9 <= bytes.count {
            streams.insert(UInt32(bytes[offset + 5] & 0x7f) << 24 | UInt32(bytes[offset + 6]) << 16 | UInt32(bytes[offset + 7]) << 8
                           | UInt32(bytes[offset + 8]))
            offset += 9 + (Int(bytes[offset]) << 16 | Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2]))
        }
        for stream in streams where stream != 0 { sendsByStream[stream, default: 0] += 1 }
        if let note {
            sent.append(note)
        } else {
            var decoder = FrameDecoder(expectPreface: false)
            decoder.maxFrameSize = 16_777_215
            decoder.append(bytes)
            var any = false
            while let item = decoder.next() {
                any = true
                switch item {
                case .frame(let frame):
                    let line = TraceFormatter(events: false, json: false).frameLine(0, "", frame, 9 + frame.payloadLength)
                    sent.append(String(line.dropFirst(4)))
                case .malformed(_, let header?):
                    sent.append("\(header.type.name) stream \(header.streamID) flags 0x\(String(header.flags.rawValue, radix: 16)), "
                                + "\(header.length) octets: \(Hex.encode(Array(bytes.prefix(40))))\(bytes.count > 40 ? "…" : "")")
                case .malformed(_, nil), .preface:
                    sent.append("\(bytes.count) octets: \(Hex.encode(Array(bytes.prefix(40))))")
                }
            }
            if !any { sent.append("\(bytes.count) octets: \(Hex.encode(Array(bytes.prefix(40))))") }
        }
        do { try stream.write(bytes) } catch { closed = true }
    }

    public func send(_ frame: Frame) { send(FrameEncoder.encode(frame)) }

    /// The connection preface and our SETTINGS, then waits for the server's SETTINGS and
    /// acknowledges them: the state every case starts from (RFC 9113 §3.4).
    public func handshake(settings: [Setting] = []) throws {
        send(connectionPreface, note: "connection preface")
        send(.settings(settings))
        guard let first = next(where: { $0.type == .settings && $0.flags & 1 == 0 }) else {
            throw Failure(description: "no SETTINGS from the server within \(timeout) s of the preface")
        }
        if case .settings(let list)? = first.frame?.payload { for setting in list { serverSettings.apply(setting) } }
        send(Frame.settingsAck)
    }

    /// A request's header block, encoded with this connection's encoder.
    public func headerBlock(_ fields: [HeaderField]) -> [UInt8] {
        var out: [UInt8] = []
        encoder.encode(fields, into: &out)
        return out
    }

    public func requestFields(method: String = "GET", path: String = "/", extra: [HeaderField] = []) -> [HeaderField] {
        [HeaderField(":method", method), HeaderField(":scheme", target.tls ? "https" : "http"),
         HeaderField(":path", path), HeaderField(":authority", target.authority)] + extra
    }

    // MARK: Reading

    /// Reads frames until one matches `predicate` (looking from frame `start` on, or only at new
    /// ones), the connection closes, or the deadline passes.
    @discardableResult
    public func next(within seconds: Double? = nil, from start: Int? = nil, where predicate: (RawFrame) -> Bool) -> RawFrame? {
        let deadline = Date().addingTimeInterval(seconds ?? timeout)
        var index = start ?? received.count
        while true {
            while index < received.count {
                defer { index += 1 }
                if predicate(received[index]) { return received[index] }
            }
            if closed || flooded { return nil }
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else { return nil }
            guard stream.waitReadable(milliseconds: pollMilliseconds(left + 0.001)) else { continue }
            guard let bytes = try? stream.read(maximum: 65_536), !bytes.isEmpty else {
                closed = true
                continue
            }
            receivedOctets += bytes.count
            buffer += bytes
            parse()
        }
    }

    /// Everything that arrives within `seconds` (or until the connection closes).
    public func drain(_ seconds: Double) { _ = next(within: seconds) { _ in false } }

    func parse() {
        while buffer.count >= 9 {
            let length = Int(buffer[0]) << 16 | Int(buffer[1]) << 8 | Int(buffer[2])
            guard buffer.count >= 9 + length else { return }
            guard let header = FrameHeader(buffer[0..<9]) else { return }
            let payload = Array(buffer[9..<(9 + length)])
            buffer.removeFirst(9 + length)
            let frame = try? FrameParser.parse(header, payload[...]).get()
            var raw = RawFrame(type: header.type, flags: header.flags.rawValue, stream: header.streamID, payload: payload, frame: frame)
            if case .headers(let block, _)? = frame?.payload, header.flags.rawValue & 0x4 != 0 {
                // Keep the HPACK context in step (no field is needed, so none is made into
                // `String`s); a block we cannot decode stays undecoded.
                _ = try? block.withUnsafeBufferPointer { try decoder.decode($0) { _, _ in } }
                raw.frame = frame
            }
            received.append(raw)
        }
    }
}

