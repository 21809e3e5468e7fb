import Engine
import Foundation

/// Seeing: views of the lab's state and history, what is saved to files, and help.
extension Session {
    mutating func seeing(_ command: Command) throws -> [String] {
        switch command {
        case .show(let target):
            switch target {
            case .streams: return renderer.streams(lab)
            case .hpack(let role): return renderer.hpack(lab, role: role)
            case .windows: return renderer.windows(lab)
            case .settings: return renderer.settings(lab)
            case .wire:
                // Attached to a real peer: show what it has sent so far, giving it a moment.
                pullFromRemote(wait: lab.state.isAttached && lab.wireIsEmpty)
                return renderer.wire(lab) + peerClosedNote()
            case .history: return renderer.ladder(lab.log)
            case .frame(let n):
                guard n <= lab.state.deliveries else {
                    throw CommandError("no delivery #\(n) yet (\(lab.state.deliveries) so far)", hint: "`history` lists them")
                }
                guard let delivery = lab.delivery(numbered: n) else {
                    throw CommandError("delivery #\(n) is forgotten: a lab attached to a real peer keeps the last \(Lab.attachedLogLimit)",
                                       hint: "`history` lists those kept")
                }
                return renderer.frameDump(delivery)
            }
        case .save(let kind, let path):
            let url = URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: directory, isDirectory: true))
            let bytes: [UInt8]
            let what: String
            switch kind {
            case "json":
                bytes = Array((JSONView.lines(lab.log).joined(separator: "\n") + "\n").utf8)
                what = "\(lab.log.count) deliveries as JSON lines"
            case "pcap":
                bytes = Self.pcap(of: lab.log)
                what = "\(lab.log.count) deliveries as a pcapng capture (tshark -r \(path) -Y http2)"
            default:
                let forgotten = transcriptForgotten == 0 ? []
                    : ["(the first \(transcriptForgotten) lines are forgotten: a session keeps the last \(Self.transcriptLimit))"]
                bytes = Array(((forgotten + transcript.map(Palette.plainText)).joined(separator: "\n") + "\n").utf8)
                what = "the transcript"
            }
            do {
                try Data(bytes).write(to: url)
            } catch {
                throw CommandError("cannot write \(path): \(error.localizedDescription)")
            }
            return ["  wrote \(what) to \(path)"]
        default:
            throw CommandError("`\(command)` is not a command of this group")
        }
    }

    /// The lab's deliveries as a TCP conversation between 127.0.0.1:50000 (the client) and
    /// 127.0.0.1:80 (the server), one millisecond per delivery, so the same session gives the
    /// same file.
    /// Between two real peers (`proxy`), each leg is a conversation of its own: the client's
    /// (127.0.0.1:50000 ⇄ :80) carries what the client sent and what H2Lab forwarded to it, the
    /// server's (127.0.0.1:50001 ⇄ :80) what H2Lab forwarded to the server and what the server sent;
    /// a dropped frame is only on its sender's leg.
    static func pcap(of log: some Collection<Delivery>) -> [UInt8] {
        var capture = PcapNG()
        var conversation = PcapNG.Conversation(clientPort: 50_000, serverPort: 80)
        capture.open(&conversation, microseconds: 0)
        guard log.contains(where: { $0.relayed != nil }) else {
            for delivery in log {
                capture.send(&conversation, fromClient: delivery.item.from == .client, delivery.item.bytes,
                             microseconds: UInt64(delivery.sequence) * 1_000)
            }
            return capture.bytes
        }
        var serverLeg = PcapNG.Conversation(clientPort: 50_001, serverPort: 80)
        capture.open(&serverLeg, microseconds: 0)
        for delivery in log {
            let time = UInt64(delivery.sequence) * 1_000
            let forwarded = delivery.relayed?.forwarded ?? []
            if delivery.item.from == .client {
                capture.send(&conversation, fromClient: true, delivery.item.bytes, microseconds: time)
                if !forwarded.isEmpty { capture.send(&serverLeg, fromClient: true, forwarded, microseconds: time) }
            } else {
                capture.send(&serverLeg, fromClient: false, delivery.item.bytes, microseconds: time)
                if !forwarded.isEmpty { capture.send(&conversation, fromClient: false, forwarded, microseconds: time) }
            }
        }
        return capture.bytes
    }

    func help(_ topic: String?) -> [String] {
        if topic?.lowercased() == "all" { return helpAll() }
        if let topic {
            guard let entry = CommandHelp.find(topic) else {
                let guess = CommandHelp.closest(to: topic, among: CommandHelp.all.map(\.name))
                return ["  no command '\(topic)'" + (guess.map { "; did you mean '\($0)'?" } ?? "")]
            }
            return ["  " + entry.usage, "  " + entry.summary, "  example: " + entry.example]
                + (entry.name == "send" ? ["  types: " + FrameType.allNames.joined(separator: " ") + "; a number for an unknown type"] : [])
                + (entry.name == "listen" ? Self.browserPatience : [])
                + (entry.name == "expect" ? Self.expectForms : [])
                + (entry.name == "lesson" ? Self.classModeHelp : [])
        }
        // Short: the commands by group, to fit a 40-row screen; `help all` has a line for each.
        var lines: [String] = []
        for group in Self.helpGroups {
            let names = CommandHelp.all.filter { $0.group == group }.map(\.name)
            lines += Self.hanging("  " + renderer.palette.bold(group.padding(10)), names.joined(separator: "  "),
                                  indent: 12, visibleLead: 12)
        }
        lines.append("  `help COMMAND` explains one, with an example; `help all` lists every command with a line each.")
        lines.append("  Put `server` before an acting command to act as the server (`server ping`).")
        lines.append("  To start: `request GET /html`, then `step` (one frame) or `continue` (all of them).")
        return lines
    }

    static let helpGroups = CommandDefinition.Group.allCases.map(\.rawValue)

    /// `lead` then `text` wrapped at 100 columns, continuation lines indented by `indent`.
    /// (`visibleLead`: the columns `lead` takes on screen, colour escapes aside.)
    static func hanging(_ lead: String, _ text: String, indent: Int, visibleLead: Int) -> [String] {
        let width = 100 - indent
        var lines: [String] = []
        var current = ""
        for word in text.split(separator: " ", omittingEmptySubsequences: false).map(String.init) {
            if !current.isEmpty && current.count + 1 + word.count > width {
                lines.append(current)
                current = word
            } else {
                current = current.isEmpty ? word : current + " " + word
            }
        }
        lines.append(current)
        let pad = String(repeating: " ", count: indent)
        return lines.enumerated().map { $0.offset == 0 ? lead + String(repeating: " ", count: max(0, indent - visibleLead)) + $0.element : pad + $0.element }
    }

    /// Every command with a line each (names in a column wide enough for the longest).
    func helpAll() -> [String] {
        let column = (CommandHelp.all.map(\.name.count).max() ?? 10) + 2
        var lines: [String] = []
        for group in Self.helpGroups {
            lines.append("  " + renderer.palette.bold(group))
            for entry in CommandHelp.all where entry.group == group {
                lines += Self.hanging("    " + entry.name.padding(column), entry.summary, indent: 4 + column, visibleLead: 4 + column)
            }
        }
        lines.append("  Put `server` before an acting command to act as the server (`server ping`).")
        lines.append("  `listen --tls` lets a browser be the client; `help listen` says how long it will wait.")
        lines.append("  `proxy --to URL` puts the lab between a real client and your server, both sides stepped.")
        return lines
    }

    /// Every `expect` form with an example (ROLE is client or server).
    static let expectForms: [String] = ["  forms (ROLE is client or server; the values are the engine's own):"]
        + Expectation.forms.flatMap { ["    expect " + $0.form, "        " + $0.example] }
        + ["  A passing expect prints ✓; a failing one prints ✗ with what is there instead and changes",
           "  nothing. In a lesson, a failing expect stops the run with FILE:LINE; `h2lab --script`",
           "  reports FILE:LINE on standard error, runs the rest, and exits with status 1."]

    /// How class mode goes, for `help lesson`.
    static let classModeHelp = [
        "  A lesson runs one section at a time: a paragraph of narration and the commands under it.",
        "  After each section it waits. Enter goes on. Any command typed there runs on the lab, so you",
        "  can look around (`show hpack server`, `history`) or try things (`back 2`, a crafted `send`).",
        "  Exploring is safe: before the next section the lesson puts the lab back exactly as its own",
        "  commands left it, and says so. Exercises wait until their goal holds: type any commands;",
        "  `goal` shows what is still missing, `hint` the next hint, `solution` the commands, `skip`",
        "  runs them. The lesson then goes on from its own solution, so later sections match. A",
        "  prediction asks a question first: answer with its letter, then see what the engine did.",
        "  The score (exercises solved without the solution, predictions right) comes at the end.",
        "  Ctrl-C leaves the lesson for the `lab>` prompt, with the lab as it is. `h2lab lesson list`",
        "  lists the lessons; `h2lab lesson NAME --no-pause` prints one straight through.",
    ]

    /// What a browser tolerates while a person steps (from the browsers' sources and settings).
    static let browserPatience = [
        "  A browser waits while you step, within limits. Firefox sends a PING once 58 s pass with",
        "  nothing read (network.http.http2.ping-threshold) and closes the connection if 8 s more",
        "  pass without an answer (ping-timeout). Chromium pings a connection that has been idle",
        "  for 10 s before it sends a new request on it, and gives up if nothing comes back within",
        "  10 s. So step a browser's PING (or `auto on`) promptly. A request that only waits for its",
        "  response is not cut off by these timers: headless Chromium waited 75 s here for /html and",
        "  still loaded it. curl and nghttp wait without a limit unless told (curl --max-time).",
    ]

}
