/// A frame type, RFC 9113 §6. Types 0x0–0x9 are defined; others are extension frames that an
/// endpoint must ignore (§4.1, §5.5).
public struct FrameType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public init(_ rawValue: UInt8) { self.rawValue = rawValue }

    public static let data = FrameType(0x0)
    public static let headers = FrameType(0x1)
    public static let priority = FrameType(0x2)
    public static let rstStream = FrameType(0x3)
    public static let settings = FrameType(0x4)
    public static let pushPromise = FrameType(0x5)
    public static let ping = FrameType(0x6)
    public static let goaway = FrameType(0x7)
    public static let windowUpdate = FrameType(0x8)
    public static let continuation = FrameType(0x9)
    /// An extension frame this implementation understands: RFC 9218 §7.1.
    public static let priorityUpdate = FrameType(0x10)

    public static let names = [
        "DATA", "HEADERS", "PRIORITY", "RST_STREAM", "SETTINGS", "PUSH_PROMISE", "PING", "GOAWAY",
        "WINDOW_UPDATE", "CONTINUATION",
    ]
    public static let all: [FrameType] = (0..<UInt8(10)).map { FrameType($0) }
    /// Every type a command may name: §6's ten, then the extension types this implementation
    /// understands (RFC 9218's PRIORITY_UPDATE). Completion, hints and `help send` offer these.
    public static let allNames = names + [FrameType.priorityUpdate.name]

    public var isKnown: Bool { rawValue < UInt8(Self.names.count) }

    public var name: String {
        if isKnown { return Self.names[Int(rawValue)] }
        return self == .priorityUpdate ? "PRIORITY_UPDATE" : "UNKNOWN(0x\(String(rawValue, radix: 16)))"
    }
    public var description: String { name }

    public init?(parsing text: String) {
        if let i = Self.names.firstIndex(of: ProtocolName.normalize(text)) {
            self.init(UInt8(i))
        } else if ProtocolName.normalize(text) == FrameType.priorityUpdate.name {
            self.init(FrameType.priorityUpdate.rawValue)
        } else if let n: UInt8 = ProtocolName.number(text) {
            self.init(n)
        } else {
            return nil
        }
    }

    /// The flags this type defines, with their names (§6).
    public var definedFlags: [(FrameFlags, String)] {
        switch self {
        case .data: return [(.endStream, "END_STREAM"), (.padded, "PADDED")]
        case .headers:
            return [(.endStream, "END_STREAM"), (.endHeaders, "END_HEADERS"), (.padded, "PADDED"), (.priority, "PRIORITY")]
        case .settings, .ping: return [(.ack, "ACK")]
        case .pushPromise: return [(.endHeaders, "END_HEADERS"), (.padded, "PADDED")]
        case .continuation: return [(.endHeaders, "END_HEADERS")]
        default: return []
        }
    }

    /// Names of the flags set, with undefined bits shown in hex (they must be ignored, §4.1).
    public func flagNames(_ flags: FrameFlags) -> [String] {
        var names: [String] = []
        var rest = flags.rawValue
        for (flag, name) in definedFlags where flags.contains(flag) {
            names.append(name)
            rest &= ~flag.rawValue
        }
        if rest != 0 { names.append("0x" + String(rest, radix: 16)) }
        return names
    }
}

/// The flags octet of the frame header. The same bit means different things for different types.
public struct FrameFlags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let endStream = FrameFlags(rawValue: 0x1)
    public static let ack = FrameFlags(rawValue: 0x1)
    public static let endHeaders = FrameFlags(rawValue: 0x4)
    public static let padded = FrameFlags(rawValue: 0x8)
    public static let priority = FrameFlags(rawValue: 0x20)
}
