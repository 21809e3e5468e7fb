import Engine

/// Seeing and the rest: views, saving, checks, narration, lessons, help (Session+Seeing.swift and
/// Session.swift run them).
extension CommandDefinition {
    static let seeing: [CommandDefinition] = [
        .init(name: "show", group: .seeing, usage: "show streams|hpack [client|server]|windows|settings|frame N|wire|history",
              summary: "streams, HPACK tables, windows, settings, a frame's bytes, the wire", example: "show hpack server",
              grammar: .choice(CommandWords.showTargets.map { target in
                  switch target {
                  case "hpack": return (target, .optional({ .words(CommandWords.sides, then: $0) }))
                  case "frame": return (target, .value(.number, .end))
                  default: return (target, .end)
                  }
              }),
              parse: { a in .show(try CommandParser.parseShow(a.words)) }),
        .init(name: "history", group: .seeing, usage: "history", summary: "the frames so far as a ladder diagram", example: "history",
              parse: { _ in .show(.history) }),
        .init(name: "save", group: .seeing, needs: .writeFiles, usage: "save transcript FILE | save json FILE | save pcap FILE",
              summary: "write the session so far (pcap: a capture Wireshark decodes as HTTP/2)", example: "save transcript /tmp/session.txt",
              grammar: .words(CommandWords.saveKinds, then: .value(.path, .end)),
              parse: { a in
                  guard a.count == 2, CommandWords.saveKinds.contains(a[0].lowercased()) else { throw a.usage() }
                  return .save(kind: a[0].lowercased(), path: a[1])
              }),
        .init(name: "expect", group: .seeing,
              sides: .neither({ CommandError("write the side after expect: `expect \($0) ...`", hint: "example: expect \($0) stream 1 state closed") }),
              usage: "expect client|server ... | expect last frame ... | expect wire ... | expect refused COMMAND",
              summary: "check the lab's real state: ✓ if it holds, ✗ with what is there instead",
              example: "expect server stream 1 state half-closed (remote)", grammar: Expectation.grammar,
              parse: { a in .expect(try Expectation.parse(a.words, rest: a.rest(after:))) }),
        .init(name: "say", aliases: ["echo"], group: .seeing, usage: "say TEXT", summary: "print a line (for lesson narration)",
              example: "say Now the server answers.", grammar: .text, parse: { a in .say(a.rest(after: 0)) }),
    ]

    static let other: [CommandDefinition] = [
        .init(name: "lesson", group: .other, sides: .neither(nil), usage: "lesson NAME",
              summary: "run a lesson in class mode: one section at a time, exercises and predictions",
              example: "lesson 01-handshake", grammar: .value(.lesson, .end),
              parse: { a in
                  guard a.count == 1 else { throw a.usage() }
                  return .lesson(a[0])
              }),
        .init(name: "help", aliases: ["?"], group: .other, usage: "help [COMMAND]", summary: "list commands, or explain one",
              example: "help send", grammar: .optional({ .value(.command, $0) }), parse: { a in .help(a.first?.lowercased()) }),
        .init(name: "clear", aliases: ["cls"], group: .other, usage: "clear", summary: "clear the screen (the lab does not change)",
              example: "clear",
              parse: { a in
                  if !a.isEmpty { throw a.usage() }
                  return .clear
              }),
        .init(name: "quit", aliases: ["exit"], group: .other, usage: "quit", summary: "leave (Ctrl-D does the same)", example: "quit",
              parse: { _ in .quit }),
    ]
}

extension CommandParser {
    static func parseShow(_ args: [String]) throws -> ShowTarget {
        guard let what = args.first?.lowercased() else {
            throw CommandError("show what?", hint: "one of: " + CommandWords.showTargets.joined(separator: ", "))
        }
        switch what {
        case "streams", "stream": return .streams
        case "hpack", "tables":
            if args.count > 1 {
                guard let role = Role(rawValue: args[1].lowercased()) else { throw CommandError("show hpack takes client or server") }
                return .hpack(role)
            }
            return .hpack(nil)
        case "windows", "window", "flow": return .windows
        case "settings": return .settings
        case "frame":
            guard args.count == 2, let n = Int(args[1].trimmingPrefix("#")), n > 0 else {
                throw CommandError("usage: show frame N (N is the delivery number, as in #4)")
            }
            return .frame(n)
        case "wire", "queue": return .wire
        case "history", "ladder": return .history
        default:
            throw CommandError("cannot show '\(args[0])'", hint: hintFor(what, CommandWords.showTargets))
        }
    }
}
