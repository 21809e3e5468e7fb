import Engine

/// Parses one line of the command language: the words with their places (`tokens`), then the
/// definition the command's word names (`CommandDefinition`). Blank lines and `#` comments give nil.
public enum CommandParser {
    public static func parse(_ line: String) -> Result<Command?, CommandError> {
        let trimmed = line.drop { $0 == " " || $0 == "\t" }
        if trimmed.isEmpty || trimmed.hasPrefix("#") { return .success(nil) }
        do {
            return .success(try parse(tokens: String(trimmed)))
        } catch let error as CommandError {
            return .failure(error)
        } catch {
            return .failure(CommandError("\(error)"))
        }
    }

    /// The line's words, a leading side, the command's definition, then its own parse.
    static func parse(tokens line: String) throws -> Command {
        let arguments = try arguments(line)
        if let role = arguments.role {
            switch arguments.definition.sides {
            case .both: break
            case .clientOnly where role == .server:
                throw CommandError("'\(arguments.word)' is a client action; the server's side is `respond`")
            case .clientOnly: break
            case .neither(let why): throw why?(role) ?? arguments.usage()
            }
        }
        return try arguments.definition.parse(arguments)
    }

    /// The words of a line, each with its place: a leading side, the command's word and its
    /// definition, the arguments.
    static func arguments(_ line: String) throws -> Arguments {
        var words = try tokens(line)[...]
        var role: Role?
        if let first = words.first, let r = Role(rawValue: first.text.lowercased()), words.count > 1 {
            role = r
            words = words.dropFirst()
        }
        guard let word = words.first else { throw CommandError("empty command") }
        guard let definition = CommandDefinition.find(word.text) else {
            let guess = CommandHelp.closest(to: word.text.lowercased(), among: CommandDefinition.all.map(\.name))
            throw CommandError("unknown command '\(word.text)'", hint: guess.map { "did you mean '\($0)'? `help` lists commands" } ?? "`help` lists commands")
        }
        return Arguments(line: line, tokens: Array(words.dropFirst()), commandToken: word, role: role, definition: definition)
    }

    /// A word of a command line and where it lies in the line, so that the text after it can be
    /// taken verbatim (`Arguments.rest(after:)`) by the same rules that made the words.
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

    /// `TEXT --trailers name: value ...` from argument `index` on: the text before (verbatim), and
    /// the trailer fields after. A quoted `--trailers` is text.
    static func splitTrailers(_ a: Arguments, from index: Int) throws -> (String, [HeaderField]?) {
        let all = a.tokens(from: index)
        guard let keyword = all.firstIndex(where: { $0.text == "--trailers" && !$0.quoted }) else { return (a.rest(after: index), nil) }
        let before = keyword == all.startIndex ? ""
            : String(a.line[all[all.startIndex].range.lowerBound..<all[keyword].range.lowerBound]).trimmingCharacters(in: .whitespaces)
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

    /// A number a frame field can hold: out of `range`, an error that says the range and why
    /// (a value that does not fit is never cut down to one that does, silently).
    static func number(_ text: String, _ what: String, in range: ClosedRange<Int>, _ why: String) throws -> Int {
        let value = try number(text, what)
        guard range.contains(value) else {
            throw CommandError("\(what) must be \(range.lowerBound)-\(range.upperBound) (\(why)), not \(text)")
        }
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
