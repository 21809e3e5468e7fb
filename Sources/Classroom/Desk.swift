import Engine
import Foundation
import Lessons

/// One person's place in the class: their own lab (a lesson in class mode, or the `lab>` prompt
/// after it), what their screen has printed so far, and the limits that keep one student from
/// slowing the class. The teacher has a desk too (their own lab, for the projector).
///
/// Every command goes through the same interpreter and class mode as the terminal's (`ClassRun`,
/// `Session`), with the classroom's capabilities (no network, no files written): the page shows
/// exactly what the terminal prints, without colour.
final class Desk: @unchecked Sendable {
    enum Role: String { case student, teacher, terminal }

    /// Limits per desk (DESIGN.md: a named limit, one place that checks it).
    struct Limits {
        /// Lines of output kept for a reload of the page (oldest dropped first, said on the page).
        var outputLines = 3_000
        /// Lines one command may print (the rest is cut, said in the output).
        var commandLines = 600
        /// Steps `back` can reach, and transcript lines the interpreter keeps.
        var snapshots = 400
        var transcriptLines = 2_000
        /// The most deliveries one `continue` or `repeat` makes.
        var deliveries = 2_000
        /// Commands: a burst of `burst`, then `perSecond`.
        var burst = 20.0
        var perSecond = 10.0
        /// Characters in a command line.
        var lineLength = 2_000
        /// Frames a lab may hold, delivered (its log) and waiting on the wire: past this, only
        /// commands that look, go back, go on in the lesson or `reconnect` (a fresh lab) run.
        var frames = 20_000
        /// Octets a lab's two ends may put on the wire before `reconnect` (Session.octetLimit):
        /// one line (`repeat 10000 send … block=16777216*00`) once asked for 160 GiB.
        var octets = 16 << 20
        static let standard = Limits()
    }

    let id: String
    let name: String
    let role: Role
    let csrf: String
    let limits: Limits
    let lock = NSLock()
    var run: ClassRun?
    /// The lab at the `lab>` prompt (before a lesson is chosen, and after one ends).
    var free: Session
    var output: [String] = []
    var droppedLines = 0
    /// The last command (the roster's idle time).
    var lastSeen: Double
    /// The last request of any kind from this desk's session (a page open on it polls): a desk
    /// without one for the classroom's `studentTimeout` is the desk of a student who left.
    var lastContact: Double
    var tokens: Double
    var tokensAt: Double
    /// The lesson's folder (the only files a student's lab may read).
    let folder: String
    /// The paths `redact` takes out, for the lesson they were made for.
    var redaction: Redaction?

    init(id: String, name: String, role: Role, csrf: String, folder: String, now: Double, limits: Limits = .standard) {
        self.id = id
        self.name = name
        self.role = role
        self.csrf = csrf
        self.folder = folder
        self.limits = limits
        self.lastSeen = now
        self.lastContact = now
        self.tokens = limits.burst
        self.tokensAt = now
        free = Self.session(folder: folder, limits: limits)
    }

    static func session(folder: String, limits: Limits) -> Session {
        var session = Session(palette: .plain, directory: folder)
        session.capabilities = .classroom
        session.deliveryLimit = limits.deliveries
        session.octetLimit = limits.octets
        return session
    }

    /// Starts `script` from its beginning (the teacher chose it).
    func begin(_ script: LessonScript, now: Double) -> [String] {
        lock.withLock {
            var run = ClassRun(script: script, session: Self.session(folder: script.folder, limits: limits))
            let started = run.start()
            self.run = run
            let lines = redact(started)
            if run.mode == .finished { free = run.session }
            append(["", "(the teacher started the lesson \(script.name))"] + lines)
            return lines
        }
    }

    var prompt: String {
        if let run, run.mode != .finished { return run.prompt }
        return "lab> "
    }

    /// Takes one token of the command rate; false when the desk is over its rate.
    func admit(now: Double) -> Bool {
        lock.withLock {
            tokens = min(limits.burst, tokens + (now - tokensAt) * limits.perSecond)
            tokensAt = now
            lastSeen = now
            guard tokens >= 1 else { return false }
            tokens -= 1
            return true
        }
    }

    /// One line as typed at the class-mode prompt (or at `lab>`). `openThrough` is the last section
    /// the teacher has opened (nil: free).
    func command(_ line: String, openThrough: Int?) -> [String] {
        lock.withLock {
            let before = prompt
            var lines: [String]
            if let refusal = full(line) {
                lines = [refusal]
            } else if var current = run, current.mode != .finished {
                let goesOn = line.trimmingCharacters(in: .whitespaces).isEmpty
                if goesOn, current.atSectionEnd, let open = openThrough, current.sectionNumber >= open {
                    lines = ["  the teacher has not opened section \(current.sectionNumber + 1) yet: explore the lab meanwhile "
                             + "(any command), Enter again once it is open"]
                } else {
                    lines = current.input(line)
                    current.bound(snapshots: limits.snapshots, transcriptLines: limits.transcriptLines)
                    if current.mode == .finished { free = current.session }
                    run = current
                }
            } else {
                lines = freeCommand(line)
            }
            lines = redact(lines)
            if lines.count > limits.commandLines {
                let cut = lines.count - limits.commandLines
                lines = Array(lines.prefix(limits.commandLines)) + ["  … \(cut) more lines not shown (the classroom shows \(limits.commandLines) per command)"]
            }
            append([before + line] + lines)
            return lines
        }
    }

    /// The refusal of a command that would add frames to a lab that holds `limits.frames` already.
    func full(_ line: String) -> String? {
        let lab = (run.flatMap { $0.mode == .finished ? nil : $0.session.lab }) ?? free.lab
        guard lab.log.count + lab.state.toServer.count + lab.state.toClient.count >= limits.frames else { return nil }
        switch CommandParser.parse(line) {
        case .success(nil), .failure:
            return nil
        case .success(let command?):
            // What may add frames is the session's rule (the same as for its octet bound).
            if !Session.mayAddFrames(command) { return nil }
            // An answer to a prediction or an exercise's word is not a command: class mode takes it.
            if let run, run.mode == .prediction || run.mode == .exercise, line.count <= 8 { return nil }
            return "  your lab holds \(limits.frames) frames, the classroom's most: `reconnect` starts a new connection "
                + "(or Enter goes on in the lesson)"
        }
    }

    /// A line at the `lab>` prompt: the REPL's behaviour, with the classroom's refusals.
    func freeCommand(_ line: String) -> [String] {
        if case .success(let command?) = CommandParser.parse(line) {
            switch command {
            case .lesson(let name) where !(name.contains("/") || name.hasSuffix(".h2lab")):
                return ["  in the classroom the teacher chooses the lesson"]
            case .quit:
                return ["  the classroom has no `quit`: close the page (your lab stays until the class ends)"]
            default: break
            }
        }
        let output = free.execute(line)
        free.bound(snapshots: limits.snapshots, transcriptLines: limits.transcriptLines)
        var lines = output.lines
        if let error = output.error { lines.append("error: " + error.message + (error.hint.map { "  (\($0))" } ?? "")) }
        return lines
    }

    /// The server's paths out of what a student's screen shows (`Redaction`), made again only when
    /// the lesson changes: making them reads the disk (symbolic links).
    func redact(_ lines: [String]) -> [String] {
        let script = run?.script
        if let made = redaction, made.lesson == script?.path { return made.apply(lines) }
        let made = Redaction(script: script, folder: folder)
        redaction = made
        return made.apply(lines)
    }

    func append(_ lines: [String]) {
        output += lines
        let excess = output.count - limits.outputLines
        if excess > 0 {
            output.removeFirst(excess)
            droppedLines += excess
        }
    }

    /// The lab the views draw: the lesson's, or the free one.
    var lab: Lab {
        lock.withLock {
            if let run, run.mode != .finished { return run.session.lab }
            return free.lab
        }
    }
}

/// The server's paths out of what a student's screen shows: the lesson's file becomes its name
/// (`05-multiplexing:12: …` for a lesson's own line that failed), a file of the lesson's folder its
/// name in it (`cannot read x.txt: looked for x.txt, …`). The class's own log, on the teacher's
/// terminal, may say where things are; a page shown to the class never does.
struct Redaction {
    /// The lesson file's path these were made for (nil: the lab before any lesson).
    let lesson: String?
    /// Each path, what it becomes, and its octets if it is ASCII: an ASCII path is found octet for
    /// octet; any other by Foundation's search, which also finds it in another Unicode form.
    let replacements: [(path: String, shown: String, ascii: [UInt8]?)]

    init(script: LessonScript?, folder: String) {
        lesson = script?.path
        var pairs: [(String, String)] = []
        if let script {
            pairs.append((script.path, script.name))
            pairs.append((URL(fileURLWithPath: script.path).standardized.path, script.name))
            pairs.append((script.folder + "/", ""))
        }
        for place in [folder, URL(fileURLWithPath: folder).resolvingSymlinksInPath().path] where place.count > 1 {
            pairs.append((place + "/", ""))
            pairs.append((place, "the lesson folder"))
        }
        replacements = pairs.filter { !$0.0.isEmpty }.map { path, shown in
            (path, shown, path.utf8.allSatisfy { $0 < 0x80 } ? Array(path.utf8) : nil)
        }
    }

    func apply(_ lines: [String]) -> [String] {
        lines.map { line in
            guard line.utf8.contains(UInt8(ascii: "/")) else { return line }
            var line = line
            for (path, shown, ascii) in replacements where ascii.map({ OctetSearch.contains($0, in: line) }) ?? line.contains(path) {
                line = line.replacingOccurrences(of: path, with: shown)
            }
            return line
        }
    }
}
