/// The seven stream states of RFC 9113 §5.1.
public enum StreamState: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    case idle
    case reservedLocal = "reserved (local)"
    case reservedRemote = "reserved (remote)"
    case open
    case halfClosedLocal = "half-closed (local)"
    case halfClosedRemote = "half-closed (remote)"
    case closed

    public var description: String { rawValue }

    /// Parses `half-closed-remote`, `half_closed (remote)`, `open`, ...
    public init?(parsing text: String) {
        let key = text.lowercased().filter { $0.isLetter }
        guard let found = Self.allCases.first(where: { $0.rawValue.filter { $0.isLetter } == key }) else { return nil }
        self = found
    }
}

/// Whether this endpoint sent or received the frame in question.
public enum Direction: String, Hashable, Sendable {
    case sent, received
}

/// What drives a stream from one state to another (the labels on the arrows of §5.1's diagram).
public enum StreamInput: Hashable, Sendable, CustomStringConvertible {
    case headers(Direction)
    case pushPromise(Direction)
    case endStream(Direction)
    case rstStream(Direction)

    public var description: String {
        switch self {
        case .headers(let d): return (d == .sent ? "send" : "recv") + " H"
        case .pushPromise(let d): return (d == .sent ? "send" : "recv") + " PP"
        case .endStream(let d): return (d == .sent ? "send" : "recv") + " ES"
        case .rstStream(let d): return (d == .sent ? "send" : "recv") + " R"
        }
    }
}

extension StreamState {
    /// The stream state machine of RFC 9113 §5.1, one case per arrow of its diagram:
    ///
    ///                              +--------+
    ///                      send PP |        | recv PP
    ///                     ,--------+  idle  +--------.
    ///                    /         |        |         \
    ///                   v          +--------+          v
    ///            +----------+          |           +----------+
    ///            |          |          | send H /  |          |
    ///     ,------+ reserved |          | recv H    | reserved +------.
    ///     |      | (local)  |          |           | (remote) |      |
    ///     |      +---+------+          v           +------+---+      |
    ///     |          |             +--------+             |          |
    ///     |          |     recv ES |        | send ES     |          |
    ///     |   send H |     ,-------+  open  +-------.     | recv H   |
    ///     |          |    /        |        |        \    |          |
    ///     |          v   v         +---+----+         v   v          |
    ///     |      +----------+          |           +----------+      |
    ///     |      |   half-  |          |           |   half-  |      |
    ///     |      |  closed  |          | send R /  |  closed  |      |
    ///     |      | (remote) |          | recv R    | (local)  |      |
    ///     |      +----+-----+          |           +-----+----+      |
    ///     |           |                |                 |           |
    ///     |           | send ES /      |       recv ES / |           |
    ///     |           | send R /       v        send R / |           |
    ///     |           | recv R     +--------+   recv R   |           |
    ///     | send R /  `----------->|        |<-----------'  send R / |
    ///     | recv R                 | closed |               recv R   |
    ///     `----------------------->|        |<-----------------------'
    ///                              +--------+
    ///
    /// Returns nil where the diagram has no arrow: the input is not allowed in that state.
    /// (HEADERS on an open or half-closed stream — trailers, or a response — changes no state by
    /// itself; callers apply the END_STREAM flag as a separate input.)
    public func next(on input: StreamInput) -> StreamState? {
        switch (self, input) {
        case (.idle, .headers): return .open
        case (.idle, .pushPromise(.sent)): return .reservedLocal
        case (.idle, .pushPromise(.received)): return .reservedRemote

        case (.reservedLocal, .headers(.sent)): return .halfClosedRemote
        case (.reservedLocal, .rstStream): return .closed
        case (.reservedRemote, .headers(.received)): return .halfClosedLocal
        case (.reservedRemote, .rstStream): return .closed

        case (.open, .endStream(.sent)): return .halfClosedLocal
        case (.open, .endStream(.received)): return .halfClosedRemote
        case (.open, .rstStream): return .closed

        case (.halfClosedLocal, .endStream(.received)): return .closed
        case (.halfClosedLocal, .rstStream): return .closed
        case (.halfClosedRemote, .endStream(.sent)): return .closed
        case (.halfClosedRemote, .rstStream): return .closed

        default: return nil
        }
    }

    /// Whether this endpoint may still send DATA or HEADERS on the stream.
    public var canSend: Bool { self == .open || self == .halfClosedRemote || self == .reservedLocal }
    /// Whether the peer may still send DATA or HEADERS on the stream.
    public var canReceive: Bool { self == .open || self == .halfClosedLocal || self == .reservedRemote }
    /// Whether the stream counts against SETTINGS_MAX_CONCURRENT_STREAMS (§5.1.2).
    public var isActive: Bool { self == .open || self == .halfClosedLocal || self == .halfClosedRemote }
}
