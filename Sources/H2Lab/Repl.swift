import ArgumentParser
import CReadline
import Engine
import Foundation
import Lessons

/// Set by the SIGINT handler; polled by long runs. Ctrl-C interrupts a run, never the program.
nonisolated(unsafe) var interruptFlag: sig_atomic_t = 0

struct Repl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repl", abstract: "Step through HTTP/2 frame by frame (the default).")

    @Option(name: .long, help: "Run the commands in FILE (- for standard input) instead of reading them interactively.")
    var script: String?

    @Flag(name: .long, help: "No colour (also when NO_COLOR is set or output is not a terminal).")
    var noColor = false

    func run() throws {
        if let script {
            var session = Self.makeSession(colour: false, directory: FileManager.default.currentDirectoryPath)
            signal(SIGPIPE, SIG_IGN)
            // Ctrl-C stops a waiting `listen` or `continue`, then the script, cleanly. (A parent may
            // have started us with SIGINT blocked, and a blocked mask is inherited: unblock it.)
            signal(SIGINT) { _ in interruptFlag = 1 }
            var signals = sigset_t()
            sigemptyset(&signals)
            sigaddset(&signals, SIGINT)
            pthread_sigmask(SIG_UNBLOCK, &signals, nil)
            try runScript(script, &session)
            return
        }
        try Self.interactive(colour: Self.wantsColour(noColor), startingWith: nil, lessonDirectory: defaultLessonDirectory())
    }

    static func wantsColour(_ noColor: Bool) -> Bool {
        !noColor && ProcessInfo.processInfo.environment["NO_COLOR"] == nil && isatty(STDOUT_FILENO) == 1
    }

    static func makeSession(colour: Bool, directory: String) -> Session {
        var session = Session(palette: Palette(enabled: colour), directory: directory)
        session.connector = { try SocketPeer.connect($0) }
        session.listener = { try SocketPeer.listen($0, announce: $1, interrupted: $2) }
        return session
    }

    /// The REPL reading from the terminal (or a pipe): `lab>` commands, and `lesson NAME` in class
    /// mode, where the lesson's prompt takes over until it ends or Ctrl-C leaves it.
    /// `observe` sees the lesson after every line the class types (and when it starts and when
    /// Ctrl-C leaves it): `lesson --report` and `--join` follow the student's progress through it.
    /// `follow`, asked after every line read, gives a lesson the class has moved to: it starts in
    /// place of the line (`lesson --join`: the teacher chose another lesson).
    static func interactive(colour: Bool, startingWith start: LessonScript?, lessonDirectory: String,
                            observe: ((ClassRun) -> Void)? = nil, follow: (() -> LessonScript?)? = nil) throws {
        var state = ReplState(session: makeSession(colour: colour, directory: FileManager.default.currentDirectoryPath),
                              colour: colour, lessonDirectory: lessonDirectory, observe: observe)
        signal(SIGPIPE, SIG_IGN)
        signal(SIGINT) { _ in interruptFlag = 1 }
        let interactive = isatty(STDIN_FILENO) == 1
        let history = (ProcessInfo.processInfo.environment["HOME"] ?? ".") + "/.h2lab_history"
        if interactive {
            h2lab_rl_set_name("h2lab")
            h2lab_rl_set_completer(completionGenerator)
            completionLessons = LessonRunner.lessons(in: lessonDirectory)
            h2lab_rl_set_event_hook(readlineEventHook)
            _ = read_history(history)
        }
        if let start {
            state.begin(start)
        } else {
            print(state.session.renderer.palette.bold(Session.banner))
        }
        while true {
            let prompt = state.lesson?.prompt ?? "lab> "
            interruptFlag = 0
            // Live frames at the prompt: the hook works on the session while readline waits.
            IdleSession.current.session = interactive && state.lesson == nil && state.session.isLive ? state.session : nil
            let read = interactive ? readInteractive(prompt) : readLine()
            if let idle = IdleSession.current.session {
                state.session = idle
                IdleSession.current.session = nil
            }
            guard let line = read else { break }
            if !interactive { print(prompt + line) }
            if let next = follow?() {
                state.begin(next)
                continue
            }
            if interruptFlag != 0 {
                // Ctrl-C at a prompt: leave the lesson (if one runs), or just start a fresh line.
                state.leaveLesson()
                continue
            }
            if state.handle(line, interactive: interactive) { break }
        }
        if interactive { _ = write_history(history) }
    }

    /// Output that cannot wait for its command to end (a live browser's frames), printed at once.
    static let printNow: @Sendable ([String]) -> Void = { lines in
        for text in lines { print(text) }
        fflush(nil)  // all output streams: stdout may be a pipe or a file
    }

    /// One line from readline; nil at end of input. After Ctrl-C, `interruptFlag` is set and the
    /// partial line is returned (the caller drops it).
    static func readInteractive(_ prompt: String) -> String? {
        guard let raw = readline(prompt) else {
            print("")
            return nil
        }
        defer { free(raw) }
        let line = String(cString: raw)
        if interruptFlag != 0 {
            print("")
            return line
        }
        if !line.trimmingCharacters(in: .whitespaces).isEmpty { add_history(raw) }
        return line
    }

    func runScript(_ path: String, _ session: inout Session) throws {
        // "-" (or /dev/stdin, which FileManager cannot read when it is a pipe) reads standard input.
        let data = path == "-" || path == "/dev/stdin" ? FileHandle.standardInput.readDataToEndOfFile()
            : FileManager.default.contents(atPath: path)
        guard let data else { throw ValidationError("cannot read \(path)") }
        var failures = 0
        for (index, line) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if !line.trimmingCharacters(in: .whitespaces).isEmpty && !line.hasPrefix("#") { print("lab> " + line) }
            let output = session.execute(String(line), interrupted: { interruptFlag != 0 }, live: Self.printNow)
            for text in output.lines { print(text) }
            // Errors go to stderr, after this command's output: flush so a shared terminal or file
            // keeps them in order.
            fflush(nil)
            if let error = output.error {
                failures += 1
                warn("\(path):\(index + 1): \(error)")
            } else if let failure = output.failure {
                failures += 1
                warn("\(path):\(index + 1): \(failure)")
            }
            if output.quit { break }
            if interruptFlag != 0 {
                warn("\(path):\(index + 1): interrupted (Ctrl-C); the rest of the script is skipped")
                throw ExitCode(130)
            }
        }
        if failures > 0 { throw ExitCode(1) }
    }
}

/// The session the prompt belongs to, for the event hook (readline's thread is the REPL's: the hook
/// runs only while the loop waits in readline, never beside it).
final class IdleSession: @unchecked Sendable {
    var session: Session?
    static let current = IdleSession()
}

/// While readline waits for a key: Ctrl-C (which sets `interruptFlag`) ends the wait; what a live
/// peer sent meanwhile is printed above the prompt, the line being typed kept as it was.
let readlineEventHook: h2lab_event_hook = {
    if interruptFlag != 0 { h2lab_rl_finish_line() }
    if var session = IdleSession.current.session {
        let lines = session.idle()
        IdleSession.current.session = session
        if !lines.isEmpty { h2lab_rl_print_above(lines.map { $0 + "\n" }.joined()) }
    }
    return 0
}

/// The lessons `lesson NAME` completes (set when the REPL starts).
nonisolated(unsafe) var completionLessons: [String] = []
nonisolated(unsafe) var completionMatches: [String] = []
nonisolated(unsafe) var completingPath = false

/// Tab: the words that may come next where the cursor is (Lessons' `Completion`), or file paths
/// after `@` and `save transcript|json`, which readline completes.
let completionGenerator: h2lab_completion_generator = { text, state in
    guard let text else { return nil }
    if state == 0 {
        let word = String(cString: text)
        var before = ""
        if let buffer = h2lab_rl_line_buffer() {
            let bytes = Array(String(cString: buffer).utf8.prefix(max(0, Int(h2lab_rl_point()))))
            before = String(decoding: bytes.dropLast(word.utf8.count), as: UTF8.self)
        }
        completingPath = Completion.wantsPath(before: before)
        if !completingPath {
            let lower = word.lowercased()
            completionMatches = Completion.candidates(before: before, lessons: completionLessons)
                .filter { $0.lowercased().hasPrefix(lower) }
            // Words ending in `=` or `:` go on at once; others take a space.
            h2lab_rl_set_append_character(completionMatches.count == 1 && (completionMatches[0].hasSuffix("=") || completionMatches[0].hasSuffix(":")) ? 0 : 32)
        }
    }
    if completingPath { return rl_filename_completion_function(text, state) }
    guard Int(state) < completionMatches.count else { return nil }
    return strdup(completionMatches[Int(state)])
}

/// What the REPL keeps between lines: the lab's session, and the lesson that runs in class mode,
/// if one does (its prompt takes over until it ends or Ctrl-C leaves it).
struct ReplState {
    var session: Session
    var lesson: ClassRun?
    let colour: Bool
    let lessonDirectory: String
    /// Sees the lesson after every line, and when it starts and is left (`--report`, `--join`).
    let observe: ((ClassRun) -> Void)?

    init(session: Session, colour: Bool, lessonDirectory: String, observe: ((ClassRun) -> Void)?) {
        self.session = session
        self.colour = colour
        self.lessonDirectory = lessonDirectory
        self.observe = observe
    }

    /// Starts a lesson in class mode on a fresh lab of its own.
    mutating func begin(_ script: LessonScript) {
        var fresh = Repl.makeSession(colour: colour, directory: script.folder)
        fresh.deliveryLimit = session.deliveryLimit
        var run = ClassRun(script: script, session: fresh)
        Repl.printNow(run.start())
        observe?(run)
        lesson = run.mode == .finished ? nil : run
        if lesson == nil { session = run.session }
    }

    /// Ctrl-C at a prompt: the lesson is left, its lab kept as the REPL's.
    mutating func leaveLesson() {
        guard let run = lesson else { return }
        Repl.printNow(run.leaving)
        observe?(run)
        session = run.session
        lesson = nil
    }

    /// One line typed: `clear`, a line for the running lesson, `lesson NAME`, or a command for the
    /// lab. True when the REPL should end (`quit`).
    mutating func handle(_ line: String, interactive: Bool) -> Bool {
        if case .success(.clear?) = CommandParser.parse(line) {
            // Home and erase: the screen only; the lab and any lesson go on as they were.
            if interactive { print("\u{1b}[H\u{1b}[2J", terminator: "") }
            return false
        }
        if var run = lesson {
            Repl.printNow(run.input(line, interrupted: { interruptFlag != 0 }))
            observe?(run)
            if run.mode == .finished {
                session = run.session
                lesson = nil
            } else {
                lesson = run
            }
            return false
        }
        if case .success(.lesson(let name)?) = CommandParser.parse(line) {
            do {
                begin(try LessonScript.load(path: LessonRunner.resolve(name, in: lessonDirectory)))
            } catch {
                print(session.renderer.palette.error("error: \(error)"))
            }
            return false
        }
        let output = session.execute(line, interrupted: { interruptFlag != 0 }, live: Repl.printNow)
        for text in output.lines { print(text) }
        if let error = output.error { print(session.renderer.palette.error("error: " + error.message) + (error.hint.map { "  (\($0))" } ?? "")) }
        fflush(nil)  // stdout may be a pipe: what a command printed shows before the next one waits
        return output.quit
    }
}
