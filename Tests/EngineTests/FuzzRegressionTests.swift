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

    /// What each kept HTTP/1.1 input must now give: every file in Tests/FuzzCrashers/http1 needs a
    /// line here (a new crasher is kept with the outcome it must have).
    static let http1Outcomes: [String: String] = [
        // Content-Length: -1 (RFC 9110 §8.6: one or more digits) once made a negative body length.
        "negative-content-length": "invalid: is not a number of octets",
    ]

    static func outcome(_ bytes: [UInt8]) -> String {
        switch HTTP1Mapping.parseRequest(bytes) {
        case .request(let request, _):
            let fields = HTTP1Mapping.headers(for: request, scheme: "http")
            return "request: \(request.method) \(request.target), \(fields.fields.count) fields, \(request.body.count) octets of body"
        case .invalid(let why):
            return "invalid: \(why)"
        case .incomplete:
            return "incomplete"
        }
    }

    @Test("HTTP/1.1 requests the fuzzer found: each gives the outcome kept for it")
    func http1() {
        let inputs = Self.inputs("http1")
        #expect(inputs.count == Self.http1Outcomes.count, "kept: \(inputs.map(\.0)), outcomes for: \(Self.http1Outcomes.keys.sorted())")
        for (name, bytes) in inputs {
            let expected = Self.http1Outcomes[name]
            #expect(expected != nil, "\(name) has no expected outcome in http1Outcomes")
            let got = Self.outcome(bytes)
            // An invalid request's reason is matched by a part of it (the message may grow a hint).
            if let expected, expected.hasPrefix("invalid: ") {
                #expect(got.hasPrefix("invalid: ") && got.contains(expected.dropFirst("invalid: ".count)), "\(name): \(got)")
            } else {
                #expect(got == expected, "\(name)")
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
