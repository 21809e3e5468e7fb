import Foundation

/// What an interpreter may reach beyond its lab. The terminal has everything; the classroom's
/// students have only the lab in memory: the interpreter itself refuses a command that would open a
/// connection or touch the file system, so nothing depends on a web page hiding a button.
public struct Capabilities: OptionSet, Hashable, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// `connect`, `listen`, `proxy` (and `reconnect` to a real server).
    public static let network = Capabilities(rawValue: 1 << 0)
    /// `save` writes files.
    public static let writeFiles = Capabilities(rawValue: 1 << 1)
    /// `body @FILE` and `request http1 FILE` may read outside the session's folder (the lesson's).
    public static let readAnyFile = Capabilities(rawValue: 1 << 2)
    /// `lesson FILE` with a path.
    public static let lessonFiles = Capabilities(rawValue: 1 << 3)

    public static let all: Capabilities = [.network, .writeFiles, .readAnyFile, .lessonFiles]
    /// The classroom's: the lab in memory and the lesson folder's own files, read only.
    public static let classroom: Capabilities = []
}

extension Session {
    /// Throws the refusal for a command this session may not run; nested commands (`repeat`) are
    /// checked when they run.
    func checkCapabilities(_ command: Command) throws {
        switch command {
        case .connect, .listen, .proxy:
            guard capabilities.contains(.network) else {
                throw CommandError("the classroom's lab runs in memory only: no connections to the network",
                                   hint: "run `h2lab` on your own computer to connect to real servers")
            }
        case .save:
            guard capabilities.contains(.writeFiles) else {
                throw CommandError("the classroom's lab writes no files", hint: "`show history` shows the frames so far")
            }
        case .lesson(let name) where name.contains("/") || name.hasSuffix(".h2lab"):
            guard capabilities.contains(.lessonFiles) else {
                throw CommandError("the classroom runs only the lessons of its own folder, by name")
            }
        default:
            break
        }
    }

    /// Whether `file` (relative to the session's folder) may be read: anywhere with `readAnyFile`,
    /// else only inside the folder (no `..` out of it, no absolute path elsewhere, no symlink out).
    func mayRead(_ url: URL) -> Bool {
        if capabilities.contains(.readAnyFile) { return true }
        let base = URL(fileURLWithPath: directory, isDirectory: true).standardizedFileURL.resolvingSymlinksInPath().path
        let target = url.standardizedFileURL.resolvingSymlinksInPath().path
        return target.hasPrefix(base.hasSuffix("/") ? base : base + "/")
    }
}

extension Session {
    /// Bounds what the session keeps of its past: at most `snapshots` steps for `back` and the
    /// last `transcriptLines` lines of its transcript. Returns whether anything was forgotten.
    @discardableResult
    public mutating func bound(snapshots: Int, transcriptLines: Int) -> Bool {
        let forgot = lab.forgetSnapshots(keeping: snapshots)
        let excess = transcript.count - transcriptLines
        if excess > 0 {
            transcript.removeFirst(excess)
            transcriptForgotten += excess
        }
        return forgot > 0 || excess > 0
    }
}
