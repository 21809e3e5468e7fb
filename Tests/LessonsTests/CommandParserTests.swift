import Testing
@testable import Engine
@testable import Lessons

@Suite("Command language: good input")
struct CommandParserTests {
    func parse(_ line: String) -> Command? {
        guard case .success(let command) = CommandParser.parse(line) else { return nil }
        return command
    }

    @Test("every command parses", arguments: [
        ("request GET /html", Command.request(method: "GET", path: "/html", headers: [], body: nil)),
        ("request post /echo accept: text/plain x-two: a b body hello world",
         .request(method: "POST", path: "/echo", headers: fields([("accept", "text/plain"), ("x-two", "a b")]), body: .text("hello world"))),
        ("request PUT /upload body @file.bin", .request(method: "PUT", path: "/upload", headers: [], body: .file("file.bin"))),
        ("request POST /echo body hi --trailers x-sum: 5 x-b: two words",
         .request(method: "POST", path: "/echo", headers: [], body: .text("hi"), trailers: fields([("x-sum", "5"), ("x-b", "two words")]))),
        ("request GET /json --trailers x-sum: 5", .request(method: "GET", path: "/json", headers: [], body: nil, trailers: fields([("x-sum", "5")]))),
        ("request @seed.http", .requestHTTP1(file: "seed.http")),
        ("respond 1 200 ok --trailers x-checksum: 42", .respond(stream: 1, status: 200, body: "ok", trailers: fields([("x-checksum", "42")]))),
        ("reset last CANCEL", .reset(.client, stream: Command.lastStream, code: .cancel)),
        ("repeat 3 request GET /; reset last CANCEL",
         .repeatRun(count: 3, commands: [.request(method: "GET", path: "/", headers: [], body: nil), .reset(.client, stream: Command.lastStream, code: .cancel)])),
        ("server limit rapid-resets 10", .limit(.server, name: "rapid-resets", value: 10)),
        ("reconnect", .reconnect), ("upgrade /html", .upgrade(path: "/html")), ("upgrade", .upgrade(path: "/")),
        ("lesson 01-handshake", .lesson("01-handshake")),
        ("expect wire empty", .expect(.wireCount(0))),
        ("step", .step(from: nil, count: 1)),
        ("step server 3", .step(from: .server, count: 3)),
        ("next", .next), ("continue", .continueRun), ("c", .continueRun),
        ("auto on", .auto(true)), ("auto off", .auto(false)),
        ("break frame goaway", .addBreak(.frameType(.goaway))),
        ("break flag end_stream", .addBreak(.flag("END_STREAM"))),
        ("break stream 3", .addBreak(.stream(3))),
        ("break state half-closed-remote", .addBreak(.state(.halfClosedRemote))),
        ("break state closed", .addBreak(.state(.closed))),
        ("break error", .addBreak(.error)), ("break window-zero", .addBreak(.windowZero)),
        ("breaks", .listBreaks), ("delete 2", .deleteBreak(2)),
        ("back", .back(1)), ("back 4", .back(4)),
        ("respond manual", .respondMode(auto: false)),
        ("respond 1 404 not here", .respond(stream: 1, status: 404, body: "not here")),
        ("ping 7", .ping(.client, 7)), ("server ping", .ping(.server, 0)),
        ("settings INITIAL_WINDOW_SIZE=10 max_frame_size=16384",
         .settings(.client, [Setting(.initialWindowSize, 10), Setting(.maxFrameSize, 16_384)])),
        ("server window conn 100", .window(.server, stream: 0, increment: 100)),
        ("window 1 0x10", .window(.client, stream: 1, increment: 16)),
        ("reset 1 cancel", .reset(.client, stream: 1, code: .cancel)),
        ("server goaway NO_ERROR going away now", .goaway(.server, code: .noError, debug: "going away now")),
        ("priority 3 weight=256 depends=1 exclusive", .priority(.client, stream: 3, PriorityFields(exclusive: true, dependency: 1, weight: 255))),
        ("push 1 /styles.css", .push(stream: 1, path: "/styles.css")),
        ("send raw 00 00 00 04 01 00 00 00 00", .sendRaw(.client, [0, 0, 0, 4, 1, 0, 0, 0, 0])),
        ("server send ping data=5 flags=ACK", .send(.server, Frame(streamID: 0, flags: .ack, payload: .ping(5)))),
        ("send data stream=3 flags=END_STREAM|PADDED pad=2 data=hi",
         .send(.client, Frame(streamID: 3, flags: [.endStream, .padded], payload: .data(Array("hi".utf8)), padLength: 2))),
        ("send window_update stream=0 increment=0", .send(.client, Frame(streamID: 0, payload: .windowUpdate(increment: 0)))),
        ("send settings INITIAL_WINDOW_SIZE=5", .send(.client, .settings([Setting(.initialWindowSize, 5)]))),
        ("send 0xfa stream=1 payload=0102", .send(.client, Frame(streamID: 1, payload: .unknown(type: 0xfa, payload: [1, 2])))),
        ("hpack policy never-index huffman off", .hpackPolicy(.client, EncoderPolicy(indexing: .neverIndexed, huffman: .never))),
        ("hpack never", .hpackNever(.client, add: [], remove: [])),
        ("server hpack never X-API-Key x-session", .hpackNever(.server, add: ["x-api-key", "x-session"], remove: [])),
        ("hpack never remove x-api-key", .hpackNever(.client, add: [], remove: ["x-api-key"])),
        ("server flow manual", .windowPolicy(.server, .manual)),
        ("show streams", .show(.streams)), ("show hpack server", .show(.hpack(.server))), ("show hpack", .show(.hpack(nil))),
        ("show frame #4", .show(.frame(4))), ("show wire", .show(.wire)), ("history", .show(.history)),
        ("save transcript out.txt", .save(kind: "transcript", path: "out.txt")),
        ("listen", .listen(tls: false, port: nil)), ("listen --tls", .listen(tls: true, port: nil)),
        ("listen --port 0 --tls", .listen(tls: true, port: 0)), ("LISTEN tls port 9443", .listen(tls: true, port: 9443)),
        ("listen --timeout 2.5", .listen(tls: false, port: nil, timeout: 2.5)),
        ("listen --cert c.pem --key k.pem", .listen(tls: true, port: nil, cert: "c.pem", key: "k.pem")),
        ("proxy --to http://127.0.0.1:8080", .proxy(to: "http://127.0.0.1:8080", tls: false, port: nil)),
        ("proxy --tls --port 0 --to https://127.0.0.1:9443 --timeout 5", .proxy(to: "https://127.0.0.1:9443", tls: true, port: 0, timeout: 5)),
        ("proxy http://h:1", .proxy(to: "http://h:1", tls: false, port: nil)),
        ("drop", .drop(from: nil)), ("drop server", .drop(from: .server)), ("server drop", .drop(from: .server)), ("drop server HEADERS", .drop(from: .server, type: .headers)),
        ("edit :path /json", .edit(stream: nil, [.set(name: ":path", value: "/json")])),
        ("edit 3 User-Agent: my agent 1.0", .edit(stream: 3, [.set(name: "user-agent", value: "my agent 1.0")])),
        ("edit remove Cookie", .edit(stream: nil, [.remove(name: "cookie")])),
        ("connect https://127.0.0.1:8443", .connect("https://127.0.0.1:8443")),
        ("say Hello, class", .say("Hello, class")), ("help", .help(nil)), ("help send", .help("send")), ("quit", .quit),
    ] as [(String, Command)])
    func good(_ line: String, _ expected: Command) {
        #expect(parse(line) == expected)
    }

    /// `Arguments.rest(after:)` takes the text after the words from the places of the words: a
    /// quoted phrase before it is one word, and a `--trailers` or `;` inside quotes is text. One
    /// case per place that takes the rest of a line verbatim.
    @Test("the rest of a line starts where the quoted words end", arguments: [
        // request … body TEXT
        ("request POST /echo x-note: \"say body twice\" body hi",
         Command.request(method: "POST", path: "/echo", headers: fields([("x-note", "say body twice")]), body: .text("hi"))),
        // request … --trailers FIELDS, after a quoted value that mentions --trailers
        ("request POST /echo x-note: \"a --trailers b\" --trailers x-sum: 1",
         .request(method: "POST", path: "/echo", headers: fields([("x-note", "a --trailers b")]), body: nil, trailers: fields([("x-sum", "1")]))),
        ("request POST /echo body \"keep --trailers in\" --trailers x-sum: 1",
         .request(method: "POST", path: "/echo", headers: [], body: .text("\"keep --trailers in\""), trailers: fields([("x-sum", "1")]))),
        // respond STREAM STATUS TEXT [--trailers …]
        ("respond 1 200 \"see --trailers below\" --trailers x-sum: 2",
         .respond(stream: 1, status: 200, body: "\"see --trailers below\"", trailers: fields([("x-sum", "2")]))),
        ("\"server\" respond \"1\" 200 two  words", .respond(stream: 1, status: 200, body: "two  words")),
        // repeat N COMMAND; COMMAND: a ; inside quotes is not a separator
        ("repeat 2 request POST /echo x-note: \"a; b\"; ping",
         .repeatRun(count: 2, commands: [.request(method: "POST", path: "/echo", headers: fields([("x-note", "a; b")]), body: nil), .ping(.client, 0)])),
        // goaway CODE DEBUG
        ("\"server\" goaway \"NO_ERROR\" \"two words\" then more", .goaway(.server, code: .noError, debug: "\"two words\" then more")),
        // send raw HEX
        ("\"server\" send \"raw\" 0000040800", .sendRaw(.server, [0, 0, 4, 8, 0])),
        // say TEXT
        ("\"server\" say \"a b\"  c", .say("\"a b\"  c")),
        // edit NAME VALUE
        ("edit \"3\" user-agent my  agent", .edit(stream: 3, [.set(name: "user-agent", value: "my  agent")])),
    ] as [(String, Command)])
    func restAfterQuotes(_ line: String, _ expected: Command) {
        let result = CommandParser.parse(line)
        guard case .success(let command?) = result else {
            Issue.record("\(line): \(result)")
            return
        }
        #expect(command == expected)
    }

    @Test("tokens keep their places in the line, quotes grouping words")
    func tokenPlaces() throws {
        let line = "say  \"a b\"\tc\"\" d"
        let tokens = try CommandParser.tokens(line)
        #expect(tokens.map(\.text) == ["say", "a b", "c", "d"])
        #expect(tokens.map { String(line[$0.range]) } == ["say", "\"a b\"", "c\"\"", "d"])
        #expect(tokens.map(\.quoted) == [false, true, true, false])
        let arguments = try CommandParser.arguments(line)
        #expect(arguments.word == "say" && arguments.words == ["a b", "c", "d"])
        #expect(arguments.rest(after: 0) == "\"a b\"\tc\"\" d" && arguments.rest(after: 1) == "c\"\" d")
        #expect(arguments.rest(after: 3) == "" && arguments.rest(after: 9) == "")
        let sided = try CommandParser.arguments("server  goaway  NO_ERROR   two  words")
        #expect(sided.role == .server && sided.word == "goaway" && sided.rest(after: 1) == "two  words")
    }

    @Test("blank lines and comments are nothing")
    func blank() {
        #expect(parse("") == nil && parse("   ") == nil && parse("# a comment") == nil)
        if case .success(let c) = CommandParser.parse("# x") { #expect(c == nil) } else { Issue.record("comment failed") }
    }
}

@Suite("Command language: bad input gets a message and a hint")
struct CommandParserErrorTests {
    func error(_ line: String) -> CommandError? {
        if case .failure(let e) = CommandParser.parse(line) { return e }
        return nil
    }

    @Test("a mistyped command suggests the closest", arguments: [("reqest GET /", "request"), ("stpe", "step"), ("shwo streams", "show"),
                                                                 ("contineu", "continue"), ("gowaay NO_ERROR", "goaway")])
    func typo(_ line: String, _ suggestion: String) {
        let e = error(line)
        #expect(e?.message.hasPrefix("unknown command") == true)
        #expect(e?.hint?.contains("'\(suggestion)'") == true)
    }

    @Test("bad arguments name the problem", arguments: [
        ("request GET", "usage: request"),
        ("request GET / --trailers nocolon", "after --trailers come fields"),
        ("repeat 0 step", "usage: repeat"),
        ("repeat 2 repeat 2 step", "`repeat` runs acting and stepping commands"),
        ("repeat 2 continue", "`repeat` runs acting and stepping commands"),
        ("server limit patience 3", "no limit 'patience'"),
        ("upgrade html", "the path must start with /"),
        ("send data data=x pad=200*zz", "pad must be a non-negative number"),
        ("send headers block=5*zz", "must be hex, or N*HH"),
        // A value the field cannot hold is refused, never cut down to one it can.
        ("send data data=x pad=300", "pad must be 0-255 (the Pad Length is one octet, §6.1), not 300"),
        ("priority 1 weight=0", "weight must be 1-256"), ("priority 1 weight=257", "weight must be 1-256"),
        ("send priority stream=1 weight=0", "weight must be 1-256"), ("send headers weight=300 block=82", "weight must be 1-256"),
        ("send rst_stream stream=4294967297", "stream must be 0-4294967295"),
        ("send window_update increment=4294967296", "increment must be 0-4294967295"),
        ("send goaway last=99999999999", "last must be 0-4294967295"),
        ("send push_promise promised=4294967296", "promised must be 0-4294967295"),
        ("request GET html", "the path must start with /"),
        ("request GET / accept text", "expected a header name"),
        ("step sideways", "step takes client, server or a count"),
        ("break frame HEDAERS", "unknown frame type"),
        ("break state shut", "unknown state"),
        ("settings WINDOW=5", "unknown setting"),
        ("settings INITIAL_WINDOW_SIZE", "settings are NAME=VALUE"),
        ("reset 1 OOPS", "unknown error code"),
        ("window x 5", "is not a stream number"),
        ("send data stream=1 increment=3", "DATA has no field 'increment'"),
        ("send data flags=ACK", "DATA has no flag ACK"),
        ("send raw xyz", "send raw needs hex digits"),
        ("send bogus", "unknown frame type"),
        ("show nothing", "cannot show"),
        ("show frame", "usage: show frame N"),
        ("hpack policy sometimes", "unknown policy word"),
        ("hpack never x:api", "is not a field name"),
        ("hpack never remove", "takes the names to remove"),
        ("auto maybe", "usage: auto"),
        ("request GET / body \"unclosed", "unclosed double quote"),
        ("server request GET /", "client action"),
        ("listen --port", "listen --port needs a port number"),
        ("listen --port 65536", "0-65535"),
        ("listen --tsl", "listen does not take '--tsl'"),
        ("listen --cert c.pem", "listen --cert and --key go together"),
        ("listen --timeout soon", "listen --timeout needs a number of seconds"),
        ("server listen", "listen takes no 'server'"),
        ("proxy", "usage: proxy --to URL"), ("proxy --to ftp://x", "usage: proxy --to URL"),
        ("proxy --to http://x --tsl", "listen does not take '--tsl'"),
        ("drop both", "drop takes client or server and a frame type"), ("edit", "edit needs a field name and a value"),
        ("edit :path", "edit :path needs a value"),
        ("connect 127.0.0.1:8080", "usage: connect"),
    ])
    func bad(_ line: String, _ fragment: String) {
        let e = error(line)
        #expect(e != nil, "\(line) parsed")
        #expect(e?.description.contains(fragment) == true, "\(e?.description ?? "nil")")
    }

    @Test("suggestions for frame types, settings and error codes")
    func hints() {
        #expect(error("break frame HEDAERS")?.hint == "did you mean HEADERS?")
        #expect(error("settings INITIAL_WINDOW=1")?.hint == "did you mean INITIAL_WINDOW_SIZE?")
        #expect(error("reset 1 CANCLE")?.hint == "did you mean CANCEL?")
    }

    /// SplitMix64 with a fixed seed: the same lines on every run.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9e37_79b9_7f4a_7c15
            var z = state
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            return z ^ (z >> 31)
        }
    }

    @Test("random lines from a fixed seed: each parses or fails with a message, the same way twice, with a hint for an unknown word")
    func fuzz() {
        var generator = SplitMix(state: 2026)
        let words = ["request", "send", "step", "show", "break", "settings", "window", "=", "x=", "stream=", "0x", "99999999999", "-1",
                     "\"", "@", ":", "body", "--trailers", ";", "repeat", "say", "\"a b\"", "GET", "/json", "respond", "1", "200", "server"]
        var parsed = 0, failed = 0
        for _ in 0..<3000 {
            let count = Int.random(in: 1...6, using: &generator)
            let line = (0..<count).map { _ in words.randomElement(using: &generator) ?? "" }.joined(separator: " ")
            let first = CommandParser.parse(line)
            switch first {
            case .success:
                parsed += 1
            case .failure(let error):
                failed += 1
                #expect(!error.message.isEmpty, "\(line)")
                if error.message.hasPrefix("unknown command") { #expect(error.hint != nil, "\(line)") }
            }
            #expect("\(first)" == "\(CommandParser.parse(line))", "\(line) parsed differently twice")
        }
        // The seed gives both outcomes in numbers (the counts are the seed's, checked so that a change
        // to the word list or the generator is noticed).
        #expect(parsed > 100 && failed > 1_000, "parsed \(parsed), failed \(failed)")
    }
}

@Suite("Tab completion: the words that may come next")
struct CompletionTests {
    @Test("arguments complete from the words before the cursor", arguments: [
        ("", "request"), ("", "server"), ("server ", "ping"), ("show ", "hpack"), ("show hpack ", "client"),
        ("send ", "window_update"), ("send headers ", "block="), ("send goaway ", "last="), ("settings ", "INITIAL_WINDOW_SIZE="),
        ("server settings MAX_FRAME_SIZE=20000 ", "HEADER_TABLE_SIZE="), ("reset 1 ", "CANCEL"), ("goaway ", "ENHANCE_YOUR_CALM"),
        ("break ", "window-zero"), ("break frame ", "GOAWAY"), ("break state ", "half-closed-(remote)"), ("break flag ", "END_STREAM"),
        ("lesson ", "01-handshake"), ("lesson ", "flow-control"), ("hpack policy huffman ", "off"), ("hpack ", "never"), ("hpack never ", "remove"), ("flow ", "manual"),
        ("request ", "POST"), ("request POST ", "/echo"), ("request POST /echo ", "body"),
        ("expect ", "last"), ("expect server ", "peer-setting"), ("expect client stream 1 ", "trailers"),
        ("expect client stream 1 state ", "reserved-(remote)"), ("expect server window conn ", "recv"),
        ("expect server hpack decoder ", "entries"), ("expect last ", "block"), ("expect last block ", "size-update"),
        ("expect last block field authorization ", "never-indexed"), ("expect client goaway received ", "NO_ERROR"), ("help ", "expect"),
        // The forms issue 21 added, and words the grammar gives that a second list used to miss.
        ("expect client stream 3 status ", "none"), ("expect server limit ", "rapid-resets"), ("expect server ignored ", "CONTINUATION"),
        ("expect last DATA ", "streams"), ("expect refused ", "push"), ("server limit ", "rapid-resets"), ("send priority_update ", "prioritized="),
        ("send ", "priority_update"), ("break frame ", "PRIORITY_UPDATE"), ("expect server ignored ", "PRIORITY_UPDATE"),
        ("req ", "GET"), ("s ", "server"), ("proxy --to http://x ", "--tls"), ("respond ", "manual"), ("edit 3 ", "remove"),
    ])
    func candidates(_ before: String, _ word: String) {
        let offered = Completion.candidates(before: before, lessons: ["01-handshake", "10-flow-control"])
        #expect(offered.contains(word), "\(before)| offers \(offered.prefix(12))")
    }

    @Test("every command's example, and every expect form's, fits the grammar completion walks")
    func examplesFitTheGrammar() {
        let examples = CommandDefinition.all.map(\.example) + Expectation.forms.map(\.example)
        for example in examples {
            #expect(CommandParser.parse(example).map { $0 != nil } == .success(true), "\(example) does not parse")
            #expect(Completion.offer(before: example + " ", CompletionContext()) != nil, "\(example) does not fit its grammar")
        }
    }

    @Test("a word the grammar does not know offers nothing; `server ` offers only commands a side may act")
    func offersFollowTheDefinitions() {
        #expect(Completion.candidates(before: "show nothing ") == [])
        #expect(Completion.candidates(before: "bogus ") == [])
        let server = Completion.candidates(before: "server ")
        #expect(server.contains("ping") && !server.contains("request") && !server.contains("listen") && !server.contains("expect"))
        #expect(Completion.wantsPath(before: "listen --cert "))
        #expect(!Completion.wantsPath(before: "listen --port "))
    }

    @Test("only commands the session may run are offered: the classroom's page offers no listen, connect, proxy or save")
    func capabilities() {
        let all = Completion.candidates(before: "")
        let classroom = Completion.candidates(before: "", capabilities: .classroom)
        #expect(["listen", "connect", "proxy", "save"].allSatisfy { all.contains($0) && !classroom.contains($0) })
        #expect(classroom.contains("request") && classroom.contains("expect"))
        #expect(Completion.candidates(before: "listen ", capabilities: .classroom) == [])
        #expect(Completion.candidates(before: "listen ").contains("--tls"))
        #expect(!Completion.candidates(before: "help ", capabilities: .classroom).contains("listen"))
    }

    @Test("a definition's needs agree with what the session refuses: each example is refused exactly where its needs are missing")
    func needsAgreeWithTheSession() throws {
        for definition in CommandDefinition.all {
            let command = try #require(try CommandParser.parse(definition.example).get(), "\(definition.example)")
            var session = Session()
            session.capabilities = .classroom
            let refused: Bool
            do {
                try session.checkCapabilities(command)
                refused = false
            } catch {
                refused = true
            }
            #expect(refused == !Capabilities.classroom.isSuperset(of: definition.needs), "\(definition.name)")
        }
    }

    /// A classroom runs what its students type on the server: a number that traps brings down
    /// every student's lab. Every command's example, each number in it replaced by a value past a
    /// 31-, 32- or 64-bit field (and each `=N`), is parsed and run in a classroom session after a
    /// request: each gives output or a message. A trap ends the test process, so it fails here.
    @Test("every command's example with its numbers at the edges (2^31, 2^32, 2^64, 99999999999) runs or is refused with a message, never traps")
    func extremeNumbers() {
        let extremes = ["2147483648", "4294967296", "18446744073709551616", "99999999999", "0"]
        var lines: [String] = []
        for example in CommandDefinition.all.map(\.example) {
            let words = example.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            for (i, word) in words.enumerated() {
                for extreme in extremes {
                    var changed = words
                    if Int(word) != nil { changed[i] = extreme }
                    else if let eq = word.firstIndex(of: "="), Int(word[word.index(after: eq)...]) != nil {
                        changed[i] = String(word[...eq]) + extreme
                    } else { continue }
                    lines.append(changed.joined(separator: " "))
                }
            }
        }
        lines += ["priority 1 depends=99999999999", "priority 1 weight=99999999999", "window conn 99999999999",
                  "send HEADERS stream=1 depends=99999999999 block=82", "send DATA stream=99999999999 pad=300 payload=00"]
        #expect(lines.count > 60, "\(lines.count) lines")
        for line in lines {
            var session = Session()
            session.capabilities = .classroom
            _ = session.execute("request GET /")
            _ = session.execute("step")
            let output = session.execute(line)
            #expect(!(output.lines.isEmpty && output.error == nil && output.command == nil), "\(line): nothing at all")
        }
    }

    @Test("nothing is offered where nothing fits; paths after @ and save")
    func elsewhere() {
        #expect(Completion.candidates(before: "send data stream=") == [])
        #expect(Completion.candidates(before: "ping ") == [])
        #expect(Completion.wantsPath(before: "request POST /upload body @"))
        #expect(Completion.wantsPath(before: "request @"))
        #expect(Completion.wantsPath(before: "save transcript "))
        #expect(!Completion.wantsPath(before: "save "))
    }
}
