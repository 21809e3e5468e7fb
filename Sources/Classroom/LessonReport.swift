import Foundation
import Lessons

/// What a student did in one lesson, as `h2lab lesson NAME --report FILE.json` writes it and
/// `--join` sends it to a running `h2lab class` (POST /api/report): the lesson, where the student
/// is, each exercise (solved on their own, with a hint, after `solution`, or skipped) and each
/// prediction (the answer, the key, right or not), the score, the start and end times. Derived
/// from class mode's values (`ClassRun`), the same counts the classroom's roster shows.
public struct LessonReport: Codable, Sendable, Equatable {
    public struct ExerciseResult: Codable, Sendable, Equatable {
        /// The lesson line of the exercise.
        public var line: Int
        /// "own", "hint", "solution" or "skipped".
        public var result: String
    }

    public struct PredictionResult: Codable, Sendable, Equatable {
        public var line: Int
        public var answer: String
        public var key: String
        public var right: Bool
    }

    public var lesson: String
    public var title: String
    public var section: Int
    public var sections: Int
    public var complete: Bool
    public var score: Int?
    public var exercisesOwn: Int
    public var exercisesHelped: Int
    public var predictionsRight: Int
    public var predictions: Int
    public var exerciseResults: [ExerciseResult]
    public var predictionResults: [PredictionResult]
    /// The classroom's short form of each item ("exercise@33 own", "prediction@21 right (a)").
    public var items: [String]
    /// ISO 8601, UTC.
    public var started: String
    public var finished: String?

    public init(_ run: ClassRun, started: Date, finished: Date?) {
        let iso = ISO8601DateFormatter()
        lesson = run.script.name
        title = run.script.title
        section = run.sectionNumber
        sections = run.sectionCount
        complete = run.mode == .finished
        score = run.score
        exercisesOwn = run.outcomes.filter { $0.isExercise && $0.result == .own }.count
        exercisesHelped = run.outcomes.filter { $0.isExercise && $0.result != .own }.count
        predictionsRight = run.predictionsRight
        predictions = run.predictionsDone
        exerciseResults = run.outcomes.filter(\.isExercise).map { ExerciseResult(line: $0.line, result: $0.result.rawValue) }
        predictionResults = run.outcomes.filter { !$0.isExercise }.map {
            PredictionResult(line: $0.line, answer: $0.answer ?? "", key: $0.key ?? "", right: $0.result == .right)
        }
        items = run.outcomes.map(LessonResult.describe)
        self.started = iso.string(from: started)
        self.finished = finished.map { iso.string(from: $0) }
    }

    public var json: Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return (try? encoder.encode(self)) ?? Data("{}".utf8)
    }
}
