import Engine

/// Usage, a one-line summary and an example for every command, as `help` prints them (from
/// `CommandDefinition`), and the README's table of them.
public struct CommandHelp: Sendable {
    public var name: String
    public var group: String
    public var usage: String
    public var summary: String
    public var example: String

    /// Every command's help, read from its definition.
    public static let all: [CommandHelp] = CommandDefinition.all.map {
        CommandHelp(name: $0.name, group: $0.group.rawValue, usage: $0.usage, summary: $0.summary, example: $0.example)
    }

    public static func find(_ name: String) -> CommandHelp? { all.first { $0.name == name } }

    /// The README's command table lies between these lines; `scripts/readme-commands` writes it.
    public static let readmeBegin = "<!-- commands:begin (generated from Sources/Lessons/Commands+*.swift by scripts/readme-commands) -->"
    public static let readmeEnd = "<!-- commands:end -->"

    /// Every command as a Markdown table, by group: its usage, what it does, an example.
    public static func markdownTable() -> String {
        func cell(_ text: String) -> String { text.replacingOccurrences(of: "|", with: "\\|") }
        var lines = ["| group | command | what it does | example |", "|---|---|---|---|"]
        for group in CommandDefinition.Group.allCases {
            for entry in all where entry.group == group.rawValue {
                let aliases = CommandDefinition.find(entry.name)?.aliases ?? []
                let also = aliases.isEmpty ? "" : " (also `" + aliases.joined(separator: "`, `") + "`)"
                lines.append("| \(group.rawValue) | `\(cell(entry.usage))`\(also) | \(cell(entry.summary)) | `\(cell(entry.example))` |")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// `readme` with the text between `readmeBegin` and `readmeEnd` replaced by the table; nil
    /// when the markers are missing.
    public static func updatingReadme(_ readme: String) -> String? {
        guard let begin = readme.range(of: readmeBegin), let end = readme.range(of: readmeEnd), begin.upperBound <= end.lowerBound else { return nil }
        return String(readme[..<begin.upperBound]) + "\n" + markdownTable() + "\n" + String(readme[end.lowerBound...])
    }

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
    static func contains(_ text: String, _ part: String) -> Bool { OctetSearch.contains(Array(part.utf8), in: text) }

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
