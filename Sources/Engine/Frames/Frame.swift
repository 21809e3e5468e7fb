/// The priority fields of HEADERS (with the PRIORITY flag) and of PRIORITY frames, RFC 9113 §5.3.2.
/// RFC 9113 deprecates this scheme; frames that carry it are still parsed and reported.
public struct PriorityFields: Hashable, Sendable {
    public var exclusive: Bool
    public var dependency: UInt32
    /// The weight as sent on the wire (0...255); the weight it means is one more.
    public var weight: UInt8

    public init(exclusive: Bool = false, dependency: UInt32 = 0, weight: UInt8 = 15) {
        self.exclusive = exclusive
        self.dependency = dependency
        self.weight = weight
    }
}

/// What a frame carries, by type (RFC 9113 §6). Padding and flags live in `Frame`.
public enum FramePayload: Hashable, Sendable {
    case data([UInt8])
    case headers(block: [UInt8], priority: PriorityFields?)
    case priority(PriorityFields)
    case rstStream(ErrorCode)
    case settings([Setting])
    case pushPromise(promisedStreamID: UInt32, block: [UInt8])
    case ping(UInt64)
    case goaway(lastStreamID: UInt32, errorCode: ErrorCode, debugData: [UInt8])
    case windowUpdate(increment: UInt32)
    case continuation(block: [UInt8])
    /// RFC 9218 §7.1 (type 0x10, on stream 0): a client's priority for one stream, as the text of
    /// a `priority` field value.
    case priorityUpdate(prioritizedStreamID: UInt32, fieldValue: [UInt8])
    /// A frame of a type this endpoint does not know: kept and reported, otherwise ignored (§5.5).
    case unknown(type: UInt8, payload: [UInt8])
}

/// One HTTP/2 frame as a value.
public struct Frame: Hashable, Sendable {
    public var streamID: UInt32
    public var flags: FrameFlags
    public var payload: FramePayload
    /// The pad length, for DATA, HEADERS and PUSH_PROMISE sent or received with PADDED (§6.1).
    public var padLength: UInt8?
    /// The reserved bit of the stream identifier: must be sent as 0 and ignored on receipt (§4.1).
    public var reservedBit = false

    public init(streamID: UInt32, flags: FrameFlags = [], payload: FramePayload, padLength: UInt8? = nil) {
        self.streamID = streamID
        self.flags = flags
        self.payload = payload
        self.padLength = padLength
    }

    public var type: FrameType {
        switch payload {
        case .data: return .data
        case .headers: return .headers
        case .priority: return .priority
        case .rstStream: return .rstStream
        case .settings: return .settings
        case .pushPromise: return .pushPromise
        case .ping: return .ping
        case .goaway: return .goaway
        case .windowUpdate: return .windowUpdate
        case .continuation: return .continuation
        case .priorityUpdate: return .priorityUpdate
        case .unknown(let type, _): return FrameType(type)
        }
    }

    public var endStream: Bool { (type == .data || type == .headers) && flags.contains(.endStream) }
    public var endHeaders: Bool { flags.contains(.endHeaders) }

    /// A frame that carries nothing and ends nothing: DATA of no octets without END_STREAM, or a
    /// header fragment of no octets without END_HEADERS (what an empty-frames flood sends).
    public var isEmptyAndUnending: Bool {
        switch payload {
        case .data(let bytes): return bytes.isEmpty && !endStream
        case .headers(let block, _), .continuation(let block): return block.isEmpty && !endHeaders
        default: return false
        }
    }
    public var isAck: Bool { (type == .settings || type == .ping) && flags.contains(.ack) }

    /// The payload length on the wire, padding included.
    public var payloadLength: Int {
        let padding = padLength.map { Int($0) + 1 } ?? 0
        switch payload {
        case .data(let bytes): return bytes.count + padding
        case .headers(let block, let priority): return block.count + (priority == nil ? 0 : 5) + padding
        case .priority: return 5
        case .rstStream: return 4
        case .settings(let list): return list.count * 6
        case .pushPromise(_, let block): return 4 + block.count + padding
        case .ping: return 8
        case .goaway(_, _, let debug): return 8 + debug.count
        case .windowUpdate: return 4
        case .continuation(let block): return block.count
        case .priorityUpdate(_, let value): return 4 + value.count
        case .unknown(_, let payload): return payload.count
        }
    }

    /// The flags as written on the wire: PADDED and PRIORITY follow the fields actually present.
    public var wireFlags: FrameFlags {
        var result = flags
        switch payload {
        case .data, .headers, .pushPromise:
            if padLength != nil { result.insert(.padded) } else { result.remove(.padded) }
        default: break
        }
        if case .headers(_, let priority) = payload {
            if priority != nil { result.insert(.priority) } else { result.remove(.priority) }
        }
        return result
    }

    // MARK: Constructors for the common frames

    public static func data(_ stream: UInt32, _ bytes: [UInt8], endStream: Bool = false) -> Frame {
        Frame(streamID: stream, flags: endStream ? .endStream : [], payload: .data(bytes))
    }

    public static func headers(
        _ stream: UInt32, block: [UInt8], endStream: Bool = false, endHeaders: Bool = true, priority: PriorityFields? = nil
    ) -> Frame {
        var flags: FrameFlags = []
        if endStream { flags.insert(.endStream) }
        if endHeaders { flags.insert(.endHeaders) }
        return Frame(streamID: stream, flags: flags, payload: .headers(block: block, priority: priority))
    }

    public static func settings(_ list: [Setting]) -> Frame { Frame(streamID: 0, payload: .settings(list)) }
    public static let settingsAck = Frame(streamID: 0, flags: .ack, payload: .settings([]))
    public static func ping(_ opaque: UInt64, ack: Bool = false) -> Frame {
        Frame(streamID: 0, flags: ack ? .ack : [], payload: .ping(opaque))
    }
    public static func goaway(lastStreamID: UInt32, _ code: ErrorCode, debug: String = "") -> Frame {
        Frame(streamID: 0, payload: .goaway(lastStreamID: lastStreamID, errorCode: code, debugData: Array(debug.utf8)))
    }
    public static func rstStream(_ stream: UInt32, _ code: ErrorCode) -> Frame {
        Frame(streamID: stream, payload: .rstStream(code))
    }
    public static func windowUpdate(_ stream: UInt32, increment: UInt32) -> Frame {
        Frame(streamID: stream, payload: .windowUpdate(increment: increment))
    }
}

/// The connection preface a client sends first (RFC 9113 §3.4).
public let connectionPreface: [UInt8] = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

extension Frame {
    /// A header block as frames no larger than `maxFrameSize` (§4.3, §6.10): HEADERS (with
    /// END_STREAM and the priority fields, if any), or PUSH_PROMISE promising `promised`, carrying
    /// as much as fits, then CONTINUATION frames; END_HEADERS on the last.
    public static func headerBlock(_ block: [UInt8], stream id: UInt32, endStream: Bool = false, priority: PriorityFields? = nil,
                                   promised: UInt32? = nil, maxFrameSize: Int) -> [Frame] {
        var frames: [Frame] = []
        headerBlock(block, stream: id, endStream: endStream, priority: priority, promised: promised,
                    maxFrameSize: maxFrameSize) { frames.append($0) }
        return frames
    }

    /// `headerBlock`, handing each frame to `emit` in order (a sender's hot path: no list of
    /// frames, and a block that fits in one frame is carried as it is, not copied).
    public static func headerBlock(_ block: [UInt8], stream id: UInt32, endStream: Bool = false, priority: PriorityFields? = nil,
                                   promised: UInt32? = nil, maxFrameSize: Int, emit: (Frame) -> Void) {
        let room = maxFrameSize - (promised != nil ? 4 : priority != nil ? 5 : 0)
        let fits = block.count <= room
        let head = fits ? block : Array(block.prefix(room))
        var flags: FrameFlags = fits ? .endHeaders : []
        if let promised {
            emit(Frame(streamID: id, flags: flags, payload: .pushPromise(promisedStreamID: promised, block: head)))
        } else {
            if endStream { flags.insert(.endStream) }
            emit(Frame(streamID: id, flags: flags, payload: .headers(block: head, priority: priority)))
        }
        var rest = block[head.count...]
        while !rest.isEmpty {
            let chunk = Array(rest.prefix(maxFrameSize))
            rest = rest.dropFirst(chunk.count)
            emit(Frame(streamID: id, flags: rest.isEmpty ? .endHeaders : [], payload: .continuation(block: chunk)))
        }
    }
}
