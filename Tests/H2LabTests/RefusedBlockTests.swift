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

    /// RFC 9113 §5.1.2 before the SETTINGS ACK: a client that never acknowledges our SETTINGS opens
    /// 2,000 streams with about 3 KB of fields each and no END_STREAM. Beyond the 128 we announced,
    /// each is refused with REFUSED_STREAM (its block still decoded: the next ones decode too), the
    /// server's memory stays bounded, and a well-behaved client on another connection is served.
    @Test("streams beyond MAX_CONCURRENT_STREAMS sent but not acknowledged are refused; memory stays bounded",
          arguments: [[], ["--threads"]])
    func floodBeforeAcknowledgement(_ extra: [String]) throws {
        let server = try Server(extra)
        defer { server.stop() }
        let pid = server.process.processIdentifier
        usleep(300_000)
        let before = residentMemory(of: pid)?.kib ?? 0
        let result = try Self.probe("flood", server, ["2000"])
        let after = residentMemory(of: pid)?.kib ?? 0
        let codes = result["reset_codes"] as? [String: Int] ?? [:]
        #expect(codes == ["REFUSED_STREAM": 2_000 - 128], "\(result)")
        #expect(result["first_refused"] as? Int == 257 && result["goaway"] is NSNull, "\(result)")
        #expect(after - before < 16_384, "RSS grew from \(before) KiB to \(after) KiB")
        let good = try run("python3", ["-c", "import sys; sys.path.insert(0, sys.argv[1]); from attack import good_client; print(good_client(int(sys.argv[2])))",
                                        packageRoot.appendingPathComponent("Tests/Attacks").path, "\(server.port)"])
        #expect(Double(good.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) != nil, "a well-behaved client was not served: \(good.stdout)\(good.stderr)")
    }
}
