import ArgumentParser
import Classroom
import Foundation
import Lessons

struct LessonCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lesson", abstract: "Teach with lessons: class mode (the default), list, run, check.",
        discussion: "`h2lab lesson NAME` runs a lesson in class mode, one section at a time (in a terminal).",
        subcommands: [Teach.self, List.self, Run.self, Check.self], defaultSubcommand: Teach.self)

    struct Options: ParsableArguments {
        @Option(help: "Folder of lesson scripts (*.h2lab); also H2LAB_LESSONS.")
        var lessons: String?
        @Option(help: "Folder of golden transcripts (*.txt).")
        var transcripts: String?

        var lessonDirectory: String { lessons ?? defaultLessonDirectory() }
        var transcriptDirectory: String {
            transcripts ?? URL(fileURLWithPath: lessonDirectory).deletingLastPathComponent().appendingPathComponent("transcripts").path
        }

        /// The golden transcript of a lesson: in the transcripts folder for the course's own, beside
        /// the file for any other.
        func transcriptPath(_ script: LessonScript) -> String {
            LessonRunner.transcriptPath(for: script.path, courseDirectory: lessonDirectory, transcriptDirectory: transcriptDirectory)
        }

        func load(_ name: String) throws -> LessonScript {
            do {
                return try LessonScript.load(path: LessonRunner.resolve(name, in: lessonDirectory))
            } catch {
                warn("error: \(error)")
                throw ExitCode(1)
            }
        }
    }

    struct Teach: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "class", abstract: "Run a lesson in class mode: a section at a time, exercises, predictions, a score.")
        @OptionGroup var options: Options
        @Argument(help: "The lesson: its name (`01-handshake`, or `handshake`) or a path to a .h2lab file.")
        var lesson: String
        @Flag(help: "Print the lesson straight through, as `lesson run` does (also when input is not a terminal).")
        var noPause = false
        @Flag(help: "No colour (also when NO_COLOR is set or output is not a terminal).")
        var noColor = false
        @Option(help: "Write your result to FILE (JSON: each exercise and prediction, the score, start and end times), kept up to date as you go.")
        var report: String?
        @Option(help: "Send your progress to a running `h2lab class` at this address (with --code and --name).")
        var join: String?
        @Option(help: "The class's join code (with --join).") var code: String?
        @Option(help: "Your name as the teacher sees it (with --join).") var name: String?
        @Flag(help: "With --join: do not check the classroom's certificate (a self-signed one: compare its fingerprint).")
        var insecure = false
        @Option(help: "With --join: the classroom's certificate SHA-256 fingerprint as the teacher reads it out (SHA256:33:A1:…); any other certificate is refused before anything is sent.")
        var fingerprint: String?

        func validate() throws {
            if join != nil && (code == nil || name == nil) { throw ValidationError("--join needs --code and --name (yours)") }
            if join == nil && (code != nil || name != nil) { throw ValidationError("--code and --name go with --join URL") }
            if fingerprint != nil && join == nil { throw ValidationError("--fingerprint goes with --join URL") }
            if let fingerprint, ClassLink.digest(fingerprint) == nil { throw ValidationError(ClassLink.fingerprintForm) }
            if noPause && (report != nil || join != nil) { throw ValidationError("--report and --join follow class mode: not with --no-pause") }
            if let report, FileManager.default.fileExists(atPath: report),
               !FileManager.default.isWritableFile(atPath: report) { throw ValidationError("cannot write --report \(report)") }
        }

        func run() throws {
            let script = try options.load(lesson)
            if report != nil || join != nil {
                try follow(script)
                return
            }
            guard !noPause && isatty(STDIN_FILENO) == 1 else {
                do {
                    print(try LessonRunner.run(script), terminator: "")
                } catch {
                    print(error.transcriptSoFar, terminator: "")
                    fflush(nil)
                    warn("error: \(error)")
                    throw ExitCode(1)
                }
                return
            }
            try Repl.interactive(colour: Repl.wantsColour(noColor), startingWith: script, lessonDirectory: options.lessonDirectory)
        }

        /// Class mode with the student's progress written to --report and sent to --join's class
        /// after every line (also when input is piped, so that a script can take a lesson).
        func follow(_ script: LessonScript) throws {
            var link: ClassLink?
            if let join, let code, let student = name {
                // A malformed --join or --fingerprint is a bad option (64); a class that cannot be
                // reached or refuses the code is a failure (1).
                let made: ClassLink
                do {
                    made = try ClassLink(url: join, verify: !insecure, fingerprint: fingerprint)
                } catch {
                    throw ValidationError("--join: \(error)")
                }
                do {
                    try made.join(code: code, name: student)
                    made.startPolling()
                    link = made
                    warn("joined the class at \(join) as \(student): your teacher sees your progress")
                } catch {
                    warn("error: \(error)")
                    throw ExitCode(1)
                }
            }
            var started = Date()
            let file = report
            var failed = false
            try Repl.interactive(colour: Repl.wantsColour(noColor), startingWith: script, lessonDirectory: options.lessonDirectory) { run in
                let result = LessonReport(run, started: started, finished: run.mode == .finished ? Date() : nil)
                if let file {
                    do {
                        try result.json.write(to: URL(fileURLWithPath: file), options: .atomic)
                    } catch {
                        if !failed { warn("error: cannot write \(file): \(error.localizedDescription)") }
                        failed = true
                    }
                }
                link?.report(result)
            } follow: {
                // The teacher started another lesson: the student follows, as the class's browsers do.
                guard let name = link?.takePending() else { return nil }
                do {
                    let next = try LessonScript.load(path: LessonRunner.resolve(name, in: options.lessonDirectory))
                    warn("(the teacher started the lesson \(name))")
                    started = Date()
                    return next
                } catch {
                    warn("(the teacher started the lesson \(name), which is not in \(options.lessonDirectory): \(error))")
                    return nil
                }
            }
            link?.stop()
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the lessons in the order a course takes them.")
        @OptionGroup var options: Options
        func run() throws {
            let names = LessonRunner.lessons(in: options.lessonDirectory)
            let nameWidth = (names.map(\.count).max() ?? 25) + 2
            for name in names {
                let path = options.lessonDirectory + "/" + name + ".h2lab"
                let title = (try? LessonScript.load(path: path))?.title ?? "(does not parse: `h2lab lesson check \(name)` says why)"
                print(LessonRunner.listLine(name: name, title: title, nameWidth: nameWidth))
            }
        }
    }

    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run a lesson straight through and print its transcript.")
        @OptionGroup var options: Options
        @Argument(help: "The lesson's name (see `h2lab lesson list`) or a path to a .h2lab file.")
        var name: String
        @Flag(help: "Write the transcript as the new golden file (never when the lesson fails).")
        var update = false

        func run() throws {
            let script = try options.load(name)
            do {
                let transcript = try LessonRunner.run(script)
                print(transcript, terminator: "")
                if update {
                    let out = options.transcriptPath(script)
                    do {
                        try FileManager.default.createDirectory(atPath: URL(fileURLWithPath: out).deletingLastPathComponent().path,
                                                                withIntermediateDirectories: true)
                        try Data(transcript.utf8).write(to: URL(fileURLWithPath: out))
                    } catch {
                        warn("error: cannot write \(out): \(error.localizedDescription)")
                        throw ExitCode(1)
                    }
                    warn("wrote \(out)")
                }
            } catch let error as LessonError {
                // What ran, up to the failure; then FILE:LINE.
                print(error.transcriptSoFar, terminator: "")
                fflush(nil)
                warn("error: \(error)" + (update ? " (the golden transcript was left as it was)" : ""))
                throw ExitCode(1)
            }
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run lessons and compare each with its golden transcript: every expect, exercise and prediction is checked.")
        @OptionGroup var options: Options
        @Argument(help: "Lesson files or names (default: every lesson). A file outside the lessons folder needs no transcript.")
        var names: [String] = []

        func run() throws {
            var passed = 0, failed = 0
            let targets = names.isEmpty ? LessonRunner.lessons(in: options.lessonDirectory) : names
            for name in targets {
                do {
                    let path = try LessonRunner.resolve(name, in: options.lessonDirectory)
                    let script = try LessonScript.load(path: path)
                    let transcript = try LessonRunner.run(script)
                    let golden = options.transcriptPath(script)
                    let inFolder = URL(fileURLWithPath: path).deletingLastPathComponent().standardized.path
                        == URL(fileURLWithPath: options.lessonDirectory).standardized.path
                    guard let expected = FileManager.default.contents(atPath: golden).map({ String(decoding: $0, as: UTF8.self) }) else {
                        if inFolder {
                            failed += 1
                            print("DIFFERS  \(script.name): no golden transcript \(golden) (`h2lab lesson run \(script.name) --update` writes it)")
                        } else {
                            passed += 1
                            print("ok       \(path) (runs, and every expect, exercise and prediction holds; no golden transcript)")
                        }
                        continue
                    }
                    if expected == transcript {
                        passed += 1
                        print("ok       \(script.name)")
                    } else {
                        failed += 1
                        print("DIFFERS  \(script.name): " + firstDifference(expected, transcript))
                    }
                } catch {
                    failed += 1
                    print("FAILED   \(error)")
                }
            }
            print("\(passed) passed, \(failed) failed")
            if failed > 0 { throw ExitCode(1) }
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
