import Engine

/// One command of the language, defined once: its words, what may follow them (for Tab), its help
/// and example, its group, and how its arguments become a `Command`. The parser, completion (the
/// terminal's and the classroom page's), `help` and the README's table are all read from
/// `CommandDefinition.all`; adding a command is adding a definition to one of the `Commands+…`
/// files (and, for a new action, its `Command` case and what the session does with it).
public struct CommandDefinition: Sendable {
    /// How `help` groups commands, in this order.
    public enum Group: String, CaseIterable, Sendable {
        case acting, stepping, seeing, other
    }

    /// Whether `client` or `server` may stand before the command.
    public enum Sides: Sendable {
        /// Either (the client when none is given); a command that does not act ignores it.
        case both
        /// Only the client acts so: `server request` is an error that names the server's way.
        case clientOnly
        /// No side: the error says why (nil: the usage).
        case neither((@Sendable (Role) -> CommandError)?)
    }

    public var name: String
    /// Other words for it (`req`, `s`, `exit`): they parse and complete, `help` lists the name.
    public var aliases: [String] = []
    public var group: Group
    public var sides: Sides = .both
    /// What the session must be allowed to reach to run it (`Capabilities`): completion offers a
    /// command only where it may run (the classroom's page offers no `listen`); the session refuses
    /// it elsewhere (`checkCapabilities`, held to agree with this by a test).
    public var needs: Capabilities = []
    public var usage: String
    public var summary: String
    public var example: String
    /// What may follow the command's word, for completion.
    public var grammar: Grammar = .end
    /// The arguments into a command; an error names what is wrong and hints at the right form.
    var parse: @Sendable (Arguments) throws -> Command

    /// Every command, in the order `help` lists them.
    public static let all: [CommandDefinition] = acting + stepping + seeing + other

    /// The definition a word (a name or an alias, any case) names.
    public static func find(_ word: String) -> CommandDefinition? {
        let word = word.lowercased()
        return byWord[word]
    }

    static let byWord: [String: CommandDefinition] = {
        var table: [String: CommandDefinition] = [:]
        for definition in all {
            for word in [definition.name] + definition.aliases where table[word] == nil { table[word] = definition }
        }
        return table
    }()

    /// The command's usage as an error, with its example as the hint.
    func usageError() -> CommandError {
        CommandError("usage: \(usage)", hint: "example: \(example)")
    }
}

/// The words after a command's word, each with its place in the line: `rest(after:)` takes the
/// text after the first N verbatim (quotes and spacing kept) from those places, with no second pass.
public struct Arguments: Sendable {
    /// The whole line, as typed.
    public var line: String
    /// The arguments (the command's word and a leading side excluded).
    var tokens: [CommandParser.Token]
    /// The command word as typed, and where it ends.
    var commandToken: CommandParser.Token
    /// `client` or `server`, if one came first.
    public var role: Role?
    var definition: CommandDefinition

    /// The acting side: the one given, or the client.
    public var side: Role { role ?? .client }
    public var count: Int { tokens.count }
    public var isEmpty: Bool { tokens.isEmpty }
    public var words: [String] { tokens.map(\.text) }
    public subscript(_ index: Int) -> String { tokens[index].text }
    public var first: String? { tokens.first?.text }
    /// The command's word, lowercased (`req` for `request` if so typed).
    public var word: String { commandToken.text.lowercased() }

    /// The text after the first `n` arguments (0: after the command's word), verbatim, without
    /// the blanks before it.
    public func rest(after n: Int) -> String {
        let end: String.Index
        if n == 0 {
            end = commandToken.range.upperBound
        } else {
            guard n <= tokens.count else { return "" }
            end = tokens[n - 1].range.upperBound
        }
        return String(line[end...].drop { $0 == " " || $0 == "\t" })
    }

    /// Arguments `from` on, as tokens (for a list such as trailer fields).
    func tokens(from index: Int) -> ArraySlice<CommandParser.Token> {
        index < tokens.count ? tokens[index...] : []
    }

    func usage() -> CommandError { definition.usageError() }
}

/// What may follow a command's word, as completion walks it: keywords, values of a kind, choices
/// and repeats. The parser does not read it; each definition's `parse` takes the same word lists
/// (`CommandWords`), so a list is written once for both.
public indirect enum Grammar: Sendable {
    /// Nothing more.
    case end
    /// Free text to the end of the line: nothing to offer.
    case text
    /// One of these words (any case; a word ending in `=` stands for `word=VALUE`), each followed
    /// by its own rest.
    case keywords([Branch])
    /// A value (a number, a frame type, a path…), then the rest.
    case value(Slot, Grammar)
    /// A value whose rest depends on it (`send TYPE` then TYPE's fields).
    case dependent(Slot, @Sendable (String) -> Grammar)
    /// Any of these.
    case oneOf([Grammar])
    /// Any number of `item`, then `rest`.
    case many(Grammar, then: Grammar)

    public struct Branch: Sendable {
        var word: String
        var next: Grammar
    }

    /// One of `words`, each followed by `next`.
    static func words(_ words: [String], then next: Grammar = .end) -> Grammar {
        .keywords(words.map { Branch(word: $0, next: next) })
    }

    /// Each word followed by its own rest.
    static func choice(_ branches: [(String, Grammar)]) -> Grammar {
        .keywords(branches.map { Branch(word: $0.0, next: $0.1) })
    }

    /// `item` or nothing, then `next`.
    static func optional(_ item: (Grammar) -> Grammar, then next: Grammar = .end) -> Grammar {
        .oneOf([item(next), next])
    }
}

/// A place for a value in a grammar: what completion offers there, and which words fit it.
public struct Slot: Sendable {
    var offers: @Sendable (CompletionContext) -> [String]
    var accepts: @Sendable (String) -> Bool
    /// A file path: the REPL completes it from the file system.
    var isPath = false

    static func any(offering words: [String] = []) -> Slot {
        Slot(offers: { _ in words }, accepts: { _ in true })
    }
    static let number = Slot(offers: { _ in [] }, accepts: { Int($0) != nil || $0.lowercased().hasPrefix("0x") })
    static let stream = Slot(offers: { _ in [] }, accepts: { CommandParser.streamID($0) != nil })
    static let path = Slot(offers: { _ in [] }, accepts: { _ in true }, isPath: true)
    static let frameType = Slot(offers: { _ in FrameType.allNames }, accepts: { FrameType(parsing: $0) != nil })
    static let errorCode = Slot(offers: { _ in ErrorCode.names }, accepts: { ErrorCode(parsing: $0) != nil })
    static let lesson = Slot(offers: { context in
        // Full names, and names without their number (`lesson flow-control` finds 10-flow-control).
        context.lessons + context.lessons.map { String($0.drop { $0.isNumber }.drop { $0 == "-" }) }
    }, accepts: { _ in true })
    static let command = Slot(offers: { context in
        CommandDefinition.all.filter { context.capabilities.isSuperset(of: $0.needs) }.map(\.name)
    }, accepts: { _ in true })
}

/// What completion may need beyond the line: the lesson names (for `lesson NAME`), and what the
/// session may reach (commands it may not run are not offered).
public struct CompletionContext: Sendable {
    public var lessons: [String] = []
    public var capabilities: Capabilities = .all
    public init(lessons: [String] = [], capabilities: Capabilities = .all) {
        self.lessons = lessons
        self.capabilities = capabilities
    }
}

/// Word lists that more than one command (or a command and `expect`) take: written once.
enum CommandWords {
    static let sides = ["client", "server"]
    static let onOff = ["on", "off"]
    static let showTargets = ["streams", "hpack", "windows", "settings", "frame", "wire", "history"]
    static let breakKinds = ["frame", "flag", "stream", "state", "error", "goaway", "window-zero"]
    /// The flags a breakpoint or an `expect` names (RFC 9113 §6).
    static let flags = ["END_STREAM", "END_HEADERS", "PADDED", "PRIORITY", "ACK"]
    static let hpackPolicyWords = ["index", "no-index", "never-index", "auto", "huffman", "no-table"]
    static let huffmanModes = ["on", "off", "auto"]
    static let saveKinds = ["transcript", "json", "pcap"]
    /// `listen`'s (and `proxy`'s) options: switches, options with a number, options with a file.
    static let listenSwitches = ["--tls", "tls", "--plain", "plain"]
    static let listenNumbers = ["--port", "port", "--timeout"]
    static let listenFiles = ["--cert", "--key"]
    /// How a command names the connection rather than a stream (`window conn 100`).
    static let connection = ["conn", "connection", "0"]
    static let respondModes = ["auto", "manual"]
    static var flowPolicies: [String] { WindowUpdatePolicy.allCases.map(\.rawValue) }
    static let methods = ["GET", "POST", "HEAD", "PUT", "DELETE"]
    static let requestFields = ["accept:", "content-type:", "user-agent:", "authorization:"]
    static let editFields = [":path", ":method", ":authority", "user-agent"]
    /// States as one word each, for completion (`half-closed-(remote)`; the parser takes both).
    static var states: [String] { StreamState.allCases.map { $0.rawValue.replacingOccurrences(of: " ", with: "-") } }
    static var settingWords: [String] { SettingID.allNames.map { $0 + "=" } }
}
