import Engine

/// Acting: the client's and the server's own actions (requests, responses, control frames, crafted
/// frames, encoder and window policies) and new connections in memory.
extension Session {
    /// Requests, responses, pushes, and new connections; the rest in `controlling`.
    mutating func acting(_ command: Command, _ interrupted: @Sendable () -> Bool) throws -> [String] {
        switch command {
        case .request(let method, let path, let headers, let body, let trailers):
            return try request(method, path, headers, body, trailers, interrupted)
        case .requestHTTP1(let file):
            return try requestHTTP1(file, interrupted)
        case .respondMode(let auto):
            lab.configure { $0.autoRespond = auto }
            return [auto ? "  the demo site answers requests by itself" : "  the server waits: answer with `respond STREAM STATUS [TEXT]`"]
        case .respond(let stream, let status, let text, let trailers, let fields):
            return try respond(stream, status, text, trailers, fields, interrupted)
        case .earlyHints(let on):
            lab.configure { $0.earlyHints = on }
            return [on ? "  the demo site sends 103 (Early Hints) with link: </styles.css> before /html"
                       : "  the demo site answers /html without 103 (Early Hints)"]
        case .sendContinue(let stream):
            return try act(.client, interrupted) { (c) throws(UsageError) in try c.releaseContinue(stream) }
        case .push(let stream, let path):
            return try push(stream, path, interrupted)
        case .repeatRun(let count, let commands):
            return try repeatRun(count, commands, interrupted)
        case .upgrade(let path):
            return try upgrade(path)
        case .reconnect:
            if let peer = lab.state.realPeer(.client) ?? lab.state.realPeer(.server) {
                throw CommandError("the lab is attached to a real \(peer.role) (\(peer.name))", hint: "`connect`, `listen` or `proxy` `listen` again for a new connection")
            }
            lab = Lab()
            return ["  a new connection: both endpoints start over with their defaults; their prefaces wait on the wire"]
        case .reconnectWith(let role, let settings):
            return try reconnect(role, with: settings)
        default:
            return try controlling(command, interrupted)
        }
    }

    /// Control frames, crafted frames, and each endpoint's encoder, window and limit policies.
    mutating func controlling(_ command: Command, _ interrupted: @Sendable () -> Bool) throws -> [String] {
        switch command {
        case .ping(let role, let opaque):
            return try act(role, interrupted) { (c) throws(UsageError) in c.sendPing(opaque); return [] }
        case .settings(let role, let list):
            return try act(role, interrupted) { (c) throws(UsageError) in try c.sendSettings(list); return [] }
        case .window(let role, let stream, let increment):
            return try act(role, interrupted) { (c) throws(UsageError) in try c.sendWindowUpdate(stream, increment: increment) }
        case .reset(let role, let stream, let code):
            return try reset(role, stream, code, interrupted)
        case .webSocket(let stream, let frame):
            // RFC 6455 §5.3 wants a fresh random masking key per frame; the lab uses a fixed one so
            // that every run prints the same octets (a teaching choice, said so in lesson 25).
            return try act(.client, interrupted) { (c) throws(UsageError) in
                // After its close frame the client sends nothing more (RFC 6455 §5.5.1): END_STREAM,
                // the HTTP/2 form of closing its side (RFC 8441 §5).
                try c.sendData(stream, frame.encoded(mask: [0x37, 0xfa, 0x21, 0x3d]), endStream: frame.opcode == .close)
            }
        case .priorityUpdate(let stream, let priority):
            return try act(.client, interrupted) { (c) throws(UsageError) in try c.sendPriorityUpdate(stream, priority) }
        case .limit(let role, let name, let value):
            return try setLimit(role, name, value)
        case .goaway(let role, let code, let debug):
            return try act(role, interrupted) { (c) throws(UsageError) in c.sendGoaway(code, debug: debug) }
        case .gracefulGoaway(let role, let debug):
            let lines = try act(role, interrupted) { (c) throws(UsageError) in try c.beginGracefulShutdown(debug: debug) }
            return lines + ["  graceful shutdown (§6.8): the \(role.peer) may open no stream once it reads this GOAWAY, and no",
                            "  stream it opened before is refused; when the PING comes back (one round trip), the \(role)",
                            "  sends GOAWAY again with the real last stream (timing the round trip by a PING is this lab's",
                            "  choice; the RFC asks for \"at least one round-trip time\" and names no way)"]
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
        case .hpackNever(let role, let add, let remove):
            return try hpackNever(role, add: add, remove: remove)
        case .windowPolicy(let role, let policy):
            return try setWindowPolicy(role, policy)
        default:
            throw CommandError("`\(command)` is not a command of this group")
        }
    }

    /// `limit NAME N`: one of the endpoint's defensive limits (`EndpointLimit`).
    mutating func setLimit(_ role: Role, _ name: String, _ value: Int) throws -> [String] {
        try ensureLocal(role)
        guard let limit = EndpointLimit(rawValue: name) else { throw CommandError("no limit '\(name)'") }
        try lab.act(role) { limit.set(value, in: &$0.configuration) }
        switch limit {
        case .rapidResets:
            return ["  the \(role) ends a connection with ENHANCE_YOUR_CALM once more than \(value) streams are reset early"]
        }
    }

    /// `flow half|eager|manual`: when the endpoint sends WINDOW_UPDATE by itself.
    mutating func setWindowPolicy(_ role: Role, _ policy: WindowUpdatePolicy) throws -> [String] {
        try ensureLocal(role)
        try lab.act(role) { $0.setWindowUpdatePolicy(policy) }
        return ["  \(role) sends WINDOW_UPDATE: " + [
            WindowUpdatePolicy.halfWindow: "after half a window is consumed",
            .eager: "after every DATA frame", .manual: "only when you say `\(role == .server ? "server " : "")window`",
        ][policy, default: ""]]
    }

    /// `request`: the client's request, with `:scheme` and `:authority` of the lab or the real server.
    mutating func request(_ method: String, _ path: String, _ headers: [HeaderField], _ body: Command.Body?, _ trailers: [HeaderField]?,
                          _ interrupted: @Sendable () -> Bool) throws -> [String] {
        try ensureLocal(.client)
        var bytes: [UInt8] = []
        switch body {
        case .text(let text): bytes = Array(text.utf8)
        case .file(let file): bytes = try readFile(file)
        case nil: break
        }
        let server = lab.state.remote.flatMap { $0.role == .server ? $0 : nil }  // (a real client was refused above)
        var list = [HeaderField(":method", method), HeaderField(":scheme", server?.scheme ?? LabState.inMemoryScheme),
                    HeaderField(":path", path), HeaderField(":authority", server?.name ?? "lab.example")]
        list += headers.map { HeaderField($0.name.lowercased(), $0.value) }
        if !bytes.isEmpty && !list.contains(where: { $0.name == "content-length" }) {
            list.append(HeaderField("content-length", "\(bytes.count)"))
        }
        return try sendRequest(list, body: bytes, trailers: trailers, interrupted)
    }

    /// `request @FILE`: an HTTP/1.1 request mapped to HTTP/2 (RFC 9113 §8.3.1), the notes said.
    mutating func requestHTTP1(_ file: String, _ interrupted: @Sendable () -> Bool) throws -> [String] {
        try ensureLocal(.client)
        let bytes = try readFile(file)
        let request: HTTP1Request
        switch HTTP1Mapping.parseRequest(bytes + (bytes.contains(10) ? [] : [13, 10, 13, 10])) {
        case .request(let parsed, _): request = parsed
        case .invalid(let why): throw CommandError("\(file) is not an HTTP/1.1 request: \(why)")
        case .incomplete: throw CommandError("\(file): the request head does not end (no blank line after the headers)")
        }
        let scheme = lab.state.remote.map(\.scheme) ?? LabState.inMemoryScheme
        let (fields, notes) = HTTP1Mapping.headers(for: request, scheme: scheme)
        var lines = ["  HTTP/1.1 \(request.method) \(request.target): \(request.fields.count) header fields, "
                     + "\(request.body.count)-octet body; mapped by RFC 9113 §8.3.1:"]
        lines += notes.map { "    \($0.field): \($0.reason)" }
        lines += HTTP1Mapping.problems(in: request).map { "    ✗ " + $0 }
        return lines + (try sendRequest(fields, body: request.body, trailers: nil, interrupted))

    }

    /// `respond STREAM STATUS`: a response by hand.
    mutating func respond(_ stream: UInt32, _ status: Int, _ text: String, _ trailers: [HeaderField]?, _ fields: [HeaderField],
                          _ interrupted: @Sendable () -> Bool) throws -> [String] {
        try ensureLocal(.server)
        let body = Array(text.utf8)
        // An interim (1xx) response carries its fields only: no content, so no content-type or
        // content-length (RFC 9110 §15.2).
        let headers = status < 200 ? [HeaderField(":status", "\(status)")] + fields
            : [HeaderField(":status", "\(status)"), HeaderField("content-type", "text/plain; charset=utf-8"),
               HeaderField("content-length", "\(body.count)")]
        let (events, queued) = try lab.act(.server) { (s) throws(UsageError) in
            try s.sendResponse(stream, headers, body: body, trailers: trailers)
        }
        return autoRun(renderer.queued(queued, events: events, by: .server), interrupted)
    }

    /// `push STREAM PATH`: a promise on a request the server has not answered (§8.4).
    mutating func push(_ stream: UInt32, _ path: String, _ interrupted: @Sendable () -> Bool) throws -> [String] {
        try ensureLocal(.server)
        let site = lab.site
        // The promise names the origin of the request it is pushed on (a real client checks it).
        let request = lab.state.server.streams[stream]?.requestHeaders ?? []
        let authority = request.first { $0.name == ":authority" }?.value ?? "lab.example"
        let scheme = request.first { $0.name == ":scheme" }?.value ?? LabState.inMemoryScheme
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
    }

    /// `reset STREAM|last CODE`, and what §5.1 makes of a reset on a closed stream.
    mutating func reset(_ role: Role, _ stream: UInt32, _ code: ErrorCode, _ interrupted: @Sendable () -> Bool) throws -> [String] {
        var id = stream
        if stream == Command.lastStream {
            id = lab.state.connection(role).highestLocalStreamID
            if id == 0 { throw CommandError("the \(role) has not opened a stream yet", hint: "`reset last` resets the stream it opened last") }
        }
        // The lab sends it anyway (a lesson may show what a peer does with it), but says what §5.1
        // makes of it: "An endpoint MUST NOT send frames other than PRIORITY on a closed stream."
        let wasClosed = lab.state.remote?.role != role && lab.state.connection(role).state(of: id) == .closed
        let lines = try act(role, interrupted) { (c) throws(UsageError) in try c.sendReset(id, code) }
        guard wasClosed else { return lines }
        return ["  stream \(id) is already closed at the \(role): \"An endpoint MUST NOT send frames other than PRIORITY",
                "  on a closed stream\" (§5.1). The lab sends it anyway. A receiver MAY treat it as a connection error",
                "  STREAM_CLOSED (§5.1); this lab's \(role.peer) ignores it (its choice: a RST_STREAM can cross the frame",
                "  that closed the stream), and never answers a RST_STREAM with one (§5.4.2)."] + lines
    }

    /// `repeat N COMMANDS`: the first and the last round shown.
    mutating func repeatRun(_ count: Int, _ commands: [Command], _ interrupted: @Sendable () -> Bool) throws -> [String] {
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
    }

    /// `upgrade PATH`: a new connection that starts as HTTP/1.1 with Upgrade: h2c.
    mutating func upgrade(_ path: String) throws -> [String] {
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
    }

    /// `ROLE reconnect SETTINGS`: a new connection whose first SETTINGS from `role` carries them.
    mutating func reconnect(_ role: Role, with settings: [Setting]) throws -> [String] {
        if let peer = lab.state.realPeer(.client) ?? lab.state.realPeer(.server) {
            throw CommandError("the lab is attached to a real \(peer.role) (\(peer.name))", hint: "`reconnect` works in a lab of our own")
        }
        for setting in settings {
            if let (_, message) = setting.validate() { throw CommandError(message) }
        }
        var client = Connection.Configuration.client, server = Connection.Configuration.server
        func add(_ configuration: inout Connection.Configuration) {
            configuration.settings.removeAll { old in settings.contains { $0.id == old.id } }
            configuration.settings += settings
        }
        if role == .client { add(&client) } else { add(&server) }
        lab = Lab(client: client, server: server)
        return ["  a new connection: the \(role)'s first SETTINGS also carries "
                + settings.map(\.description).joined(separator: ", ") + "; both prefaces wait on the wire"]
    }

    /// `hpack never`: the names the encoder never indexes (RFC 7541 §7.1.3).
    mutating func hpackNever(_ role: Role, add: [String], remove: [String]) throws -> [String] {
        try ensureLocal(role)
        var fields = lab.state.connection(role).encoder.sensitive
        var notes: [String] = []
        for name in add where !fields.add(name) {
            notes.append("  \(name) is already never indexed")
        }
        for name in remove where !fields.remove(name) {
            notes.append(SensitiveFields.builtInRule(name) == .none
                ? "  \(name) was not on the list"
                : "  \(name) is never indexed by default (RFC 7541 §7.1.3) and stays so; `hpack policy index` overrides it for every field")
        }
        try lab.act(role) { $0.setSensitiveFields(fields) }
        return notes + Self.describe(fields, of: role)
    }

    /// What `hpack never` prints: the fields `role`'s encoder sends as never-indexed literals.
    static func describe(_ fields: SensitiveFields, of role: Role) -> [String] {
        [
            "  \(role) encoder never indexes (RFC 7541 §6.2.3), unless `hpack policy` picks an indexing:",
            "    " + SensitiveFields.credentials.joined(separator: ", ") + ": always (credentials)",
            "    " + SensitiveFields.cookies.joined(separator: ", ") + ": values shorter than \(SensitiveFields.shortValueLimit) octets",
            "    added: " + (fields.added.isEmpty ? "none (`hpack never NAME` adds one)" : fields.added.joined(separator: ", ")),
        ]
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

}
