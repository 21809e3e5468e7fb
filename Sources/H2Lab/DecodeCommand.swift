import ArgumentParser
import Engine
import Foundation
import Lessons

struct Decode: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Decode hex bytes into HTTP/2 frames, field by field (and their HPACK header blocks).",
        discussion: "Reads HEX from the argument, --file, or standard input. Spaces, newlines and colons are ignored.")

    @Argument(help: "The bytes in hex.")
    var hex: String?

    @Option(name: .long, help: "Read hex from FILE (- for standard input).")
    var file: String?

    func run() throws {
        let text = try hex ?? String(decoding: readInput(file), as: UTF8.self)
        guard let bytes = Hex.decode(text) else {
            warn("error: not hex: expected pairs of 0-9a-f (spaces, newlines and colons are allowed)")
            throw ExitCode(1)
        }
        let (items, leftover) = FrameDecoder.decodeAll(bytes)
        var decoder = HPACKDecoder()
        var failed = false
        for (index, (offset, item)) in items.enumerated() {
            let end = index + 1 < items.count ? items[index + 1].offset : bytes.count - leftover
            switch item {
            case .preface:
                print("offset \(offset): client connection preface (24 octets)")
            case .frame(let frame):
                print("offset \(offset): \(frame.type.name)" + (frame.streamID == 0 ? "" : " stream \(frame.streamID)") + ", \(end - offset) octets")
                for field in FrameLayout.describe(Array(bytes[offset..<end])) {
                    print("  " + "+\(field.offset)".padding(toLength: 6, withPad: " ", startingAt: 0) + field.name + ": " + field.meaning)
                }
                switch frame.payload {
                case .headers(let block, _), .pushPromise(_, let block):
                    if frame.endHeaders {
                        do {
                            let decoded = try decoder.decodeReporting(block)
                            for f in decoded.fields { print("      \(f.field.name): \(f.field.value)   (\(f.representation))") }
                        } catch {
                            print("      HPACK error: \(error) (\(error.section))")
                            failed = true
                        }
                    }
                default: break
                }
            case .malformed(let error, let header):
                print("offset \(offset): error: \(error)" + (header.map { " in \($0.type.name) of \($0.length) octets" } ?? ""))
                failed = true
            }
        }
        if leftover > 0 {
            print("offset \(bytes.count - leftover): \(leftover) octets left over: an incomplete frame")
            failed = true
        }
        if items.isEmpty && leftover == 0 { print("no bytes") }
        if failed { throw ExitCode(1) }
    }
}

struct HPACKCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "hpack", abstract: "HPACK tools.", subcommands: [Check.self])

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Decode hpack-test-case story files and report each failing case.",
            discussion: "Prints one line per failing case (file, seqno, what differed) and a last line `N passed, M failed`.")

        @Argument(help: "Story files (JSON).")
        var files: [String]

        func run() throws {
            var passed = 0, failed = 0
            for file in files {
                do {
                    let story = try HPACKStory.parse(try readInput(file))
                    let result = story.checkDecoding()
                    for failure in result.failures { print("\(file): \(failure)") }
                    failed += result.failures.count
                    passed += result.cases - result.failures.count
                } catch {
                    print("\(file): cannot parse: \(error)")
                    failed += 1
                }
            }
            print("\(passed) passed, \(failed) failed")
            if failed > 0 { throw ExitCode(1) }
        }
    }
}
