/// A SETTINGS parameter identifier, RFC 9113 §6.5.2. Unknown identifiers are kept and ignored.
public struct SettingID: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public init(_ rawValue: UInt16) { self.rawValue = rawValue }

    public static let headerTableSize = SettingID(0x1)
    public static let enablePush = SettingID(0x2)
    public static let maxConcurrentStreams = SettingID(0x3)
    public static let initialWindowSize = SettingID(0x4)
    public static let maxFrameSize = SettingID(0x5)
    public static let maxHeaderListSize = SettingID(0x6)
    /// RFC 8441 (WebSockets over HTTP/2).
    public static let enableConnectProtocol = SettingID(0x8)
    /// RFC 9218 (extensible priorities).
    public static let noRFC7540Priorities = SettingID(0x9)

    static let named: [(SettingID, String)] = [
        (.headerTableSize, "HEADER_TABLE_SIZE"), (.enablePush, "ENABLE_PUSH"),
        (.maxConcurrentStreams, "MAX_CONCURRENT_STREAMS"), (.initialWindowSize, "INITIAL_WINDOW_SIZE"),
        (.maxFrameSize, "MAX_FRAME_SIZE"), (.maxHeaderListSize, "MAX_HEADER_LIST_SIZE"),
        (.enableConnectProtocol, "ENABLE_CONNECT_PROTOCOL"), (.noRFC7540Priorities, "NO_RFC7540_PRIORITIES"),
    ]
    public static let allNames = named.map(\.1)

    public var name: String {
        Self.named.first { $0.0 == self }.map { "SETTINGS_" + $0.1 } ?? "0x" + String(rawValue, radix: 16)
    }
    public var description: String { name }

    /// Whether this endpoint knows the setting; an unknown one is ignored (§6.5.2).
    public var isKnown: Bool { Self.named.contains { $0.0 == self } }

    /// Parses `HEADER_TABLE_SIZE`, `SETTINGS_HEADER_TABLE_SIZE`, `header-table-size` or a number.
    public init?(parsing text: String) {
        var upper = ProtocolName.normalize(text)
        if upper.hasPrefix("SETTINGS_") { upper.removeFirst("SETTINGS_".count) }
        if let found = Self.named.first(where: { $0.1 == upper }) {
            self = found.0
        } else if let n: UInt16 = ProtocolName.number(text) {
            self.init(n)
        } else {
            return nil
        }
    }
}

/// One parameter of a SETTINGS frame.
public struct Setting: Hashable, Sendable, CustomStringConvertible {
    public var id: SettingID
    public var value: UInt32
    public init(_ id: SettingID, _ value: UInt32) {
        self.id = id
        self.value = value
    }
    public var description: String { "\(id.name)=\(value)" }

    /// §6.5.2: the values a peer may send. Returns the error for an illegal one.
    public func validate() -> (ErrorCode, String)? {
        switch id {
        case .enablePush where value > 1:
            return (.protocolError, "SETTINGS_ENABLE_PUSH must be 0 or 1, got \(value)")
        case .initialWindowSize where value > FlowWindow.maximum:
            return (.flowControlError, "SETTINGS_INITIAL_WINDOW_SIZE \(value) exceeds 2^31-1")
        case .maxFrameSize where value < 16_384 || value > 16_777_215:
            return (.protocolError, "SETTINGS_MAX_FRAME_SIZE \(value) outside 16384...16777215")
        case .enableConnectProtocol where value > 1:
            return (.protocolError, "SETTINGS_ENABLE_CONNECT_PROTOCOL must be 0 or 1, got \(value)")
        case .noRFC7540Priorities where value > 1:
            // RFC 9218 §2.1: any other value is a connection error of type PROTOCOL_ERROR.
            return (.protocolError, "SETTINGS_NO_RFC7540_PRIORITIES must be 0 or 1, got \(value)")
        default:
            return nil
        }
    }
}

/// The values of the six RFC 9113 settings in force for one direction, starting from the defaults.
public struct SettingsValues: Hashable, Sendable {
    public var headerTableSize: UInt32 = 4096
    public var enablePush: Bool = true
    /// nil: unlimited (the initial value, §6.5.2).
    public var maxConcurrentStreams: UInt32?
    public var initialWindowSize: UInt32 = 65_535
    public var maxFrameSize: UInt32 = 16_384
    /// nil: unlimited.
    public var maxHeaderListSize: UInt32?
    public var enableConnectProtocol = false
    /// RFC 9218 §2.1: this endpoint ignores (or does not send) RFC 7540 priority signals.
    public var noRFC7540Priorities = false

    public init() {}

    public mutating func apply(_ setting: Setting) {
        switch setting.id {
        case .headerTableSize: headerTableSize = setting.value
        case .enablePush: enablePush = setting.value == 1
        case .maxConcurrentStreams: maxConcurrentStreams = setting.value
        case .initialWindowSize: initialWindowSize = setting.value
        case .maxFrameSize: maxFrameSize = setting.value
        case .maxHeaderListSize: maxHeaderListSize = setting.value
        case .enableConnectProtocol: enableConnectProtocol = setting.value == 1
        case .noRFC7540Priorities: noRFC7540Priorities = setting.value == 1
        default: break
        }
    }

    /// The values as a list, for display.
    public var listed: [(String, String)] {
        [
            ("HEADER_TABLE_SIZE", "\(headerTableSize)"),
            ("ENABLE_PUSH", enablePush ? "1" : "0"),
            ("MAX_CONCURRENT_STREAMS", maxConcurrentStreams.map { "\($0)" } ?? "unlimited"),
            ("INITIAL_WINDOW_SIZE", "\(initialWindowSize)"),
            ("MAX_FRAME_SIZE", "\(maxFrameSize)"),
            ("MAX_HEADER_LIST_SIZE", maxHeaderListSize.map { "\($0)" } ?? "unlimited"),
        ]
    }
}
