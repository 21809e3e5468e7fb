import Engine

/// Usage, a one-line summary and an example for every command; `help` prints these, the parser uses
/// the names for suggestions and the REPL for completion.
public struct CommandHelp: Sendable {
    public var name: String
    public var group: String
    public var usage: String
    public var summary: String
    public var example: String

    public static let all: [CommandHelp] = [
        .init(name: "request", group: "acting", usage: "request METHOD PATH [name: value ...] [body TEXT | body @FILE] [--trailers name: value ...] | request @FILE.http",
              summary: "the client opens a stream with a request (queued on the wire)", example: "request POST /echo content-type: text/plain body hello"),
        .init(name: "respond", group: "acting", usage: "respond auto | respond manual | respond STREAM STATUS [TEXT] [--trailers name: value ...] | respond STREAM 1xx [name: value ...]",
              summary: "whether the demo site answers by itself; or answer a request by hand (a 1xx: an interim response, fields only)", example: "respond 1 200 hello"),
        .init(name: "early-hints", group: "acting", usage: "early-hints on|off",
              summary: "the demo site sends 103 (Early Hints) naming /styles.css before answering /html (RFC 8297)",
              example: "early-hints on"),
        .init(name: "continue-body", group: "acting", usage: "continue-body STREAM",
              summary: "the client sends the body it holds for 100 (Continue) without waiting any longer (RFC 9110 §10.1.1)",
              example: "continue-body 1"),
        .init(name: "ping", group: "acting", usage: "[server] ping [OPAQUE]", summary: "send PING (the peer answers with ACK)", example: "ping 42"),
        .init(name: "settings", group: "acting", usage: "[server] settings NAME=VALUE ...",
              summary: "send SETTINGS; they apply when acknowledged", example: "server settings INITIAL_WINDOW_SIZE=16 MAX_CONCURRENT_STREAMS=1"),
        .init(name: "window", group: "acting", usage: "[server] window STREAM|conn INCREMENT",
              summary: "send WINDOW_UPDATE, giving the peer more credit", example: "server window conn 65535"),
        .init(name: "reset", group: "acting", usage: "[server] reset STREAM|last CODE",
              summary: "send RST_STREAM (`last`: the stream this side opened last)", example: "reset 1 CANCEL"),
        .init(name: "goaway", group: "acting", usage: "[server] goaway CODE|graceful [DEBUG TEXT]", summary: "send GOAWAY (graceful: 2^31-1, PING, then the real last stream; §6.8)", example: "server goaway graceful"),
        .init(name: "priority", group: "acting", usage: "[server] priority STREAM [weight=N] [depends=N] [exclusive]",
              summary: "send PRIORITY (deprecated by RFC 9113, still parsed)", example: "priority 3 weight=200 depends=1"),
        .init(name: "ws", group: "acting", usage: "ws STREAM TEXT | ws STREAM ping [TEXT] | ws STREAM close",
              summary: "the client sends a masked WebSocket frame (RFC 6455) as DATA on an extended CONNECT stream (RFC 8441)",
              example: "ws 1 hello"),
        .init(name: "priority-update", group: "acting", usage: "priority-update STREAM u=N[, i]",
              summary: "the client sends PRIORITY_UPDATE: a new RFC 9218 priority for a stream (urgency 0-7, incremental)",
              example: "priority-update 3 u=0, i"),
        .init(name: "push", group: "acting", usage: "push STREAM PATH",
              summary: "the server promises PATH on a request it has not answered yet (with `respond manual`: only the promise)",
              example: "respond manual, then request GET /html, step, push 1 /styles.css"),
        .init(name: "send", group: "acting", usage: "[server] send TYPE [stream=N] [flags=A|B] [FIELD=VALUE ...] | send raw HEX",
              summary: "craft any frame, valid or not, to see the peer's answer", example: "send window_update stream=0 increment=0"),
        .init(name: "hpack", group: "acting",
              usage: "[server] hpack policy [index|no-index|never-index|auto] [huffman on|off|auto] [no-table] | hpack never [remove] [NAME ...]",
              summary: "change how the encoder represents fields; `never` lists or extends the fields never indexed",
              example: "hpack never x-api-key"),
        .init(name: "flow", group: "acting", usage: "[server] flow half|eager|manual",
              summary: "when this endpoint sends WINDOW_UPDATE by itself", example: "server flow manual"),
        .init(name: "limit", group: "acting", usage: "[server] limit rapid-resets N",
              summary: "change a defensive limit of an endpoint (streams reset early before ENHANCE_YOUR_CALM)",
              example: "server limit rapid-resets 10"),
        .init(name: "repeat", group: "acting", usage: "repeat N COMMAND [; COMMAND ...]",
              summary: "run commands N times (a burst or a flood); the first and last rounds are shown",
              example: "repeat 20 request GET /json; reset last CANCEL"),
        .init(name: "upgrade", group: "acting", usage: "upgrade [PATH]",
              summary: "a new connection that starts as HTTP/1.1 GET PATH with Upgrade: h2c (h2c Upgrade, in memory)",
              example: "upgrade /html"),
        .init(name: "reconnect", group: "acting", usage: "reconnect | client|server reconnect SETTING=VALUE ...",
              summary: "a new connection: fresh endpoints (defaults again), prefaces on the wire; with settings, one endpoint's first SETTINGS carries them too",
              example: "server reconnect NO_RFC7540_PRIORITIES=1"),
        .init(name: "connect", group: "stepping", usage: "connect http://HOST:PORT | https://HOST:PORT",
              summary: "our client talks to a real server; its frames wait on the wire until stepped", example: "connect http://127.0.0.1:8080"),
        .init(name: "listen", group: "stepping", usage: "listen [--tls] [--port N] [--timeout S] [--cert F --key F]",
              summary: "our server waits for a real client (browser, curl); its frames wait until stepped",
              example: "listen --tls --port 8443"),
        .init(name: "proxy", group: "stepping", usage: "proxy --to URL [--tls] [--port N] [--timeout S] [--cert F --key F]",
              summary: "sit between a real client and the real server at URL; both sides' frames wait until stepped",
              example: "proxy --to http://127.0.0.1:8080 --tls --port 8443"),
        .init(name: "drop", group: "stepping", usage: "drop [client|server] [TYPE]",
              summary: "take the next waiting frame (from one side, of one type) off the wire: the receiver never sees it",
              example: "drop server headers"),
        .init(name: "edit", group: "stepping", usage: "edit [STREAM] NAME VALUE | edit [STREAM] remove NAME",
              summary: "change a waiting HEADERS between real peers (`proxy`) before it is forwarded", example: "edit :path /json"),
        .init(name: "connection", group: "stepping", usage: "connection [N]",
              summary: "list the connections a `listen` or `proxy` accepted, or show connection N", example: "connection 2"),
        .init(name: "step", group: "stepping", usage: "step [client|server] [N]",
              summary: "deliver the next frame (oldest first), or the next from one side, N times", example: "step server 2"),
        .init(name: "next", group: "stepping", usage: "next", summary: "deliver until a stream changes state", example: "next"),
        .init(name: "continue", group: "stepping", usage: "continue", summary: "deliver until a breakpoint or an empty wire", example: "continue"),
        .init(name: "auto", group: "stepping", usage: "auto on|off", summary: "deliver everything after each action by itself", example: "auto on"),
        .init(name: "break", group: "stepping",
              usage: "break frame TYPE | flag NAME | stream N | state STATE | error | goaway | window-zero",
              summary: "stop `continue` when a delivery matches", example: "break state closed"),
        .init(name: "breaks", group: "stepping", usage: "breaks", summary: "list breakpoints", example: "breaks"),
        .init(name: "delete", group: "stepping", usage: "delete N", summary: "remove breakpoint N", example: "delete 1"),
        .init(name: "back", group: "stepping", usage: "back [N]", summary: "rewind the whole lab to before the last N deliveries", example: "back 2"),
        .init(name: "undo", group: "stepping", usage: "undo", summary: "take back the last command that changed the lab, whatever it was (a request too)", example: "undo"),
        .init(name: "show", group: "seeing", usage: "show streams|hpack [client|server]|windows|settings|frame N|wire|history",
              summary: "streams, HPACK tables, windows, settings, a frame's bytes, the wire", example: "show hpack server"),
        .init(name: "history", group: "seeing", usage: "history", summary: "the frames so far as a ladder diagram", example: "history"),
        .init(name: "save", group: "seeing", usage: "save transcript FILE | save json FILE | save pcap FILE", summary: "write the session so far (pcap: a capture Wireshark decodes as HTTP/2)", example: "save transcript /tmp/session.txt"),
        .init(name: "expect", group: "seeing", usage: "expect client|server ... | expect last frame ... | expect wire ...",
              summary: "check the lab's real state: ✓ if it holds, ✗ with what is there instead",
              example: "expect server stream 1 state half-closed (remote)"),
        .init(name: "say", group: "seeing", usage: "say TEXT", summary: "print a line (for lesson narration)", example: "say Now the server answers."),
        .init(name: "lesson", group: "other", usage: "lesson NAME",
              summary: "run a lesson in class mode: one section at a time, exercises and predictions",
              example: "lesson 01-handshake"),
        .init(name: "help", group: "other", usage: "help [COMMAND]", summary: "list commands, or explain one", example: "help send"),
        .init(name: "clear", group: "other", usage: "clear", summary: "clear the screen (the lab does not change)", example: "clear"),
        .init(name: "quit", group: "other", usage: "quit", summary: "leave (Ctrl-D does the same)", example: "quit"),
    ]

    public static let names: [String] = all.map(\.name) + ["exit", "c", "s", "n", "client", "server"]

    public static func find(_ name: String) -> CommandHelp? { all.first { $0.name == name } }

    /// The known word closest to `word` by edit distance, if it is close enough to be a likely typo.
    public static func closest(to word: String, among candidates: [String]) -> String? {
        let lower = word.lowercased()
        let length = lower.utf8.count
        let lowered = candidates.map { (name: $0, lower: $0.lowercased()) }
        // At most three edits are allowed, so a name whose length differs by more cannot be meant
        // (and a long line of junk costs no distance computations).
        var best: (name: String, distance: Int)?
        for candidate in lowered where abs(candidate.lower.utf8.count - length) <= 3 {
            let distance = editDistance(lower, candidate.lower, limit: 3)
            if distance < best?.distance ?? Int.max { best = (candidate.name, distance) }
        }
        if let best, best.distance <= max(1, min(3, best.name.count / 3 + 1)) { return best.name }
        // A truncated or partial name: INITIAL_WINDOW for INITIAL_WINDOW_SIZE.
        guard length >= 3 else { return nil }
        return lowered.first { $0.lower.hasPrefix(lower) }?.name
            ?? lowered.first { $0.lower.utf8.count > length && contains($0.lower, lower) }?.name
    }

    /// Whether `text` holds `part`, octet for octet.
    static func contains(_ text: String, _ part: String) -> Bool {
        let text = Array(text.utf8), part = Array(part.utf8)
        guard !part.isEmpty, part.count <= text.count else { return part.isEmpty }
        for start in 0...(text.count - part.count) where text[start] == part[0] {
            if text[start..<(start + part.count)].elementsEqual(part) { return true }
        }
        return false
    }

    /// The Levenshtein distance between `a` and `b`, by octet (names are ASCII); once every
    /// entry of a row exceeds `limit`, the answer is only known to exceed it, and `limit + 1` is
    /// returned without finishing.
    static func editDistance(_ a: String, _ b: String, limit: Int = .max) -> Int {
        let a = Array(a.utf8), b = Array(b.utf8)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        // Two rows, reused: no allocation per row.
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            var smallest = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
                smallest = min(smallest, current[j])
            }
            if smallest > limit { return limit + 1 }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
