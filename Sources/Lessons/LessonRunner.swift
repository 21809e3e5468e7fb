import Foundation
import Engine

/// A lesson script: commands of the REPL language, one per line. Lines starting with `#` are the
/// teacher's narration and appear in the transcript as they are; blank lines too.
public struct Lesson: Sendable {
    public var name: String
    public var path: String
    public var lines: [String]

    public init(name: String, path: String, text: String) {
        self.name = name
        self.path = path
        self.lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
    }

    public static func load(path: String) throws -> Lesson {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LessonError(file: path, line: 0, message: "cannot read the lesson file")
        }
        let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        return Lesson(name: name, path: path, text: String(decoding: data, as: UTF8.self))
    }
}

/// A lesson that could not run, with the file and line to fix.
public struct LessonError: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var message: String
    public var description: String { line > 0 ? "\(file):\(line): \(message)" : "\(file): \(message)" }
}

public enum LessonRunner {
    /// Runs a lesson on a fresh lab and returns its transcript. The first command error stops it.
    public static func run(_ lesson: Lesson, directory: String) throws(LessonError) -> String {
        var session = Session(directory: directory)
        var out: [String] = []
        for (index, line) in lesson.lines.enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") {
                out.append(line)
                continue
            }
            let result = session.execute(line)
            if let error = result.error {
                throw LessonError(file: lesson.path, line: index + 1, message: error.description)
            }
            out.append("lab> " + trimmed)
            out += result.lines
            if result.quit { break }
        }
        return out.joined(separator: "\n") + "\n"
    }

    /// The lessons in a folder (`*.h2lab`), sorted by name.
    public static func lessons(in directory: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasSuffix(".h2lab") }.map { String($0.dropLast(6)) }.sorted()
    }
}
