import Engine

/// A breakpoint: a predicate over a delivered frame or what the receiver did with it.
public enum Breakpoint: Hashable, Sendable, CustomStringConvertible {
    case frameType(FrameType)
    case flag(String)
    case stream(UInt32)
    case state(StreamState)
    case error
    case goaway
    case windowZero

    public var description: String {
        switch self {
        case .frameType(let type): return "frame \(type.name)"
        case .flag(let name): return "flag \(name)"
        case .stream(let id): return "stream \(id)"
        case .state(let state): return "state \(state)"
        case .error: return "error"
        case .goaway: return "goaway"
        case .windowZero: return "window-zero"
        }
    }
}

/// What `show` can display.
public enum ShowTarget: Hashable, Sendable {
    case streams
    case hpack(Role?)
    case windows
    case settings
    case frame(Int)
    case wire
    case history
}

/// One command of the language shared by the REPL and lesson scripts.
public enum Command: Hashable, Sendable {
    case help(String?)
    case request(method: String, path: String, headers: [HeaderField], body: Body?, trailers: [HeaderField]? = nil)
    /// An HTTP/1.1 request from a file, mapped to HTTP/2 (RFC 9113 §8.3) and sent by the client.
    case requestHTTP1(file: String)
    case step(from: Role?, count: Int)
    case next
    case continueRun
    case auto(Bool)
    case addBreak(Breakpoint)
    case listBreaks
    case deleteBreak(Int)
    case back(Int)
    case respondMode(auto: Bool)
    /// A response by hand; for an interim (1xx) status, `fields` are its header fields and there is
    /// no body (RFC 9110 §15.2).
    case respond(stream: UInt32, status: Int, body: String, trailers: [HeaderField]? = nil, fields: [HeaderField] = [])
    /// Whether the demo site sends 103 (Early Hints) before /html (RFC 8297).
    case earlyHints(Bool)
    /// The client sends the content it holds for 100 (Continue) without waiting (RFC 9110 §10.1.1).
    case sendContinue(stream: UInt32)
    case ping(Role, UInt64)
    case settings(Role, [Setting])
    case window(Role, stream: UInt32, increment: Int)
    case reset(Role, stream: UInt32, code: ErrorCode)
    case goaway(Role, code: ErrorCode, debug: String)
    /// §6.8's graceful shutdown: GOAWAY 2^31−1, a PING, and the final GOAWAY when its ACK returns.
    case gracefulGoaway(Role, debug: String)
    case priority(Role, stream: UInt32, PriorityFields)
    case push(stream: UInt32, path: String)
    case send(Role, Frame)
    case sendRaw(Role, [UInt8])
    case hpackPolicy(Role, EncoderPolicy)
    /// `hpack never [NAME ...]` / `hpack never remove NAME ...`: the names the encoder never
    /// indexes beside the built-in ones (RFC 7541 §7.1.3); with no names, the list.
    case hpackNever(Role, add: [String], remove: [String])
    case windowPolicy(Role, WindowUpdatePolicy)
    case show(ShowTarget)
    case save(kind: String, path: String)
    case say(String)
    case connect(String)
    /// Wait for a real client; `port` nil means the default (8080 plain, 8443 with TLS), 0 any free one.
    case listen(tls: Bool, port: UInt16?, timeout: Double? = nil, cert: String? = nil, key: String? = nil)
    /// Sit between a real client (accepted as `listen` accepts one) and the real server at `to`.
    case proxy(to: String, tls: Bool, port: UInt16?, timeout: Double? = nil, cert: String? = nil, key: String? = nil)
    /// Take the next waiting frame (the next from one side, the next of one type) off the wire: the
    /// receiver never sees it.
    case drop(from: Role?, type: FrameType? = nil)
    /// Change the header block of a waiting HEADERS or PUSH_PROMISE (on a stream) before it is forwarded.
    case edit(stream: UInt32?, [FieldEdit])
    /// List the connections of a `listen` or `proxy`, or make connection N the one the views show.
    case connection(Int?)
    /// Check the lab's state (a lesson stops when one fails; the REPL prints ✓ or ✗).
    case expect(Expectation)
    /// Run a lesson in class mode, section by section (the REPL does this; it needs a terminal).
    case lesson(String)
    /// Run commands N times in a row (floods, bursts): `repeat 50 request GET /json; reset last CANCEL`.
    case repeatRun(count: Int, commands: [Command])
    /// Change one of an endpoint's defensive limits (`server limit rapid-resets 10`).
    case limit(Role, name: String, value: Int)
    /// Start a new connection as HTTP/1.1 with `Upgrade: h2c`, the request becoming stream 1.
    case upgrade(path: String)
    /// Start over on a new connection: fresh endpoints, their prefaces on the wire.
    case reconnect
    /// Start over, one endpoint sending these settings too in its first SETTINGS frame (where
    /// some must be: SETTINGS_NO_RFC7540_PRIORITIES, RFC 9218 §2.1).
    case reconnectWith(Role, [Setting])
    /// The client sends a WebSocket frame (RFC 6455) as DATA on an extended CONNECT stream.
    case webSocket(stream: UInt32, WebSocketFrame)
    /// The client sends PRIORITY_UPDATE for a stream (RFC 9218 §7.1).
    case priorityUpdate(stream: UInt32, Priority)
    case quit
    /// Takes back the last command that changed the lab, whatever it was (a queued request, a
    /// delivery, a setting), in the in-memory lab.
    case undo
    /// Clears the terminal (the REPL does it; elsewhere it prints nothing).
    case clear

    public enum Body: Hashable, Sendable {
        case text(String)
        case file(String)
    }
}

extension Command {
    /// `reset last`: the stream the acting side opened most recently.
    public static let lastStream = UInt32.max
}

/// A command that could not be parsed: what is wrong, and what the person probably meant.
public struct CommandError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    public var hint: String?
    public init(_ message: String, hint: String? = nil) {
        self.message = message
        self.hint = hint
    }
    public var description: String { hint.map { "\(message) (\($0))" } ?? message }
}
