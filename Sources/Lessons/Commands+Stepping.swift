import Engine

/// Stepping: moving frames across the wire, breakpoints and going back; and attaching real peers,
/// whose frames wait on the same wire (Session+Stepping.swift and Session+Attach.swift run them).
extension CommandDefinition {
    static let stepping: [CommandDefinition] = [
        .init(name: "connect", group: .stepping,
              sides: .neither({ CommandError("connect takes no '\($0)': our client connects, the real server takes the server's place") }),
              needs: .network, usage: "connect http://HOST:PORT | https://HOST:PORT",
              summary: "our client talks to a real server; its frames wait on the wire until stepped", example: "connect http://127.0.0.1:8080",
              grammar: .value(.any(offering: ["http://127.0.0.1:", "https://127.0.0.1:"]), .end),
              parse: { a in
                  guard a.count == 1, a[0].hasPrefix("http://") || a[0].hasPrefix("https://") else { throw a.usage() }
                  return .connect(a[0])
              }),
        .init(name: "listen", group: .stepping,
              sides: .neither({ CommandError("listen takes no '\($0)': our server listens, the real client takes the client's place") }),
              needs: .network, usage: "listen [--tls] [--port N] [--timeout S] [--cert F --key F]",
              summary: "our server waits for a real client (browser, curl); its frames wait until stepped",
              example: "listen --tls --port 8443", grammar: .many(listenOption, then: .end),
              parse: { a in try CommandParser.parseListen(a.words) }),
        .init(name: "proxy", group: .stepping,
              sides: .neither({ CommandError("proxy takes no '\($0)': a real client and a real server take both places") }),
              needs: .network, usage: "proxy --to URL [--tls] [--port N] [--timeout S] [--cert F --key F]",
              summary: "sit between a real client and the real server at URL; both sides' frames wait until stepped",
              example: "proxy --to http://127.0.0.1:8080 --tls --port 8443",
              grammar: .many(.oneOf([.words(["--to"], then: .value(.any(), .end)), listenOption]), then: .end),
              parse: CommandParser.parseProxy),
        .init(name: "drop", group: .stepping, usage: "drop [client|server] [TYPE]",
              summary: "take the next waiting frame (from one side, of one type) off the wire: the receiver never sees it",
              example: "drop server headers", grammar: .many(.oneOf([.words(CommandWords.sides), .value(.frameType, .end)]), then: .end),
              parse: { a in
                  var from = a.role
                  var type: FrameType?
                  for arg in a.words {
                      if let r = Role(rawValue: arg.lowercased()) {
                          from = r
                      } else if let t = FrameType(parsing: arg), t.isKnown {
                          type = t
                      } else {
                          throw CommandError("drop takes client or server and a frame type, not '\(arg)'", hint: "example: drop server headers")
                      }
                  }
                  return .drop(from: from, type: type)
              }),
        .init(name: "edit", group: .stepping, usage: "edit [STREAM] NAME VALUE | edit [STREAM] remove NAME",
              summary: "change a waiting HEADERS between real peers (`proxy`) before it is forwarded", example: "edit :path /json",
              grammar: .optional({ .value(.stream, $0) }, then: .oneOf([.words(["remove"], then: .value(.any(), .end)),
                                                                        .value(.any(offering: CommandWords.editFields), .text)])),
              parse: CommandParser.parseEdit),
        .init(name: "connection", aliases: ["connections"], group: .stepping, usage: "connection [N]",
              summary: "list the connections a `listen` or `proxy` accepted, or show connection N", example: "connection 2",
              grammar: .optional({ .value(.number, $0) }),
              parse: { a in
                  if a.isEmpty { return .connection(nil) }
                  guard a.count == 1, let n = Int(a[0]), n > 0 else { throw a.usage() }
                  return .connection(n)
              }),
        .init(name: "step", aliases: ["s"], group: .stepping, usage: "step [client|server] [N]",
              summary: "deliver the next frame (oldest first), or the next from one side, N times", example: "step server 2",
              grammar: .many(.oneOf([.words(CommandWords.sides), .value(.number, .end)]), then: .end),
              parse: { a in
                  var from: Role?
                  var count = 1
                  for arg in a.words {
                      if let r = Role(rawValue: arg.lowercased()) { from = r }
                      else if let n = Int(arg), n > 0 { count = n }
                      else { throw CommandError("step takes client, server or a count, not '\(arg)'", hint: "example: step server 2") }
                  }
                  return .step(from: from, count: count)
              }),
        .init(name: "next", aliases: ["n"], group: .stepping, usage: "next", summary: "deliver until a stream changes state", example: "next",
              parse: { _ in .next }),
        .init(name: "continue", aliases: ["c"], group: .stepping, usage: "continue", summary: "deliver until a breakpoint or an empty wire",
              example: "continue", parse: { _ in .continueRun }),
        .init(name: "auto", group: .stepping, usage: "auto on|off", summary: "deliver everything after each action by itself",
              example: "auto on", grammar: .words(CommandWords.onOff),
              parse: { a in
                  guard a.count == 1, let on = CommandParser.onOff(a[0]) else { throw a.usage() }
                  return .auto(on)
              }),
        .init(name: "break", aliases: ["b"], group: .stepping,
              usage: "break frame TYPE | flag NAME | stream N | state STATE | error | goaway | window-zero",
              summary: "stop `continue` when a delivery matches", example: "break state closed",
              grammar: .choice(CommandWords.breakKinds.map { kind in
                  switch kind {
                  case "frame": return (kind, .value(.frameType, .end))
                  case "flag": return (kind, .words(CommandWords.flags))
                  case "stream": return (kind, .value(.stream, .end))
                  case "state": return (kind, .words(CommandWords.states))
                  default: return (kind, .end)
                  }
              }),
              parse: { a in .addBreak(try CommandParser.parseBreak(a.words)) }),
        .init(name: "breaks", group: .stepping, usage: "breaks", summary: "list breakpoints", example: "breaks", parse: { _ in .listBreaks }),
        .init(name: "delete", group: .stepping, usage: "delete N", summary: "remove breakpoint N", example: "delete 1",
              grammar: .value(.number, .end),
              parse: { a in
                  guard a.count == 1, let n = Int(a[0]) else { throw a.usage() }
                  return .deleteBreak(n)
              }),
        .init(name: "back", group: .stepping, usage: "back [N]", summary: "rewind the whole lab to before the last N deliveries",
              example: "back 2", grammar: .optional({ .value(.number, $0) }),
              parse: { a in
                  if a.isEmpty { return .back(1) }
                  guard a.count == 1, let n = Int(a[0]), n > 0 else { throw a.usage() }
                  return .back(n)
              }),
        .init(name: "undo", group: .stepping, sides: .neither(nil), usage: "undo",
              summary: "take back the last command that changed the lab, whatever it was (a request too)", example: "undo",
              parse: { a in
                  if !a.isEmpty { throw a.usage() }
                  return .undo
              }),
    ]

    /// One of `listen`'s options (`proxy` takes them too).
    static let listenOption: Grammar = .oneOf([.words(CommandWords.listenSwitches),
                                               .words(CommandWords.listenNumbers, then: .value(.number, .end)),
                                               .words(CommandWords.listenFiles, then: .value(.path, .end))])
}

extension CommandParser {
    static func parseListen(_ args: [String]) throws -> Command {
        var tls = false
        var port: UInt16?
        var timeout: Double?
        var cert: String?, key: String?
        var rest = args[...]
        while let arg = rest.popFirst() {
            switch arg.lowercased() {
            case "--tls", "tls": tls = true
            case "--plain", "plain": tls = false
            case "--timeout":
                guard let text = rest.popFirst(), let seconds = Double(text), seconds > 0 else {
                    throw CommandError("listen --timeout needs a number of seconds", hint: "example: listen --timeout 30")
                }
                timeout = seconds
            case "--cert", "--key":
                guard let file = rest.popFirst() else {
                    throw CommandError("listen \(arg) needs a PEM file", hint: "example: listen --cert cert.pem --key key.pem")
                }
                if arg.lowercased() == "--cert" { cert = file } else { key = file }
                tls = true
            case "--port", "port":
                guard let text = rest.popFirst(), let n = UInt16(text) else {
                    throw CommandError("listen --port needs a port number 0-65535 (0 picks a free one)", hint: "example: listen --tls --port 8443")
                }
                port = n
            default:
                throw CommandError("listen does not take '\(arg)'", hint: "usage: " + (CommandDefinition.find("listen")?.usage ?? "listen"))
            }
        }
        if (cert == nil) != (key == nil) {
            throw CommandError("listen --cert and --key go together", hint: "example: listen --cert cert.pem --key key.pem")
        }
        return .listen(tls: tls, port: port, timeout: timeout, cert: cert, key: key)
    }

    static func parseProxy(_ a: Arguments) throws -> Command {
        var rest = a.words
        var url: String?
        if let i = rest.firstIndex(where: { $0.lowercased() == "--to" }) {
            guard i + 1 < rest.count else { throw a.usage() }
            url = rest[i + 1]
            rest.removeSubrange(i...(i + 1))
        } else if let i = rest.firstIndex(where: { $0.hasPrefix("http") }) {
            url = rest.remove(at: i)
        }
        guard let url, url.hasPrefix("http://") || url.hasPrefix("https://") else { throw a.usage() }
        guard case .listen(let tls, let port, let timeout, let cert, let key) = try parseListen(rest) else { throw a.usage() }
        return .proxy(to: url, tls: tls, port: port, timeout: timeout, cert: cert, key: key)
    }

    /// `edit [STREAM] NAME VALUE...` or `edit [STREAM] remove NAME`.
    static func parseEdit(_ a: Arguments) throws -> Command {
        var words = a.words[...]
        var stream: UInt32?
        var used = 0
        if let first = words.first, let n = UInt32(first) {
            stream = n
            words = words.dropFirst()
            used += 1
        }
        let example = "example: edit :path /json, edit 3 user-agent h2lab, edit remove cookie"
        guard let name = words.first?.lowercased() else { throw CommandError("edit needs a field name and a value", hint: example) }
        if name == "remove", words.count == 2, let field = words.last {
            return .edit(stream: stream, [.remove(name: field.lowercased())])
        }
        let field = name.hasSuffix(":") && name.count > 1 ? String(name.dropLast()) : name
        let value = a.rest(after: used + 1)
        guard words.count >= 2 else { throw CommandError("edit \(field) needs a value", hint: example) }
        guard !field.isEmpty, field.allSatisfy({ $0 != " " }) else { throw CommandError("'\(field)' is not a field name", hint: example) }
        return .edit(stream: stream, [.set(name: field, value: value)])
    }

    static func parseBreak(_ args: [String]) throws -> Breakpoint {
        guard let kind = args.first?.lowercased() else {
            throw CommandError("usage: \(CommandDefinition.find("break")?.usage ?? "break")", hint: "example: break frame GOAWAY")
        }
        let value = args.dropFirst().joined(separator: " ")
        switch kind {
        case "frame":
            guard let type = FrameType(parsing: value), type.isKnown else {
                throw CommandError("unknown frame type '\(value)'", hint: hintFor(value, FrameType.allNames))
            }
            return .frameType(type)
        case "flag":
            let upper = value.uppercased().replacingOccurrences(of: "-", with: "_")
            guard CommandWords.flags.contains(upper) else { throw CommandError("unknown flag '\(value)'", hint: hintFor(value, CommandWords.flags)) }
            return .flag(upper)
        case "stream":
            return .stream(try streamNumber(value))
        case "state":
            guard let state = StreamState(parsing: value) else {
                throw CommandError("unknown state '\(value)'", hint: "states: " + StreamState.allCases.map(\.rawValue).joined(separator: ", "))
            }
            return .state(state)
        case "error": return .error
        case "goaway": return .goaway
        case "window-zero", "window": return .windowZero
        default:
            throw CommandError("cannot break on '\(kind)'", hint: hintFor(kind, CommandWords.breakKinds))
        }
    }
}
