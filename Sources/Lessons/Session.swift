import Foundation
import Engine

/// The interpreter of the command language over one lab. The REPL and the lesson runner both drive
/// it; everything it prints comes back as lines, so that a transcript is just those lines.
public struct Session: Sendable {
    public private(set) var lab: Lab
    public private(set) var breakpoints: [Breakpoint] = []
    public private(set) var autoDeliver = false
    public var renderer: Renderer
    /// Every command and its output, for `save transcript`.
    public private(set) var transcript: [String] = []
    /// The most deliveries one `continue` makes (a runaway guard).
    public var deliveryLimit = 100_000
    /// Where relative paths (body @FILE, save) are resolved.
    public var directory: String

    /// A real server the lab's client talks to (`connect`): the driver supplies the transport.
    public var remote: RemotePeer?
    /// Opens a transport to a URL's server (set by the executable; lessons run without network).
    public var connector: (@Sendable (String) throws -> (peer: RemotePeer, authority: String))?

    public struct Output: Sendable {
        public var lines: [String] = []
        public var error: CommandError?
        public var quit = false
    }

    public init(lab: Lab = Lab(), palette: Palette = .plain, directory: String = FileManager.default.currentDirectoryPath) {
        self.lab = lab
        self.renderer = Renderer(palette: palette)
        self.directory = directory
    }

    public static let banner = "H2Lab: an HTTP/2 client and server in memory, nothing sent yet. `help` lists commands; "
        + "try `request GET /html`, then `step`."

    /// Runs one line. `interrupted` is polled during long runs (Ctrl-C).
    public mutating func execute(_ line: String, interrupted: @Sendable () -> Bool = { false }) -> Output {
        var output = Output()
        switch CommandParser.parse(line) {
        case .success(nil):
            return output
        case .success(let command?):
            do {
                output.lines = try run(command, interrupted: interrupted).map(Self.trimTrailingSpaces).flatMap(renderer.wrap)
                if command == .quit { output.quit = true }
            } catch let error as CommandError {
                output.error = error
            } catch let error as UsageError {
                output.error = CommandError(error.message)
            } catch {
                output.error = CommandError("\(error)")
            }
        case .failure(let error):
            output.error = error
        }
        transcript.append("lab> " + line)
        transcript += output.lines
        if let error = output.error { transcript.append("error: \(error)") }
        return output
    }

    static func trimTrailingSpaces(_ line: String) -> String {
        var line = Substring(line)
        while line.last == " " { line.removeLast() }
        return String(line)
    }

    mutating func run(_ command: Command, interrupted: @Sendable () -> Bool) throws -> [String] {
        switch command {
        case .help(let topic): return help(topic)
        case .quit: return []
        case .say(let text): return [text]
        case .connect(let url):
            guard let connector else { throw CommandError("connect needs the h2lab REPL (no network in lessons)") }
            let (peer, authority) = try connector(url)
            remote?.close()
            remote = peer
            lab = Lab(remoteServer: authority)
            return ["  connected to \(authority): our client ⇄ a real server. Frames from it wait on the wire;",
                    "  `back` is off (a real server cannot be rewound). `step` to begin."] + renderer.wire(lab)

        case .request(let method, let path, let headers, let body):
            var bytes: [UInt8] = []
            switch body {
            case .text(let text): bytes = Array(text.utf8)
            case .file(let file):
                let url = URL(fileURLWithPath: file, relativeTo: URL(fileURLWithPath: directory, isDirectory: true))
                guard let data = FileManager.default.contents(atPath: url.path) else { throw CommandError("cannot read \(file)") }
                bytes = Array(data)
            case nil: break
            }
            var list = [HeaderField(":method", method), HeaderField(":scheme", lab.state.remoteServer == nil ? "https" : "http"),
                        HeaderField(":path", path), HeaderField(":authority", lab.state.remoteServer ?? "lab.example")]
            list += headers.map { HeaderField($0.name.lowercased(), $0.value) }
            if !bytes.isEmpty && !list.contains(where: { $0.name == "content-length" }) {
                list.append(HeaderField("content-length", "\(bytes.count)"))
            }
            let (result, queued) = try lab.act(.client) { (c) throws(UsageError) in try c.sendRequest(list, body: bytes) }
            return renderer.queued(queued, events: result.events, by: .client) + autoRun(interrupted)

        case .respondMode(let auto):
            lab.configure { $0.autoRespond = auto }
            return [auto ? "  the demo site answers requests by itself" : "  the server waits: answer with `respond STREAM STATUS [TEXT]`"]
        case .respond(let stream, let status, let text):
            let body = Array(text.utf8)
            let headers = [HeaderField(":status", "\(status)"), HeaderField("content-type", "text/plain; charset=utf-8"),
                           HeaderField("content-length", "\(body.count)")]
            let (events, queued) = try lab.act(.server) { (s) throws(UsageError) in try s.sendResponse(stream, headers, body: body) }
            return renderer.queued(queued, events: events, by: .server) + autoRun(interrupted)
        case .push(let stream, let path):
            let site = lab.site
            let (events, queued) = try lab.act(.server) { (s) throws(UsageError) -> [Event] in
                try site.push(path, on: stream, authority: "lab.example", connection: &s)
            }
            return renderer.queued(queued, events: events, by: .server) + autoRun(interrupted)
        case .ping(let role, let opaque):
            return try act(role, interrupted) { (c) throws(UsageError) in c.sendPing(opaque); return [] }
        case .settings(let role, let list):
            return try act(role, interrupted) { (c) throws(UsageError) in try c.sendSettings(list); return [] }
        case .window(let role, let stream, let increment):
            return try act(role, interrupted) { (c) throws(UsageError) in try c.sendWindowUpdate(stream, increment: increment) }
        case .reset(let role, let stream, let code):
            return try act(role, interrupted) { (c) throws(UsageError) in try c.sendReset(stream, code) }
        case .goaway(let role, let code, let debug):
            return try act(role, interrupted) { (c) throws(UsageError) in c.sendGoaway(code, debug: debug) }
        case .priority(let role, let stream, let fields):
            return try act(role, interrupted) { (c) throws(UsageError) in c.sendPriority(stream, fields); return [] }
        case .send(let role, let frame):
            return try act(role, interrupted) { (c) throws(UsageError) in c.sendUnchecked(frame); return [] }
        case .sendRaw(let role, let bytes):
            let item = lab.sendRaw(bytes, from: role)
            return renderer.queued([item], events: [], by: role) + autoRun(interrupted)
        case .hpackPolicy(let role, let policy):
            try lab.act(role) { $0.setEncoderPolicy(policy) }
            let indexing = policy.indexing?.rawValue ?? "auto"
            return ["  \(role) encoder: indexing \(indexing), huffman \(policy.huffman.rawValue)"
                    + (policy.useIndexedFields ? "" : ", no indexed fields")]
        case .windowPolicy(let role, let policy):
            try lab.act(role) { $0.setWindowUpdatePolicy(policy) }
            return ["  \(role) sends WINDOW_UPDATE: " + [
                WindowUpdatePolicy.halfWindow: "after half a window is consumed",
                .eager: "after every DATA frame", .manual: "only when you say `\(role == .server ? "server " : "")window`",
            ][policy, default: ""]]

        case .step(let from, let count):
            var lines: [String] = []
            for _ in 0..<count {
                guard let delivery = deliver(from: from) else {
                    lines.append(from.map { "  nothing waits from the \($0)" } ?? "  the wire is empty")
                    break
                }
                lines += renderer.delivery(delivery)
            }
            return lines
        case .next:
            var lines: [String] = []
            while let delivery = deliver() {
                lines += renderer.delivery(delivery)
                if delivery.events.contains(where: { if case .streamStateChanged = $0 { return true } else { return false } }) { return lines }
                if interrupted() { return lines + ["  interrupted"] }
            }
            return lines + ["  the wire is empty"]
        case .continueRun:
            return runUntilBreak(interrupted)
        case .auto(let on):
            autoDeliver = on
            return ["  auto \(on ? "on: frames are delivered as soon as they are sent" : "off: `step` delivers frames")"]
                + (on ? runUntilBreak(interrupted) : [])
        case .addBreak(let breakpoint):
            breakpoints.append(breakpoint)
            return ["  breakpoint \(breakpoints.count): \(breakpoint)"]
        case .listBreaks:
            if breakpoints.isEmpty { return ["  no breakpoints"] }
            return breakpoints.enumerated().map { "  \($0.offset + 1)  \($0.element)" }
        case .deleteBreak(let n):
            guard n >= 1 && n <= breakpoints.count else { throw CommandError("no breakpoint \(n); `breaks` lists them") }
            let removed = breakpoints.remove(at: n - 1)
            return ["  deleted breakpoint \(n): \(removed)"]
        case .back(let n):
            if lab.state.remoteServer != nil { throw CommandError("back is off while connected to a real server: it cannot be rewound") }
            let undone = lab.back(n)
            if undone == 0 { return ["  nothing to undo: no frame has been delivered"] }
            return ["  rewound \(undone) deliver\(undone == 1 ? "y" : "ies"): now after #\(lab.log.count)"] + renderer.wire(lab)

        case .show(let target):
            switch target {
            case .streams: return renderer.streams(lab)
            case .hpack(let role): return renderer.hpack(lab, role: role)
            case .windows: return renderer.windows(lab)
            case .settings: return renderer.settings(lab)
            case .wire:
                // Attached to a real server: show what it has sent so far, giving it a moment.
                pullFromRemote(wait: lab.state.toClient.isEmpty)
                return renderer.wire(lab)
            case .history: return renderer.ladder(lab.log)
            case .frame(let n):
                guard n <= lab.log.count else {
                    throw CommandError("no delivery #\(n) yet (\(lab.log.count) so far)", hint: "`history` lists them")
                }
                return renderer.frameDump(lab.log[n - 1])
            }
        case .save(let kind, let path):
            let url = URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: directory, isDirectory: true))
            let text = kind == "json" ? JSONView.lines(lab.log).joined(separator: "\n") + "\n" : transcript.joined(separator: "\n") + "\n"
            do {
                try Data(text.utf8).write(to: url)
            } catch {
                throw CommandError("cannot write \(path): \(error.localizedDescription)")
            }
            return ["  wrote \(kind == "json" ? "\(lab.log.count) deliveries as JSON lines" : "the transcript") to \(path)"]
        }
    }

    /// Runs an action on one endpoint, then prints what it queued.
    mutating func act(_ role: Role, _ interrupted: @Sendable () -> Bool,
                      _ body: (inout Connection) throws(UsageError) -> [Event]) throws -> [String] {
        let (events, queued) = try lab.act(role, body)
        return renderer.queued(queued, events: events, by: role) + autoRun(interrupted)
    }

    mutating func autoRun(_ interrupted: @Sendable () -> Bool) -> [String] {
        autoDeliver ? runUntilBreak(interrupted) : []
    }

    mutating func runUntilBreak(_ interrupted: @Sendable () -> Bool) -> [String] {
        pullFromRemote(wait: lab.wireIsEmpty)
        if lab.wireIsEmpty { return ["  the wire is empty"] }
        var lines: [String] = []
        var count = 0
        while let delivery = deliver() {
            lines += renderer.delivery(delivery)
            count += 1
            if let hit = breakpoints.firstIndex(where: { matches($0, delivery) }) {
                return lines + ["  " + renderer.palette.bold("breakpoint \(hit + 1) (\(breakpoints[hit])) at #\(delivery.sequence)")]
            }
            if interrupted() { return lines + ["  interrupted after \(count) deliveries"] }
            if count >= deliveryLimit { return lines + ["  stopped after \(count) deliveries"] }
        }
        return lines
    }

    /// Delivers the next frame; one addressed to a real server is written to it.
    mutating func deliver(from: Role? = nil) -> Delivery? {
        pullFromRemote(wait: false)
        if lab.wireIsEmpty { pullFromRemote(wait: true) }
        guard let delivery = lab.deliver(from: from) else { return nil }
        if delivery.item.to == .server, let remote {
            remote.send(delivery.item.bytes)
        }
        return delivery
    }

    /// Moves bytes the real server sent onto the wire; with `wait`, gives it a moment to answer.
    mutating func pullFromRemote(wait: Bool) {
        guard let remote else { return }
        if let bytes = remote.receive(waitMilliseconds: wait ? 1_000 : 0) { lab.receiveFromRemote(bytes) }
    }

    func matches(_ breakpoint: Breakpoint, _ delivery: Delivery) -> Bool {
        let header = FrameHeader(delivery.item.bytes)
        switch breakpoint {
        case .frameType(let type): return header?.type == type && !delivery.item.isPreface
        case .flag(let name): return header.map { $0.type.flagNames($0.flags).contains(name) } ?? false
        case .stream(let id): return header?.streamID == id && !delivery.item.isPreface
        case .state(let state):
            return delivery.events.contains { if case .streamStateChanged(_, _, state, _) = $0 { return true } else { return false } }
        case .error:
            return delivery.events.contains { if case .protocolError = $0 { return true } else { return false } }
        case .goaway:
            return header?.type == .goaway || delivery.events.contains { if case .goawaySent = $0 { return true } else { return false } }
        case .windowZero:
            return delivery.events.contains { if case .windowChanged(_, _, _, let to) = $0 { return to <= 0 } else { return false } }
        }
    }

    func help(_ topic: String?) -> [String] {
        if let topic {
            guard let entry = CommandHelp.find(topic) else {
                let guess = CommandHelp.closest(to: topic, among: CommandHelp.all.map(\.name))
                return ["  no command '\(topic)'" + (guess.map { "; did you mean '\($0)'?" } ?? "")]
            }
            return ["  " + entry.usage, "  " + entry.summary, "  example: " + entry.example]
                + (entry.name == "send" ? ["  types: " + FrameType.names.joined(separator: " ") + "; a number for an unknown type"] : [])
        }
        var lines: [String] = []
        for group in ["acting", "stepping", "seeing", "other"] {
            lines.append("  " + renderer.palette.bold(group))
            for entry in CommandHelp.all where entry.group == group {
                lines.append("    " + entry.name.padding(10) + entry.summary)
            }
        }
        lines.append("  Put `server` before an acting command to act as the server (`server ping`).")
        lines.append("  A browser waits while you step: Chromium and Firefox give up on a silent connection")
        lines.append("  after about 30-60 seconds without a response; PING keeps nothing alive for them.")
        return lines
    }
}

/// A real peer behind a transport, as the lab sees it: bytes out, bytes in.
public protocol RemotePeer: AnyObject, Sendable {
    func send(_ bytes: [UInt8])
    /// Whatever has arrived, waiting up to `waitMilliseconds` for something; nil if nothing.
    func receive(waitMilliseconds: Int32) -> [UInt8]?
    func close()
}
