import Foundation

let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let corpus = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/hpack-test-case").path

/// The `h2lab` built beside this test bundle.
let h2lab: String = {
    let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("h2lab").path
    if FileManager.default.isExecutableFile(atPath: beside) { return beside }
    return packageRoot.appendingPathComponent(".build/debug/h2lab").path
}()

struct Run {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs a program with arguments and standard input, with a time limit.
func run(_ program: String, _ arguments: [String], input: String = "", environment: [String: String] = [:],
         directory: String? = nil, timeout: TimeInterval = 60, capture: Bool = true) throws -> Run {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: program.hasPrefix("/") ? program : "/usr/bin/env")
    process.arguments = program.hasPrefix("/") ? arguments : [program] + arguments
    var env = ProcessInfo.processInfo.environment
    env.merge(environment) { $1 }
    process.environment = env
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
    process.standardInput = stdin
    // A program that leaves a daemon behind (tmux) must not inherit our pipes, or reading never ends.
    process.standardOutput = capture ? stdout : FileHandle.nullDevice
    process.standardError = capture ? stderr : FileHandle.nullDevice
    try process.run()
    stdin.fileHandleForWriting.write(Data(input.utf8))
    try stdin.fileHandleForWriting.close()
    let deadline = Date().addingTimeInterval(timeout)
    let out = Box(), err = Box()
    let group = DispatchGroup()
    if capture {
        group.enter()
        DispatchQueue.global().async { out.data = stdout.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        group.enter()
        DispatchQueue.global().async { err.data = stderr.fileHandleForReading.readDataToEndOfFile(); group.leave() }
    }
    while process.isRunning && Date() < deadline { usleep(10_000) }
    if process.isRunning { process.terminate() }
    process.waitUntilExit()
    group.wait()
    return Run(status: process.terminationStatus, stdout: String(decoding: out.data, as: UTF8.self),
               stderr: String(decoding: err.data, as: UTF8.self))
}

/// Written by one reader thread, read after `group.wait()`.
final class Box: @unchecked Sendable {
    var data = Data()
}
