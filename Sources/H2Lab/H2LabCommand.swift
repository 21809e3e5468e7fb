import ArgumentParser
import Engine
import Foundation
import Lessons

@main
struct H2LabCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "h2lab",
        abstract: "An HTTP/2 teaching simulator and step-through debugger.",
        discussion: "With no subcommand, opens the REPL on an in-memory lab: our HTTP/2 client and our server, a wire between them.",
        version: h2labVersion,
        subcommands: [Repl.self, LessonCommand.self, Serve.self, Get.self, Proxy.self, Check.self, PanelCommand.self, ClassCommand.self, Convert.self, Decode.self, HPACKCommand.self, Bench.self],
        defaultSubcommand: Repl.self
    )
}

/// Prints to standard error.
func warn(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Reads a whole file or standard input ("-").
func readInput(_ path: String?) throws -> Data {
    if path == nil || path == "-" { return FileHandle.standardInput.readDataToEndOfFile() }
    guard let path, let data = FileManager.default.contents(atPath: path) else {
        throw ValidationError("cannot read \(path ?? "-")")
    }
    return data
}

/// Where the lessons are: H2LAB_LESSONS if set; the `lessons` folder of the current directory or
/// of the checkout the executable was built in; or the installed one, `../share/h2lab/lessons`
/// beside the executable (scripts/install and the Debian package put them there).
func defaultLessonDirectory() -> String {
    if let set = ProcessInfo.processInfo.environment["H2LAB_LESSONS"], !set.isEmpty { return set }
    let fm = FileManager.default
    if fm.fileExists(atPath: "lessons") { return fm.currentDirectoryPath + "/lessons" }
    let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    let installed = executable.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("share/h2lab/lessons")
    if fm.fileExists(atPath: installed.path) { return installed.path }
    return projectFolder(containing: "lessons") + "/lessons"
}

/// The project folder that holds `lessons/` and `transcripts/`: the current directory, or the
/// checkout the executable was built in.
func projectFolder(containing name: String) -> String {
    let fm = FileManager.default
    if fm.fileExists(atPath: name) { return fm.currentDirectoryPath }
    var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    for _ in 0..<5 {
        if fm.fileExists(atPath: url.appendingPathComponent(name).path) { return url.path }
        url.deleteLastPathComponent()
    }
    return fm.currentDirectoryPath
}
