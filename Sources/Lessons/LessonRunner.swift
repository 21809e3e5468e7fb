import Foundation
import Engine

/// A lesson that could not run, with the file and line to fix.
public struct LessonError: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var message: String
    /// What the lesson printed before it failed (set by `LessonRunner.run`), so that a teacher sees
    /// how far it got.
    public var transcriptSoFar = ""
    public init(file: String, line: Int, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }
    public var description: String { line > 0 ? "\(file):\(line): \(message)" : "\(file): \(message)" }
}

public enum LessonRunner {
    /// Runs a lesson straight through on a fresh lab and returns its transcript. Every exercise's
    /// solution runs and its goal must hold; every prediction's key must agree with the engine; every
    /// `expect` must hold. The first thing that does not stops it with the file and line.
    public static func run(_ script: LessonScript) throws(LessonError) -> String {
        var session = Session(directory: script.folder)
        var out: [String] = []
        for section in script.sections {
            for item in section {
                do {
                    out += try perform(item, in: &session, script: script)
                } catch {
                    var failed = error
                    failed.transcriptSoFar = out.isEmpty ? "" : out.joined(separator: "\n") + "\n"
                    throw failed
                }
            }
        }
        return out.joined(separator: "\n") + "\n"
    }

    /// The lessons in a folder (`*.h2lab`), sorted by name (numbered names give the course's order).
    public static func lessons(in directory: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasSuffix(".h2lab") }.map { String($0.dropLast(6)) }.sorted()
    }

    /// The file for a lesson named on the command line: a path to a `.h2lab` file, a lesson's full
    /// name (`03-stream-states`), or its name without the number (`stream-states`) or a unique prefix.
    /// Throws a message that lists the lessons.
    /// One line of `lesson list`, within `width` columns: the name, then the title; a title too long
    /// loses its RFC citation first (the lesson's first line keeps it), then its end.
    public static func listLine(name: String, title: String, nameWidth: Int, width: Int = 100) -> String {
        let lead = name + String(repeating: " ", count: max(2, nameWidth - name.count))
        var text = title
        if lead.count + text.count > width, let cut = text.range(of: " (RFC", options: .backwards) {
            text = String(text[..<cut.lowerBound])
        }
        if lead.count + text.count > width { text = String(text.prefix(max(1, width - lead.count - 1))) + "…" }
        return lead + text
    }

    /// A lesson by path (`my.h2lab`, `dir/my`), by name in the course folder (`01-handshake`,
    /// `handshake`), or else as NAME.h2lab in the current folder, where a teacher writes a new one.
    public static func resolve(_ name: String, in directory: String) throws(LessonError) -> String {
        let fm = FileManager.default
        let cwd = fm.currentDirectoryPath
        if name.hasSuffix(".h2lab") || name.contains("/") {
            let path = name.hasSuffix(".h2lab") || fm.fileExists(atPath: name) ? name : name + ".h2lab"
            guard fm.fileExists(atPath: path) else {
                let absolute = URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: cwd, isDirectory: true)).standardized.path
                throw LessonError(file: name, line: 0, message: "no such lesson file: looked for \(absolute)")
            }
            return path
        }
        let known = lessons(in: directory)
        func bare(_ n: String) -> String { String(n.drop { $0.isNumber }.drop { $0 == "-" }) }
        let found = known.first { $0 == name } ?? known.first { bare($0) == name }
            ?? { let p = known.filter { $0.hasPrefix(name) || bare($0).hasPrefix(name) }; return p.count == 1 ? p[0] : nil }()
        if let found { return directory + "/" + found + ".h2lab" }
        let here = cwd + "/" + name + ".h2lab"
        if fm.fileExists(atPath: here) { return here }
        let listing = known.isEmpty ? "there are no lessons in \(directory)" : "the course (\(directory)) has: " + known.joined(separator: ", ")
        throw LessonError(file: name, line: 0, message: "no lesson '\(name)': not in the course, and no \(here); \(listing)")
    }

    /// Where a lesson's golden transcript lives: NAME.txt in the course's transcript folder for a
    /// lesson of the course, beside the lesson file for any other.
    public static func transcriptPath(for lessonPath: String, courseDirectory: String, transcriptDirectory: String) -> String {
        let url = URL(fileURLWithPath: lessonPath)
        let name = url.deletingPathExtension().lastPathComponent
        let folder = url.deletingLastPathComponent().standardized.path
        if folder == URL(fileURLWithPath: courseDirectory).standardized.path { return transcriptDirectory + "/" + name + ".txt" }
        return folder + "/" + name + ".txt"
    }

    /// One item, straight through, as the transcript shows it.
    static func perform(_ item: LessonItem, in session: inout Session, script: LessonScript) throws(LessonError) -> [String] {
        switch item {
        case .blank: return [""]
        case .narration(let text): return [text]
        case .command(let line, let text): return try command(text, line: line, in: &session, script: script)
        case .exercise(let exercise):
            var out = session.format(exerciseHeading(exercise, palette: .plain)
                                     + exercise.hints.enumerated().map { "  hint \($0.offset + 1): \($0.element)" })
            if exercise.goals.allSatisfy({ session.verdict(of: $0.expectation).holds }) {
                throw LessonError(file: script.path, line: exercise.line, message: "the exercise's goal already holds before it starts: there is nothing to do")
            }
            out.append("  solution:")
            for step in exercise.solution { out += try command(step.text, line: step.line, in: &session, script: script) }
            out += session.format(try goalsReached(exercise, session, script: script))
            return out
        case .prediction(let prediction):
            var out = session.format(predictionHeading(prediction, palette: .plain))
            for step in prediction.reveal { out += try command(step.text, line: step.line, in: &session, script: script) }
            out += session.format(try reveal(prediction, session, answered: nil, script: script, palette: .plain).lines)
            return out
        }
    }

    /// Runs one command of the lesson itself; an error or a failing `expect` stops the lesson.
    static func command(_ text: String, line: Int, in session: inout Session, script: LessonScript) throws(LessonError) -> [String] {
        let result = session.execute(text)
        if let error = result.error { throw LessonError(file: script.path, line: line, message: error.description) }
        if let failure = result.failure { throw LessonError(file: script.path, line: line, message: failure.message) }
        return ["lab> " + text] + result.lines
    }

    /// After the solution: every goal must hold.
    static func goalsReached(_ exercise: Exercise, _ session: Session, script: LessonScript) throws(LessonError) -> [String] {
        for goal in exercise.goals {
            let verdict = session.verdict(of: goal.expectation)
            guard verdict.holds else {
                throw LessonError(file: script.path, line: goal.line, message: "the solution does not reach this goal: \(verdict.message)")
            }
        }
        return ["  ✓ solved: " + exercise.goals.map { session.verdict(of: $0.expectation).message }.joined(separator: "; ")]
    }

    static func exerciseHeading(_ exercise: Exercise, palette: Palette) -> [String] {
        [palette.bold("exercise: ") + exercise.task[0]] + exercise.task.dropFirst().map { "          " + $0 }
            + exercise.goals.map { "  goal: expect " + $0.text }
    }

    static func predictionHeading(_ prediction: Prediction, palette: Palette) -> [String] {
        [palette.bold("predict: ") + prediction.question[0]] + prediction.question.dropFirst().map { "         " + $0 }
            + prediction.options.enumerated().map { "  \(Prediction.label($0.offset))) \($0.element.text)" }
    }

    /// After the reveal commands: checks the key against the engine and says what happened, beside
    /// the student's answer if there is one. Returns the lines and whether the answer was right.
    static func reveal(_ prediction: Prediction, _ session: Session, answered: Int?, script: LessonScript,
                       palette: Palette) throws(LessonError) -> (lines: [String], right: Bool) {
        let key = prediction.options[prediction.answer]
        let verdict = key.check.map { session.verdict(of: $0) } ?? Verdict(holds: true, message: "")
        guard verdict.holds else {
            throw LessonError(file: script.path, line: prediction.answerLine > 0 ? prediction.answerLine : key.line,
                              message: "the answer key says (\(Prediction.label(prediction.answer))), whose option (line \(key.line)) expects "
                                + "\(key.checkText ?? "?"), but the engine disagrees: \(verdict.message)")
        }
        for (index, option) in prediction.options.enumerated() where index != prediction.answer {
            if let check = option.check, session.verdict(of: check).holds {
                throw LessonError(file: script.path, line: option.line,
                                  message: "option (\(Prediction.label(index))) holds too (\(option.checkText ?? "")): the question has two right answers")
            }
        }
        var lines: [String] = []
        let label = Prediction.label(prediction.answer)
        if let answered {
            let right = answered == prediction.answer
            lines.append(right ? palette.good("  ✓ right: you said \(label)) \(key.text)")
                               : palette.error("  ✗ you said \(Prediction.label(answered))) \(prediction.options[answered].text)")
                                 + "; the answer is \(label)) \(key.text)")
        } else {
            lines.append("  answer: \(label)) \(key.text)")
        }
        lines.append("  the engine: " + verdict.message)
        lines += prediction.explanation.map { "  " + $0 }
        return (lines, answered == prediction.answer)
    }
}
