import Foundation
@testable import Engine

/// The package root, found from this file's path (Tests/EngineTests/TestSupport.swift).
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// The part of the hpack-test-case corpus carried in the repository (Tests/Corpus, MIT-licensed).
let corpusRoot = packageRoot.appendingPathComponent("Tests/Corpus/hpack-test-case")

func hex(_ text: String) -> [UInt8] { Hex.decode(text) ?? [] }

func fields(_ pairs: [(String, String)]) -> [HeaderField] { pairs.map { HeaderField($0.0, $0.1) } }

/// Runs a program with arguments and stdin; returns (status, stdout, stderr).
func run(_ executable: String, _ arguments: [String], input: Data = Data()) throws -> (Int32, String, String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [executable] + arguments
    let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
    process.standardInput = stdin
    process.standardOutput = stdout
    process.standardError = stderr
    try process.run()
    // A peer that exits before reading its input (a missing module, say) must give a failing
    // result with its stderr, not a crash of the test process on a broken pipe.
    signal(SIGPIPE, SIG_IGN)
    try? stdin.fileHandleForWriting.write(contentsOf: input)
    try? stdin.fileHandleForWriting.close()
    let out = stdout.fileHandleForReading.readDataToEndOfFile()
    let err = stderr.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
}
