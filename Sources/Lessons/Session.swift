import Foundation
import Engine

/// The interpreter of the command language over one lab. The REPL and the lesson runner both drive
/// it; everything it prints comes back as lines, so that a transcript is just those lines.
public struct Session: Sendable {
    public internal(set) var lab: Lab
    /// Breakpoints with the number each keeps for its life (as gdb does: deleting one renumbers none).
    public internal(set) var breakpoints: [(number: Int, breakpoint: Breakpoint)] = []
    var nextBreakpointNumber = 1
    public internal(set) var autoDeliver = false
    /// What `undo` can go back to, newest last (Session+Undo.swift).
    var undoPoints: [UndoPoint] = []
    public var renderer: Renderer
    /// Every command and its output, for `save transcript`.
    public internal(set) var transcript: [String] = []
    /// The most deliveries one `continue` makes (a runaway guard).
    public var deliveryLimit = 100_000
    /// The most octets the lab's two ends may put on the wire (nil: no bound). Past it only
    /// commands that look, check, go back or start a new connection run; checked before every
    /// command, each of `repeat`'s too, so one line cannot fill a shared server's memory.
    public var octetLimit: Int?
    /// Where relative paths (body @FILE, save) are resolved.
    public var directory: String
    /// What the session may reach beyond the lab (the classroom's students: nothing).
    public var capabilities: Capabilities = .all

    /// A real peer in the lab (`connect` makes it the server, `listen` the client): the executable
    /// supplies the transport.
    public var remote: RemotePeer? {
        didSet { peersGoneNoted = [] }
    }
    /// With `proxy`, the real server (`remote` is then the real client).
    public var upstream: RemotePeer? {
        didSet { peersGoneNoted = [] }
    }
    /// The real peers whose closing has been said.
    var peersGoneNoted: Set<Role> = []
    /// Opens a transport to a URL's server (set by the executable; lessons run without network).
    public var connector: (@Sendable (String) throws -> (peer: RemotePeer, authority: String))?
    /// Waits for one real client (set by the executable). It reports progress through `announce`
    /// at once (where to point a browser) and gives up when `interrupted` says so. `more` goes on
    /// accepting clients after the first (browsers open more than one connection).
    public var listener: (@Sendable (_ request: ListenRequest, _ announce: (String) -> Void,
                                     _ interrupted: @Sendable () -> Bool) throws -> (peer: RemotePeer, name: String, more: RemoteAcceptor?))?

    /// The other connections of a `listen` or `proxy`, by number; the current one is `lab`.
    var parked: [Int: Attachment] = [:]
    /// The current connection's number (1 unless `listen` or `proxy` accepted more).
    public internal(set) var connectionNumber = 1
    /// The highest connection number given so far.
    var connectionCount = 1
    /// Accepts further clients after the first, and what to make of each.
    var accepting: (acceptor: RemoteAcceptor, mode: AcceptMode)?

    /// Where output goes while a command runs (the REPL prints it at once: a live browser's frames
    /// appear as they arrive); nil collects everything into the command's `Output`.
    var live: (@Sendable ([String]) -> Void)?
    /// Lines of the running command already handed to `live`.
    var liveLines: [String] = []

    public struct Output: Sendable {
        public var lines: [String] = []
        public var error: CommandError?
        /// An `expect` that did not hold: what was expected and what is there.
        public var failure: ExpectationFailure?
        public var quit = false
        /// The command run, when it parsed (the REPL starts class mode on `lesson`).
        public var command: Command?
    }

    public init(lab: Lab = Lab(), palette: Palette = .plain, directory: String = FileManager.default.currentDirectoryPath) {
        self.lab = lab
        self.renderer = Renderer(palette: palette)
        self.directory = directory
    }

    public static let banner = "H2Lab: an HTTP/2 client and server in memory, nothing sent yet. `help` lists commands; "
        + "try `request GET /html`, then `step`."

    /// Runs one line. `interrupted` is polled during long runs (Ctrl-C). With `live`, output that is
    /// ready before the command ends (deliveries while frames flow, where to point a browser) is
    /// handed to it at once; `Output.lines` then holds only the rest. The transcript has it all.
    public mutating func execute(_ line: String, interrupted: @Sendable () -> Bool = { false },
                                 live: (@Sendable ([String]) -> Void)? = nil) -> Output {
        var output = Output()
        self.live = live
        liveLines = []
        defer { self.live = nil }
        switch CommandParser.parse(line) {
        case .success(nil):
            return output
        case .success(let command?):
            output.command = command
            do {
                // Run first, then format: `format(try run(...))` would copy `self` for the call before
                // `run` mutates it, and every snapshot append would then copy the whole history.
                let kept = undoPoints.count
                keepUndoPoint(before: command, line: line)
                let lines: [String]
                do {
                    lines = try run(command, interrupted: interrupted)
                } catch {
                    // A refused command changed nothing: nothing to undo for it.
                    if undoPoints.count > kept { undoPoints.removeLast() }
                    throw error
                }
                output.lines = format(lines)
                if command == .quit { output.quit = true }
            } catch let failure as ExpectationFailure {
                output.lines = format(["  ✗ " + failure.message])
                output.failure = failure
            } catch let error as CommandError {
                output.error = error
            } catch let error as UsageError {
                output.error = CommandError(error.message)
            } catch {
                output.error = CommandError("\(error)")
            }
        case .failure(let error):
            output.error = error
        }
        transcript.append("lab> " + line)
        transcript += liveLines + output.lines
        if let error = output.error { transcript.append("error: \(error)") }
        boundTranscript()
        return output
    }

    /// The most lines the transcript keeps (`save transcript`): a session attached to a peer that
    /// sends without pause prints without end. Past it the oldest tenth goes at once.
    public static let transcriptLimit = 200_000
    /// Lines forgotten from the start of the transcript.
    public internal(set) var transcriptForgotten = 0

    mutating func boundTranscript() {
        guard transcript.count > Self.transcriptLimit else { return }
        let excess = transcript.count - Self.transcriptLimit * 9 / 10
        transcript.removeFirst(excess)
        transcriptForgotten += excess
    }

    /// Adds lines to the transcript that no command printed: class mode's results and score.
    public mutating func record(_ lines: [String]) {
        transcript += lines.map(Palette.plainText)
        boundTranscript()
    }

    func format(_ lines: [String]) -> [String] { lines.map(Self.trimTrailingSpaces).flatMap(renderer.wrap) }

    /// Hands `lines` to the live output, if there is one, and empties them.
    mutating func flush(_ lines: inout [String]) {
        guard let live, !lines.isEmpty else { return }
        let formatted = format(lines)
        live(formatted)
        liveLines += formatted
        lines = []
    }

    static func trimTrailingSpaces(_ line: String) -> String {
        var line = Substring(line)
        while line.last == " " { line.removeLast() }
        return String(line)
    }

    /// Whether a command may put frames on the wire (what `octetLimit` stops): all but looking,
    /// checking, going back and starting over.
    public static func mayAddFrames(_ command: Command) -> Bool {
        switch command {
        case .help, .quit, .clear, .undo, .say, .expect, .lesson, .show, .save, .back, .listBreaks, .addBreak, .deleteBreak,
             .reconnect, .reconnectWith:
            return false
        default:
            return true
        }
    }

    /// Runs one parsed command: each group of the language has its own file (Session+Acting,
    /// +Stepping, +Seeing, +Attach, +Connections).
    mutating func run(_ command: Command, interrupted: @Sendable () -> Bool) throws -> [String] {
        try checkCapabilities(command)
        if let limit = octetLimit, lab.state.sentOctets >= limit, Self.mayAddFrames(command) {
            throw CommandError("this lab has put \(lab.state.sentOctets) octets on the wire, the most here (\(limit))",
                               hint: "`reconnect` starts a new connection; `back` undoes steps")
        }
        switch command {
        case .help(let topic): return help(topic)
        case .quit, .clear: return []
        case .undo: return try undo()
        case .say(let text): return [text]
        case .expect(let expectation):
            if lab.state.relay != nil {
                // Its checks read the lab's own endpoints, which sit unused between two real peers.
                throw CommandError("expect checks the lab's own client and server; between two real peers there are none",
                                   hint: "`show streams`, `show hpack`, `show windows`, `show settings` show what H2Lab follows of both")
            }
            let verdict = verdict(of: expectation)
            guard verdict.holds else { throw ExpectationFailure(message: verdict.message) }
            return ["  ✓ " + verdict.message]
        case .lesson(let name):
            throw CommandError("`lesson \(name)` runs at the REPL prompt, in a terminal", hint: "or run `h2lab lesson \(name)`")
        case .connect, .listen, .proxy, .drop, .edit, .connection:
            return try attaching(command, interrupted)
        case .step, .next, .continueRun, .auto, .addBreak, .listBreaks, .deleteBreak, .back:
            return try stepping(command, interrupted)
        case .show, .save:
            return try seeing(command)
        default:
            return try acting(command, interrupted)
        }
    }

    /// Reads a file named in a command, relative to the session's folder.
    func readFile(_ file: String) throws -> [UInt8] {
        let url = URL(fileURLWithPath: file, relativeTo: URL(fileURLWithPath: directory, isDirectory: true))
        guard mayRead(url) else { throw CommandError("\(file) is outside the lesson's folder: the classroom reads only its files") }
        guard let data = FileManager.default.contents(atPath: url.path) else {
            let exists = FileManager.default.fileExists(atPath: url.path)
            throw CommandError("cannot read \(file): looked for \(url.standardized.path)" + (exists ? " (it exists but cannot be read)" : ", which does not exist"),
                               hint: "a file named in a command is read from the lesson's folder (at the prompt, the current folder)")
        }
        return Array(data)
    }

    /// Checks an expectation: against the lab, or, for `expect refused COMMAND`, by running the
    /// command on a copy of the session (this one changes in no way) and seeing it refused.
    public func verdict(of expectation: Expectation) -> Verdict {
        guard case .refused(let command, let text) = expectation else { return expectation.check(lab) }
        if let peer = lab.state.remote {
            return Verdict(holds: false, message: "expect refused runs a command on a copy of the lab; a real \(peer.role) cannot be copied")
        }
        var trial = self
        trial.live = nil
        do {
            _ = try trial.run(command, interrupted: { false })
        } catch let error as CommandError {
            return Verdict(holds: true, message: "`\(text)` is refused: \(error.message)")
        } catch let error as UsageError {
            return Verdict(holds: true, message: "`\(text)` is refused: \(error.message)")
        } catch {
            return Verdict(holds: true, message: "`\(text)` is refused: \(error)")
        }
        return Verdict(holds: false, message: "expected `\(text)` to be refused, the lab runs it")
    }
}
