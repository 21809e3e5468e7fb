/// An HTTP/2 error code, RFC 9113 §7. Unknown codes are kept (§7: they MUST NOT trigger special
/// behaviour) and shown by number.
public struct ErrorCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public init(_ rawValue: UInt32) { self.rawValue = rawValue }

    public static let noError = ErrorCode(0x0)
    public static let protocolError = ErrorCode(0x1)
    public static let internalError = ErrorCode(0x2)
    public static let flowControlError = ErrorCode(0x3)
    public static let settingsTimeout = ErrorCode(0x4)
    public static let streamClosed = ErrorCode(0x5)
    public static let frameSizeError = ErrorCode(0x6)
    public static let refusedStream = ErrorCode(0x7)
    public static let cancel = ErrorCode(0x8)
    public static let compressionError = ErrorCode(0x9)
    public static let connectError = ErrorCode(0xa)
    public static let enhanceYourCalm = ErrorCode(0xb)
    public static let inadequateSecurity = ErrorCode(0xc)
    public static let http11Required = ErrorCode(0xd)

    public static let names = [
        "NO_ERROR", "PROTOCOL_ERROR", "INTERNAL_ERROR", "FLOW_CONTROL_ERROR", "SETTINGS_TIMEOUT",
        "STREAM_CLOSED", "FRAME_SIZE_ERROR", "REFUSED_STREAM", "CANCEL", "COMPRESSION_ERROR",
        "CONNECT_ERROR", "ENHANCE_YOUR_CALM", "INADEQUATE_SECURITY", "HTTP_1_1_REQUIRED",
    ]

    /// The RFC name, or `0xNN` for a code it does not define.
    public var name: String {
        rawValue < UInt32(Self.names.count) ? Self.names[Int(rawValue)] : "0x" + String(rawValue, radix: 16)
    }

    public var description: String { name }

    /// Parses a name (any case, `-` or `_`, with or without `_ERROR`) or a number.
    public init?(parsing text: String) {
        let upper = ProtocolName.normalize(text)
        if let i = Self.names.firstIndex(where: { $0 == upper || $0 == upper + "_ERROR" }) {
            self.init(UInt32(i))
        } else if let n: UInt32 = ProtocolName.number(text) {
            self.init(n)
        } else {
            return nil
        }
    }
}
