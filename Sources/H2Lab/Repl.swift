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

    @Option(name: .long, help: "Run the commands in FILE instead of reading them interactively.")
    var script: String?

    @Flag(name: .long, help: "No colour (also when NO_COLOR is set or output is not a terminal).")
    var noColor = false

    func run() throws {
        let colour = !noColor && ProcessInfo.processInfo.environment["NO_COLOR"] == nil && isatty(STDOUT_FILENO) == 1
        var session = Session(palette: Palette(enabled: colour))
        session.connector = { try SocketPeer.connect($0) }
        session.listener = { try SocketPeer.listen($0, announce: $1, interrupted: $2) }
        signal(SIGPIPE, SIG_IGN)
        if let script {
            try runScript(script, &session)
            return
        }
        signal(SIGINT) { _ in interruptFlag = 1 }
        let interactive = isatty(STDIN_FILENO) == 1
        print(session.renderer.palette.bold(Session.banner))
        let history = (ProcessInfo.processInfo.environment["HOME"] ?? ".") + "/.h2lab_history"
        if interactive {
            h2lab_rl_set_name("h2lab")
            h2lab_rl_set_completer(completionGenerator)
            _ = read_history(history)
        }
        while true {
            guard let line = interactive ? readInteractive() : readLine() else { break }
            if !interactive { print("lab> " + line) }
            interruptFlag = 0
            let output = session.execute(line, interrupted: { interruptFlag != 0 }, live: Self.printNow)
            for text in output.lines { print(text) }
            if let error = output.error { print(session.renderer.palette.error("error: " + error.message) + (error.hint.map { "  (\($0))" } ?? "")) }
            fflush(nil)  // stdout may be a pipe: what a command printed shows before the next one waits
            if output.quit { break }
        }
        if interactive { _ = write_history(history) }
    }

    /// Output that cannot wait for its command to end (a live browser's frames), printed at once.
    static let printNow: @Sendable ([String]) -> Void = { lines in
        for text in lines { print(text) }
        fflush(nil)  // all output streams: stdout may be a pipe or a file
    }

    func readInteractive() -> String? {
        guard let raw = readline("lab> ") else {
            print("")
            return nil
        }
        defer { free(raw) }
        let line = String(cString: raw)
        if !line.trimmingCharacters(in: .whitespaces).isEmpty { add_history(raw) }
        return line
    }

    func runScript(_ path: String, _ session: inout Session) throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read \(path)") }
        var failures = 0
        for (index, line) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if !line.trimmingCharacters(in: .whitespaces).isEmpty && !line.hasPrefix("#") { print("lab> " + line) }
            let output = session.execute(String(line), live: Self.printNow)
            for text in output.lines { print(text) }
            if let error = output.error {
                failures += 1
                warn("\(path):\(index + 1): \(error)")
            }
            if output.quit { break }
        }
        if failures > 0 { throw ExitCode(1) }
    }
}

/// Words the REPL completes: commands, frame types, setting names, error codes, paths, states.
let completionWords: [String] = {
    var words = CommandHelp.all.map(\.name) + ["client", "server", "conn", "on", "off", "raw", "body", "auto", "manual", "half", "eager",
                                               "streams", "hpack", "windows", "settings", "--tls", "--port", "frame", "wire", "history", "transcript", "json",
                                               "policy", "huffman", "index", "no-index", "never-index", "stream", "flag", "state", "error",
                                               "GET", "POST", "HEAD", "PUT", "DELETE"]
    words += FrameType.names + FrameType.names.map { $0.lowercased() }
    words += SettingID.allNames.map { $0 + "=" }
    words += ErrorCode.names + DemoSite.paths + StreamState.allCases.map { $0.rawValue.replacingOccurrences(of: " ", with: "-") }
    return Array(Set(words)).sorted()
}()

nonisolated(unsafe) var completionMatches: [String] = []

let completionGenerator: h2lab_completion_generator = { text, state in
    guard let text else { return nil }
    if state == 0 {
        let prefix = String(cString: text)
        completionMatches = completionWords.filter { $0.hasPrefix(prefix) }
    }
    guard Int(state) < completionMatches.count else { return nil }
    return strdup(completionMatches[Int(state)])
}
