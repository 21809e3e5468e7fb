import Engine

/// Acting: the client's and the server's own actions, and new connections in memory
/// (Session+Acting.swift runs them).
extension CommandDefinition {
    static let acting: [CommandDefinition] = [
        .init(name: "request", aliases: ["req"], group: .acting, sides: .clientOnly,
              usage: "request METHOD PATH [name: value ...] [body TEXT | body @FILE] [--trailers name: value ...] | request @FILE.http",
              summary: "the client opens a stream with a request (queued on the wire)",
              example: "request POST /echo content-type: text/plain body hello",
              grammar: .value(.any(offering: CommandWords.methods), .value(.any(offering: DemoSite.paths), .many(.oneOf([
                  .words(["body", "--trailers"], then: .text),
                  .value(Slot(offers: { _ in CommandWords.requestFields }, accepts: { $0.hasSuffix(":") }),
                         .many(.value(Slot(offers: { _ in [] }, accepts: { !$0.hasSuffix(":") && !["body", "--trailers"].contains($0.lowercased()) }), .end),
                               then: .end)),
              ]), then: .end))),
              parse: CommandParser.parseRequest),
        .init(name: "respond", group: .acting,
              usage: "respond auto | respond manual | respond STREAM STATUS [TEXT] [--trailers name: value ...] | respond STREAM 1xx [name: value ...]",
              summary: "whether the demo site answers by itself; or answer a request by hand (a 1xx: an interim response, fields only)",
              example: "respond 1 200 hello",
              grammar: .oneOf([.words(CommandWords.respondModes), .value(.stream, .text)]),
              parse: CommandParser.parseRespond),
        .init(name: "early-hints", group: .acting, usage: "early-hints on|off",
              summary: "the demo site sends 103 (Early Hints) naming /styles.css before answering /html (RFC 8297)",
              example: "early-hints on", grammar: .words(CommandWords.onOff),
              parse: { a in
                  guard a.count == 1, let on = CommandParser.onOff(a[0]) else { throw a.usage() }
                  return .earlyHints(on)
              }),
        .init(name: "continue-body", group: .acting, usage: "continue-body STREAM",
              summary: "the client sends the body it holds for 100 (Continue) without waiting any longer (RFC 9110 §10.1.1)",
              example: "continue-body 1", grammar: .value(.stream, .end),
              parse: { a in
                  guard a.count == 1, let stream = CommandParser.streamID(a[0]) else { throw a.usage() }
                  return .sendContinue(stream: stream)
              }),
        .init(name: "ping", group: .acting, usage: "[server] ping [OPAQUE]", summary: "send PING (the peer answers with ACK)",
              example: "ping 42", grammar: .optional({ .value(.number, $0) }),
              parse: { a in
                  let opaque = try a.first.map { try CommandParser.number($0, "opaque data") } ?? 0
                  return .ping(a.side, UInt64(opaque))
              }),
        .init(name: "settings", group: .acting, usage: "[server] settings NAME=VALUE ...",
              summary: "send SETTINGS; they apply when acknowledged", example: "server settings INITIAL_WINDOW_SIZE=16 MAX_CONCURRENT_STREAMS=1",
              grammar: .many(.words(CommandWords.settingWords), then: .end),
              parse: { a in
                  guard !a.isEmpty else { throw a.usage() }
                  return .settings(a.side, try a.words.map(CommandParser.parseSetting))
              }),
        .init(name: "window", group: .acting, usage: "[server] window STREAM|conn INCREMENT",
              summary: "send WINDOW_UPDATE, giving the peer more credit", example: "server window conn 65535",
              grammar: .oneOf([.words(["conn"], then: .value(.number, .end)), .value(.stream, .value(.number, .end))]),
              parse: { a in
                  guard a.count == 2 else { throw a.usage() }
                  let stream: UInt32 = CommandWords.connection.contains(a[0].lowercased()) ? 0 : try CommandParser.streamNumber(a[0])
                  return .window(a.side, stream: stream, increment: try CommandParser.number(a[1], "increment"))
              }),
        .init(name: "reset", aliases: ["rst"], group: .acting, usage: "[server] reset STREAM|last CODE",
              summary: "send RST_STREAM (`last`: the stream this side opened last)", example: "reset 1 CANCEL",
              grammar: .oneOf([.words(["last"], then: .value(.errorCode, .end)), .value(.stream, .value(.errorCode, .end))]),
              parse: { a in
                  guard a.count == 2 else { throw a.usage() }
                  // `last`: the stream this side opened most recently (for bursts under `repeat`).
                  let stream = a[0].lowercased() == "last" ? Command.lastStream : try CommandParser.streamNumber(a[0])
                  return .reset(a.side, stream: stream, code: try CommandParser.errorCode(a[1]))
              }),
        .init(name: "goaway", group: .acting, usage: "[server] goaway CODE|graceful [DEBUG TEXT]",
              summary: "send GOAWAY (graceful: 2^31-1, PING, then the real last stream; §6.8)", example: "server goaway graceful",
              grammar: .oneOf([.words(["graceful"], then: .text), .value(.errorCode, .text)]),
              parse: { a in
                  guard !a.isEmpty else { throw a.usage() }
                  if a[0].lowercased() == "graceful" { return .gracefulGoaway(a.side, debug: a.rest(after: 1)) }
                  return .goaway(a.side, code: try CommandParser.errorCode(a[0]), debug: a.rest(after: 1))
              }),
        .init(name: "priority", group: .acting, usage: "[server] priority STREAM [weight=N] [depends=N] [exclusive]",
              summary: "send PRIORITY (deprecated by RFC 9113, still parsed)", example: "priority 3 weight=200 depends=1",
              grammar: .value(.stream, .many(.words(["weight=", "depends=", "exclusive"]), then: .end)),
              parse: CommandParser.parsePriority),
        .init(name: "ws", group: .acting, sides: .clientOnly, usage: "ws STREAM TEXT | ws STREAM ping [TEXT] | ws STREAM close",
              summary: "the client sends a masked WebSocket frame (RFC 6455) as DATA on an extended CONNECT stream (RFC 8441)",
              example: "ws 1 hello", grammar: .value(.stream, .oneOf([.words(["ping", "close"], then: .text), .text])),
              parse: { a in
                  guard a.count >= 2, let stream = CommandParser.streamID(a[0]) else { throw a.usage() }
                  switch a[1].lowercased() {
                  case "close" where a.count == 2: return .webSocket(stream: stream, WebSocketFrame(opcode: .close, payload: [0x03, 0xe8]))
                  case "ping": return .webSocket(stream: stream, WebSocketFrame(opcode: .ping, payload: Array(a.rest(after: 2).utf8)))
                  default: return .webSocket(stream: stream, WebSocketFrame(opcode: .text, payload: Array(a.rest(after: 1).utf8)))
                  }
              }),
        .init(name: "priority-update", group: .acting, sides: .clientOnly, usage: "priority-update STREAM u=N[, i]",
              summary: "the client sends PRIORITY_UPDATE: a new RFC 9218 priority for a stream (urgency 0-7, incremental)",
              example: "priority-update 3 u=0, i", grammar: .value(.stream, .text),
              parse: { a in
                  guard a.count >= 2, let stream = CommandParser.streamID(a[0]) else { throw a.usage() }
                  let text = a.rest(after: 1)
                  guard let priority = Priority(parsing: text) else {
                      throw CommandError("'\(text)' is not a priority (a Structured Fields Dictionary, RFC 9218 §4)", hint: "example: priority-update 3 u=0, i")
                  }
                  return .priorityUpdate(stream: stream, priority)
              }),
        .init(name: "push", group: .acting, usage: "push STREAM PATH",
              summary: "the server promises PATH on a request it has not answered yet (with `respond manual`: only the promise; "
                  + "so `respond manual`, `request GET /html`, `step`, then push)",
              example: "push 1 /styles.css",
              grammar: .value(.stream, .value(.any(offering: DemoSite.paths), .end)),
              parse: { a in
                  guard a.count == 2, let stream = CommandParser.streamID(a[0]), a[1].hasPrefix("/") else { throw a.usage() }
                  return .push(stream: stream, path: a[1])
              }),
        .init(name: "send", group: .acting, usage: "[server] send TYPE [stream=N] [flags=A|B] [FIELD=VALUE ...] | send raw HEX",
              summary: "craft any frame, valid or not, to see the peer's answer", example: "send window_update stream=0 increment=0",
              grammar: .oneOf([
                  .words(["raw"], then: .text),
                  .dependent(Slot(offers: { _ in FrameType.allNames.map { $0.lowercased() } }, accepts: { FrameType(parsing: $0) != nil }), { word in
                      guard let type = FrameType(parsing: word) else { return .text }
                      return .many(.words(["stream=", "flags="] + FrameSpec.fields(of: type).map { $0 + "=" }), then: .end)
                  }),
              ]),
              parse: { a in
                  guard let kind = a.first else { throw a.usage() }
                  if kind.lowercased() == "raw" {
                      guard let bytes = Hex.decode(a.rest(after: 1)), !bytes.isEmpty else {
                          throw CommandError("send raw needs hex digits", hint: "example: send raw 000004080000000000000000ff")
                      }
                      return .sendRaw(a.side, bytes)
                  }
                  return .send(a.side, try FrameSpec.parse(a.words))
              }),
        .init(name: "hpack", group: .acting,
              usage: "[server] hpack policy [index|no-index|never-index|auto] [huffman on|off|auto] [no-table] | hpack never [remove] [NAME ...]",
              summary: "change how the encoder represents fields; `never` lists or extends the fields never indexed",
              example: "hpack never x-api-key",
              grammar: .choice([
                  ("policy", .many(.oneOf([.words(["huffman"], then: .words(CommandWords.huffmanModes)),
                                           .words(CommandWords.hpackPolicyWords.filter { $0 != "huffman" })]), then: .end)),
                  ("never", .optional({ .words(["remove"], then: $0) }, then: .text)),
              ]),
              parse: { a in
                  switch a.first?.lowercased() {
                  case "policy": return .hpackPolicy(a.side, try CommandParser.parsePolicy(Array(a.words.dropFirst())))
                  case "never":
                      let removing = a.count > 1 && a[1].lowercased() == "remove"
                      let names = try a.words.dropFirst(removing ? 2 : 1).map { try CommandParser.fieldName($0) }
                      if removing && names.isEmpty { throw CommandError("hpack never remove takes the names to remove", hint: "example: hpack never remove x-api-key") }
                      return .hpackNever(a.side, add: removing ? [] : names, remove: removing ? names : [])
                  default: throw a.usage()
                  }
              }),
        .init(name: "flow", group: .acting, usage: "[server] flow half|eager|manual",
              summary: "when this endpoint sends WINDOW_UPDATE by itself", example: "server flow manual",
              grammar: .words(CommandWords.flowPolicies),
              parse: { a in
                  guard a.count == 1, let policy = WindowUpdatePolicy(rawValue: a[0].lowercased()) else { throw a.usage() }
                  return .windowPolicy(a.side, policy)
              }),
        .init(name: "limit", group: .acting, usage: "[server] limit " + EndpointLimit.names.joined(separator: "|") + " N",
              summary: "change a defensive limit of an endpoint (streams reset early before ENHANCE_YOUR_CALM)",
              example: "server limit rapid-resets 10", grammar: .words(EndpointLimit.names, then: .value(.number, .end)),
              parse: { a in
                  guard a.count == 2, let n = Int(a[1]), n >= 0 else { throw a.usage() }
                  guard EndpointLimit(rawValue: a[0].lowercased()) != nil else {
                      throw CommandError("no limit '\(a[0])'", hint: CommandParser.hintFor(a[0], EndpointLimit.names))
                  }
                  return .limit(a.side, name: a[0].lowercased(), value: n)
              }),
        .init(name: "repeat", group: .acting, sides: .neither({ _ in CommandError("put the side inside: `repeat 10 server ping`") }),
              usage: "repeat N COMMAND [; COMMAND ...]",
              summary: "run commands N times (a burst or a flood); the first and last rounds are shown",
              example: "repeat 20 request GET /json; reset last CANCEL", grammar: .value(.number, .value(.command, .text)),
              parse: CommandParser.parseRepeat),
        .init(name: "upgrade", group: .acting, sides: .neither(nil), usage: "upgrade [PATH]",
              summary: "a new connection that starts as HTTP/1.1 GET PATH with Upgrade: h2c (h2c Upgrade, in memory)",
              example: "upgrade /html", grammar: .optional({ .value(.any(offering: DemoSite.paths), $0) }),
              parse: { a in
                  if a.count > 1 { throw a.usage() }
                  let path = a.first ?? "/"
                  guard path.hasPrefix("/") else { throw CommandError("the path must start with /, not '\(path)'", hint: "example: upgrade /html") }
                  return .upgrade(path: path)
              }),
        .init(name: "reconnect", group: .acting, usage: "reconnect | client|server reconnect SETTING=VALUE ...",
              summary: "a new connection: fresh endpoints (defaults again), prefaces on the wire; with settings, one endpoint's first SETTINGS carries them too",
              example: "server reconnect NO_RFC7540_PRIORITIES=1", grammar: .many(.words(CommandWords.settingWords), then: .end),
              parse: { a in
                  if a.isEmpty && a.role == nil { return .reconnect }
                  guard let role = a.role, !a.isEmpty else { throw a.usage() }
                  return .reconnectWith(role, try a.words.map(CommandParser.parseSetting))
              }),
    ]
}

extension CommandParser {
    static func parseRequest(_ a: Arguments) throws -> Command {
        let args = a.words
        if args.count == 1, args[0].hasPrefix("@"), args[0].count > 1 { return .requestHTTP1(file: String(args[0].dropFirst())) }
        guard args.count >= 2 else {
            throw CommandError("usage: request METHOD PATH [name: value ...] [body TEXT]", hint: "example: request GET /html")
        }
        let method = args[0].uppercased() == args[0] ? args[0] : args[0].uppercased()
        let path = args[1]
        guard path.hasPrefix("/") || path == "*" else {
            throw CommandError("the path must start with /, not '\(path)'", hint: "example: request GET /json")
        }
        var headers: [HeaderField] = []
        var body: Command.Body?
        var trailers: [HeaderField]?
        var i = 2
        while i < args.count {
            let token = args[i]
            if token.lowercased() == "body" {
                let (text, fields) = try splitTrailers(a, from: i + 1)
                body = text.hasPrefix("@") ? .file(String(text.dropFirst())) : .text(text)
                trailers = fields
                break
            }
            if token == "--trailers" {
                trailers = try splitTrailers(a, from: i).1
                break
            }
            guard token.hasSuffix(":"), token.count > 1 else {
                throw CommandError("expected a header name ending in ':' or 'body', got '\(token)'", hint: "example: request GET / accept: text/html")
            }
            var value: [String] = []
            i += 1
            while i < args.count && !args[i].hasSuffix(":") && args[i].lowercased() != "body" && args[i] != "--trailers" {
                value.append(args[i])
                i += 1
            }
            headers.append(HeaderField(String(token.dropLast()), value.joined(separator: " ")))
        }
        return .request(method: method, path: path, headers: headers, body: body, trailers: trailers)
    }

    static func parseRespond(_ a: Arguments) throws -> Command {
        if a.count == 1 && CommandWords.respondModes.contains(a[0].lowercased()) { return .respondMode(auto: a[0].lowercased() == "auto") }
        guard a.count >= 2, let stream = streamID(a[0]), let status = Int(a[1]), (100...999).contains(status) else { throw a.usage() }
        if status < 200 {
            // An interim response has header fields and no content (RFC 9110 §15.2).
            let fields = try fieldList(a.tokens(from: 2).map(\.text), after: "\(status)")
            return .respond(stream: stream, status: status, body: "", trailers: nil, fields: fields)
        }
        let (text, trailers) = try splitTrailers(a, from: 2)
        return .respond(stream: stream, status: status, body: text, trailers: trailers)
    }

    static func parsePriority(_ a: Arguments) throws -> Command {
        guard let first = a.first else { throw a.usage() }
        var fields = PriorityFields()
        for arg in a.words.dropFirst() {
            let (key, value) = split(arg)
            switch key.lowercased() {
            case "weight": fields.weight = UInt8(try number(value, "weight", in: 1...256, FrameSpec.weightRule) - 1)
            case "depends", "dependency": fields.dependency = try streamNumber(value)
            case "exclusive": fields.exclusive = true
            default: throw CommandError("priority takes weight=N (1-256), depends=N and exclusive, not '\(arg)'")
            }
        }
        return .priority(a.side, stream: try streamNumber(first), fields)
    }

    static func parseRepeat(_ a: Arguments) throws -> Command {
        guard a.count >= 2, let n = Int(a[0]), n >= 1, n <= 10_000 else { throw a.usage() }
        var commands: [Command] = []
        for part in split(a.rest(after: 1), outsideQuotesOn: ";") where !part.allSatisfy({ $0 == " " || $0 == "\t" }) {
            switch parse(String(part)) {
            case .failure(let error): throw error
            case .success(nil): continue
            case .success(let command?):
                switch command {
                case .repeatRun, .lesson, .listen, .connect, .quit, .auto, .continueRun:
                    throw CommandError("`repeat` runs acting and stepping commands, not '\(part.trimmingCharacters(in: .whitespaces))'")
                default: commands.append(command)
                }
            }
        }
        guard !commands.isEmpty else { throw a.usage() }
        return .repeatRun(count: n, commands: commands)
    }

    static func parsePolicy(_ args: [String]) throws -> EncoderPolicy {
        var policy = EncoderPolicy()
        var i = 0
        while i < args.count {
            switch args[i].lowercased() {
            case "index", "incremental": policy.indexing = .incremental
            case "no-index", "without-indexing", "noindex": policy.indexing = .withoutIndexing
            case "never-index", "never-indexed", "never": policy.indexing = .neverIndexed
            case "auto": policy.indexing = nil
            case "no-table": policy.useIndexedFields = false
            case "huffman":
                i += 1
                guard i < args.count else { throw CommandError("huffman takes on, off or auto") }
                switch args[i].lowercased() {
                case "on", "always": policy.huffman = .always
                case "off", "never": policy.huffman = .never
                case "auto": policy.huffman = .auto
                default: throw CommandError("huffman takes on, off or auto, not '\(args[i])'")
                }
            default:
                throw CommandError("unknown policy word '\(args[i])'", hint: hintFor(args[i], CommandWords.hpackPolicyWords))
            }
            i += 1
        }
        return policy
    }
}
