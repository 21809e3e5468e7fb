import Engine

/// `expect last block …`: how the last header block delivered was written, field by field, in the
/// words the delivery view and `show frame` print (`literal incremental, name index 23, value
/// huffman`), so that a narration's claim about a representation (RFC 7541 §6) can be pinned.
public enum BlockProperty: Hashable, Sendable {
    /// A field's representation (the first field of that name that fits, if there are several).
    case field(name: String, FieldPattern)
    /// A dynamic table size update (§6.3) to this size at the head of the block; nil: none.
    case sizeUpdate(Int?)
}

/// Some or all of a field's representation: each part left nil matches anything.
public struct FieldPattern: Hashable, Sendable, CustomStringConvertible {
    /// §6.1 indexed (with this index, if given) or §6.2 literal (of this kind, if given).
    public enum Kind: Hashable, Sendable {
        case indexed(Int?)
        case literal(Indexing?)
    }

    public enum Name: Hashable, Sendable {
        case index(Int)
        case new
    }

    public var kind: Kind?
    public var name: Name?
    public var valueHuffman: Bool?

    public var description: String {
        var parts: [String] = []
        switch kind {
        case .indexed(let index)?: parts.append("indexed" + (index.map { " \($0)" } ?? ""))
        case .literal(let indexing)?: parts.append("literal" + (indexing.map { " " + $0.rawValue } ?? ""))
        case nil: break
        }
        switch name {
        case .index(let n)?: parts.append("name index \(n)")
        case .new?: parts.append("new name")
        case nil: break
        }
        if let valueHuffman { parts.append(valueHuffman ? "value huffman" : "value raw") }
        return parts.joined(separator: ", ")
    }

    public func matches(_ representation: FieldRepresentation) -> Bool {
        switch representation {
        case .indexed(let index):
            guard name == nil, valueHuffman == nil else { return false }
            switch kind {
            case nil: return true
            case .indexed(let wanted)?: return wanted == nil || wanted == index
            case .literal?: return false
            }
        case .literal(let indexing, let nameIndex, _, let huffman):
            if case .indexed? = kind { return false }
            if case .literal(let wanted?)? = kind, wanted != indexing { return false }
            switch name {
            case .index(let n)?: if nameIndex != n { return false }
            case .new?: if nameIndex != nil { return false }
            case nil: break
            }
            return valueHuffman == nil || valueHuffman == huffman
        }
    }

    /// Words as the views print them, commas optional: `indexed [N]`, `literal [KIND]` or a bare
    /// KIND (`incremental`, `without-indexing`, `never-indexed`), `name index N`, `new name`,
    /// `[value] huffman|raw`.
    static func parse(_ words: [String]) throws(CommandError) -> FieldPattern {
        let words = words.flatMap { $0.lowercased().split(separator: ",").map(String.init) }.filter { !$0.isEmpty }
        guard !words.isEmpty else { throw Expectation.usage(usage) }
        var pattern = FieldPattern()
        var i = 0
        func number(_ at: Int) -> Int? { at < words.count ? Int(words[at]) : nil }
        while i < words.count {
            let word = words[i]
            if word == "indexed" {
                let index = number(i + 1)
                pattern.kind = .indexed(index)
                i += index == nil ? 1 : 2
            } else if word == "literal" {
                pattern.kind = .literal(i + 1 < words.count ? Self.indexing(words[i + 1]) : nil)
                i += pattern.kind == .literal(nil) ? 1 : 2
            } else if let indexing = Self.indexing(word) {
                pattern.kind = .literal(indexing)
                i += 1
            } else if word == "name", i + 2 < words.count, words[i + 1] == "index", let n = number(i + 2) {
                pattern.name = .index(n)
                i += 3
            } else if word == "new", i + 1 < words.count, words[i + 1] == "name" {
                pattern.name = .new
                i += words.count > i + 2 && words[i + 2] == "(huffman)" ? 3 : 2
            } else if word == "value", i + 1 < words.count, ["huffman", "raw"].contains(words[i + 1]) {
                pattern.valueHuffman = words[i + 1] == "huffman"
                i += 2
            } else if word == "huffman" || word == "raw" {
                pattern.valueHuffman = word == "huffman"
                i += 1
            } else {
                throw CommandError("'\(word)' is not part of a field's representation",
                                   hint: "as the views print it: " + usage)
            }
        }
        return pattern
    }

    /// The words a representation is written in, for completion.
    static let words = ["indexed", "literal", "incremental", "without-indexing", "never-indexed", "name", "index", "new", "value", "huffman", "raw"]

    static let usage = "indexed [N] | literal incremental|without-indexing|never-indexed [, name index N | new name] [, value huffman|raw]"

    static func indexing(_ word: String) -> Indexing? {
        switch word {
        case "incremental": return .incremental
        case "without-indexing", "no-index": return .withoutIndexing
        case "never-indexed", "never-index": return .neverIndexed
        default: return nil
        }
    }
}

extension Expectation {
    /// `expect last block [from ROLE] field NAME REPRESENTATION` | `size-update N|none`.
    static func parseBlock(_ words: [String]) throws(CommandError) -> Expectation {
        var words = words
        var from: Role?
        if words.first?.lowercased() == "from" {
            guard words.count >= 2, let role = Role(rawValue: words[1].lowercased()) else { throw usage("`from` takes client or server") }
            from = role
            words.removeFirst(2)
        }
        switch words.first?.lowercased() {
        case "field":
            guard words.count >= 3 else { throw usage("expect last block field NAME " + FieldPattern.usage) }
            var name = words[1].lowercased()
            if name.count > 1, name.hasSuffix(":") { name.removeLast() }
            return .lastBlock(from: from, .field(name: name, try FieldPattern.parse(Array(words.dropFirst(2)))))
        case "size-update":
            guard words.count == 2 else { throw usage("expect last block size-update N (or none)") }
            if words[1].lowercased() == "none" { return .lastBlock(from: from, .sizeUpdate(nil)) }
            return .lastBlock(from: from, .sizeUpdate(try count(words[1], "a table size in octets")))
        default:
            throw usage("expect last block [from ROLE] field NAME REPRESENTATION, or size-update N")
        }
    }

    /// The header block of the last HEADERS or PUSH_PROMISE (with its CONTINUATIONs) delivered,
    /// as its receiver decoded it, and the delivery's number.
    static func lastBlock(_ lab: Lab, from: Role?) -> (Int, DecodedHeaderBlock)? {
        for delivery in lab.log.reversed() where from == nil || delivery.item.from == from {
            for case .headersReceived(_, _, let block) in delivery.events { return (delivery.sequence, block) }
        }
        return nil
    }

    func checkBlock(_ lab: Lab, from: Role?, _ property: BlockProperty) -> Verdict {
        let which = "the last block" + (from.map { " from the \($0)" } ?? "")
        guard let (sequence, block) = Self.lastBlock(lab, from: from) else {
            return verdict(false, which, "delivered", "none: no header block delivered yet")
        }
        switch property {
        case .field(let name, let pattern):
            let same = block.fields.filter { $0.field.name == name }
            let actual = same.isEmpty ? "not in it" : same.map(\.representation.description).joined(separator: "; ")
            return verdict(same.contains { pattern.matches($0.representation) }, "\(name) in \(which) (#\(sequence))",
                           pattern.description, actual)
        case .sizeUpdate(let size):
            let updates = block.operations.compactMap { op -> Int? in
                if case .resized(_, let to) = op { return to } else { return nil }
            }
            let actual = updates.isEmpty ? "none" : updates.map(String.init).joined(separator: " then ")
            let holds = size.map(updates.contains) ?? updates.isEmpty
            return verdict(holds, "the size update in \(which) (#\(sequence))", size.map(String.init) ?? "none", actual)
        }
    }
}
