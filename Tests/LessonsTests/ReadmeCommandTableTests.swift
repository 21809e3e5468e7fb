import Foundation
import Testing
@testable import Lessons

/// The README's list of commands is generated from the definitions, never written by hand: this
/// fails when a definition changed and `scripts/readme-commands` was not run (which sets
/// H2LAB_UPDATE_README=1 to write it).
@Suite("README's command table")
struct ReadmeCommandTableTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test("the command table in the README and in docs/lessons.md is current", arguments: ["README.md", "docs/lessons.md"])
    func current(_ file: String) throws {
        let url = Self.root.appendingPathComponent(file)
        let text = try String(contentsOf: url, encoding: .utf8)
        let updated = try #require(CommandHelp.updatingReadme(text), "\(file) lacks the \(CommandHelp.readmeBegin) markers")
        if ProcessInfo.processInfo.environment["H2LAB_UPDATE_README"] == "1" {
            try updated.write(to: url, atomically: true, encoding: .utf8)
            return
        }
        #expect(updated == text, "\(file)'s command table is stale: run scripts/readme-commands")
    }

    @Test("the table has a row for every command, by group, with pipes escaped")
    func rows() {
        let table = CommandHelp.markdownTable().components(separatedBy: "\n")
        #expect(table.count == CommandDefinition.all.count + 2)
        for definition in CommandDefinition.all {
            #expect(table.contains { $0.hasPrefix("| \(definition.group.rawValue) | `\(definition.usage.replacingOccurrences(of: "|", with: "\\|"))`") },
                    "\(definition.name)")
        }
        // Each row has exactly four cells: no unescaped `|` inside one.
        for row in table.dropFirst(2) {
            let cells = row.replacingOccurrences(of: "\\|", with: "").split(separator: "|", omittingEmptySubsequences: false)
            #expect(cells.count == 6, "\(row)")
        }
    }

    @Test("the table goes stale when a definition changes, and updating makes it current")
    func stale() throws {
        let old = "intro\n\(CommandHelp.readmeBegin)\n| old |\n\(CommandHelp.readmeEnd)\nafter\n"
        let updated = try #require(CommandHelp.updatingReadme(old))
        #expect(updated != old)
        #expect(CommandHelp.updatingReadme(updated) == updated)
        #expect(updated.hasPrefix("intro\n") && updated.hasSuffix("\(CommandHelp.readmeEnd)\nafter\n"))
        #expect(CommandHelp.updatingReadme("no markers") == nil)
    }
}
