import Engine

/// An assertion about the lab's real state: the engine's values, never the rendered text. The same
/// forms work at the REPL prompt (`expect …`), in lesson scripts, and as the goals of exercises and
/// the answer keys of predictions.
public enum Expectation: Hashable, Sendable {
    case streamState(Role, UInt32, StreamState)
    /// A closed stream and why it closed, as `show streams` prints it: `closed (reset sent)`.
    case streamClosed(Role, UInt32, CloseReason)
    /// The `:status` of the response this endpoint received (client) or sent (server) on a stream;
    /// nil: none at all, not even an interim one (a stream reset without an answer).
    case streamStatus(Role, UInt32, String?)
    /// Octets of body this endpoint received on a stream.
    case streamBody(Role, UInt32, Int)
    /// A field of the header list this endpoint received on a stream (a request for the server, a
    /// response or a promised request for the client).
    case streamHeader(Role, UInt32, HeaderField)
    /// Trailers received on a stream: any (nil), or one field.
    case streamTrailer(Role, UInt32, HeaderField?)
    /// The request a stream carries: the one received (server) or promised (client, a pushed stream).
    case streamRequest(Role, UInt32, method: String, path: String)
    /// Streams open or half-closed at this endpoint (what MAX_CONCURRENT_STREAMS counts, §5.1.2).
    case activeStreams(Role, Int)
    /// A flow-control window: stream 0 is the connection's.
    case window(Role, stream: UInt32, side: WindowSide, Int)
    case hpack(Role, HPACKSide, HPACKProperty)
    /// A setting in force: this endpoint's own (acknowledged), or the peer's as this endpoint knows it.
    /// nil is "unlimited".
    case setting(Role, peer: Bool, SettingID, UInt32?)
    /// SETTINGS frames this endpoint sent that the peer has not acknowledged.
    case settingsPending(Role, Int)
    /// The frame delivered most recently.
    case lastFrame(FramePattern)
    /// The header block delivered most recently (from one side, if given): a field's
    /// representation, or its size update (RFC 7541 §6).
    case lastBlock(from: Role?, BlockProperty)
    /// Some frame that `Role` has put on the wire so far (delivered or still waiting).
    case sent(Role, FramePattern)
    /// The streams of the last frames of one type delivered, oldest first (the order a server
    /// chose to send its DATA in, RFC 9218 §10).
    case lastStreams(FrameType, [UInt32])
    /// A frame of a type delivered to this endpoint that it discarded (RFC 9113 §5.5: a frame of
    /// an unknown type), on one stream if given.
    case ignored(Role, FrameType, stream: UInt32?)
    /// One of an endpoint's defensive limits: our implementation's choices, not the RFC's.
    case limit(Role, EndpointLimit, Int)
    /// The lab refuses the command (the engine or the lab says why) and changes nothing; `text`
    /// is the command as written.
    indirect case refused(Command, text: String)
    case wireCount(Int)
    /// Whether this endpoint's connection has ended (after a connection error or a GOAWAY with an error).
    case connectionClosed(Role, Bool)
    case goaway(Role, Direction, ErrorCode?, lastStream: UInt32?)

    public enum HPACKSide: String, Hashable, Sendable { case encoder, decoder }

    public enum HPACKProperty: Hashable, Sendable {
        /// Octets by RFC 7541 §4.1.
        case size(Int)
        case maxSize(Int)
        case entries(Int)
        /// Index 62 is the newest dynamic entry (§2.3.3).
        case entry(Int, HeaderField)
    }
}

/// What a frame must look like: its type, and optionally an error code, flags, stream, last-stream
/// id and sender.
public struct FramePattern: Hashable, Sendable, CustomStringConvertible {
    public var type: FrameType
    public var code: ErrorCode?
    public var flags: [String] = []
    public var stream: UInt32?
    public var lastStream: UInt32?
    public var from: Role?

    public var description: String {
        var words = [type.name]
        if let code { words.append(code.name) }
        words += flags
        if let stream { words.append("stream \(stream)") }
        if let lastStream { words.append("last-stream \(lastStream)") }
        if let from { words.append("from \(from)") }
        return words.joined(separator: " ")
    }
}

/// The outcome of checking one expectation: whether it holds, and a sentence either way.
public struct Verdict: Hashable, Sendable {
    public var holds: Bool
    /// "server stream 1 is closed" when it holds; "expected server stream 1 to be closed, it is
    /// half-closed (remote)" when not.
    public var message: String
}

/// An expectation that did not hold where it had to (a lesson line, a script).
public struct ExpectationFailure: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

extension Expectation {
    /// Every form, for `help expect` and the teachers' guide.
    public static let forms: [(form: String, example: String)] = [
        ("ROLE stream N state STATE", "expect server stream 1 state half-closed (remote)"),
        ("ROLE stream N state closed (CAUSE)", "expect client stream 1 state closed (reset sent)"),
        ("ROLE stream N status CODE", "expect client stream 1 status 200"),
        ("ROLE stream N status none", "expect client stream 3 status none"),
        ("ROLE stream N body OCTETS", "expect server stream 1 body 100000"),
        ("ROLE stream N header NAME: VALUE", "expect server stream 1 header accept: text/html"),
        ("ROLE stream N request METHOD PATH", "expect client stream 2 request GET /styles.css"),
        ("ROLE stream N trailers [NAME: VALUE]", "expect client stream 1 trailers x-checksum: 42"),
        ("ROLE active-streams N", "expect server active-streams 1"),
        ("ROLE window conn|[stream] N send|recv VALUE", "expect client window stream 3 recv 65535"),
        ("ROLE hpack encoder|decoder size|max-size|entries N", "expect server hpack decoder size 95"),
        ("ROLE hpack encoder|decoder entry I NAME: VALUE", "expect server hpack decoder entry 62 :path: /html"),
        ("ROLE setting NAME VALUE | NAME=VALUE", "expect client setting INITIAL_WINDOW_SIZE=16"),
        ("ROLE peer-setting NAME VALUE | NAME=VALUE", "expect client peer-setting MAX_CONCURRENT_STREAMS 1"),
        ("ROLE settings-pending N", "expect client settings-pending 1"),
        ("ROLE limit " + EndpointLimit.allCases.map(\.rawValue).joined(separator: "|") + " N", "expect server limit rapid-resets 1000"),
        ("last frame TYPE [CODE] [FLAG ...] [stream N] [last-stream N] [from ROLE]",
         "expect last frame GOAWAY PROTOCOL_ERROR last-stream 3"),
        ("last frame TYPE [FLAGS as the ladder prints them]", "expect last frame HEADERS [ES EH] stream 1"),
        ("last block [from ROLE] field NAME REPRESENTATION", "expect last block field authorization literal never-indexed"),
        ("last block [from ROLE] size-update N|none", "expect last block size-update 64"),
        ("last TYPE streams N ...", "expect last DATA streams 3 1 5"),
        ("ROLE sent TYPE [CODE] [FLAG ...] [stream N] [last-stream N]", "expect server sent RST_STREAM REFUSED_STREAM stream 3"),
        ("ROLE ignored TYPE [stream N]", "expect server ignored 0xfa"),
        ("refused COMMAND", "expect refused push 3 /styles.css"),
        ("wire empty | wire N", "expect wire 2"),
        ("ROLE connection open|closed", "expect server connection closed"),
        ("ROLE goaway sent|received [CODE] [last-stream N]", "expect client goaway received NO_ERROR last-stream 1"),
    ]

}

/// An endpoint's defensive limits (`limit` sets one, `expect ROLE limit` reads it): named once,
/// here. Their values are this implementation's choices; RFC 9113 §10.5 only says to have some.
public enum EndpointLimit: String, CaseIterable, Hashable, Sendable {
    /// Streams the client may reset before their response, per connection, before the server ends
    /// the connection with ENHANCE_YOUR_CALM (the 2023 rapid reset attack, CVE-2023-44487).
    case rapidResets = "rapid-resets"

    public func value(in configuration: Connection.Configuration) -> Int {
        switch self {
        case .rapidResets: return configuration.rapidResetLimit
        }
    }

    public func set(_ value: Int, in configuration: inout Connection.Configuration) {
        switch self {
        case .rapidResets: configuration.rapidResetLimit = value
        }
    }

    public static var names: [String] { allCases.map(\.rawValue) }
}
