import Engine

/// What the REPL offers on Tab: the words that may come next, from the words already typed. Pure:
/// the executable asks readline for the line and completes file paths itself (`wantsPath`).
public enum Completion {
    /// The words that may stand where the cursor is. `before` is the line up to the start of the
    /// word being completed; `lessons` are the lesson names (for `lesson NAME`).
    public static func candidates(before: String, lessons: [String] = []) -> [String] {
        if before.hasSuffix("=") { return [] }  // a value: nothing to offer
        var words = before.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        var roleGiven = false
        if let first = words.first, Role(rawValue: first.lowercased()) != nil {
            words.removeFirst()
            roleGiven = true
        }
        guard let command = words.first?.lowercased() else {
            return CommandHelp.all.map(\.name) + (roleGiven ? [] : ["client", "server"])
        }
        let args = Array(words.dropFirst())
        let last = args.last?.lowercased()
        let frameTypes = FrameType.names.map { $0.lowercased() }
        let settings = SettingID.allNames.map { $0 + "=" }
        let states = StreamState.allCases.map { $0.rawValue.replacingOccurrences(of: " ", with: "-") }
        switch command {
        case "help", "?": return args.isEmpty ? CommandHelp.all.map(\.name) : []
        case "show": return args.isEmpty ? ["streams", "hpack", "windows", "settings", "frame", "wire", "history"]
                                         : (last == "hpack" && args.count == 1 ? ["client", "server"] : [])
        case "send":
            if args.isEmpty { return frameTypes + ["raw"] }
            guard let type = FrameType(parsing: args[0]), type.isKnown else { return [] }
            return ["stream=", "flags="] + fields(of: type).map { $0 + "=" }
        case "settings": return settings
        case "reset", "rst": return args.isEmpty ? ["last"] : (args.count == 1 ? ErrorCode.names : [])
        case "goaway": return args.isEmpty ? ["graceful"] + ErrorCode.names : []
        case "break", "b":
            if args.isEmpty { return ["frame", "flag", "stream", "state", "error", "goaway", "window-zero"] }
            switch args[0].lowercased() {
            case "frame": return args.count == 1 ? FrameType.names : []
            case "flag": return args.count == 1 ? Expectation.flagNames : []
            case "state": return args.count == 1 ? states : []
            default: return []
            }
        case "lesson":
            // Full names, and names without their number (`lesson flow-control` finds 10-flow-control).
            return args.isEmpty ? lessons + lessons.map { String($0.drop { $0.isNumber }.drop { $0 == "-" }) } : []
        case "hpack":
            if args.isEmpty { return ["policy", "never"] }
            if args[0].lowercased() == "never" { return args.count == 1 ? ["remove"] : [] }
            if last == "huffman" { return ["on", "off", "auto"] }
            return ["index", "no-index", "never-index", "auto", "huffman", "no-table"]
        case "flow": return args.isEmpty ? ["half", "eager", "manual"] : []
        case "respond": return args.isEmpty ? ["auto", "manual"] : []
        case "auto": return args.isEmpty ? ["on", "off"] : []
        case "step", "s", "drop": return ["client", "server"]
        case "proxy": return ["--to", "--tls", "--port", "--timeout", "--cert", "--key"]
        case "edit": return args.isEmpty || args.count == 1 && UInt32(args[0]) != nil ? [":path", ":method", ":authority", "user-agent", "remove"] : []
        case "save": return args.isEmpty ? ["transcript", "json", "pcap"] : []
        case "listen": return ["--tls", "--port", "--timeout", "--cert", "--key"]
        case "limit": return args.isEmpty ? ["rapid-resets"] : []
        case "window": return args.isEmpty ? ["conn"] : []
        case "request", "req":
            if args.isEmpty { return ["GET", "POST", "HEAD", "PUT", "DELETE"] }
            if args.count == 1 { return DemoSite.paths }
            return ["body", "--trailers", "accept:", "content-type:", "user-agent:", "authorization:"]
        case "expect": return expectCandidates(args, settings: SettingID.allNames, states: states)
        default: return []
        }
    }

    /// Whether the word at the cursor is a file path: after `@` (a body or an HTTP/1.1 request
    /// file) or after `save transcript|json`.
    public static func wantsPath(before: String) -> Bool {
        if before.hasSuffix("@") { return true }
        let words = before.split(separator: " ").map { $0.lowercased() }
        return words.count == 2 && words[0] == "save" && ["transcript", "json", "pcap"].contains(words[1])
    }

    static func fields(of type: FrameType) -> [String] {
        switch type {
        case .data: return ["data", "pad"]
        case .headers: return ["block", "pad", "depends", "weight", "exclusive"]
        case .priority: return ["depends", "weight", "exclusive"]
        case .rstStream: return ["code"]
        case .pushPromise: return ["promised", "block", "pad"]
        case .ping: return ["data"]
        case .goaway: return ["last", "code", "debug"]
        case .windowUpdate: return ["increment"]
        case .continuation: return ["block"]
        default: return []
        }
    }

    static func expectCandidates(_ args: [String], settings: [String], states: [String]) -> [String] {
        guard let first = args.first?.lowercased() else { return ["client", "server", "last", "wire"] }
        let rest = Array(args.dropFirst()).map { $0.lowercased() }
        switch first {
        case "wire": return rest.isEmpty ? ["empty"] : []
        case "last":
            guard let what = rest.first else { return ["frame", "block"] }
            if what == "block" {
                switch rest.last {
                case "block": return ["field", "size-update", "from"]
                case "from": return ["client", "server"]
                case "size-update": return ["none"]
                default:
                    // After `field NAME`: the representation's words.
                    guard let field = rest.firstIndex(of: "field"), rest.count > field + 1 else { return [] }
                    return ["indexed", "literal", "incremental", "without-indexing", "never-indexed", "huffman", "raw"]
                }
            }
            return rest.count == 1 ? FrameType.names : ErrorCode.names + Expectation.flagNames
        case "client", "server":
            guard let what = rest.first else {
                return ["stream", "active-streams", "window", "hpack", "setting", "peer-setting", "settings-pending", "sent",
                        "connection", "goaway"]
            }
            switch (what, rest.count) {
            case ("stream", 2): return ["state", "status", "body", "header", "request", "trailers"]
            case ("stream", 3) where rest[2] == "state": return states
            case ("window", 1): return ["conn"]
            case ("window", 2): return ["send", "recv"]
            case ("hpack", 1): return ["encoder", "decoder"]
            case ("hpack", 2): return ["size", "max-size", "entries", "entry"]
            case ("setting", 1), ("peer-setting", 1): return settings
            case ("sent", 1): return FrameType.names
            case ("sent", _): return ErrorCode.names + Expectation.flagNames
            case ("connection", 1): return ["open", "closed"]
            case ("goaway", 1): return ["sent", "received"]
            case ("goaway", _): return ErrorCode.names
            default: return []
            }
        default: return []
        }
    }
}
