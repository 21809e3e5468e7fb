/// The 9-octet frame header, RFC 9113 §4.1.
public struct FrameHeader: Hashable, Sendable {
    public var length: Int
    public var type: FrameType
    public var flags: FrameFlags
    public var streamID: UInt32
    public var reservedBit: Bool

    public static let size = 9

    /// Reads a header from the first nine octets of `bytes`.
    public init?<C: Collection>(_ bytes: C) where C.Element == UInt8, C.Index == Int {
        guard bytes.count >= 9 else { return nil }
        let b = bytes.startIndex
        length = Int(bytes[b]) << 16 | Int(bytes[b + 1]) << 8 | Int(bytes[b + 2])
        type = FrameType(bytes[b + 3])
        flags = FrameFlags(rawValue: bytes[b + 4])
        let raw = UInt32(bytes[b + 5]) << 24 | UInt32(bytes[b + 6]) << 16 | UInt32(bytes[b + 7]) << 8 | UInt32(bytes[b + 8])
        reservedBit = raw & 0x8000_0000 != 0
        streamID = raw & 0x7fff_ffff
    }
}

/// What the decoder found next in the byte stream.
public enum DecodedItem: Hashable, Sendable {
    /// The client connection preface (§3.4).
    case preface
    case frame(Frame)
    /// A frame that breaks a rule of §4 or §6. For a stream error the frame has been consumed and
    /// decoding can go on; after a connection error the connection must end.
    case malformed(ProtocolError, FrameHeader?)
}

/// An incremental frame decoder: feed it bytes in chunks of any size, take items out as they
/// complete. One byte at a time gives the same items as the whole stream at once.
public struct FrameDecoder: Sendable {
    /// The largest payload accepted: this endpoint's SETTINGS_MAX_FRAME_SIZE (§4.2).
    public var maxFrameSize: Int = 16_384
    /// Whether the client preface must come first (true for a server).
    public private(set) var awaitingPreface: Bool
    /// Set when the bytes that should have been a preface look like an HTTP/1.x request line.
    public private(set) var looksLikeHTTP1 = false
    private var buffer: [UInt8] = []
    private var readIndex = 0
    private var failed = false

    public init(expectPreface: Bool) {
        awaitingPreface = expectPreface
    }

    /// Octets received but not yet part of a complete item.
    public var bufferedCount: Int { buffer.count - readIndex }

    public mutating func append<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        if readIndex > 0 && readIndex >= buffer.count / 2 {
            buffer.removeSubrange(0..<readIndex)
            readIndex = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// Lets go of the octets already decoded, and of the buffer's spare room. A server keeps them
    /// to reuse the buffer; the lab calls this before it keeps a copy of the connection for `back`,
    /// which would otherwise hold the last frame's octets in every snapshot.
    mutating func releaseDecoded() {
        buffer = Array(buffer[readIndex...])
        readIndex = 0
    }

    /// The next complete item, or nil if more bytes are needed. After a connection error it
    /// returns nil for ever.
    public mutating func next() -> DecodedItem? {
        if failed { return nil }
        let available = buffer.count - readIndex
        if awaitingPreface {
            let n = min(available, connectionPreface.count)
            for i in 0..<n where buffer[readIndex + i] != connectionPreface[i] {
                failed = true
                looksLikeHTTP1 = Self.isHTTP1RequestStart(buffer[readIndex...])
                return .malformed(.connection(.protocolError, "§3.4", "the client connection preface is missing or wrong"), nil)
            }
            guard n == connectionPreface.count else { return nil }
            readIndex += n
            awaitingPreface = false
            return .preface
        }
        guard let header = FrameHeader(buffer[readIndex..<buffer.count]) else { return nil }
        if header.length > maxFrameSize {
            // §4.2: the frame cannot be read safely, so this is a connection error whatever the type.
            failed = true
            return .malformed(.connection(.frameSizeError, "§4.2",
                "\(header.type) of \(header.length) octets exceeds SETTINGS_MAX_FRAME_SIZE \(maxFrameSize)"), header)
        }
        guard available >= FrameHeader.size + header.length else { return nil }
        let start = readIndex + FrameHeader.size
        let payload = buffer[start..<(start + header.length)]
        readIndex = start + header.length
        switch FrameParser.parse(header, payload) {
        case .success(let frame):
            return .frame(frame)
        case .failure(let error):
            if error.isConnectionError { failed = true }
            return .malformed(error, header)
        }
    }

    /// A server's hot path (`Connection.receive(bytes:)`): when the next item is a complete
    /// HEADERS frame that `FrameParser.parseHeaders` would take as it is (END_HEADERS set, neither
    /// PADDED nor PRIORITY, not on stream 0, within SETTINGS_MAX_FRAME_SIZE), it is taken: its
    /// header, and where its field block lies in the buffer (`lendBuffer`), which stays as it is
    /// until the next `append`. nil otherwise, with nothing taken: `next()` reads it.
    mutating func nextPlainHeaders() -> (header: FrameHeader, block: Range<Int>)? {
        guard !failed, !awaitingPreface, buffer.count - readIndex > FrameHeader.size,
              buffer[readIndex + 3] == FrameType.headers.rawValue,
              let header = FrameHeader(buffer[readIndex..<buffer.count]),
              header.flags.contains(.endHeaders), !header.flags.contains(.padded), !header.flags.contains(.priority),
              header.streamID != 0, header.length <= maxFrameSize,
              buffer.count - readIndex >= FrameHeader.size + header.length
        else { return nil }
        let start = readIndex + FrameHeader.size
        readIndex = start + header.length
        return (header, start..<readIndex)
    }

    /// Lends the buffer out (moved, not copied) and takes it back (`nextPlainHeaders`): its
    /// octets can then be read while the connection that holds this decoder changes.
    mutating func lendBuffer() -> [UInt8] {
        var lent: [UInt8] = []
        swap(&lent, &buffer)
        return lent
    }

    mutating func returnBuffer(_ lent: consuming [UInt8]) {
        buffer = lent
    }

    /// Decodes a complete byte string (for `h2lab decode` and tests). Items, then how many octets
    /// were left over as an incomplete frame.
    public static func decodeAll(_ bytes: [UInt8], expectPreface: Bool? = nil, maxFrameSize: Int = 16_777_215)
        -> (items: [(offset: Int, item: DecodedItem)], leftover: Int)
    {
        let preface = expectPreface ?? bytes.starts(with: connectionPreface)
        var decoder = FrameDecoder(expectPreface: preface)
        decoder.maxFrameSize = maxFrameSize
        decoder.append(bytes)
        var items: [(Int, DecodedItem)] = []
        while true {
            let offset = decoder.readIndex
            guard let item = decoder.next() else { break }
            items.append((offset, item))
        }
        return (items, decoder.bufferedCount)
    }

    public static func isHTTP1RequestStart(_ bytes: ArraySlice<UInt8>) -> Bool {
        let text = String(decoding: bytes.prefix(16), as: UTF8.self)
        return ["GET ", "POST ", "HEAD ", "PUT ", "DELETE ", "OPTIONS ", "PATCH ", "CONNECT ", "TRACE "]
            .contains { text.hasPrefix($0) || $0.hasPrefix(text) && !text.isEmpty }
    }
}

/// One parser per frame type (§6), chosen by a switch on the type. Each checks the rules of its section.
public enum FrameParser {
    public static func parse(_ header: FrameHeader, _ payload: ArraySlice<UInt8>) -> Result<Frame, ProtocolError> {
        var result: Result<Frame, ProtocolError>
        switch header.type.rawValue {
        case 0x0: result = parseData(header, payload)
        case 0x1: result = parseHeaders(header, payload)
        case 0x2: result = parsePriority(header, payload)
        case 0x3: result = parseRstStream(header, payload)
        case 0x4: result = parseSettings(header, payload)
        case 0x5: result = parsePushPromise(header, payload)
        case 0x6: result = parsePing(header, payload)
        case 0x7: result = parseGoaway(header, payload)
        case 0x8: result = parseWindowUpdate(header, payload)
        case 0x9: result = parseContinuation(header, payload)
        case 0x10: result = parsePriorityUpdate(header, payload)
        default:
            result = .success(Frame(streamID: header.streamID, flags: header.flags,
                                    payload: .unknown(type: header.type.rawValue, payload: Array(payload))))
        }
        if header.reservedBit, case .success(var frame) = result {
            frame.reservedBit = true
            result = .success(frame)
        }
        return result
    }

    static func uint32(_ p: ArraySlice<UInt8>, _ at: Int) -> UInt32 {
        let i = p.startIndex + at
        return UInt32(p[i]) << 24 | UInt32(p[i + 1]) << 16 | UInt32(p[i + 2]) << 8 | UInt32(p[i + 3])
    }

    /// Strips padding (§6.1): the pad length octet, then the padding at the end.
    static func unpad(_ h: FrameHeader, _ p: ArraySlice<UInt8>, section: String)
        -> Result<(ArraySlice<UInt8>, UInt8?), ProtocolError>
    {
        guard h.flags.contains(.padded) else { return .success((p, nil)) }
        guard let padLength = p.first else {
            return .failure(.connection(.frameSizeError, section, "\(h.type) with PADDED has no pad length octet"))
        }
        guard Int(padLength) < p.count else {
            return .failure(.connection(.protocolError, section,
                "pad length \(padLength) is not less than the payload length \(p.count)"))
        }
        return .success((p[(p.startIndex + 1)..<(p.endIndex - Int(padLength))], padLength))
    }

    /// A payload's octets as an array of their own, copied from the decoder's buffer in one
    /// move (`Array(slice)` first asks whether the slice is the whole of a native buffer it
    /// could share, with a dynamic cast, on every frame).
    @inline(__always)
    static func octets(_ slice: ArraySlice<UInt8>) -> [UInt8] {
        slice.withUnsafeBufferPointer { [UInt8]($0) }
    }

    static func requireStream(_ h: FrameHeader, _ section: String) -> ProtocolError? {
        h.streamID == 0 ? .connection(.protocolError, section, "\(h.type) on stream 0") : nil
    }

    static func requireConnection(_ h: FrameHeader, _ section: String) -> ProtocolError? {
        h.streamID != 0 ? .connection(.protocolError, section, "\(h.type) on stream \(h.streamID); it belongs on stream 0") : nil
    }

    static func priorityFields(_ p: ArraySlice<UInt8>) -> PriorityFields {
        let word = uint32(p, 0)
        return PriorityFields(exclusive: word & 0x8000_0000 != 0, dependency: word & 0x7fff_ffff, weight: p[p.startIndex + 4])
    }

    static func parseData(_ h: FrameHeader, _ p: ArraySlice<UInt8>) -> Result<Frame, ProtocolError> {
        if let error = requireStream(h, "§6.1") { return .failure(error) }
        return unpad(h, p, section: "§6.1").map { body, pad in
            Frame(streamID: h.streamID, flags: h.flags, payload: .data(octets(body)), padLength: pad)
        }
    }

    static func parseHeaders(_ h: FrameHeader, _ p: ArraySlice<UInt8>) -> Result<Frame, ProtocolError> {
        if let error = requireStream(h, "§6.2") { return .failure(error) }
        return unpad(h, p, section: "§6.2").flatMap { body, pad in
            var body = body
            var priority: PriorityFields?
            if h.flags.contains(.priority) {
                guard body.count >= 5 else {
                    return .failure(.connection(.frameSizeError, "§6.2", "HEADERS with PRIORITY is too short for the priority fields"))
                }
                // A stream that depends on itself is a stream error (§5.3.1), but one the connection
                // judges after it has decoded the field block (§4.3): refused here, the block would
                // be lost and the HPACK context with it (`Connection.completeHeaderBlock`).
                priority = priorityFields(body)
                body = body.dropFirst(5)
            }
            return .success(Frame(streamID: h.streamID, flags: h.flags,
                                  payload: .headers(block: octets(body), priority: priority), padLength: pad))
        }
    }

    static func parsePriority(_ h: FrameHeader, _ p: ArraySlice<UInt8>) -> Result<Frame, ProtocolError> {
        if let error = requireStream(h, "§6.3") { return .failure(error) }
        guard p.count == 5 else {
            return .failure(.stream(h.streamID, .frameSizeError, "§6.3", "PRIORITY payload is \(p.count) octets, not 5"))
        }
        let fields = priorityFields(p)
        if fields.dependency == h.streamID {
            return .failure(.stream(h.streamID, .protocolError, "§5.3.1", "stream \(h.streamID) depends on itself"))
        }
        return .success(Frame(streamID: h.streamID, flags: h.flags, payload: .priority(fields)))
    }

    /// RFC 9218 §7.1: on stream 0, a reserved bit and the prioritized stream (not 0), then the
    /// field value. Shorter than 4 octets it cannot hold the stream: FRAME_SIZE_ERROR (RFC 9113 §4.2).
    static func parsePriorityUpdate(_ h: FrameHeader, _ p: ArraySlice<UInt8>) -> Result<Frame, ProtocolError> {
        if let error = requireConnection(h, "RFC 9218 §7.1") { return .failure(error) }
        guard p.count >= 4 else {
            return .failure(.connection(.frameSizeError, "§4.2", "PRIORITY_UPDATE payload is \(p.count) octets, fewer than the 4 of its stream id"))
        }
        let stream = uint32(p, 0) & 0x7fff_ffff
        guard stream != 0 else {
            return .failure(.connection(.protocolError, "RFC 9218 §7.1", "PRIORITY_UPDATE for stream 0"))
        }
        return .success(Frame(streamID: 0, flags: h.flags, payload: .priorityUpdate(prioritizedStreamID: stream, fieldValue: Array(p.dropFirst(4)))))
    }

    static func parseRstStream(_ h: FrameHeader, _ p: ArraySlice<UInt8>) -> Result<Frame, ProtocolError> {
        if let error = requireStream(h, "§6.4") { return .failure(error) }
        guard p.count == 4 else {
            return .failure(.connection(.frameSizeError, "§6.4", "RST_STREAM payload is \(p.count) octets, not 4"))
        }
        return .success(Frame(streamID: h.streamID, flags: h.flags, payload: .rstStream(ErrorCode(uint32(p, 0)))))
    }

    static func parseSettings(_ h: FrameHeader, _ p: ArraySlice<UInt8>) -> Result<Frame, ProtocolError> {
        if let error = requireConnection(h, "§6.5") { return .failure(error) }
        if h.flags.contains(.ack) && !p.isEmpty {
            return .failure(.connection(.frameSizeError, "§6.5", "SETTINGS with ACK carries \(p.count) octets; it must be empty"))
        }
        guard p.count % 6 == 0 else {
            return .failure(.connection(.frameSizeError, "§6.5", "SETTINGS payload of \(p.count) octets is not a multiple of 6"))
        }
        var list: [Setting] = []
        var i = p.startIndex
        while i < p.endIndex {
            let id = SettingID(UInt16(p[i]) << 8 | UInt16(p[i + 1]))
            let setting = Setting(id, uint32(p, i + 2 - p.startIndex))
            if let (code, message) = setting.validate() {
                return .failure(.connection(code, "§6.5.2", message))
            }
            list.append(setting)
            i += 6
        }
        return .success(Frame(streamID: 0, flags: h.flags, payload: .settings(list)))
    }

    static func parsePushPromise(_ h: FrameHeader, _ p: ArraySlice<UInt8>) -> Result<Frame, ProtocolError> {
        if let error = requireStream(h, "§6.6") { return .failure(error) }
        return unpad(h, p, section: "§6.6").flatMap { body, pad in
            guard body.count >= 4 else {
                return .failure(.connection(.frameSizeError, "§6.6", "PUSH_PROMISE is too short for the promised stream ID"))
            }
            let promised = uint32(body, 0) & 0x7fff_ffff
            return .success(Frame(streamID: h.streamID, flags: h.flags,
                                  payload: .pushPromise(promisedStreamID: promised, block: Array(body.dropFirst(4))), padLength: pad))
        }
    }

    static func parsePing(_ h: FrameHeader, _ p: ArraySlice<UInt8>) -> Result<Frame, ProtocolError> {
        if let error = requireConnection(h, "§6.7") { return .failure(error) }
        guard p.count == 8 else {
            return .failure(.connection(.frameSizeError, "§6.7", "PING payload is \(p.count) octets, not 8"))
        }
        let opaque = p.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return .success(Frame(streamID: 0, flags: h.flags, payload: .ping(opaque)))
    }

    static func parseGoaway(_ h: FrameHeader, _ p: ArraySlice<UInt8>) -> Result<Frame, ProtocolError> {
        if let error = requireConnection(h, "§6.8") { return .failure(error) }
        guard p.count >= 8 else {
            return .failure(.connection(.frameSizeError, "§6.8", "GOAWAY payload is \(p.count) octets, fewer than 8"))
        }
        return .success(Frame(streamID: 0, flags: h.flags, payload: .goaway(
            lastStreamID: uint32(p, 0) & 0x7fff_ffff, errorCode: ErrorCode(uint32(p, 4)), debugData: Array(p.dropFirst(8)))))
    }

    static func parseWindowUpdate(_ h: FrameHeader, _ p: ArraySlice<UInt8>) -> Result<Frame, ProtocolError> {
        guard p.count == 4 else {
            return .failure(.connection(.frameSizeError, "§6.9", "WINDOW_UPDATE payload is \(p.count) octets, not 4"))
        }
        let increment = uint32(p, 0) & 0x7fff_ffff
        if increment == 0 {
            let message = "WINDOW_UPDATE with an increment of 0"
            return .failure(h.streamID == 0
                ? .connection(.protocolError, "§6.9", message)
                : .stream(h.streamID, .protocolError, "§6.9", message))
        }
        return .success(Frame(streamID: h.streamID, flags: h.flags, payload: .windowUpdate(increment: increment)))
    }

    static func parseContinuation(_ h: FrameHeader, _ p: ArraySlice<UInt8>) -> Result<Frame, ProtocolError> {
        if let error = requireStream(h, "§6.10") { return .failure(error) }
        return .success(Frame(streamID: h.streamID, flags: h.flags, payload: .continuation(block: octets(p))))
    }
}
