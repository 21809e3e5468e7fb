/// A violation of the protocol, as a value: the RFC error code, whether it ends the connection
/// (GOAWAY) or only a stream (RST_STREAM), and the section of the RFC that says so (RFC 9113 §5.4).
public struct ProtocolError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Scope: Hashable, Sendable {
        case connection
        case stream(UInt32)
    }

    public var code: ErrorCode
    public var scope: Scope
    public var section: String
    public var message: String

    public init(_ code: ErrorCode, _ scope: Scope, _ section: String, _ message: String) {
        self.code = code
        self.scope = scope
        self.section = section
        self.message = message
    }

    public static func connection(_ code: ErrorCode, _ section: String, _ message: String) -> ProtocolError {
        ProtocolError(code, .connection, section, message)
    }

    public static func stream(_ id: UInt32, _ code: ErrorCode, _ section: String, _ message: String) -> ProtocolError {
        ProtocolError(code, .stream(id), section, message)
    }

    public var isConnectionError: Bool { scope == .connection }

    /// "RFC 9113 §6.5", or the section as it is when it names its own RFC ("RFC 9218 §7.1").
    public var citation: String { section.hasPrefix("RFC ") ? section : "RFC 9113 \(section)" }

    public var description: String {
        switch scope {
        case .connection: return "connection error \(code.name): \(message) (\(citation))"
        case .stream(let id): return "stream error \(code.name) on stream \(id): \(message) (\(citation))"
        }
    }
}
