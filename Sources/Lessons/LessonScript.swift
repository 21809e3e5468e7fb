import Foundation

/// A lesson file, parsed and checked before anything runs.
///
/// The format (docs/lessons.md has the whole of it):
/// - `# text` is narration; the first line is the title and cites the RFC sections taught.
/// - any other line is a command of the REPL language, `expect` included.
/// - `exercise TASK` … `end` holds `task`, `goal`, `hint` and `solution` lines.
/// - `predict QUESTION` … `end` holds `option TEXT [=> EXPECTATION]`, `answer LETTER`, `reveal COMMAND`
///   and `explain TEXT` lines.
///
/// A section is a paragraph of narration and the commands under it: a new one starts at narration
/// that follows a command, an exercise or a prediction.
public struct LessonScript: Sendable {
    public var name: String
    public var path: String
    public var title: String
    public var sections: [[LessonItem]]

    /// The folder the lesson's files (`body @FILE`, `request @FILE`) are read from: its own.
    public var folder: String {
        let url = URL(fileURLWithPath: path).deletingLastPathComponent()
        return url.path.isEmpty ? "." : url.path
    }

    /// Every `expect`, exercise and prediction, for the curriculum's own checks.
    public var expectCount: Int {
        sections.joined().reduce(0) { count, item in
            if case .command(_, let text) = item, text.split(separator: " ").first == "expect" { return count + 1 }
            return count
        }
    }
    public var exercises: [Exercise] { sections.joined().compactMap { if case .exercise(let e) = $0 { return e } else { return nil } } }
    public var predictions: [Prediction] { sections.joined().compactMap { if case .prediction(let p) = $0 { return p } else { return nil } } }

    public static func load(path: String) throws(LessonError) -> LessonScript {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LessonError(file: path, line: 0, message: "cannot read the lesson file")
        }
        let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        return try parse(name: name, path: path, text: String(decoding: data, as: UTF8.self))
    }

    /// Parses and validates: every command, every expectation and every block is checked here, so a
    /// broken lesson is refused with FILE:LINE before its first command runs.
    public static func parse(name: String, path: String, text: String) throws(LessonError) -> LessonScript {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        func fail(_ line: Int, _ message: String) -> LessonError { LessonError(file: path, line: line, message: message) }

        guard let first = lines.first, first.hasPrefix("#") else {
            throw fail(1, "a lesson starts with its title as narration: `# The handshake (RFC 9113 §3.4)`")
        }
        var sections: [[LessonItem]] = [[]]
        var previousWasAction = false
        var index = 0
        while index < lines.count {
            let number = index + 1
            let raw = lines[index]
            let trimmed = raw.trimmingCharacters(in: .whitespaces)
            index += 1
            if trimmed.isEmpty {
                sections[sections.count - 1].append(.blank)
                continue
            }
            if trimmed.hasPrefix("#") {
                if previousWasAction { sections.append([]) }
                previousWasAction = false
                sections[sections.count - 1].append(.narration(raw))
                continue
            }
            previousWasAction = true
            let keyword = Self.keyword(trimmed)
            switch keyword {
            case "exercise", "predict":
                var body: [(Int, String)] = []
                var closed = false
                while index < lines.count {
                    let text = lines[index].trimmingCharacters(in: .whitespaces)
                    index += 1
                    if text == "end" { closed = true; break }
                    if ["exercise", "predict"].contains(Self.keyword(text)) {
                        throw fail(index, "\(Self.keyword(text)) inside the \(keyword) of line \(number): close that one with `end` first")
                    }
                    if !text.isEmpty && !text.hasPrefix("#") { body.append((index, text)) }
                }
                guard closed else { throw fail(number, "the \(keyword) of line \(number) has no `end`") }
                let heading = Self.rest(trimmed)
                if keyword == "exercise" {
                    sections[sections.count - 1].append(.exercise(try Exercise.parse(line: number, task: heading, body, fail)))
                } else {
                    sections[sections.count - 1].append(.prediction(try Prediction.parse(line: number, question: heading, body, fail)))
                }
            case "end", "goal", "hint", "solution", "option", "answer", "reveal", "explain", "task":
                throw fail(number, "`\(keyword)` belongs inside an exercise or a predict block")
            default:
                try Self.checkCommand(trimmed, line: number, fail)
                sections[sections.count - 1].append(.command(line: number, text: trimmed))
            }
        }
        sections = sections.filter { section in section.contains { if case .blank = $0 { return false } else { return true } } }
        let title = first.drop { $0 == "#" || $0 == " " }
        return LessonScript(name: name, path: path, title: String(title), sections: sections)
    }

    /// A command line must parse, and must be one a lesson can run.
    static func checkCommand(_ text: String, line: Int, _ fail: (Int, String) -> LessonError) throws(LessonError) {
        switch CommandParser.parse(text) {
        case .failure(let error):
            throw fail(line, error.description)
        case .success(.lesson?):
            throw fail(line, "a lesson cannot start another lesson")
        case .success(.connect?), .success(.listen?):
            throw fail(line, "lessons run in memory, with no network: `connect` and `listen` are for the REPL")
        case .success(.quit?):
            throw fail(line, "`quit` has no place in a lesson: the lesson ends at its last line")
        default:
            return
        }
    }

    static func keyword(_ text: String) -> String {
        String(text.prefix { $0 != " " && $0 != "\t" }).lowercased()
    }

    static func rest(_ text: String) -> String {
        String(text.drop { $0 != " " && $0 != "\t" }).trimmingCharacters(in: .whitespaces)
    }
}

/// One piece of a lesson section.
public enum LessonItem: Sendable {
    case blank
    case narration(String)
    case command(line: Int, text: String)
    case exercise(Exercise)
    case prediction(Prediction)
}

/// A task with a goal the lab must reach, hints in order and a solution that reaches it.
public struct Exercise: Sendable {
    public var line: Int
    public var task: [String]
    public var goals: [(line: Int, text: String, expectation: Expectation)]
    public var hints: [String]
    public var solution: [(line: Int, text: String)]

    static func parse(line: Int, task: String, _ body: [(Int, String)],
                      _ fail: (Int, String) -> LessonError) throws(LessonError) -> Exercise {
        guard !task.isEmpty else { throw fail(line, "an exercise says its task: `exercise Stall the upload, then release it`") }
        var exercise = Exercise(line: line, task: [task], goals: [], hints: [], solution: [])
        for (number, text) in body {
            let rest = LessonScript.rest(text)
            switch LessonScript.keyword(text) {
            case "task": exercise.task.append(rest)
            case "goal":
                let words = (try? CommandParser.tokenize(rest)) ?? []
                let form = words.first?.lowercased() == "expect" ? Array(words.dropFirst()) : words
                do {
                    exercise.goals.append((number, form.joined(separator: " "), try Expectation.parse(form)))
                } catch {
                    throw fail(number, "goal: \(error)")
                }
            case "hint": exercise.hints.append(rest)
            case "solution":
                try LessonScript.checkCommand(rest, line: number, fail)
                exercise.solution.append((number, rest))
            default:
                throw fail(number, "an exercise holds task, goal, hint and solution lines, not '\(LessonScript.keyword(text))'")
            }
        }
        if exercise.goals.isEmpty { throw fail(line, "the exercise has no goal: add `goal expect ...` lines") }
        if exercise.solution.isEmpty { throw fail(line, "the exercise has no solution: add `solution COMMAND` lines") }
        return exercise
    }
}

/// A multiple-choice question asked before some commands run; each option may say, as an
/// expectation, what the lab looks like if it is the right one. The answer's must hold afterwards
/// and the others' must not: the key is checked against the engine.
public struct Prediction: Sendable {
    public var line: Int
    public var question: [String]
    public var options: [Option]
    public var answer: Int
    /// The line of `answer`: where to fix a key the engine disagrees with.
    public var answerLine = 0
    public var reveal: [(line: Int, text: String)]
    public var explanation: [String]

    public struct Option: Sendable {
        public var line: Int
        public var text: String
        public var check: Expectation?
        public var checkText: String?
    }

    public static func label(_ index: Int) -> String { String(UnicodeScalar(UInt8(97 + index))) }

    /// "a", "B", "1" → the option's index.
    public func option(for answer: String) -> Int? {
        let text = answer.trimmingCharacters(in: .whitespaces).lowercased().trimmingCharacters(in: CharacterSet(charactersIn: ").:"))
        if let n = Int(text), n >= 1, n <= options.count { return n - 1 }
        guard text.count == 1, let ascii = text.unicodeScalars.first?.value, ascii >= 97, Int(ascii) - 97 < options.count else { return nil }
        return Int(ascii) - 97
    }

    static func parse(line: Int, question: String, _ body: [(Int, String)],
                      _ fail: (Int, String) -> LessonError) throws(LessonError) -> Prediction {
        guard !question.isEmpty else { throw fail(line, "a prediction asks its question: `predict What does the server send?`") }
        var prediction = Prediction(line: line, question: [question], options: [], answer: -1, reveal: [], explanation: [])
        var answerText: (Int, String)?
        for (number, text) in body {
            let rest = LessonScript.rest(text)
            switch LessonScript.keyword(text) {
            case "question": prediction.question.append(rest)
            case "option":
                let parts = rest.components(separatedBy: "=>")
                let label = parts[0].trimmingCharacters(in: .whitespaces)
                guard !label.isEmpty, parts.count <= 2 else { throw fail(number, "option TEXT [=> EXPECTATION]") }
                var option = Option(line: number, text: label, check: nil, checkText: nil)
                if parts.count == 2 {
                    let words = (try? CommandParser.tokenize(parts[1].trimmingCharacters(in: .whitespaces))) ?? []
                    let form = words.first?.lowercased() == "expect" ? Array(words.dropFirst()) : words
                    do {
                        option.check = try Expectation.parse(form)
                        option.checkText = form.joined(separator: " ")
                    } catch {
                        throw fail(number, "option: \(error)")
                    }
                }
                prediction.options.append(option)
            case "answer": answerText = (number, rest)
            case "reveal":
                try LessonScript.checkCommand(rest, line: number, fail)
                prediction.reveal.append((number, rest))
            case "explain": prediction.explanation.append(rest)
            default:
                throw fail(number, "a prediction holds question, option, answer, reveal and explain lines, not '\(LessonScript.keyword(text))'")
            }
        }
        guard prediction.options.count >= 2 else { throw fail(line, "a prediction needs at least two `option` lines") }
        guard prediction.options.count <= 26 else { throw fail(line, "a prediction has at most 26 options") }
        guard let (answerLine, text) = answerText else { throw fail(line, "the prediction has no `answer` line") }
        guard let answer = prediction.option(for: text) else {
            throw fail(answerLine, "answer names an option by its letter (a-\(label(prediction.options.count - 1))), not '\(text)'")
        }
        prediction.answer = answer
        prediction.answerLine = answerLine
        guard prediction.options[answer].check != nil else {
            throw fail(prediction.options[answer].line, "the answer's option needs `=> EXPECTATION`, so that the key is checked against the engine")
        }
        guard !prediction.reveal.isEmpty else { throw fail(line, "the prediction has no `reveal` line: which commands show the answer?") }
        return prediction
    }
}
