import Foundation
import Testing
@testable import Engine

/// Inputs the fuzzers (scripts/fuzz) found crashing, kept in Tests/FuzzCrashers/TARGET/: each must
/// now give a result or an error, as the target's harness (Fuzz/TARGET.swift) feeds it.
@Suite("Fuzzers' crashers stay fixed")
struct FuzzRegressionTests {
    static func inputs(_ target: String) -> [(String, [UInt8])] {
        let folder = packageRoot.appendingPathComponent("Tests/FuzzCrashers/\(target)")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.sorted().compactMap { name in
            FileManager.default.contents(atPath: folder.appendingPathComponent(name).path).map { (name, Array($0)) }
        }
    }

    @Test("HTTP/1.1 requests the fuzzer found: each parses or is refused with a reason")
    func http1() {
        let inputs = Self.inputs("http1")
        #expect(!inputs.isEmpty)
        for (name, bytes) in inputs {
            switch HTTP1Mapping.parseRequest(bytes) {
            case .request(let request, _):
                _ = HTTP1Mapping.headers(for: request, scheme: "http")
            case .invalid(let why):
                #expect(!why.isEmpty, "\(name)")
            case .incomplete:
                break
            }
        }
    }

    @Test("Content-Length must be digits (RFC 9110 §8.6): a sign, a list or an overflow is refused, not trusted",
          arguments: ["-1", "+5", "1,1", "99999999999999999999999", "", "5 "])
    func contentLength(value: String) {
        let request = Array("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \(value)\r\n\r\nhi".utf8)
        if value == "5 " {  // surrounding whitespace is trimmed from field values: 5 is fine (incomplete body)
            guard case .request(let parsed, _) = HTTP1Mapping.parseRequest(request) else {
                Issue.record("Content-Length 5 with a trailing space was refused")
                return
            }
            #expect(parsed.body == Array("hi".utf8))
            return
        }
        guard case .invalid(let why) = HTTP1Mapping.parseRequest(request) else {
            Issue.record("Content-Length \"\(value)\" was accepted")
            return
        }
        #expect(why.contains("is not a number of octets"))
    }
}
