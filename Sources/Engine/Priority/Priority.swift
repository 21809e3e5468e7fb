/// An RFC 9218 priority: the urgency (`u`, 0 most urgent … 7, default 3, §4.1) and whether the
/// response is used incrementally (`i`, default false, §4.2). It travels as the `priority` request
/// field (§5) and in PRIORITY_UPDATE frames (§7.1), in both as a Structured Fields Dictionary
/// (RFC 8941 §3.2). RFC 9113 §5.3.2 deprecates the RFC 7540 tree in favour of schemes like this.
public struct Priority: Hashable, Sendable, CustomStringConvertible {
    public var urgency: UInt8
    public var incremental: Bool

    public static let defaultUrgency: UInt8 = 3
    /// §4: a request without the parameters is served as if their defaults were sent.
    public static let `default` = Priority()

    public init(urgency: UInt8 = Priority.defaultUrgency, incremental: Bool = false) {
        self.urgency = urgency
        self.incremental = incremental
    }

    /// "u=5, i" (the defaults left out: "u=3" is written as nothing, as §4 allows).
    public var fieldValue: String {
        var members: [String] = []
        if urgency != Self.defaultUrgency { members.append("u=\(urgency)") }
        if incremental { members.append("i") }
        return members.joined(separator: ", ")
    }

    public var description: String { "urgency \(urgency)" + (incremental ? ", incremental" : "") }

    /// Parses a field value. §4: unknown parameters, out-of-range values and values of the wrong
    /// type are ignored (the default stays); a value that is not a Dictionary at all (RFC 8941
    /// §4.2: parsing fails) is ignored as a whole: nil.
    public init?(parsing text: String) {
        self.init()
        guard let members = Self.dictionary(text) else { return nil }
        for (key, value) in members {
            switch (key, value) {
            case ("u", .integer(let n)) where (0...7).contains(n): urgency = UInt8(n)
            case ("i", .boolean(let b)): incremental = b
            default: break
            }
        }
    }

    enum Item: Equatable { case integer(Int), boolean(Bool), other }

    /// A small RFC 8941 §4.2.2 Dictionary parser for what priorities use: keys, and bare items
    /// that are integers, booleans (`?0`, `?1`, or a bare key: true), tokens or strings
    /// (kept as `other`); member parameters (`;…`) are skipped. Later duplicates win.
    static func dictionary(_ text: String) -> [(String, Item)]? {
        var members: [(String, Item)] = []
        let input = Array(text.utf8)
        var i = 0
        func skipSpaces() { while i < input.count && (input[i] == 0x20 || input[i] == 0x09) { i += 1 } }
        func isKeyStart(_ c: UInt8) -> Bool { (0x61...0x7a).contains(c) || c == 0x2a }
        func isKeyChar(_ c: UInt8) -> Bool { isKeyStart(c) || (0x30...0x39).contains(c) || c == 0x5f || c == 0x2d || c == 0x2e }
        func key() -> String? {
            guard i < input.count, isKeyStart(input[i]) else { return nil }
            let start = i
            while i < input.count && isKeyChar(input[i]) { i += 1 }
            return String(decoding: input[start..<i], as: UTF8.self)
        }
        func bareItem() -> Item? {
            guard i < input.count else { return nil }
            let c = input[i]
            if c == 0x3f {  // ?0 / ?1
                guard i + 1 < input.count, input[i + 1] == 0x30 || input[i + 1] == 0x31 else { return nil }
                i += 2
                return .boolean(input[i - 1] == 0x31)
            }
            if c == 0x2d || (0x30...0x39).contains(c) {
                let start = i
                i += 1
                while i < input.count && ((0x30...0x39).contains(input[i]) || input[i] == 0x2e) { i += 1 }
                let digits = String(decoding: input[start..<i], as: UTF8.self)
                guard digits != "-", digits.utf8.count <= 16 else { return nil }
                if digits.contains(".") { return .other }
                return Int(digits).map { .integer($0) }
            }
            if c == 0x22 {  // a string: skipped to its closing quote
                i += 1
                while i < input.count && input[i] != 0x22 { i += input[i] == 0x5c ? 2 : 1 }
                guard i < input.count else { return nil }
                i += 1
                return .other
            }
            if (0x41...0x5a).contains(c) || (0x61...0x7a).contains(c) || c == 0x2a {  // a token
                while i < input.count && input[i] > 0x20 && input[i] < 0x7f && input[i] != 0x2c && input[i] != 0x3b { i += 1 }
                return .other
            }
            return nil
        }
        func parameters() -> Bool {
            while i < input.count && input[i] == 0x3b {
                i += 1
                skipSpaces()
                guard key() != nil else { return false }
                if i < input.count && input[i] == 0x3d {
                    i += 1
                    guard bareItem() != nil else { return false }
                }
            }
            return true
        }
        skipSpaces()
        while i < input.count {
            guard let name = key() else { return nil }
            var item = Item.boolean(true)
            if i < input.count && input[i] == 0x3d {
                i += 1
                guard let value = bareItem() else { return nil }
                item = value
            }
            guard parameters() else { return nil }
            members.removeAll { $0.0 == name }
            members.append((name, item))
            skipSpaces()
            guard i < input.count else { break }
            guard input[i] == 0x2c else { return nil }
            i += 1
            skipSpaces()
            guard i < input.count else { return nil }  // a trailing comma
        }
        return members
    }

    /// The priority a request asks for in its `priority` field, nil if it has none (RFC 9218 §5).
    public static func of(request fields: [HeaderField]) -> Priority? {
        // Told apart by length first: one comparison of strings at most per field of 8 octets.
        guard let value = fields.first(where: { $0.name.utf8.count == 8 && $0.name == "priority" })?.value else { return nil }
        return Priority(parsing: value) ?? .default
    }
}
