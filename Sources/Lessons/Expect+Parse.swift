import Engine

/// Reading `expect` lines: the words after `expect` into an `Expectation` (Expect.swift has the
/// forms, Expect+Check.swift what each means).
extension Expectation {

    /// Parses the words after `expect`; `rest(n)` is the text after the first n of them, verbatim
    /// (the command of `expect refused COMMAND`, quotes and all).
    public static func parse(_ words: [String], rest text: ((Int) -> String)? = nil) throws(CommandError) -> Expectation {
        guard let first = words.first?.lowercased() else { throw usage("expect what?") }
        let rest = Array(words.dropFirst())
        switch first {
        case "refused":
            return try parseRefused(text?(1) ?? rest.joined(separator: " "))
        case "wire":
            guard rest.count == 1 else { throw usage("expect wire empty, or expect wire N (frames waiting)") }
            if rest[0].lowercased() == "empty" { return .wireCount(0) }
            return .wireCount(try count(rest[0], "the number of frames on the wire"))
        case "last":
            switch rest.first?.lowercased() {
            case "frame": return .lastFrame(try pattern(Array(rest.dropFirst()), allowFrom: true))
            case "block": return try parseBlock(Array(rest.dropFirst()))
            case let word? where rest.count >= 2 && rest[1].lowercased() == "streams":
                return try parseLastStreams(word, Array(rest.dropFirst(2)))
            default: throw usage("expect last frame TYPE ..., expect last block field|size-update ..., or expect last TYPE streams N ...")
            }
        case "client", "server":
            let role: Role = first == "client" ? .client : .server
            return try parseEndpoint(role, rest)
        default:
            let guess = CommandHelp.closest(to: first, among: ["client", "server", "last", "wire", "refused"])
            throw CommandError("expect starts with client, server, last, wire or refused, not '\(words[0])'",
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
                throw usage("expect \(role) stream N \(streamForms.joined(separator: "|")) ...")
            }
            return try parseStream(role, id, rest[1].lowercased(), Array(rest.dropFirst(2)))
        case "active-streams":
            guard rest.count == 1 else { throw usage("expect \(role) active-streams N") }
            return .activeStreams(role, try count(rest[0], "a number of streams"))
        case "window":
            return try parseWindow(role, rest)
        case "hpack":
            return try parseTable(role, rest)
        case "setting", "peer-setting":
            return try parseSetting(role, peer: what == "peer-setting", rest)
        case "settings-pending":
            guard rest.count == 1 else { throw usage("expect \(role) settings-pending N") }
            return .settingsPending(role, try count(rest[0], "a number of SETTINGS frames"))
        case "sent":
            return .sent(role, try pattern(rest, allowFrom: false))
        case "ignored":
            return try parseIgnored(role, rest)
        case "limit":
            guard rest.count == 2, let limit = EndpointLimit(rawValue: rest[0].lowercased()) else {
                throw CommandError("expect \(role) limit NAME N", hint: CommandParser.hintFor(rest.first ?? "", EndpointLimit.names))
            }
            return .limit(role, limit, try count(rest[1], "a limit"))
        case "connection":
            guard rest.count == 1, ["open", "closed"].contains(rest[0].lowercased()) else { throw usage("expect \(role) connection open|closed") }
            return .connectionClosed(role, rest[0].lowercased() == "closed")
        case "goaway":
            return try parseGoaway(role, rest)
        default:
            let forms = endpointForms
            throw CommandError("cannot expect '\(words[0])' of the \(role)", hint: CommandParser.hintFor(what, forms))
        }
    }

    /// `window conn|[stream] N send|recv VALUE`.
    static func parseWindow(_ role: Role, _ rest: [String]) throws(CommandError) -> Expectation {
    // `window stream 3 recv N` reads as `window 3 recv N`.
    let rest = rest.count == 4 && rest[0].lowercased() == "stream" ? Array(rest.dropFirst()) : rest
    guard rest.count == 3 else { throw usage("expect \(role) window conn|[stream] N send|recv VALUE") }
    let stream: UInt32
    if CommandWords.connection.contains(rest[0].lowercased()) {
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
    }

    /// `hpack encoder|decoder size|max-size|entries N | entry I NAME: VALUE`.
    static func parseTable(_ role: Role, _ rest: [String]) throws(CommandError) -> Expectation {
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
    }

    /// `setting|peer-setting NAME VALUE` or `NAME=VALUE`.
    static func parseSetting(_ role: Role, peer: Bool, _ rest: [String]) throws(CommandError) -> Expectation {
    // NAME=VALUE, as the `settings` command takes it, or NAME VALUE.
    let rest = rest.count == 1 && rest[0].contains("=") ? rest[0].split(separator: "=", maxSplits: 1).map(String.init) : rest
    guard rest.count == 2, let id = SettingID(parsing: rest[0]) else {
        throw CommandError("expect \(role) \(peer ? "peer-setting" : "setting") NAME VALUE",
                           hint: rest.first.map { CommandParser.hintFor($0, SettingID.allNames) } ?? "`help expect` lists every form")
    }
    let value: UInt32?
    if rest[1].lowercased() == "unlimited" {
        value = nil
    } else {
        guard let n = UInt32(rest[1]) else { throw usage("a setting's value is a number or `unlimited`, not '\(rest[1])'") }
        value = n
    }
    return .setting(role, peer: peer, id, value)
    }

    /// `goaway sent|received [CODE] [last-stream N]`.
    static func parseGoaway(_ role: Role, _ rest: [String]) throws(CommandError) -> Expectation {
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
            if values.count == 1, values[0].lowercased() == "none" { return .streamStatus(role, id, nil) }
            guard values.count == 1, let code = Int(values[0]), (100...999).contains(code) else {
                throw usage("a status is a number 100-999, or none (no response at all)")
            }
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
                               hint: CommandParser.hintFor(what, streamForms))
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

    /// The flags as the ladder prints them (`[ES EH]`), one table for both.
    static let flagAbbreviations = ["END_STREAM": "ES", "END_HEADERS": "EH", "PADDED": "P", "PRIORITY": "PRI"]

    /// A flag written as the delivery view (`END_STREAM`), `send` (`end-stream`) or the ladder (`ES`) writes it.
    static func flagName(_ word: String) -> String? {
        let upper = word.uppercased().replacingOccurrences(of: "-", with: "_")
        if CommandWords.flags.contains(upper) { return upper }
        return flagAbbreviations.first { $0.value == upper }?.key
    }

    static func pattern(_ words: [String], allowFrom: Bool) throws(CommandError) -> FramePattern {
        guard let first = words.first, let type = FrameType(parsing: first), type.isKnown else {
            throw CommandError("expected a frame type, not '\(words.first ?? "")'", hint: CommandParser.hintFor(words.first ?? "", FrameType.allNames))
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
                                   hint: CommandParser.hintFor(word, ErrorCode.names + CommandWords.flags))
            }
        }
        return result
    }

    static func streamValue(_ text: String) throws(CommandError) -> UInt32 {
        guard let n = CommandParser.streamID(text) else { throw usage("'\(text)' is not a stream number") }
        return n
    }


    /// What may follow `expect ROLE` and `expect ROLE stream N`: the forms' words for the parser's
    /// hints, and what completion offers after each.
    static let endpointGrammar: [(String, Grammar)] = {
        let number = Grammar.value(.number, .end)
        let count = Grammar.value(.any(), .end)
        let stream = streamGrammar
        let sendRecv = Grammar.words(["send", "recv"], then: count)
        let setting = Grammar.value(.any(offering: SettingID.allNames), .text)
        return [
            ("stream", .value(.stream, .choice(stream))),
            ("active-streams", number),
            ("window", .oneOf([.words(["conn"], then: sendRecv), .words(["stream"], then: .value(.stream, sendRecv)), .value(.stream, sendRecv)])),
            ("hpack", .words(["encoder", "decoder"], then: .choice([("size", number), ("max-size", number), ("entries", number),
                                                                  ("entry", .value(.number, .text))]))),
            ("setting", setting), ("peer-setting", setting), ("settings-pending", number),
            ("limit", .words(EndpointLimit.names, then: number)),
            ("sent", framePatternGrammar(from: false)),
            ("ignored", .value(.frameType, .optional({ .words(["stream"], then: .value(.stream, $0)) }))),
            ("connection", .words(["open", "closed"])),
            ("goaway", .words(["sent", "received"], then: .many(.oneOf([.value(.errorCode, .end),
                                                                     .words(["last-stream"], then: .value(.stream, .end))]), then: .end))),
        ]
    }()
    static let endpointForms = endpointGrammar.map(\.0)

    /// What may follow `expect ROLE stream N`.
    static let streamGrammar: [(String, Grammar)] = [
        ("state", .value(.any(offering: CommandWords.states), .text)),
        ("status", .oneOf([.words(["none"]), .value(.number, .end)])),
        ("body", .value(.number, .end)), ("header", .text),
        ("request", .value(.any(offering: CommandWords.methods), .value(.any(), .end))),
        ("trailers", .text),
    ]
    static let streamForms = streamGrammar.map(\.0)

    /// What may follow `expect`, for completion.
    static let grammar: Grammar = {
        let endpoint = Grammar.choice(endpointGrammar)
        let block = Grammar.optional({ .words(["from"], then: .words(CommandWords.sides, then: $0)) }, then: .choice([
            ("field", .value(.any(), .many(.value(.any(offering: FieldPattern.words), .end), then: .end))),
            ("size-update", .oneOf([.words(["none"]), .value(.number, .end)])),
        ]))
        return .choice([
            ("client", endpoint), ("server", endpoint),
            ("last", .oneOf([.choice([("frame", framePatternGrammar(from: true)), ("block", block)]),
                             .value(.frameType, .words(["streams"], then: .many(.value(.stream, .end), then: .end)))])),
            ("wire", .oneOf([.words(["empty"]), .value(.number, .end)])),
            ("refused", .value(.command, .text)),
        ])
    }()

    /// `TYPE [CODE] [FLAG ...] [stream N] [last-stream N] [from ROLE]`.
    static func framePatternGrammar(from: Bool) -> Grammar {
        .value(.frameType, .many(.oneOf([
            // Flags as any view prints them: `END_STREAM`, `[ES EH]`, `END_STREAM|END_HEADERS`.
            .value(Slot(offers: { _ in ErrorCode.names + CommandWords.flags }, accepts: { word in
                word.split(whereSeparator: { "[]|,".contains($0) }).allSatisfy { namedErrorCode(String($0)) != nil || flagName(String($0)) != nil }
            }), .end),
            .words(["stream", "last-stream"], then: .value(.stream, .end)),
        ] + (from ? [.words(["from"], then: .words(CommandWords.sides))] : [])), then: .end))
    }

    /// `expect last TYPE streams N ...`: the streams of the last frames of that type, oldest first.
    static func parseLastStreams(_ typeWord: String, _ words: [String]) throws(CommandError) -> Expectation {
        guard let type = FrameType(parsing: typeWord), type.isKnown else {
            throw CommandError("expected a frame type, not '\(typeWord)'", hint: CommandParser.hintFor(typeWord, FrameType.allNames))
        }
        // Commas as a person writes a list: `streams 3, 1, 5`.
        let numbers = words.flatMap { $0.split(separator: ",").map(String.init) }
        guard !numbers.isEmpty else { throw usage("expect last \(type.name) streams N ... (the streams in the order delivered)") }
        var streams: [UInt32] = []
        for word in numbers { streams.append(try streamValue(word)) }
        return .lastStreams(type, streams)
    }

    /// `expect ROLE ignored TYPE [stream N]`; TYPE may be a number, for a type nobody defined.
    static func parseIgnored(_ role: Role, _ words: [String]) throws(CommandError) -> Expectation {
        guard let first = words.first, let type = FrameType(parsing: first) else {
            throw CommandError("expected a frame type (a name, or a number such as 0xfa), not '\(words.first ?? "")'",
                               hint: CommandParser.hintFor(words.first ?? "", FrameType.allNames))
        }
        switch words.count {
        case 1: return .ignored(role, type, stream: nil)
        case 3 where words[1].lowercased() == "stream": return .ignored(role, type, stream: try streamValue(words[2]))
        default: throw usage("expect \(role) ignored TYPE [stream N]")
        }
    }

    /// `expect refused COMMAND`: a command of the lab (not one that leaves it, waits for the
    /// network, or is itself a check).
    static func parseRefused(_ text: String) throws(CommandError) -> Expectation {
        let command: Command
        switch CommandParser.parse(text) {
        case .failure(let error): throw CommandError("expect refused: \(error.message)", hint: error.hint)
        case .success(nil): throw usage("expect refused COMMAND, as in `expect refused push 3 /styles.css`")
        case .success(let parsed?): command = parsed
        }
        switch command {
        case .expect, .lesson, .quit, .clear, .connect, .listen, .proxy, .connection, .help:
            throw usage("expect refused takes a command that acts on the lab, not '\(text)'")
        default: return .refused(command, text: text.trimmingCharacters(in: .whitespaces))
        }
    }
}
