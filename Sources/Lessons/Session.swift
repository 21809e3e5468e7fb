import Foundation
import Engine

/// The interpreter of the command language over one lab. The REPL and the lesson runner both drive
/// it; everything it prints comes back as lines, so that a transcript is just those lines.
public struct Session: Sendable {
    public internal(set) var lab: Lab
    /// Breakpoints with the number each keeps for its life (as gdb does: deleting one renumbers none).
    public private(set) var breakpoints: [(number: Int, breakpoint: Breakpoint)] = []
    var nextBreakpointNumber = 1
    public private(set) var autoDeliver = false
    public var renderer: Renderer
    /// Every command and its output, for `save transcript`.
    public private(set) var transcript: [String] = []
    /// The most deliveries one `continue` makes (a runaway guard).
    public var deliveryLimit = 100_000
    /// Where relative paths (body @FILE, save) are resolved.
    public var directory: String

    /// A real peer in the lab (`connect` makes it the server, `listen` the client): the executable
    /// supplies the transport.
    public var remote: RemotePeer? {
        didSet { peersGoneNoted = [] }
    }
    /// With `proxy`, the real server (`remote` is then the real client).
    public var upstream: RemotePeer? {
        didSet { peersGoneNoted = [] }
    }
    /// The real peers whose closing has been said.
    var peersGoneNoted: Set<Role> = []
    /// Opens a transport to a URL's server (set by the executable; lessons run without network).
    public var connector: (@Sendable (String) throws -> (peer: RemotePeer, authority: String))?
    /// Waits for one real client (set by the executable). It reports progress through `announce`
    /// at once (where to point a browser) and gives up when `interrupted` says so. `more` goes on
    /// accepting clients after the first (browsers open more than one connection).
    public var listener: (@Sendable (_ request: ListenRequest, _ announce: (String) -> Void,
                                     _ interrupted: @Sendable () -> Bool) throws -> (peer: RemotePeer, name: String, more: RemoteAcceptor?))?

    /// The other connections of a `listen` or `proxy`, by number; the current one is `lab`.
    var parked: [Int: Attachment] = [:]
    /// The current connection's number (1 unless `listen` or `proxy` accepted more).
    public internal(set) var connectionNumber = 1
    /// The highest connection number given so far.
    var connectionCount = 1
    /// Accepts further clients after the first, and what to make of each.
    var acceptor: RemoteAcceptor?
    var acceptMode: AcceptMode?

    /// Where output goes while a command runs (the REPL prints it at once: a live browser's frames
    /// appear as they arrive); nil collects everything into the command's `Output`.
    var live: (@Sendable ([String]) -> Void)?
    /// Lines of the running command already handed to `live`.
    var liveLines: [String] = []

    public struct Output: Sendable {
        public var lines: [String] = []
        public var error: CommandError?
        /// An `expect` that did not hold: what was expected and what is there.
        public var failure: ExpectationFailure?
        public var quit = false
        /// The command run, when it parsed (the REPL starts class mode on `lesson`).
        public var command: Command?
    }

    public init(lab: Lab = Lab(), palette: Palette = .plain, directory: String = FileManager.default.currentDirectoryPath) {
        self.lab = lab
        self.renderer = Renderer(palette: palette)
        self.directory = directory
    }

    public static let banner = "H2Lab: an HTTP/2 client and server in memory, nothing sent yet. `help` lists commands; "
        + "try `request GET /html`, then `step`."

    /// Runs one line. `interrupted` is polled during long runs (Ctrl-C). With `live`, output that is
    /// ready before the command ends (deliveries while frames flow, where to point a browser) is
    /// handed to it at once; `Output.lines` then holds only the rest. The transcript has it all.
    public mutating func execute(_ line: String, interrupted: @Sendable () -> Bool = { false },
                                 live: (@Sendable ([String]) -> Void)? = nil) -> Output {
        var output = Output()
        self.live = live
        liveLines = []
        defer { self.live = nil }
        switch CommandParser.parse(line) {
        case .success(nil):
            return output
        case .success(let command?):
            output.command = command
            do {
                // Run first, then format: `format(try run(...))` would copy `self` for the call before
                // `run` mutates it, and every snapshot append would then copy the whole history.
                let lines = try run(command, interrupted: interrupted)
                output.lines = format(lines)
                if command == .quit { output.quit = true }
            } catch let failure as ExpectationFailure {
                output.lines = format(["  ✗ " + failure.message])
                output.failure = failure
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
        transcript += liveLines + output.lines
        if let error = output.error { transcript.append("error: \(error)") }
        return output
    }

    func format(_ lines: [String]) -> [String] { lines.map(Self.trimTrailingSpaces).flatMap(renderer.wrap) }

    /// Hands `lines` to the live output, if there is one, and empties them.
    mutating func flush(_ lines: inout [String]) {
        guard let live, !lines.isEmpty else { return }
        let formatted = format(lines)
        live(formatted)
        liveLines += formatted
        lines = []
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
        case .expect(let expectation):
            let verdict = expectation.check(lab)
            guard verdict.holds else { throw ExpectationFailure(message: verdict.message) }
            return ["  ✓ " + verdict.message]
        case .lesson(let name):
            throw CommandError("`lesson \(name)` runs at the REPL prompt, in a terminal", hint: "or run `h2lab lesson \(name)`")
        case .connect(let url): return try connect(url)
        case .listen(let tls, let port, let timeout, let cert, let key):
            return try listen(ListenRequest(tls: tls, port: port ?? (tls ? 8443 : 8080), timeout: timeout, cert: cert, key: key),
                              interrupted)
        case .proxy(let url, let tls, let port, let timeout, let cert, let key):
            return try proxy(to: url, ListenRequest(tls: tls, port: port ?? (tls ? 8443 : 8080), timeout: timeout, cert: cert, key: key),
                             interrupted)
        case .drop(let from, let type):
            return renderer.delivery(try drop(from: from, type: type))
        case .edit(let stream, let edits):
            return try edit(stream: stream, edits)
        case .connection(let number):
            return try connection(number)

        case .request(let method, let path, let headers, let body, let trailers):
            try ensureLocal(.client)
            var bytes: [UInt8] = []
            switch body {
            case .text(let text): bytes = Array(text.utf8)
            case .file(let file): bytes = try readFile(file)
            case nil: break
            }
            let server = lab.state.remote.flatMap { $0.role == .server ? $0 : nil }  // (a real client was refused above)
            var list = [HeaderField(":method", method), HeaderField(":scheme", server?.scheme ?? "https"),
                        HeaderField(":path", path), HeaderField(":authority", server?.name ?? "lab.example")]
            list += headers.map { HeaderField($0.name.lowercased(), $0.value) }
            if !bytes.isEmpty && !list.contains(where: { $0.name == "content-length" }) {
                list.append(HeaderField("content-length", "\(bytes.count)"))
            }
            return try sendRequest(list, body: bytes, trailers: trailers, interrupted)
        case .requestHTTP1(let file):
            try ensureLocal(.client)
            let bytes = try readFile(file)
            let request: HTTP1Request
            switch HTTP1Mapping.parseRequest(bytes + (bytes.contains(10) ? [] : [13, 10, 13, 10])) {
            case .request(let parsed, _): request = parsed
            case .invalid(let why): throw CommandError("\(file) is not an HTTP/1.1 request: \(why)")
            case .incomplete: throw CommandError("\(file): the request head does not end (no blank line after the headers)")
            }
            let scheme = lab.state.remote.map(\.scheme) ?? "https"
            let (fields, notes) = HTTP1Mapping.headers(for: request, scheme: scheme)
            var lines = ["  HTTP/1.1 \(request.method) \(request.target): \(request.fields.count) header fields, "
                         + "\(request.body.count)-octet body; mapped by RFC 9113 §8.3.1:"]
            lines += notes.map { "    \($0.field): \($0.reason)" }
            lines += HTTP1Mapping.problems(in: request).map { "    ✗ " + $0 }
            return lines + (try sendRequest(fields, body: request.body, trailers: nil, interrupted))

        case .respondMode(let auto):
            lab.configure { $0.autoRespond = auto }
            return [auto ? "  the demo site answers requests by itself" : "  the server waits: answer with `respond STREAM STATUS [TEXT]`"]
        case .respond(let stream, let status, let text, let trailers):
            try ensureLocal(.server)
            let body = Array(text.utf8)
            let headers = [HeaderField(":status", "\(status)"), HeaderField("content-type", "text/plain; charset=utf-8"),
                           HeaderField("content-length", "\(body.count)")]
            let (events, queued) = try lab.act(.server) { (s) throws(UsageError) in
                try s.sendResponse(stream, headers, body: body, trailers: trailers)
            }
            return autoRun(renderer.queued(queued, events: events, by: .server), interrupted)
        case .push(let stream, let path):
            try ensureLocal(.server)
            let site = lab.site
            // The promise names the origin of the request it is pushed on (a real client checks it).
            let request = lab.state.server.streams[stream]?.requestHeaders ?? []
            let authority = request.first { $0.name == ":authority" }?.value ?? "lab.example"
            let scheme = request.first { $0.name == ":scheme" }?.value ?? "https"
            // With `respond manual` the server only promises: the pushed stream waits, reserved (local),
            // for `respond N STATUS`.
            let respondNow = lab.state.autoRespond
            let state = lab.state.server.state(of: stream)
            if state != .open && state != .halfClosedRemote {
                let why = state == .idle ? "the server has not received a request on stream \(stream) yet"
                    : "stream \(stream) is \(state) at the server" + (lab.state.autoRespond ? ": the demo site has already answered it" : "")
                throw CommandError(why + "; a push needs a request the server has not answered (§8.4)",
                                   hint: "`respond manual`, `request GET /html`, `step`, then `push \(stream) /styles.css`")
            }
            let (events, queued) = try lab.act(.server) { (s) throws(UsageError) -> [Event] in
                try site.push(path, on: stream, authority: authority, scheme: scheme, respond: respondNow, connection: &s)
            }
            return autoRun(renderer.queued(queued, events: events, by: .server), interrupted)
        case .ping(let role, let opaque):
            return try act(role, interrupted) { (c) throws(UsageError) in c.sendPing(opaque); return [] }
        case .settings(let role, let list):
            return try act(role, interrupted) { (c) throws(UsageError) in try c.sendSettings(list); return [] }
        case .window(let role, let stream, let increment):
            return try act(role, interrupted) { (c) throws(UsageError) in try c.sendWindowUpdate(stream, increment: increment) }
        case .reset(let role, let stream, let code):
            var id = stream
            if stream == Command.lastStream {
                id = lab.state.connection(role).highestLocalStreamID
                if id == 0 { throw CommandError("the \(role) has not opened a stream yet", hint: "`reset last` resets the stream it opened last") }
            }
            return try act(role, interrupted) { (c) throws(UsageError) in try c.sendReset(id, code) }
        case .repeatRun(let count, let commands):
            var first: [String] = []
            var last: [String] = []
            for round in 1...count {
                var lines: [String] = []
                for command in commands {
                    do {
                        lines += try run(command, interrupted: interrupted)
                    } catch let error as CommandError {
                        throw CommandError("round \(round) of \(count): \(error.message)", hint: error.hint)
                    } catch let error as UsageError {
                        throw CommandError("round \(round) of \(count): \(error.message)")
                    }
                }
                if round == 1 { first = lines } else { last = lines }
                if interrupted() { return first + ["  interrupted after \(round) of \(count) rounds"] }
            }
            guard count > 1 else { return first }
            return first + ["  … \(count - 2) more round\(count == 3 ? "" : "s") (`history` shows every frame); the last:"].filter { _ in count > 2 } + last
        case .upgrade(let path):
            if let peer = lab.state.realPeer(.client) ?? lab.state.realPeer(.server) {
                throw CommandError("the lab is attached to a real \(peer.role) (\(peer.name))", hint: "`h2lab get --upgrade URL` upgrades a real connection")
            }
            let request = [HeaderField(":method", "GET"), HeaderField(":scheme", "http"),
                           HeaderField(":path", path), HeaderField(":authority", "lab.example")]
            let upgraded: Lab
            do {
                upgraded = try Lab(upgrading: request)
            } catch {
                throw CommandError("cannot upgrade: \(error.message)")
            }
            let settings = upgraded.state.client.http2SettingsHeader
            lab = upgraded
            return [
                "  a new connection, in HTTP/1.1 first. The client sends:",
                "    GET \(path) HTTP/1.1",
                "    Host: lab.example",
                "    Connection: Upgrade, HTTP2-Settings",
                "    Upgrade: h2c",
                "    HTTP2-Settings: \(settings)",
                "  the server agrees, and after this response both speak HTTP/2:",
                "    HTTP/1.1 101 Switching Protocols",
                "    Connection: Upgrade",
                "    Upgrade: h2c",
                "  the request is now stream 1, half-closed (local) at the client; the server took the client's",
                "  settings from HTTP2-Settings and answers stream 1 after its SETTINGS. All of it waits on the wire.",
            ]
        case .reconnect:
            if let peer = lab.state.realPeer(.client) ?? lab.state.realPeer(.server) {
                throw CommandError("the lab is attached to a real \(peer.role) (\(peer.name))", hint: "`connect`, `listen` or `proxy` `listen` again for a new connection")
            }
            lab = Lab()
            return ["  a new connection: both endpoints start over with their defaults; their prefaces wait on the wire"]
        case .limit(let role, let name, let value):
            try ensureLocal(role)
            switch name {
            default:
                try lab.act(role) { $0.configuration.rapidResetLimit = value }
                return ["  the \(role) ends a connection with ENHANCE_YOUR_CALM once more than \(value) streams are reset early"]
            }
        case .goaway(let role, let code, let debug):
            return try act(role, interrupted) { (c) throws(UsageError) in c.sendGoaway(code, debug: debug) }
        case .priority(let role, let stream, let fields):
            return try act(role, interrupted) { (c) throws(UsageError) in c.sendPriority(stream, fields); return [] }
        case .send(let role, let frame):
            return try act(role, interrupted) { (c) throws(UsageError) in c.sendUnchecked(frame) }
        case .sendRaw(let role, let bytes):
            try ensureLocal(role)
            let item = lab.sendRaw(bytes, from: role)
            return autoRun(renderer.queued([item], events: [], by: role), interrupted)
        case .hpackPolicy(let role, let policy):
            try ensureLocal(role)
            try lab.act(role) { $0.setEncoderPolicy(policy) }
            let indexing = policy.indexing?.rawValue ?? "auto"
            return ["  \(role) encoder: indexing \(indexing), huffman \(policy.huffman.rawValue)"
                    + (policy.useIndexedFields ? "" : ", no indexed fields")]
        case .windowPolicy(let role, let policy):
            try ensureLocal(role)
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
            return runUntilBreak([], interrupted)
        case .auto(let on):
            autoDeliver = on
            guard on else { return ["  auto off: `step` delivers frames"] }
            if let peer = lab.state.realPeer(.client), remote?.isClosed == false {
                // A real peer: watch its frames flow as they come, until Ctrl-C or it hangs up.
                return runUntilBreak(["  auto on: frames flow as the client at \(peer.name) sends them; Ctrl-C stops watching"],
                                     interrupted, watch: true)
            }
            return runUntilBreak(["  auto on: frames are delivered as soon as they are sent"], interrupted)
        case .addBreak(let breakpoint):
            breakpoints.append((nextBreakpointNumber, breakpoint))
            nextBreakpointNumber += 1
            return ["  breakpoint \(nextBreakpointNumber - 1): \(breakpoint)"]
        case .listBreaks:
            if breakpoints.isEmpty { return ["  no breakpoints"] }
            return breakpoints.map { "  \($0.number)  \($0.breakpoint)" }
        case .deleteBreak(let n):
            guard let index = breakpoints.firstIndex(where: { $0.number == n }) else {
                let numbers = breakpoints.map { "\($0.number)" }.joined(separator: ", ")
                throw CommandError("no breakpoint \(n)", hint: breakpoints.isEmpty ? "there are none" : "breakpoints: \(numbers)")
            }
            let removed = breakpoints.remove(at: index)
            return ["  deleted breakpoint \(n): \(removed.breakpoint)"]
        case .back(let n):
            if let peer = lab.state.realPeer(.client) ?? lab.state.realPeer(.server) {
                throw CommandError("back is off while attached to a real \(peer.role) (\(peer.name)): it cannot be rewound")
            }
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
                // Attached to a real peer: show what it has sent so far, giving it a moment.
                pullFromRemote(wait: lab.state.isAttached && lab.wireIsEmpty)
                return renderer.wire(lab) + peerClosedNote()
            case .history: return renderer.ladder(lab.log)
            case .frame(let n):
                guard n <= lab.log.count else {
                    throw CommandError("no delivery #\(n) yet (\(lab.log.count) so far)", hint: "`history` lists them")
                }
                return renderer.frameDump(lab.log[n - 1])
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
                bytes = Array((transcript.joined(separator: "\n") + "\n").utf8)
                what = "the transcript"
            }
            do {
                try Data(bytes).write(to: url)
            } catch {
                throw CommandError("cannot write \(path): \(error.localizedDescription)")
            }
            return ["  wrote \(what) to \(path)"]
        }
    }

    /// The lab's deliveries as a TCP conversation between 127.0.0.1:50000 (the client) and
    /// 127.0.0.1:80 (the server), one millisecond per delivery, so the same session gives the
    /// same file.
    /// Between two real peers (`proxy`), each leg is a conversation of its own: the client's
    /// (127.0.0.1:50000 ⇄ :80) carries what the client sent and what H2Lab forwarded to it, the
    /// server's (127.0.0.1:50001 ⇄ :80) what H2Lab forwarded to the server and what the server sent;
    /// a dropped frame is only on its sender's leg.
    static func pcap(of log: [Delivery]) -> [UInt8] {
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

    /// Reads a file named in a command, relative to the session's folder.
    func readFile(_ file: String) throws -> [UInt8] {
        let url = URL(fileURLWithPath: file, relativeTo: URL(fileURLWithPath: directory, isDirectory: true))
        guard let data = FileManager.default.contents(atPath: url.path) else { throw CommandError("cannot read \(file)") }
        return Array(data)
    }

    /// The client sends a request (with a body and trailers, if any), then prints what it queued.
    mutating func sendRequest(_ list: [HeaderField], body: [UInt8], trailers: [HeaderField]?,
                              _ interrupted: @Sendable () -> Bool) throws -> [String] {
        let (result, queued) = try lab.act(.client) { (c) throws(UsageError) -> [Event] in
            let (stream, events) = try c.sendRequest(list, body: body, endStream: trailers == nil)
            guard let trailers else { return events }
            return events + (try c.sendTrailers(stream, trailers))
        }
        return autoRun(renderer.queued(queued, events: result, by: .client), interrupted)
    }

    /// Runs an action on one endpoint, then prints what it queued.
    mutating func act(_ role: Role, _ interrupted: @Sendable () -> Bool,
                      _ body: (inout Connection) throws(UsageError) -> [Event]) throws -> [String] {
        try ensureLocal(role)
        let (events, queued) = try lab.act(role, body)
        return autoRun(renderer.queued(queued, events: events, by: role), interrupted)
    }

    /// `lines` (what an action queued), then, with `auto on`, the deliveries that follow.
    mutating func autoRun(_ lines: [String], _ interrupted: @Sendable () -> Bool) -> [String] {
        autoDeliver ? runUntilBreak(lines, interrupted) : lines
    }

    /// Delivers until a breakpoint, an interruption or an empty wire, after `lines`. With a real peer,
    /// an empty wire first gives it a moment to answer; with `watch`, the run waits for the peer
    /// until Ctrl-C or until it closes the connection. Deliveries go to the live output as they
    /// happen (the REPL prints them at once).
    mutating func runUntilBreak(_ lines: [String], _ interrupted: @Sendable () -> Bool, watch: Bool = false) -> [String] {
        var lines = lines
        var count = 0
        while true {
            flush(&lines)
            guard let delivery = deliver() else {
                if watch, !interrupted() {
                    lines += acceptNew()
                    if anyClientOpen {
                        // The current client, and any other connection's, may still send.
                        if remote?.isClosed == false { pullFromRemote(wait: true, milliseconds: 200) }
                        lines += serviceParked(wait: remote?.isClosed != false)
                        continue
                    }
                }
                if count == 0 { lines.append("  the wire is empty") }
                if watch && interrupted() { lines.append("  stopped watching after \(count) deliveries; auto stays on") }
                return lines + peerClosedNote()
            }
            lines += renderer.delivery(delivery)
            count += 1
            // Other connections are served between this one's deliveries too, not only when it pauses.
            if watch && count % 16 == 0 { lines += acceptNew() + serviceParked() }
            if let hit = breakpoints.first(where: { matches($0.breakpoint, delivery) }) {
                return lines + ["  " + renderer.palette.bold("breakpoint \(hit.number) (\(hit.breakpoint)) at #\(delivery.sequence)")]
            }
            if interrupted() { return lines + ["  interrupted after \(count) deliveries"] }
            if count >= deliveryLimit { return lines + ["  stopped after \(count) deliveries"] }
        }
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
                + (entry.name == "listen" ? Self.browserPatience : [])
                + (entry.name == "expect" ? Self.expectForms : [])
                + (entry.name == "lesson" ? Self.classModeHelp : [])
        }
        var lines: [String] = []
        for group in ["acting", "stepping", "seeing", "other"] {
            lines.append("  " + renderer.palette.bold(group))
            for entry in CommandHelp.all where entry.group == group {
                lines.append("    " + entry.name.padding(10) + entry.summary)
            }
        }
        lines.append("  Put `server` before an acting command to act as the server (`server ping`).")
        lines.append("  `listen --tls` lets a browser be the client; `help listen` says how long it will wait.")
        return lines
    }

    /// Every `expect` form with an example (ROLE is client or server).
    static let expectForms: [String] = ["  forms (ROLE is client or server; the values are the engine's own):"]
        + Expectation.forms.flatMap { ["    expect " + $0.form, "        " + $0.example] }
        + ["  A passing expect prints ✓; a failing one prints ✗ with what is there instead and changes",
           "  nothing. In a lesson or a --script, a failing expect stops the run with FILE:LINE."]

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
