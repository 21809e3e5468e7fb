import ArgumentParser
import Engine
import Foundation
import Lessons

struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert an HTTP/1.1 request into the HTTP/2 frames it becomes (RFC 9113 §8.3), readable, in binary and in hex.",
        discussion: "With --reverse, reads HTTP/2 frames as hex and prints the HTTP/1.1 form of the request they carry.")

    @Argument(help: "The request file (- or nothing for standard input).") var file: String?
    @Flag(help: "Read HTTP/2 frames (hex) and print the HTTP/1.1 request.") var reverse = false
    @Option(help: "The scheme for :scheme.") var scheme = "https"
    @Option(help: "The stream the request goes on (a client's streams are odd).", transform: Numbers.streamID.parse) var stream = 1
    @Option(help: "The peer's SETTINGS_MAX_FRAME_SIZE, which splits DATA.", transform: Numbers.frameSize.parse) var maxFrameSize = 16_384

    func run() throws {
        let input = Array(try readInput(file))
        if reverse { return try runReverse(input) }
        guard case .request(let request, _) = HTTP1Mapping.parseRequest(input + (input.contains(10) ? [] : [13, 10, 13, 10])) else {
            if case .invalid(let why) = HTTP1Mapping.parseRequest(input) { warn("error: not an HTTP/1.1 request: \(why)") }
            else { warn("error: the request head does not end (no blank line after the headers)") }
            throw ExitCode(1)
        }
        print("HTTP/1.1 request: \(request.method) \(request.target) \(request.version), \(request.fields.count) header fields, "
              + "\(request.body.count)-octet body")
        var encoder = HPACKEncoder()
        let (frames, block, notes) = HTTP1Mapping.frames(for: request, stream: UInt32(stream), scheme: scheme, encoder: &encoder, maxFrameSize: maxFrameSize)
        print("")
        print("Mapping (RFC 9113 §8.3):")
        print("  request line → :method \(request.method), :scheme \(scheme), :path \(request.method == "CONNECT" ? "(none)" : request.target)")
        for note in notes { print("  \(note.field): \(note.reason)") }
        for problem in HTTP1Mapping.problems(in: request) { print("  ✗ \(problem)") }
        for (index, frame) in frames.enumerated() {
            let bytes = FrameEncoder.encode(frame)
            print("")
            print("[Frame \(index + 1)] \(frame.type.name), \(bytes.count) octets")
            for field in FrameLayout.describe(bytes) {
                print("  " + field.name + ": " + field.meaning)
            }
            if index == 0 {
                print("  HPACK field by field:")
                for field in block.fields {
                    let octets = block.bytes[field.offset..<(field.offset + field.length)]
                    print("    \(field.field.name): \(field.field.value)")
                    print("      \(field.representation): " + Hex.encode(octets, separator: " "))
                }
            }
            print("  offset  hex                        binary")
            for start in stride(from: 0, to: bytes.count, by: 8) {
                let row = bytes[start..<min(start + 8, bytes.count)]
                let binary = row.map { String(repeating: "0", count: 8 - String($0, radix: 2).count) + String($0, radix: 2) }
                print("  " + String(start).padding(toLength: 8, withPad: " ", startingAt: 0)
                      + Hex.encode(row, separator: " ").padding(toLength: 27, withPad: " ", startingAt: 0) + binary.joined(separator: " "))
            }
        }
    }

    func runReverse(_ input: [UInt8]) throws {
        guard let bytes = Hex.decode(String(decoding: input, as: UTF8.self)) else {
            warn("error: --reverse reads frames as hex")
            throw ExitCode(1)
        }
        var decoder = HPACKDecoder()
        var block: [UInt8] = []
        var fields: [HeaderField]?
        var body: [UInt8] = []
        for (offset, item) in FrameDecoder.decodeAll(bytes).items {
            switch item {
            case .frame(let frame):
                switch frame.payload {
                case .headers(let b, _), .continuation(let b):
                    block += b
                    if frame.endHeaders {
                        do {
                            fields = try decoder.decode(block)
                        } catch {
                            warn("error: HPACK at offset \(offset): \(error) (\(error.section))")
                            throw ExitCode(1)
                        }
                        block = []
                    }
                case .data(let d): body += d
                default: break
                }
            case .malformed(let error, _):
                warn("error at offset \(offset): \(error)")
                throw ExitCode(1)
            case .preface: break
            }
        }
        guard let fields else {
            warn("error: no complete HEADERS frame in the input")
            throw ExitCode(1)
        }
        if let problem = HTTPSemantics.problem(in: fields, kind: .request) { print("# note: a peer would reject this request: \(problem)") }
        print(HTTP1Mapping.http1Request(from: fields, body: body).replacingOccurrences(of: "\r\n", with: "\n"), terminator: "")
        if !body.isEmpty { print("") }
    }
}
