import Engine

/// An assertion about the lab's real state: the engine's values, never the rendered text. The same
/// forms work at the REPL prompt (`expect …`), in lesson scripts, and as the goals of exercises and
/// the answer keys of predictions.
public enum Expectation: Hashable, Sendable {
    case streamState(Role, UInt32, StreamState)
    /// A closed stream and why it closed, as `show streams` prints it: `closed (reset sent)`.
    case streamClosed(Role, UInt32, CloseReason)
    /// The `:status` of the response this endpoint received (client) or sent (server) on a stream.
    case streamStatus(Role, UInt32, String)
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
        ("last frame TYPE [CODE] [FLAG ...] [stream N] [last-stream N] [from ROLE]",
         "expect last frame GOAWAY PROTOCOL_ERROR last-stream 3"),
        ("last frame TYPE [FLAGS as the ladder prints them]", "expect last frame HEADERS [ES EH] stream 1"),
        ("last block [from ROLE] field NAME REPRESENTATION", "expect last block field authorization literal never-indexed"),
        ("last block [from ROLE] size-update N|none", "expect last block size-update 64"),
        ("ROLE sent TYPE [CODE] [FLAG ...] [stream N] [last-stream N]", "expect server sent RST_STREAM REFUSED_STREAM stream 3"),
        ("wire empty | wire N", "expect wire 2"),
        ("ROLE connection open|closed", "expect server connection closed"),
        ("ROLE goaway sent|received [CODE] [last-stream N]", "expect client goaway received NO_ERROR last-stream 1"),
    ]

    // MARK: Parsing

    /// Parses the words after `expect`.
    public static func parse(_ words: [String]) throws(CommandError) -> Expectation {
        guard let first = words.first?.lowercased() else { throw usage("expect what?") }
        let rest = Array(words.dropFirst())
        switch first {
        case "wire":
            guard rest.count == 1 else { throw usage("expect wire empty, or expect wire N (frames waiting)") }
            if rest[0].lowercased() == "empty" { return .wireCount(0) }
            return .wireCount(try count(rest[0], "the number of frames on the wire"))
        case "last":
            switch rest.first?.lowercased() {
            case "frame": return .lastFrame(try pattern(Array(rest.dropFirst()), allowFrom: true))
            case "block": return try parseBlock(Array(rest.dropFirst()))
            default: throw usage("expect last frame TYPE ..., or expect last block field|size-update ...")
            }
        case "client", "server":
            let role: Role = first == "client" ? .client : .server
            return try parseEndpoint(role, rest)
        default:
            let guess = CommandHelp.closest(to: first, among: ["client", "server", "last", "wire"])
            throw CommandError("expect starts with client, server, last frame or wire, not '\(words[0])'",
                               hint: guess.map { "did you mean '\($0)'? `help expect` lists every form" } ?? "`help expect` lists every form")
        }
    }

    static func usage(_ message: String) -> CommandError { CommandError(message, hint: "`help expect` lists every form") }

    static func parseEndpoint(_ role: Role, _ words: [String]) throws(CommandError) -> Expectation {
        guard let what = words.first?.lowercased() else { throw usage("expect \(role) what?") }
        let rest = Array(words.dropFirst())
        switch what {
        case "stream":
            guard rest.count >= 2, let id = CommandParser.streamID(rest[0]) else {
                throw usage("expect \(role) stream N state|status|body|header|request|trailers ...")
            }
            return try parseStream(role, id, rest[1].lowercased(), Array(rest.dropFirst(2)))
        case "active-streams":
            guard rest.count == 1 else { throw usage("expect \(role) active-streams N") }
            return .activeStreams(role, try count(rest[0], "a number of streams"))
        case "window":
            // `window stream 3 recv N` reads as `window 3 recv N`.
            let rest = rest.count == 4 && rest[0].lowercased() == "stream" ? Array(rest.dropFirst()) : rest
            guard rest.count == 3 else { throw usage("expect \(role) window conn|[stream] N send|recv VALUE") }
            let stream: UInt32
            if ["conn", "connection", "0"].contains(rest[0].lowercased()) {
                stream = 0
            } else if let id = CommandParser.streamID(rest[0]) {
                stream = id
            } else {
                throw usage("a window is `conn` or a stream number, not '\(rest[0])'")
            }
            let side: WindowSide
            switch rest[1].lowercased() {
            case "send": side = .send
            case "recv", "receive": side = .receive
            default: throw usage("a window is send (what \(role) may still send) or recv (what it will accept), not '\(rest[1])'")
            }
            guard let value = Int(rest[2]) else { throw usage("a window is a number (it may be negative), not '\(rest[2])'") }
            return .window(role, stream: stream, side: side, value)
        case "hpack":
            guard rest.count >= 3, let side = HPACKSide(rawValue: rest[0].lowercased()) else {
                throw usage("expect \(role) hpack encoder|decoder size|max-size|entries|entry ...")
            }
            let values = Array(rest.dropFirst(2))
            switch rest[1].lowercased() {
            case "size" where values.count == 1: return .hpack(role, side, .size(try count(values[0], "a size in octets")))
            case "max-size" where values.count == 1: return .hpack(role, side, .maxSize(try count(values[0], "a size in octets")))
            case "entries" where values.count == 1: return .hpack(role, side, .entries(try count(values[0], "a number of entries")))
            case "entry" where values.count >= 2:
                let index = try count(values[0], "an index")
                guard index > StaticTable.count else {
                    throw usage("dynamic table entries start at index \(StaticTable.count + 1); 1-\(StaticTable.count) are the static table")
                }
                return .hpack(role, side, .entry(index, try field(Array(values.dropFirst()))))
            default:
                throw usage("expect \(role) hpack \(side.rawValue) size N | max-size N | entries N | entry I NAME: VALUE")
            }
        case "setting", "peer-setting":
            // NAME=VALUE, as the `settings` command takes it, or NAME VALUE.
            let rest = rest.count == 1 && rest[0].contains("=") ? rest[0].split(separator: "=", maxSplits: 1).map(String.init) : rest
            guard rest.count == 2, let id = SettingID(parsing: rest[0]) else {
                throw CommandError("expect \(role) \(what) NAME VALUE",
                                   hint: rest.first.map { CommandParser.hintFor($0, SettingID.allNames) } ?? "`help expect` lists every form")
            }
            let value: UInt32?
            if rest[1].lowercased() == "unlimited" {
                value = nil
            } else {
                guard let n = UInt32(rest[1]) else { throw usage("a setting's value is a number or `unlimited`, not '\(rest[1])'") }
                value = n
            }
            return .setting(role, peer: what == "peer-setting", id, value)
        case "settings-pending":
            guard rest.count == 1 else { throw usage("expect \(role) settings-pending N") }
            return .settingsPending(role, try count(rest[0], "a number of SETTINGS frames"))
        case "sent":
            return .sent(role, try pattern(rest, allowFrom: false))
        case "connection":
            guard rest.count == 1, ["open", "closed"].contains(rest[0].lowercased()) else { throw usage("expect \(role) connection open|closed") }
            return .connectionClosed(role, rest[0].lowercased() == "closed")
        case "goaway":
            guard let direction = rest.first.flatMap({ Direction(rawValue: $0.lowercased()) }) else {
                throw usage("expect \(role) goaway sent|received [CODE] [last-stream N]")
            }
            var code: ErrorCode?
            var last: UInt32?
            var i = 1
            while i < rest.count {
                if rest[i].lowercased() == "last-stream", i + 1 < rest.count, let n = CommandParser.streamID(rest[i + 1]) {
                    last = n
                    i += 2
                } else if let c = namedErrorCode(rest[i]) {
                    code = c
                    i += 1
                } else {
                    throw usage("expect \(role) goaway sent|received [CODE] [last-stream N]: '\(rest[i])' is neither")
                }
            }
            return .goaway(role, direction, code, lastStream: last)
        default:
            let forms = ["stream", "active-streams", "window", "hpack", "setting", "peer-setting", "settings-pending", "sent", "connection", "goaway"]
            throw CommandError("cannot expect '\(words[0])' of the \(role)", hint: CommandParser.hintFor(what, forms))
        }
    }

    static func parseStream(_ role: Role, _ id: UInt32, _ what: String, _ values: [String]) throws(CommandError) -> Expectation {
        switch what {
        case "state":
            let text = values.joined(separator: " ")
            if let open = text.firstIndex(of: "("), text.hasSuffix(")"), StreamState(parsing: String(text[..<open])) == .closed {
                let cause = String(text[text.index(after: open)..<text.index(before: text.endIndex)])
                guard let reason = CloseReason(label: cause) else {
                    throw CommandError("unknown cause '\(cause)'", hint: "a stream closes by " + CloseReason.labels.joined(separator: ", "))
                }
                return .streamClosed(role, id, reason)
            }
            guard let state = StreamState(parsing: text) else {
                throw CommandError("unknown state '\(text)'", hint: "states: " + StreamState.allCases.map(\.rawValue).joined(separator: ", "))
            }
            return .streamState(role, id, state)
        case "status":
            guard values.count == 1, let code = Int(values[0]), (100...999).contains(code) else { throw usage("a status is a number 100-999") }
            return .streamStatus(role, id, values[0])
        case "body":
            guard values.count == 1 else { throw usage("expect \(role) stream \(id) body OCTETS") }
            return .streamBody(role, id, try count(values[0], "a number of octets"))
        case "header":
            return .streamHeader(role, id, try field(values))
        case "request":
            guard values.count == 2 else { throw usage("expect \(role) stream \(id) request METHOD PATH") }
            return .streamRequest(role, id, method: values[0].uppercased(), path: values[1])
        case "trailers", "trailer":
            return .streamTrailer(role, id, values.isEmpty ? nil : try field(values))
        default:
            throw CommandError("cannot expect '\(what)' of a stream",
                               hint: CommandParser.hintFor(what, ["state", "status", "body", "header", "request", "trailers"]))
        }
    }

    /// `NAME: VALUE`, the value possibly several words (or none).
    static func field(_ words: [String]) throws(CommandError) -> HeaderField {
        guard let name = words.first, name.hasSuffix(":"), name.count > 1 else {
            throw usage("a header field is written `name: value`, as in `:path: /html`")
        }
        return HeaderField(String(name.dropLast()), words.dropFirst().joined(separator: " "))
    }

    static func count(_ text: String, _ what: String) throws(CommandError) -> Int {
        guard let n = Int(text), n >= 0 else { throw usage("expected \(what), not '\(text)'") }
        return n
    }

    static func namedErrorCode(_ text: String) -> ErrorCode? {
        guard Int(text) == nil, !text.lowercased().hasPrefix("0x") else { return nil }
        return ErrorCode(parsing: text)
    }

    static let flagNames = ["END_STREAM", "END_HEADERS", "PADDED", "PRIORITY", "ACK"]

    /// The flags as the ladder prints them (`[ES EH]`), one table for both.
    static let flagAbbreviations = ["END_STREAM": "ES", "END_HEADERS": "EH", "PADDED": "P", "PRIORITY": "PRI"]

    /// A flag written as the delivery view (`END_STREAM`), `send` (`end-stream`) or the ladder (`ES`) writes it.
    static func flagName(_ word: String) -> String? {
        let upper = word.uppercased().replacingOccurrences(of: "-", with: "_")
        if flagNames.contains(upper) { return upper }
        return flagAbbreviations.first { $0.value == upper }?.key
    }

    static func pattern(_ words: [String], allowFrom: Bool) throws(CommandError) -> FramePattern {
        guard let first = words.first, let type = FrameType(parsing: first), type.isKnown else {
            throw CommandError("expected a frame type, not '\(words.first ?? "")'", hint: CommandParser.hintFor(words.first ?? "", FrameType.names))
        }
        var result = FramePattern(type: type)
        // Flags as the views print them: `[END_STREAM END_HEADERS]`, `[ES EH]`, `END_STREAM|END_HEADERS`.
        let words = [words[0]] + words.dropFirst().flatMap { word in
            word.split(whereSeparator: { "[]|,".contains($0) }).map(String.init)
        }
        var i = 1
        while i < words.count {
            let word = words[i]
            if ["stream", "last-stream", "from"].contains(word.lowercased()), i + 1 < words.count {
                let value = words[i + 1]
                switch word.lowercased() {
                case "stream": result.stream = try streamValue(value)
                case "last-stream": result.lastStream = try streamValue(value)
                default:
                    guard allowFrom, let role = Role(rawValue: value.lowercased()) else { throw usage("`from` takes client or server") }
                    result.from = role
                }
                i += 2
            } else if let flag = flagName(word) {
                result.flags.append(flag)
                i += 1
            } else if let code = namedErrorCode(word) {
                result.code = code
                i += 1
            } else {
                throw CommandError("'\(word)' is not an error code, a flag, `stream N`, `last-stream N`\(allowFrom ? " or `from ROLE`" : "")",
                                   hint: CommandParser.hintFor(word, ErrorCode.names + flagNames))
            }
        }
        return result
    }

    static func streamValue(_ text: String) throws(CommandError) -> UInt32 {
        guard let n = CommandParser.streamID(text) else { throw usage("'\(text)' is not a stream number") }
        return n
    }

    // MARK: Checking

    /// Checks the expectation against the lab. Reads only; changes nothing.
    public func check(_ lab: Lab) -> Verdict {
        switch self {
        case .streamState(let role, let id, let state):
            let actual = lab.state.connection(role).state(of: id)
            return verdict(actual == state, "\(role) stream \(id)", "\(state)", "\(actual)")
        case .streamClosed(let role, let id, let reason):
            let c = lab.state.connection(role)
            let state = c.state(of: id)
            let actual = state == .closed ? "closed" + (c.closeReason(of: id).map { " (\($0.label))" } ?? "") : "\(state)"
            return verdict(state == .closed && c.closeReason(of: id) == reason, "\(role) stream \(id)", "closed (\(reason.label))", actual)
        case .streamStatus(let role, let id, let status):
            let record = lab.state.connection(role).streams[id]
            let actual = record?.responseHeaders?.first { $0.name == ":status" }?.value
            // Interim (1xx) responses count too: each is a status the stream carried (RFC 9113 §8.1).
            let interim = record?.informationalHeaders.compactMap { $0.first { $0.name == ":status" }?.value } ?? []
            let all = interim + (actual.map { [$0] } ?? [])
            return verdict(all.contains(status), "\(role) stream \(id) status", status,
                           all.isEmpty ? "no response yet" : all.joined(separator: " then "))
        case .streamBody(let role, let id, let length):
            let actual = lab.state.connection(role).streams[id]?.receivedBodyLength ?? 0
            return verdict(actual == length, "\(role) stream \(id) body", "\(length) octets", "\(actual) octets")
        case .streamHeader(let role, let id, let field):
            let list = receivedHeaders(lab, role, id)
            let same = list.filter { $0.name == field.name }.map(\.value)
            let actual = same.isEmpty ? (list.isEmpty ? "no header list received" : "no \(field.name) field")
                                      : same.map { "\(field.name): \($0)" }.joined(separator: ", ")
            return verdict(same.contains(field.value), "\(role) stream \(id) header", "\(field.name): \(field.value)", actual)
        case .streamRequest(let role, let id, let method, let path):
            let list = lab.state.connection(role).streams[id]?.requestHeaders ?? []
            let actual = list.isEmpty ? "no request" : "\(value(list, ":method") ?? "?") \(value(list, ":path") ?? "?")"
            return verdict(actual == "\(method) \(path)", "\(role) stream \(id) request", "\(method) \(path)", actual)
        case .streamTrailer(let role, let id, let field):
            let trailers = lab.state.connection(role).streams[id]?.trailers
            let actual = trailers.map { $0.isEmpty ? "empty trailers" : $0.map { "\($0.name): \($0.value)" }.joined(separator: ", ") } ?? "no trailers"
            guard let field else { return verdict(trailers != nil, "\(role) stream \(id) trailers", "received", actual) }
            return verdict(trailers?.contains(field) == true, "\(role) stream \(id) trailers", "\(field.name): \(field.value)", actual)
        case .activeStreams(let role, let n):
            let actual = lab.state.connection(role).streams.values.filter { $0.state.isActive }.count
            return verdict(actual == n, "\(role) active-streams", "\(n)", "\(actual)")
        case .window(let role, let stream, let side, let value):
            let c = lab.state.connection(role)
            let name = "\(role) window \(stream == 0 ? "conn" : "\(stream)") \(side == .send ? "send" : "recv")"
            let window: FlowWindow?
            if stream == 0 {
                window = side == .send ? c.connectionSendWindow : c.connectionReceiveWindow
            } else {
                window = c.streams[stream].map { side == .send ? $0.sendWindow : $0.receiveWindow }
            }
            guard let window else { return verdict(false, name, "\(value)", "no such stream at the \(role)") }
            return verdict(window.value == value, name, "\(value)", "\(window.value)")
        case .hpack(let role, let side, let property):
            let c = lab.state.connection(role)
            let table = side == .encoder ? c.encoder.table : c.decoder.table
            let name = "\(role) hpack \(side.rawValue)"
            switch property {
            case .size(let n): return verdict(table.size == n, name + " size", "\(n)", "\(table.size)")
            case .maxSize(let n): return verdict(table.maxSize == n, name + " max-size", "\(n)", "\(table.maxSize)")
            case .entries(let n): return verdict(table.count == n, name + " entries", "\(n)", "\(table.count)")
            case .entry(let index, let field):
                let position = index - StaticTable.count - 1
                guard position < table.count else {
                    return verdict(false, name + " entry \(index)", "\(field.name): \(field.value)",
                                   "absent (the table holds \(table.count) entr\(table.count == 1 ? "y" : "ies"))")
                }
                let actual = table[position].field
                return verdict(actual == field, name + " entry \(index)", "\(field.name): \(field.value)", "\(actual.name): \(actual.value)")
            }
        case .setting(let role, let peer, let id, let value):
            let c = lab.state.connection(role)
            let values = peer ? c.remoteSettings : c.localSettings
            let actual = Self.value(of: id, in: values)
            func text(_ v: UInt32?) -> String { v.map { "\($0)" } ?? "unlimited" }
            return verdict(actual == value, "\(role) \(peer ? "peer-setting" : "setting") \(id.name.replacingOccurrences(of: "SETTINGS_", with: ""))",
                           text(value), text(actual))
        case .settingsPending(let role, let n):
            let actual = lab.state.connection(role).unacknowledgedSettings.count
            return verdict(actual == n, "\(role) settings-pending", "\(n)", "\(actual)")
        case .lastFrame(let pattern):
            guard let last = lab.log.last else { return verdict(false, "the last frame", pattern.description, "none: nothing has been delivered yet") }
            return verdict(Self.matches(pattern, last.item), "the last frame", pattern.description, Self.describe(last.item, like: pattern))
        case .lastBlock(let from, let property):
            return checkBlock(lab, from: from, property)
        case .sent(let role, let pattern):
            let items = lab.log.map(\.item).filter { $0.from == role } + lab.state.queue(to: role.peer)
            if items.contains(where: { Self.matches(pattern, $0) }) {
                return Verdict(holds: true, message: "\(role) sent \(pattern)")
            }
            let same = items.filter { FrameHeader($0.bytes)?.type == pattern.type && !$0.isPreface }
            let actual = same.isEmpty ? "it sent no \(pattern.type.name)" : "its \(pattern.type.name) frames: "
                + same.suffix(3).map { Self.describe($0, like: pattern) }.joined(separator: "; ")
            return Verdict(holds: false, message: "expected the \(role) to have sent \(pattern), \(actual)")
        case .wireCount(let n):
            let items = (lab.state.toServer + lab.state.toClient).sorted { $0.order < $1.order }
            let actual = items.isEmpty ? "empty" : "\(items.count) (" + items.prefix(4).map { "\($0.from)→\($0.to) \($0.summary)" }
                .joined(separator: ", ") + (items.count > 4 ? ", …" : "") + ")"
            func holding(_ k: Int) -> String { k == 0 ? "is empty" : "holds \(k) frame\(k == 1 ? "" : "s")" }
            if items.count == n { return Verdict(holds: true, message: "the wire " + holding(n)) }
            return Verdict(holds: false, message: "expected the wire to \(n == 0 ? "be empty" : "hold \(n)"), "
                           + (items.isEmpty ? "it is empty" : "it holds \(actual)"))
        case .connectionClosed(let role, let closed):
            let actual = lab.state.connection(role).isClosed
            return verdict(actual == closed, "\(role) connection", closed ? "closed" : "open", actual ? "closed" : "open")
        case .goaway(let role, let direction, let code, let last):
            let c = lab.state.connection(role)
            let seen = direction == .sent ? c.goawaySent : c.goawayReceived
            var wanted = "GOAWAY"
            if let code { wanted += " " + code.name }
            if let last { wanted += " last-stream \(last)" }
            let actual = seen.map { "GOAWAY \($0.code.name) last-stream \($0.lastStreamID)" } ?? "none"
            let holds = seen.map { (code == nil || $0.code == code) && (last == nil || $0.lastStreamID == last) } ?? false
            return verdict(holds, "\(role) goaway \(direction.rawValue)", wanted, actual)
        }
    }

    func verdict(_ holds: Bool, _ subject: String, _ expected: String, _ actual: String) -> Verdict {
        // A 4 000-octet value (an HPACK bomb's) is shown by its start and its length.
        func short(_ text: String) -> String { text.count > 72 ? "\(text.prefix(48))… (\(text.utf8.count) octets)" : text }
        return Verdict(holds: holds, message: holds ? "\(subject) is \(short(expected))"
                                                    : "expected \(subject) to be \(short(expected)), it is \(short(actual))")
    }

    func value(_ list: [HeaderField], _ name: String) -> String? { list.first { $0.name == name }?.value }

    /// The header list an endpoint received on a stream: a request (server), or a response or the
    /// promised request of a pushed stream (client).
    func receivedHeaders(_ lab: Lab, _ role: Role, _ id: UInt32) -> [HeaderField] {
        guard let record = lab.state.connection(role).streams[id] else { return [] }
        if role == .server { return record.requestHeaders ?? [] }
        // A client's own requests are on odd streams; an even stream's request was promised to it.
        return record.informationalHeaders.flatMap { $0 } + (record.responseHeaders ?? []) + (id % 2 == 0 ? record.requestHeaders ?? [] : [])
    }

    static func value(of id: SettingID, in values: SettingsValues) -> UInt32? {
        switch id {
        case .headerTableSize: return values.headerTableSize
        case .enablePush: return values.enablePush ? 1 : 0
        case .maxConcurrentStreams: return values.maxConcurrentStreams
        case .initialWindowSize: return values.initialWindowSize
        case .maxFrameSize: return values.maxFrameSize
        case .maxHeaderListSize: return values.maxHeaderListSize
        case .enableConnectProtocol: return values.enableConnectProtocol ? 1 : 0
        case .noRFC7540Priorities: return values.noRFC7540Priorities ? 1 : 0
        default: return nil
        }
    }

    static func matches(_ pattern: FramePattern, _ item: WireItem) -> Bool {
        guard !item.isPreface, let frame = item.frame, frame.type == pattern.type else { return false }
        if let from = pattern.from, item.from != from { return false }
        if let stream = pattern.stream, frame.streamID != stream { return false }
        let flags = frame.type.flagNames(frame.flags)
        if !pattern.flags.allSatisfy(flags.contains) { return false }
        switch frame.payload {
        case .rstStream(let code):
            return pattern.code == nil || pattern.code == code
        case .goaway(let last, let code, _):
            return (pattern.code == nil || pattern.code == code) && (pattern.lastStream == nil || pattern.lastStream == last)
        default:
            return pattern.code == nil && pattern.lastStream == nil
        }
    }

    /// A delivered item in the words of a pattern: "GOAWAY PROTOCOL_ERROR last-stream 3 from server".
    static func describe(_ item: WireItem, like pattern: FramePattern) -> String {
        if item.isPreface { return "the preface from the client" }
        guard let frame = item.frame else { return "\(item.summary) from the \(item.from)" }
        var words = [frame.type.name]
        switch frame.payload {
        case .rstStream(let code): words.append(code.name)
        case .goaway(let last, let code, _): words += [code.name, "last-stream \(last)"]
        default: break
        }
        words += frame.type.flagNames(frame.flags)
        if frame.streamID != 0 { words.append("stream \(frame.streamID)") }
        words.append("from \(item.from)")
        return words.joined(separator: " ")
    }
}


extension CloseReason {
    /// How `show streams` prints the cause: `closed (reset sent)`.
    public var label: String {
        switch self {
        case .endStream: return "END_STREAM"
        case .resetSent: return "reset sent"
        case .resetReceived: return "reset received"
        case .goaway: return "GOAWAY"
        }
    }

    static let all: [CloseReason] = [.endStream, .resetSent, .resetReceived, .goaway]
    static var labels: [String] { all.map(\.label) }

    /// A cause as `show streams` prints it or as the engine names it (`RST_STREAM sent`), any case.
    init?(label: String) {
        let key = label.lowercased().filter { $0.isLetter }
        guard let found = Self.all.first(where: { reason in
            [reason.label, reason.rawValue].contains { $0.lowercased().filter { $0.isLetter } == key }
        }) else { return nil }
        self = found
    }
}
