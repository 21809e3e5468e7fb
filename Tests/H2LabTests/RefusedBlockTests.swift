import Foundation
import Testing

/// RFC 9113 §4.3 over a real socket: a field block the server refuses is still decoded, so that the
/// next request, whose block refers to the entries it inserted, is served (raw frames from Python's
/// hpack, Tests/Attacks/refused_blocks.py), from the event loop and from the threaded server.
@Suite("serve decodes every field block it refuses (loopback, Python hpack)", .serialized)
struct RefusedBlockTests {
    static let script = packageRoot.appendingPathComponent("Tests/Attacks/refused_blocks.py").path

    static func probe(_ mode: String, _ server: Server, _ extra: [String] = []) throws -> [String: Any] {
        let result = try run("python3", [script, mode, "\(server.port)"] + extra, timeout: 120)
        let line = result.stdout.split(separator: "\n").last.map(String.init) ?? ""
        return try #require((try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any],
                            "\(mode): \(result.stdout)\(result.stderr.suffix(1_500))")
    }

    @Test("a stream error on a block (self-dependency §5.3.1, trailers without END_STREAM §8.1), then a request using its entries",
          arguments: [["selfdep"], ["trailers"], ["selfdep", "--threads"], ["trailers", "--threads"]])
    func refusedThenServed(_ arguments: [String]) throws {
        let server = try Server(Array(arguments.dropFirst()))
        defer { server.stop() }
        let result = try Self.probe(arguments[0], server)
        #expect(result["refused_stream_reset"] as? String == "PROTOCOL_ERROR", "\(result)")
        #expect(result["status_3"] as? String == "200", "\(result)")
        #expect(result["goaway"] is NSNull, "\(result)")
        // The second block is indexes only: it cannot decode unless the first one was decoded.
        #expect((result["second_block_octets"] as? Int ?? 99) <= 10, "\(result)")
    }
}
