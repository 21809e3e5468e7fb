import Engine
import Foundation
import Lessons

/// One student's result in one lesson: what the roster shows and the exports hold. Derived from
/// class mode's counts (`ClassRun`), never parsed out of text.
public struct LessonResult: Codable, Hashable, Sendable {
    /// The student's roster id (random, not their session id).
    public var student: String
    public var name: String
    public var lesson: String
    public var section: Int
    public var sections: Int
    public var complete: Bool
    public var exercisesOwn: Int
    public var exercisesHelped: Int
    public var predictionsRight: Int
    public var predictions: Int
    public var score: Int?
    /// "browser" or "terminal".
    public var via: String
    /// Seconds since 1970.
    public var started: Double
    public var updated: Double
    public var finished: Double?
    /// Each exercise and prediction: "exercise@LINE own|hint|solution|skipped", "prediction@LINE right|wrong (b)".
    public var items: [String]

    public init(student: String, name: String, lesson: String, via: String, started: Double) {
        self.student = student
        self.name = name
        self.lesson = lesson
        self.section = 1
        self.sections = 0
        self.complete = false
        self.exercisesOwn = 0
        self.exercisesHelped = 0
        self.predictionsRight = 0
        self.predictions = 0
        self.via = via
        self.started = started
        self.updated = started
        self.items = []
    }

    /// Takes the counts of a lesson in class mode.
    public mutating func take(_ run: ClassRun, now: Double) {
        section = run.sectionNumber
        sections = run.sectionCount
        complete = run.mode == .finished
        exercisesOwn = run.outcomes.filter { $0.isExercise && $0.result == .own }.count
        exercisesHelped = run.outcomes.filter { $0.isExercise && $0.result != .own }.count
        predictionsRight = run.predictionsRight
        predictions = run.predictionsDone
        score = run.score
        items = run.outcomes.map(Self.describe)
        updated = now
        if complete && finished == nil { finished = now }
    }

    static func describe(_ outcome: ClassRun.Outcome) -> String {
        (outcome.isExercise ? "exercise@" : "prediction@") + "\(outcome.line) \(outcome.result.rawValue)"
            + (outcome.answer.map { " (\($0))" } ?? "")
    }

    /// The CSV header and a row (RFC 4180: fields quoted, quotes doubled). A field that a
    /// spreadsheet would take for a formula (=, +, -, @ first) gets a leading apostrophe.
    public static let csvHeader = "name,lesson,section,sections,complete,exercises_own,exercises_helped,predictions_right,predictions,score,via,started,finished"

    public var csvRow: String {
        func text(_ s: String) -> String {
            var s = s
            if let first = s.first, "=+-@\t\r".contains(first) { s = "'" + s }
            return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        func time(_ t: Double?) -> String { t.map { ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: $0)) } ?? "" }
        return [text(name), text(lesson), "\(section)", "\(sections)", complete ? "yes" : "no", "\(exercisesOwn)", "\(exercisesHelped)",
                "\(predictionsRight)", "\(predictions)", score.map { "\($0)" } ?? "", via, time(started), time(finished)]
            .joined(separator: ",")
    }
}

/// Every result of the class, kept in a JSON file beside the users file (written atomically, mode
/// 0600) so that a restart of `h2lab class` loses none of them.
public final class ResultBook: @unchecked Sendable {
    public let path: String
    let lock = NSLock()
    var rows: [LessonResult] = []
    var dirty = false

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Reads the file if there is one; a file that is not a list of results is an error naming it.
    public init(path: String) throws(Failure) {
        self.path = path
        guard let data = FileManager.default.contents(atPath: path) else { return }
        do {
            rows = try JSONDecoder().decode([LessonResult].self, from: data)
        } catch {
            throw Failure(description: "\(path): not a classroom results file (\(error.localizedDescription)); move it away to start afresh")
        }
    }

    /// The default file: beside the users file.
    public static func defaultPath(besideUsers users: String) -> String {
        (users as NSString).deletingLastPathComponent.appending("/classroom-results.json")
    }

    /// Lessons one student may have rows for: the course has 27; a report naming a new lesson
    /// each time must not grow the file without end.
    public static let lessonsPerStudent = 100

    /// Updates (or adds) a student's row for a lesson; false (nothing changed) when it would be a
    /// new row past `lessonsPerStudent`.
    @discardableResult
    public func update(student: String, lesson: String, _ body: (inout LessonResult) -> Void, make: () -> LessonResult) -> Bool {
        lock.withLock {
            if let index = rows.lastIndex(where: { $0.student == student && $0.lesson == lesson }) {
                body(&rows[index])
            } else {
                guard rows.lazy.filter({ $0.student == student }).count < Self.lessonsPerStudent else { return false }
                var row = make()
                body(&row)
                rows.append(row)
            }
            dirty = true
            return true
        }
    }

    public var all: [LessonResult] { lock.withLock { rows } }

    /// The latest row of each student (the roster's).
    public var latest: [String: LessonResult] {
        lock.withLock {
            var map: [String: LessonResult] = [:]
            for row in rows where (map[row.student]?.updated ?? -1) <= row.updated { map[row.student] = row }
            return map
        }
    }

    /// Writes the file if anything changed since the last write.
    public func save() throws(Failure) {
        guard let rows = lock.withLock({ () -> [LessonResult]? in
            guard dirty else { return nil }
            dirty = false
            return self.rows
        }) else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        guard let data = try? encoder.encode(rows) else { throw Failure(description: "cannot encode the results") }
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                     attributes: [.posixPermissions: 0o700])
        }
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else {
            lock.withLock { dirty = true }
            throw Failure(description: "cannot write \(path): \(String(cString: strerror(errno)))")
        }
        let written = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        fchmod(fd, 0o600)
        close(fd)
        guard written == data.count, rename(temporary, path) == 0 else {
            unlink(temporary)
            lock.withLock { dirty = true }
            throw Failure(description: "cannot write \(path)")
        }
    }

    public var csv: String { ([LessonResult.csvHeader] + all.map(\.csvRow)).joined(separator: "\r\n") + "\r\n" }

    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return (try? encoder.encode(["results": all])).map { String(decoding: $0, as: UTF8.self) } ?? "{\"results\": []}"
    }
}
