import Engine

/// Parses one line of the command language. Blank lines and `#` comments give nil.
public enum CommandParser {
    public static func parse(_ line: String) -> Result<Command?, CommandError> {
        let trimmed = line.drop { $0 == " " || $0 == "\t" }
        if trimmed.isEmpty || trimmed.hasPrefix("#") { return .success(nil) }
        do {
            var tokens = try tokenize(String(trimmed))
            var role: Role?
            if let first = tokens.first, let r = Role(rawValue: first.lowercased()), tokens.count > 1 {
                role = r
                tokens.removeFirst()
            }
            return .success(try parse(tokens, role: role, line: String(trimmed)))
        } catch let error as CommandError {
            return .failure(error)
        } catch {
            return .failure(CommandError("\(error)"))
        }
    }

    /// A word of a command line and where it lies in the line, so that the text after it can be
    /// taken verbatim (`rest(of:after:)`) by the same rules that made the words.
    struct Token {
        var text: String
        var range: Range<String.Index>
        /// Whether any of it was inside "double quotes" (a quoted `--trailers` is text, not a keyword).
        var quoted: Bool
    }

    /// Splits on spaces and tabs; "double quotes" group words (and are not part of the word).
    static func tokens(_ line: String) throws -> [Token] {
        var tokens: [Token] = []
        var current = ""
        var start: String.Index?
        var quoted = false, wasQuoted = false
        var i = line.startIndex
        while i < line.endIndex {
            let c = line[i]
            if c == "\"" {
                quoted.toggle()
                wasQuoted = true
                if start == nil { start = i }
            } else if (c == " " || c == "\t") && !quoted {
                if let begin = start { tokens.append(Token(text: current, range: begin..<i, quoted: wasQuoted)) }
                current = ""
                start = nil
                wasQuoted = false
            } else {
                current.append(c)
                if start == nil { start = i }
            }
            i = line.index(after: i)
        }
        if quoted { throw CommandError("unclosed double quote") }
        if let begin = start { tokens.append(Token(text: current, range: begin..<line.endIndex, quoted: wasQuoted)) }
        return tokens
    }

    /// The words of a line (`tokens` without their places).
    static func tokenize(_ line: String) throws -> [String] {
        try tokens(line).map(\.text)
    }

    /// The text after the first `n` words of `line` (words as `tokens` makes them: a quoted phrase
    /// is one word), verbatim.
    static func rest(of line: String, after n: Int) -> String {
        let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard n > 0 else { return String(line.drop(while: blank)) }
        guard let words = try? tokens(line), n <= words.count else { return "" }
        return String(line[words[n - 1].range.upperBound...].drop(while: blank))
    }

    /// `text` cut at each `separator` outside double quotes.
    static func split(_ text: String, outsideQuotesOn separator: Character) -> [Substring] {
        var parts: [Substring] = []
        var quoted = false
        var start = text.startIndex
        for i in text.indices {
            if text[i] == "\"" { quoted.toggle() }
            if text[i] == separator && !quoted {
                parts.append(text[start..<i])
                start = text.index(after: i)
            }
        }
        parts.append(text[start...])
        return parts
    }

    static func parse(_ tokens: [String], role: Role?, line: String) throws -> Command {
        guard let word = tokens.first?.lowercased() else { throw CommandError("empty command") }
        let args = Array(tokens.dropFirst())
        // A leading client/server was consumed: words after the command start one later in `line`.
        let offset = role == nil ? 0 : 1
        let side = role ?? .client
        func usage() -> CommandError {
            CommandError("usage: \(CommandHelp.find(word)?.usage ?? word)", hint: CommandHelp.find(word).map { "example: \($0.example)" })
        }
        func onlyClient() throws {
            if role == .server { throw CommandError("'\(word)' is a client action; the server's side is `respond`") }
        }
        switch word {
        case "help", "?":
            return .help(args.first?.lowercased())
        case "quit", "exit":
            return .quit
        case "clear", "cls":
            if !args.isEmpty { throw usage() }
            return .clear
        case "undo":
            if role != nil || !args.isEmpty { throw usage() }
            return .undo
        case "request", "req":
            try onlyClient()
            return try parseRequest(args, line: line, offset: offset)
        case "step", "s":
            var from: Role?
            var count = 1
            for arg in args {
                if let r = Role(rawValue: arg.lowercased()) { from = r }
                else if let n = Int(arg), n > 0 { count = n }
                else { throw CommandError("step takes client, server or a count, not '\(arg)'", hint: "example: step server 2") }
            }
            return .step(from: from, count: count)
        case "next", "n":
            return .next
        case "continue", "c":
            return .continueRun
        case "auto":
            guard args.count == 1, let on = onOff(args[0]) else { throw usage() }
            return .auto(on)
        case "break", "b":
            return .addBreak(try parseBreak(args))
        case "breaks":
            return .listBreaks
        case "delete":
            guard args.count == 1, let n = Int(args[0]) else { throw usage() }
            return .deleteBreak(n)
        case "back":
            if args.isEmpty { return .back(1) }
            guard args.count == 1, let n = Int(args[0]), n > 0 else { throw usage() }
            return .back(n)
        case "respond":
            if args.count == 1 && ["auto", "manual"].contains(args[0].lowercased()) { return .respondMode(auto: args[0].lowercased() == "auto") }
            guard args.count >= 2, let stream = streamID(args[0]), let status = Int(args[1]), (100...999).contains(status) else { throw usage() }
            if status < 200 {
                // An interim response has header fields and no content (RFC 9110 §15.2).
                let words = rest(of: line, after: 3 + offset)
                let fields = words.isEmpty ? [] : try fieldList(try tokenize(words), after: "\(status)")
                return .respond(stream: stream, status: status, body: "", trailers: nil, fields: fields)
            }
            let (text, trailers) = try splitTrailers(rest(of: line, after: 3 + offset))
            return .respond(stream: stream, status: status, body: text, trailers: trailers)
        case "early-hints":
            guard args.count == 1, let on = onOff(args[0]) else { throw usage() }
            return .earlyHints(on)
        case "continue-body":
            guard args.count == 1, let stream = streamID(args[0]) else { throw usage() }
            return .sendContinue(stream: stream)
        case "ping":
            let opaque = try args.first.map { try number($0, "opaque data") } ?? 0
            return .ping(side, UInt64(opaque))
        case "settings":
            guard !args.isEmpty else { throw usage() }
            return .settings(side, try args.map(parseSetting))
        case "window":
            guard args.count == 2 else { throw usage() }
            let stream: UInt32 = ["conn", "connection", "0"].contains(args[0].lowercased()) ? 0 : try streamNumber(args[0])
            return .window(side, stream: stream, increment: try number(args[1], "increment"))
        case "reset", "rst":
            guard args.count == 2 else { throw usage() }
            // `last`: the stream this side opened most recently (for bursts under `repeat`).
            let stream = args[0].lowercased() == "last" ? Command.lastStream : try streamNumber(args[0])
            return .reset(side, stream: stream, code: try errorCode(args[1]))
        case "repeat":
            if role != nil { throw CommandError("put the side inside: `repeat 10 server ping`") }
            guard args.count >= 2, let n = Int(args[0]), n >= 1, n <= 10_000 else { throw usage() }
            var commands: [Command] = []
            for part in split(rest(of: line, after: 2), outsideQuotesOn: ";") where !part.allSatisfy({ $0 == " " || $0 == "\t" }) {
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
            guard !commands.isEmpty else { throw usage() }
            return .repeatRun(count: n, commands: commands)
        case "upgrade":
            if role != nil || args.count > 1 { throw usage() }
            let path = args.first ?? "/"
            guard path.hasPrefix("/") else { throw CommandError("the path must start with /, not '\(path)'", hint: "example: upgrade /html") }
            return .upgrade(path: path)
        case "reconnect":
            if args.isEmpty && role == nil { return .reconnect }
            guard let role, !args.isEmpty else { throw usage() }
            return .reconnectWith(role, try args.map(parseSetting))
        case "ws":
            try onlyClient()
            guard args.count >= 2, let stream = streamID(args[0]) else { throw usage() }
            let text = rest(of: line, after: 2 + offset)
            switch args[1].lowercased() {
            case "close" where args.count == 2: return .webSocket(stream: stream, WebSocketFrame(opcode: .close, payload: [0x03, 0xe8]))
            case "ping": return .webSocket(stream: stream, WebSocketFrame(opcode: .ping, payload: Array(rest(of: line, after: 3 + offset).utf8)))
            default: return .webSocket(stream: stream, WebSocketFrame(opcode: .text, payload: Array(text.utf8)))
            }
        case "priority-update":
            try onlyClient()
            guard args.count >= 2, let stream = streamID(args[0]) else { throw usage() }
            let text = rest(of: line, after: 2 + offset)
            guard let priority = Priority(parsing: text) else {
                throw CommandError("'\(text)' is not a priority (a Structured Fields Dictionary, RFC 9218 §4)", hint: "example: priority-update 3 u=0, i")
            }
            return .priorityUpdate(stream: stream, priority)
        case "limit":
            guard args.count == 2, let n = Int(args[1]), n >= 0 else { throw usage() }
            guard EndpointLimit(rawValue: args[0].lowercased()) != nil else {
                throw CommandError("no limit '\(args[0])'", hint: hintFor(args[0], EndpointLimit.names))
            }
            return .limit(side, name: args[0].lowercased(), value: n)
        case "goaway":
            guard !args.isEmpty else { throw usage() }
            if args[0].lowercased() == "graceful" { return .gracefulGoaway(side, debug: rest(of: line, after: 2 + offset)) }
            return .goaway(side, code: try errorCode(args[0]), debug: rest(of: line, after: 2 + offset))
        case "priority":
            guard let first = args.first else { throw usage() }
            var fields = PriorityFields()
            for arg in args.dropFirst() {
                let (key, value) = split(arg)
                switch key.lowercased() {
                case "weight": fields.weight = UInt8(clamping: max(0, try number(value, "weight") - 1))
                case "depends", "dependency": fields.dependency = UInt32(try number(value, "dependency"))
                case "exclusive": fields.exclusive = true
                default: throw CommandError("priority takes weight=N (1-256), depends=N and exclusive, not '\(arg)'")
                }
            }
            return .priority(side, stream: try streamNumber(first), fields)
        case "push":
            guard args.count == 2, let stream = streamID(args[0]), args[1].hasPrefix("/") else { throw usage() }
            return .push(stream: stream, path: args[1])
        case "send":
            guard let kind = args.first else { throw usage() }
            if kind.lowercased() == "raw" {
                guard let bytes = Hex.decode(rest(of: line, after: 2 + offset)), !bytes.isEmpty else {
                    throw CommandError("send raw needs hex digits", hint: "example: send raw 000004080000000000000000ff")
                }
                return .sendRaw(side, bytes)
            }
            return .send(side, try FrameSpec.parse(Array(args)))
        case "hpack":
            switch args.first?.lowercased() {
            case "policy": return .hpackPolicy(side, try parsePolicy(Array(args.dropFirst())))
            case "never":
                let removing = args.dropFirst().first?.lowercased() == "remove"
                let names = try args.dropFirst(removing ? 2 : 1).map { try fieldName($0) }
                if removing && names.isEmpty { throw CommandError("hpack never remove takes the names to remove", hint: "example: hpack never remove x-api-key") }
                return .hpackNever(side, add: removing ? [] : names, remove: removing ? names : [])
            default: throw usage()
            }
        case "flow":
            guard args.count == 1, let policy = WindowUpdatePolicy(rawValue: args[0].lowercased()) else { throw usage() }
            return .windowPolicy(side, policy)
        case "show":
            return .show(try parseShow(args))
        case "history":
            return .show(.history)
        case "save":
            guard args.count == 2, ["transcript", "json", "pcap"].contains(args[0].lowercased()) else { throw usage() }
            return .save(kind: args[0].lowercased(), path: args[1])
        case "connect":
            if let role { throw CommandError("connect takes no '\(role)': our client connects, the real server takes the server's place") }
            guard args.count == 1, args[0].hasPrefix("http://") || args[0].hasPrefix("https://") else { throw usage() }
            return .connect(args[0])
        case "listen":
            if let role { throw CommandError("listen takes no '\(role)': our server listens, the real client takes the client's place") }
            return try parseListen(args)
        case "proxy":
            if let role { throw CommandError("proxy takes no '\(role)': a real client and a real server take both places") }
            var rest = args
            var url: String?
            if let i = rest.firstIndex(where: { $0.lowercased() == "--to" }) {
                guard i + 1 < rest.count else { throw usage() }
                url = rest[i + 1]
                rest.removeSubrange(i...(i + 1))
            } else if let i = rest.firstIndex(where: { $0.hasPrefix("http") }) {
                url = rest.remove(at: i)
            }
            guard let url, url.hasPrefix("http://") || url.hasPrefix("https://") else { throw usage() }
            guard case .listen(let tls, let port, let timeout, let cert, let key) = try parseListen(rest) else { throw usage() }
            return .proxy(to: url, tls: tls, port: port, timeout: timeout, cert: cert, key: key)
        case "drop":
            var from = role
            var type: FrameType?
            for arg in args {
                if let r = Role(rawValue: arg.lowercased()) {
                    from = r
                } else if let t = FrameType(parsing: arg), t.isKnown {
                    type = t
                } else {
                    throw CommandError("drop takes client or server and a frame type, not '\(arg)'", hint: "example: drop server headers")
                }
            }
            return .drop(from: from, type: type)
        case "edit":
            return try parseEdit(args, line: line, offset: offset)
        case "connection", "connections":
            if args.isEmpty { return .connection(nil) }
            guard args.count == 1, let n = Int(args[0]), n > 0 else { throw usage() }
            return .connection(n)
        case "expect":
            if let role { throw CommandError("write the side after expect: `expect \(role) ...`", hint: "example: expect \(role) stream 1 state closed") }
            return .expect(try Expectation.parse(args, text: rest(of: line, after: 1 + offset)))
        case "lesson":
            if role != nil { throw usage() }
            guard args.count == 1 else { throw usage() }
            return .lesson(args[0])
        case "say", "echo":
            return .say(rest(of: line, after: 1 + offset))
        default:
            let guess = CommandHelp.closest(to: word, among: CommandHelp.all.map(\.name))
            throw CommandError("unknown command '\(tokens[0])'", hint: guess.map { "did you mean '\($0)'? `help` lists commands" } ?? "`help` lists commands")
        }
    }

    /// `edit [STREAM] NAME VALUE...` or `edit [STREAM] remove NAME`.
    static func parseEdit(_ args: [String], line: String, offset: Int) throws -> Command {
        var words = args[...]
        var stream: UInt32?
        var used = 1 + offset
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
        let value = rest(of: line, after: used + 1)
        guard words.count >= 2 else { throw CommandError("edit \(field) needs a value", hint: example) }
        guard !field.isEmpty, field.allSatisfy({ $0 != " " }) else { throw CommandError("'\(field)' is not a field name", hint: example) }
        return .edit(stream: stream, [.set(name: field, value: value)])
    }

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
                throw CommandError("listen does not take '\(arg)'", hint: "usage: listen [--tls] [--port N] [--timeout S] [--cert F --key F]")
            }
        }
        if (cert == nil) != (key == nil) {
            throw CommandError("listen --cert and --key go together", hint: "example: listen --cert cert.pem --key key.pem")
        }
        return .listen(tls: tls, port: port, timeout: timeout, cert: cert, key: key)
    }

    /// `TEXT --trailers name: value ...`: the text before, and the trailer fields after.
    static func splitTrailers(_ text: String) throws -> (String, [HeaderField]?) {
        let all = try tokens(text)
        guard let keyword = all.firstIndex(where: { $0.text == "--trailers" && !$0.quoted }) else { return (text, nil) }
        let before = String(text[..<all[keyword].range.lowerBound]).trimmingCharacters(in: .whitespaces)
        let fields = try fieldList(all[(keyword + 1)...].map(\.text), after: "--trailers")
        guard !fields.isEmpty else { throw CommandError("--trailers needs at least one field", hint: "example: --trailers x-checksum: 42") }
        return (before, fields)
    }

    /// Words as fields `name: value ...` (a word ending in ':' starts the next field).
    static func fieldList(_ words: [String], after: String) throws -> [HeaderField] {
        var fields: [HeaderField] = []
        var i = 0
        while i < words.count {
            guard words[i].hasSuffix(":"), words[i].count > 1 else {
                throw CommandError("after \(after) come fields `name: value`, not '\(words[i])'", hint: "example: respond 1 103 link: </styles.css>; rel=preload")
            }
            var value: [String] = []
            var j = i + 1
            while j < words.count && !words[j].hasSuffix(":") { value.append(words[j]); j += 1 }
            fields.append(HeaderField(String(words[i].dropLast()).lowercased(), value.joined(separator: " ")))
            i = j
        }
        return fields
    }

    static func parseRequest(_ args: [String], line: String, offset: Int) throws -> Command {
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
                let (text, fields) = try splitTrailers(rest(of: line, after: i + 2 + offset))
                body = text.hasPrefix("@") ? .file(String(text.dropFirst())) : .text(text)
                trailers = fields
                break
            }
            if token == "--trailers" {
                trailers = try splitTrailers(rest(of: line, after: i + 1 + offset)).1
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

    static func parseBreak(_ args: [String]) throws -> Breakpoint {
        guard let kind = args.first?.lowercased() else {
            throw CommandError("usage: \(CommandHelp.find("break")?.usage ?? "break")", hint: "example: break frame GOAWAY")
        }
        let value = args.dropFirst().joined(separator: " ")
        switch kind {
        case "frame":
            guard let type = FrameType(parsing: value), type.isKnown else {
                throw CommandError("unknown frame type '\(value)'", hint: hintFor(value, FrameType.names))
            }
            return .frameType(type)
        case "flag":
            let names = ["END_STREAM", "END_HEADERS", "PADDED", "PRIORITY", "ACK"]
            let upper = value.uppercased().replacingOccurrences(of: "-", with: "_")
            guard names.contains(upper) else { throw CommandError("unknown flag '\(value)'", hint: hintFor(value, names)) }
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
            throw CommandError("cannot break on '\(kind)'", hint: hintFor(kind, ["frame", "flag", "stream", "state", "error", "goaway", "window-zero"]))
        }
    }

    static func parseShow(_ args: [String]) throws -> ShowTarget {
        let targets = ["streams", "hpack", "windows", "settings", "frame", "wire", "history"]
        guard let what = args.first?.lowercased() else {
            throw CommandError("show what?", hint: "one of: " + targets.joined(separator: ", "))
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
            throw CommandError("cannot show '\(args[0])'", hint: hintFor(what, targets))
        }
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
                throw CommandError("unknown policy word '\(args[i])'",
                                   hint: hintFor(args[i], ["index", "no-index", "never-index", "auto", "huffman", "no-table"]))
            }
            i += 1
        }
        return policy
    }

    /// A field name as HTTP/2 carries it: a token (RFC 9110 §5.1), lowercase (RFC 9113 §8.2.1).
    static func fieldName(_ word: String) throws -> String {
        let name = word.lowercased()
        let tchar = Set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz")
        guard !name.isEmpty, name.allSatisfy(tchar.contains) else {
            throw CommandError("'\(word)' is not a field name", hint: "a field name is a token such as x-api-key (RFC 9110 §5.1)")
        }
        return name
    }

    static func parseSetting(_ text: String) throws -> Setting {
        let (name, value) = split(text)
        guard !value.isEmpty else { throw CommandError("settings are NAME=VALUE, not '\(text)'", hint: "example: settings INITIAL_WINDOW_SIZE=1024") }
        guard let id = SettingID(parsing: name) else {
            throw CommandError("unknown setting '\(name)'", hint: hintFor(name, SettingID.allNames))
        }
        let n = try number(value, name)
        guard n >= 0 && n <= Int(UInt32.max) else { throw CommandError("\(name) must fit in 32 bits") }
        return Setting(id, UInt32(n))
    }

    // MARK: Small pieces

    static func hintFor(_ word: String, _ options: [String]) -> String {
        if let guess = CommandHelp.closest(to: word, among: options) { return "did you mean \(guess)?" }
        return "one of: " + options.joined(separator: ", ")
    }

    static func split(_ text: String) -> (String, String) {
        guard let eq = text.firstIndex(of: "=") else { return (text, "") }
        return (String(text[..<eq]), String(text[text.index(after: eq)...]))
    }

    static func onOff(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "on", "yes", "true", "1": return true
        case "off", "no", "false", "0": return false
        default: return nil
        }
    }

    static func streamID(_ text: String) -> UInt32? {
        guard let n = UInt32(text), n <= 0x7fff_ffff else { return nil }
        return n
    }

    static func streamNumber(_ text: String) throws -> UInt32 {
        guard let n = streamID(text) else { throw CommandError("'\(text)' is not a stream number (0 to 2147483647)") }
        return n
    }

    static func number(_ text: String, _ what: String) throws -> Int {
        let value = text.lowercased().hasPrefix("0x") ? Int(text.dropFirst(2), radix: 16) : Int(text)
        guard let value, value >= 0 else { throw CommandError("\(what) must be a non-negative number, not '\(text)'") }
        return value
    }

    static func errorCode(_ text: String) throws -> ErrorCode {
        guard let code = ErrorCode(parsing: text) else {
            throw CommandError("unknown error code '\(text)'", hint: hintFor(text, ErrorCode.names))
        }
        return code
    }
}

extension String {
    func trimmingPrefix(_ prefix: String) -> String { hasPrefix(prefix) ? String(dropFirst(prefix.count)) : self }
}
