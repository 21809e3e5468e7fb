import Engine

/// A lesson in class mode: one section at a time, with the class free to explore between sections,
/// exercises that wait until their goal holds, predictions that wait for an answer, and a score.
///
/// A value with no I/O: the REPL feeds it lines (`input`) and prints what comes back, with `prompt`.
/// Exploring never changes the lesson: the lab is saved where the lesson's own commands left it and
/// put back before the lesson goes on (and after an exercise, the lesson replays its own solution).
public struct ClassRun: Sendable {
    public enum Mode: Sendable, Equatable { case pause, exercise, prediction, finished }

    public private(set) var session: Session
    public let script: LessonScript
    public private(set) var mode: Mode = .pause
    var section = 0
    var item = 0
    /// The lab as the lesson left it, to come back to after exploring.
    var saved: Session
    /// Whether the class ran commands since `saved`.
    var explored = false
    var hintsShown = 0
    var solutionShown = false
    public private(set) var exercisesSolved = 0
    public private(set) var exercisesDone = 0
    public private(set) var predictionsRight = 0
    public private(set) var predictionsDone = 0
    /// Each exercise and prediction done so far, in order (for a report or a class's roster).
    public private(set) var outcomes: [Outcome] = []

    /// How one exercise or prediction went.
    public struct Outcome: Hashable, Sendable {
        public enum Result: String, Hashable, Sendable {
            /// An exercise: solved without hints or the solution; with a hint; after `solution`; by `skip`.
            case own, hint, solution, skipped
            /// A prediction.
            case right, wrong
        }
        /// The lesson line of the exercise or prediction.
        public var line: Int
        public var isExercise: Bool
        public var result: Result
        /// A prediction's answer ("a", "b", …) and the right one.
        public var answer: String?
        public var key: String?
    }

    public init(script: LessonScript, session: Session) {
        self.script = script
        self.session = session
        self.saved = session
    }

    var palette: Palette { session.renderer.palette }

    /// The section the class is in, 1-based (the prompt's N in `lesson N/M>`).
    public var sectionNumber: Int { min(section + 1, script.sections.count) }
    public var sectionCount: Int { script.sections.count }
    /// Whether the lesson waits at the end of a section for Enter (the place a teacher can hold it).
    public var atSectionEnd: Bool { mode == .pause && currentItem == nil }

    /// The running exercise's goals and whether each holds in the lab now (for a page's live ✓).
    public var goals: [(text: String, holds: Bool)]? {
        guard mode == .exercise, let exercise = currentExercise else { return nil }
        return exercise.goals.map { ($0.text, session.verdict(of: $0.expectation).holds) }
    }

    /// The waiting prediction's options, in order (a, b, …).
    public var options: [String]? {
        guard mode == .prediction, let prediction = currentPrediction else { return nil }
        return prediction.options.map(\.text)
    }

    public var prompt: String {
        switch mode {
        case .pause: return "lesson \(section + 1)/\(script.sections.count)> "
        case .exercise: return "exercise> "
        case .prediction: return "answer (a-\(Prediction.label((currentPrediction?.options.count ?? 1) - 1)))> "
        case .finished: return "lab> "
        }
    }

    var currentItem: LessonItem? {
        guard section < script.sections.count, item < script.sections[section].count else { return nil }
        return script.sections[section][item]
    }
    var currentExercise: Exercise? { if case .exercise(let e)? = currentItem { return e } else { return nil } }
    var currentPrediction: Prediction? { if case .prediction(let p)? = currentItem { return p } else { return nil } }

    /// The lesson's title and its first section.
    public mutating func start() -> [String] {
        let rule = String(repeating: "═", count: 98)
        // The title is the file's first line of narration: shown once, in the banner, not again
        // as the first section's first line.
        if case .narration? = currentItem, section == 0, item == 0 { item = 1 }
        return [palette.bold(rule)] + session.format([palette.bold("  " + script.title)]) + [palette.bold(rule)] + beginSection()
    }

    /// What Ctrl-C prints: the class leaves for the `lab>` prompt with the lab as it is.
    public var leaving: [String] {
        ["  left the lesson at section \(section + 1) of \(script.sections.count); the lab stays as it is. "
            + "`lesson \(script.name)` starts it again."]
    }

    /// One line typed by the class.
    public mutating func input(_ line: String, interrupted: @Sendable () -> Bool = { false }) -> [String] {
        let text = line.trimmingCharacters(in: .whitespaces)
        switch mode {
        case .finished:
            return []
        case .pause:
            if text.isEmpty {
                var out: [String] = []
                if explored {
                    session = saved
                    out.append(palette.dim("  (the lab is back where the lesson left it: exploring does not change the lesson)"))
                }
                section += 1
                item = 0
                return out + beginSection()
            }
            return explore(text, interrupted)
        case .exercise:
            return exerciseInput(text, interrupted)
        case .prediction:
            return predictionInput(text, interrupted)
        }
    }

    // MARK: Running the lesson's own items

    mutating func beginSection() -> [String] {
        let title = "── section \(section + 1) of \(script.sections.count) "
        return [palette.bold(title + String(repeating: "─", count: max(0, 98 - title.count)))] + advance()
    }

    /// Runs items until the section ends or an exercise or prediction waits for the class.
    mutating func advance() -> [String] {
        var out: [String] = []
        while let current = currentItem {
            switch current {
            case .blank:
                item += 1
            case .narration(let text):
                let body = text.drop { $0 == "#" }.drop { $0 == " " }
                if !body.isEmpty { out += session.format([palette.bold(String(body))]) }
                item += 1
            case .command(let line, let text):
                out += runOwn(text, line: line)
                item += 1
            case .exercise(let exercise):
                saved = session
                explored = false
                hintsShown = 0
                solutionShown = false
                mode = .exercise
                return out + [""] + session.format(LessonRunner.exerciseHeading(exercise, palette: palette)) + [
                    palette.dim("  type any commands until the goal holds; `goal` checks it, `hint` helps, `solution` shows the"),
                    palette.dim("  commands, `skip` runs them"),
                ]
            case .prediction(let prediction):
                saved = session
                explored = false
                mode = .prediction
                return out + [""] + session.format(LessonRunner.predictionHeading(prediction, palette: palette))
                    + [palette.dim("  answer with a letter (you may look around first: `show streams`, `show windows`)")]
            }
        }
        if section + 1 >= script.sections.count {
            mode = .finished
            let score = scoreLines()
            session.record(score)
            return out + score
        }
        saved = session
        explored = false
        mode = .pause
        return out + [palette.dim("  ── end of section \(section + 1) of \(script.sections.count): Enter goes on · any command explores · "
                                  + "Ctrl-C leaves")]
    }

    /// A command of the lesson itself, echoed as in a transcript.
    mutating func runOwn(_ text: String, line: Int) -> [String] {
        let delivered = session.lab.log.count
        let result = session.execute(text)
        var out = ["lab> " + text] + Self.fitted(result.lines, deliveries: session.lab.log.dropFirst(delivered))
        if let error = result.error { out.append(palette.error("error: \(script.path):\(line): \(error)")) }
        return out
    }

    /// Lines a lesson's own command prints in class mode, kept to what a screen shows: a command
    /// that prints more than `screenLines` (a `continue` that delivers 60 frames) shows its first
    /// lines and then a summary of the deliveries, so that the section's narration stays on screen
    /// above it. `history` and `show frame N` open any of it; `lesson run` and transcripts keep
    /// every line.
    static let screenLines = 24

    static func fitted(_ lines: [String], deliveries: some BidirectionalCollection<Delivery>) -> [String] {
        guard lines.count > screenLines, let first = deliveries.first, let last = deliveries.last else { return lines }
        var counts: [String: Int] = [:]
        var order: [String] = []
        var streams: [String: Set<UInt32>] = [:]
        for delivery in deliveries {
            let name = delivery.item.isPreface ? "preface" : (delivery.item.frame.map { $0.type.name } ?? "bytes")
            if counts[name] == nil { order.append(name) }
            counts[name, default: 0] += 1
            if let id = delivery.item.frame?.streamID, id != 0 { streams[name, default: []].insert(id) }
        }
        let kinds = order.map { name -> String in
            let ids = (streams[name] ?? []).sorted().map(String.init)
            return "\(counts[name] ?? 0) \(name)" + (ids.isEmpty ? "" : " (stream\(ids.count == 1 ? "" : "s") \(ids.joined(separator: ", ")))")
        }
        var kindLines: [String] = []
        for kind in kinds {
            if let lastLine = kindLines.last, lastLine.count + kind.count + 2 <= 98 {
                kindLines[kindLines.count - 1] = lastLine + ", " + kind
            } else {
                kindLines.append("    " + kind)
            }
        }
        let head = Array(lines.prefix(8))
        return head + [
            "  … \(lines.count - head.count) more lines: \(deliveries.count) deliver\(deliveries.count == 1 ? "y" : "ies") in all, #\(first.sequence) to #\(last.sequence):",
        ] + kindLines + [
            "  `history` lists them, `show frame N` opens one; `show streams`, `show windows` and",
            "  `show hpack` show where they left the lab (`lesson run` prints every line)",
        ]
    }

    /// A command typed by the class: it runs on the lab, which the lesson will put back.
    mutating func explore(_ text: String, _ interrupted: @Sendable () -> Bool) -> [String] {
        let result = session.execute(text, interrupted: interrupted)
        if case .lesson? = result.command { return ["  a lesson is running: Ctrl-C leaves it first"] }
        if case .quit? = result.command { return ["  Ctrl-C leaves the lesson (and `quit` at the `lab>` prompt leaves h2lab)"] }
        if result.error == nil, !(result.command?.onlyLooks ?? true) { explored = true }
        var out = result.lines
        if let error = result.error {
            out.append(palette.error("error: " + error.message) + (error.hint.map { "  (\($0))" } ?? ""))
        }
        return out
    }

    // MARK: Exercises

    mutating func exerciseInput(_ text: String, _ interrupted: @Sendable () -> Bool) -> [String] {
        guard let exercise = currentExercise else { return [] }
        switch text.lowercased() {
        case "":
            return [palette.dim("  the goal does not hold yet: type commands, or `goal`, `hint`, `solution`, `skip`")]
        case "goal":
            return exercise.goals.map { goal in
                let verdict = session.verdict(of: goal.expectation)
                return verdict.holds ? palette.good("  ✓ " + verdict.message) : "  ✗ " + verdict.message
            }
        case "hint":
            guard hintsShown < exercise.hints.count else {
                return ["  no more hints" + (exercise.hints.isEmpty ? "" : " (there \(exercise.hints.count == 1 ? "was 1" : "were \(exercise.hints.count)"))")
                        + ": `solution` shows the commands"]
            }
            hintsShown += 1
            return session.format(["  hint \(hintsShown) of \(exercise.hints.count): " + exercise.hints[hintsShown - 1]])
        case "solution":
            solutionShown = true
            return ["  the solution:"] + exercise.solution.map { "    " + $0.text } + [palette.dim("  type them, or `skip` to have them run")]
        case "skip":
            session = saved
            var out = [palette.dim("  running the solution from where the exercise began:")]
            for step in exercise.solution { out += runOwn(step.text, line: step.line) }
            exercisesDone += 1
            outcomes.append(Outcome(line: exercise.line, isExercise: true, result: .skipped))
            out.append("  the goal holds now: " + goalSummary(exercise))
            session.record(["exercise: \(exercise.task.first ?? ""): skipped (the solution ran)"])
            return out + finishItem()
        default:
            var out = explore(text, interrupted)
            guard exercise.goals.allSatisfy({ session.verdict(of: $0.expectation).holds }) else { return out }
            exercisesDone += 1
            if !solutionShown { exercisesSolved += 1 }
            outcomes.append(Outcome(line: exercise.line, isExercise: true,
                                    result: solutionShown ? .solution : hintsShown > 0 ? .hint : .own))
            out.append(palette.good("  ✓ solved: ") + goalSummary(exercise))
            // The lesson goes on from its own solution, so that what follows matches its transcript.
            session = saved
            for step in exercise.solution { _ = session.execute(step.text) }
            session.record(["exercise: \(exercise.task.first ?? ""): ✓ solved" + (solutionShown ? " after seeing the solution" : " on your own")])
            out.append(palette.dim("  (the lesson goes on from its own solution, so the next sections match)"))
            return out + finishItem()
        }
    }

    func goalSummary(_ exercise: Exercise) -> String {
        exercise.goals.map { session.verdict(of: $0.expectation).message }.joined(separator: "; ")
    }

    mutating func finishItem() -> [String] {
        item += 1
        explored = false
        mode = .pause
        return advance()
    }

    // MARK: Predictions

    mutating func predictionInput(_ text: String, _ interrupted: @Sendable () -> Bool) -> [String] {
        guard let prediction = currentPrediction else { return [] }
        let letters = (0..<prediction.options.count).map(Prediction.label)
        let choices = letters.dropLast().joined(separator: ", ") + " or " + (letters.last ?? "a")
        if text.isEmpty {
            return ["  answer with \(choices)"]
        }
        guard let answer = prediction.option(for: text) else {
            // Not an answer: a command, to look around before answering; anything else is neither.
            var isCommand = true
            if case .failure(let error) = CommandParser.parse(text), error.message.hasPrefix("unknown command") { isCommand = false }
            guard isCommand else {
                return ["  answer with \(choices) (or a command, such as `show streams`, to look around first)"]
            }
            return explore(text, interrupted)
        }
        var out: [String] = []
        if explored {
            session = saved
            out.append(palette.dim("  (the lab is back where the question was asked)"))
        }
        for step in prediction.reveal { out += runOwn(step.text, line: step.line) }
        do {
            let result = try LessonRunner.reveal(prediction, session, answered: answer, script: script, palette: palette)
            out += session.format(result.lines)
            if result.right { predictionsRight += 1 }
            session.record(["prediction: \(prediction.question.first ?? "")"] + result.lines)
            outcomes.append(Outcome(line: prediction.line, isExercise: false, result: result.right ? .right : .wrong,
                                    answer: Prediction.label(answer), key: Prediction.label(prediction.answer)))
        } catch {
            out.append(palette.error("error: \(error)"))
        }
        predictionsDone += 1
        return out + finishItem()
    }

    // MARK: Score

    /// Percent of exercises solved without the solution and predictions answered right.
    public var score: Int? {
        let total = exercisesDone + predictionsDone
        guard total > 0 else { return nil }
        return ((exercisesSolved + predictionsRight) * 100 + total / 2) / total
    }

    func scoreLines() -> [String] {
        var parts: [String] = []
        if exercisesDone > 0 { parts.append("exercises solved on your own: \(exercisesSolved) of \(exercisesDone)") }
        if predictionsDone > 0 { parts.append("predictions right: \(predictionsRight) of \(predictionsDone)") }
        let rule = String(repeating: "═", count: 98)
        return ["", palette.bold(rule)] + session.format([palette.bold("  lesson complete: \(script.title)")]
            + (score.map { ["  score \($0)%  (" + parts.joined(separator: ", ") + ")"] } ?? [])
            + ["  you are at the `lab>` prompt with the lesson's lab: keep exploring, or `lesson NAME` for another"])
            + [palette.bold(rule)]
    }
}

extension ClassRun {
    /// Bounds the lesson's lab and the lab it will come back to (`Session.bound`).
    @discardableResult
    public mutating func bound(snapshots: Int, transcriptLines: Int) -> Bool {
        let a = session.bound(snapshots: snapshots, transcriptLines: transcriptLines)
        let b = saved.bound(snapshots: snapshots, transcriptLines: transcriptLines)
        return a || b
    }
}
