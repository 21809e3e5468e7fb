import Engine

/// What the REPL and the classroom page offer on Tab: the words that may come next, read from the
/// grammar of each `CommandDefinition`. Pure: the executable asks readline for the line and
/// completes file paths itself (`wantsPath`).
public enum Completion {
    /// The words that may stand where the cursor is. `before` is the line up to the start of the
    /// word being completed; `lessons` are the lesson names (for `lesson NAME`). Only commands
    /// the session's `capabilities` allow are offered (the classroom's page offers no `listen`).
    public static func candidates(before: String, lessons: [String] = [], capabilities: Capabilities = .all) -> [String] {
        if before.hasSuffix("=") { return [] }  // a value: nothing to offer
        return offer(before: before, CompletionContext(lessons: lessons, capabilities: capabilities))?.words ?? []
    }

    /// Whether the word at the cursor is a file path: after `@` (a body or an HTTP/1.1 request
    /// file), or where a command's grammar has a path (`save transcript FILE`).
    public static func wantsPath(before: String) -> Bool {
        if before.hasSuffix("@") { return true }
        return offer(before: before, CompletionContext())?.path ?? false
    }

    /// What may come next: words, and whether a file path may.
    struct Offer {
        var words: [String] = []
        var path = false

        mutating func add(_ other: Offer) {
            for word in other.words where !words.contains(word) { words.append(word) }
            path = path || other.path
        }
    }

    static func offer(before: String, _ context: CompletionContext) -> Offer? {
        var words = before.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)[...]
        var roleGiven = false
        if let first = words.first, Role(rawValue: first.lowercased()) != nil {
            words = words.dropFirst()
            roleGiven = true
        }
        let allowed = CommandDefinition.all.filter { context.capabilities.isSuperset(of: $0.needs) }
        guard let command = words.first else {
            if roleGiven {
                return Offer(words: allowed.filter { if case .both = $0.sides { return true } else { return false } }.map(\.name))
            }
            return Offer(words: allowed.map(\.name) + CommandWords.sides)
        }
        guard let definition = CommandDefinition.find(command), context.capabilities.isSuperset(of: definition.needs) else { return nil }
        return walk(definition.grammar, words.dropFirst(), [], context)
    }

    /// How deep a walk may go: far more than any line needs, so that a grammar whose repeated item
    /// can match nothing ends in "no offer" instead of running out of stack.
    static let depthLimit = 400

    /// Follows `words` through `grammar`; `after` holds what comes once `grammar` ends (the rest
    /// of a repeat, innermost last). nil: the words do not fit.
    static func walk(_ grammar: Grammar, _ words: ArraySlice<String>, _ after: [Grammar], _ context: CompletionContext,
                     depth: Int = 0) -> Offer? {
        guard depth < depthLimit else { return nil }
        func walk(_ grammar: Grammar, _ words: ArraySlice<String>, _ after: [Grammar], _ context: CompletionContext) -> Offer? {
            Completion.walk(grammar, words, after, context, depth: depth + 1)
        }
        switch grammar {
        case .end:
            if let next = after.last { return walk(next, words, after.dropLast(), context) }
            return words.isEmpty ? Offer() : nil
        case .text:
            return Offer()
        case .keywords(let branches):
            guard let word = words.first else { return Offer(words: branches.map(\.word)) }
            var result: Offer?
            for branch in branches where fits(word, branch.word) {
                if let found = walk(branch.next, words.dropFirst(), after, context) { result = merged(result, found) }
            }
            return result
        case .value(let slot, let next):
            guard let word = words.first else { return Offer(words: slot.offers(context), path: slot.isPath) }
            return slot.accepts(word) ? walk(next, words.dropFirst(), after, context) : nil
        case .dependent(let slot, let next):
            guard let word = words.first else { return Offer(words: slot.offers(context), path: slot.isPath) }
            return slot.accepts(word) ? walk(next(word), words.dropFirst(), after, context) : nil
        case .oneOf(let choices):
            var result: Offer?
            for choice in choices {
                if let found = walk(choice, words, after, context) { result = merged(result, found) }
            }
            return result
        case .many(let item, let rest):
            // Another item (then the repeat again), or the rest. An item never starts with `.end`,
            // so an empty line cannot loop.
            let again = walk(item, words, after + [grammar], context)
            let done = walk(rest, words, after, context)
            return again.map { merged(done, $0) } ?? done
        }
    }

    static func merged(_ a: Offer?, _ b: Offer) -> Offer {
        guard var a else { return b }
        a.add(b)
        return a
    }

    /// Whether a typed word is the keyword: any case; `name=` takes `name=VALUE`.
    static func fits(_ word: String, _ keyword: String) -> Bool {
        let word = word.lowercased(), keyword = keyword.lowercased()
        if keyword.hasSuffix("=") { return word.hasPrefix(keyword) }
        return word == keyword
    }
}
