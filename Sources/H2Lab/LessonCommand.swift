import ArgumentParser
import Foundation
import Lessons

struct LessonCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lesson", abstract: "Run scripted lessons and check their transcripts.",
        subcommands: [List.self, Run.self, Check.self])

    struct Options: ParsableArguments {
        @Option(help: "Folder of lesson scripts (*.h2lab).")
        var lessons: String?
        @Option(help: "Folder of golden transcripts (*.txt).")
        var transcripts: String?

        var lessonDirectory: String { lessons ?? projectFolder(containing: "lessons") + "/lessons" }
        var transcriptDirectory: String { transcripts ?? projectFolder(containing: "transcripts") + "/transcripts" }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the lessons.")
        @OptionGroup var options: Options
        func run() throws {
            for name in LessonRunner.lessons(in: options.lessonDirectory) {
                let path = options.lessonDirectory + "/" + name + ".h2lab"
                let title = (try? Lesson.load(path: path))?.lines.first { $0.hasPrefix("#") }.map { String($0.dropFirst(1)).trimmingCharacters(in: .whitespaces) } ?? ""
                print(name.padding(toLength: 22, withPad: " ", startingAt: 0) + title)
            }
        }
    }

    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run a lesson and print its transcript.")
        @OptionGroup var options: Options
        @Argument(help: "The lesson's name (see `h2lab lesson list`) or a path to a .h2lab file.")
        var name: String
        @Flag(help: "Write the transcript as the new golden file.")
        var update = false

        func run() throws {
            let path = name.hasSuffix(".h2lab") ? name : options.lessonDirectory + "/" + name + ".h2lab"
            guard FileManager.default.fileExists(atPath: path) else {
                let known = LessonRunner.lessons(in: options.lessonDirectory)
                warn("error: no lesson '\(name)'; lessons: " + known.joined(separator: ", "))
                throw ExitCode(1)
            }
            do {
                let lesson = try Lesson.load(path: path)
                let transcript = try LessonRunner.run(lesson, directory: options.lessonDirectory)
                print(transcript, terminator: "")
                if update {
                    let out = options.transcriptDirectory + "/" + lesson.name + ".txt"
                    try Data(transcript.utf8).write(to: URL(fileURLWithPath: out))
                    warn("wrote \(out)")
                }
            } catch let error as LessonError {
                warn("error: \(error)")
                throw ExitCode(1)
            }
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run every lesson and compare with its golden transcript.")
        @OptionGroup var options: Options
        func run() throws {
            var bad = 0
            for name in LessonRunner.lessons(in: options.lessonDirectory) {
                let golden = options.transcriptDirectory + "/" + name + ".txt"
                do {
                    let lesson = try Lesson.load(path: options.lessonDirectory + "/" + name + ".h2lab")
                    let transcript = try LessonRunner.run(lesson, directory: options.lessonDirectory)
                    let expected = FileManager.default.contents(atPath: golden).map { String(decoding: $0, as: UTF8.self) }
                    if expected == transcript {
                        print("ok       \(name)")
                    } else {
                        bad += 1
                        print("DIFFERS  \(name): " + (expected == nil ? "no \(golden)" : firstDifference(expected ?? "", transcript)))
                    }
                } catch {
                    bad += 1
                    print("FAILED   \(error)")
                }
            }
            if bad > 0 { throw ExitCode(1) }
        }

        func firstDifference(_ a: String, _ b: String) -> String {
            let x = a.split(separator: "\n", omittingEmptySubsequences: false), y = b.split(separator: "\n", omittingEmptySubsequences: false)
            for i in 0..<max(x.count, y.count) where (i < x.count ? x[i] : nil) != (i < y.count ? y[i] : nil) {
                return "line \(i + 1): expected \"\(i < x.count ? String(x[i]) : "")\", got \"\(i < y.count ? String(y[i]) : "")\""
            }
            return "differs"
        }
    }
}
