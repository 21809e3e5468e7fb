import Conformance
import Foundation
import Testing

/// A Python h2 server (Tests/Peers/h2_server.py) on a free port; killed at the end.
final class PythonH2Server: @unchecked Sendable {
    let process = Process()
    let port: Int

    init() throws {
        let portFile = FileManager.default.temporaryDirectory.appendingPathComponent("h2-server-\(UUID().uuidString)").path
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", packageRoot.appendingPathComponent("Tests/Peers/h2_server.py").path, portFile]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        var found: Int?
        waitUntil(10) {
            found = (try? String(contentsOfFile: portFile, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            return found != nil
        }
        port = found ?? 0
    }

    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}

@Suite("h2lab check: the conformance suite against real servers", .serialized)
struct CheckTests {
    @Test("at least 140 tests over every section h2spec covers, each with its RFC requirement")
    func suite() {
        #expect(Cases.all.count >= 140)
        let sections = Set(Cases.all.map { $0.section.split(separator: ".").first.map(String.init) ?? $0.section })
        for part in ["3", "4", "5", "6", "8", "hpack/2", "hpack/4", "hpack/5", "hpack/6", "rfc9218/7"] {
            #expect(sections.contains { $0 == part || $0.hasPrefix(part) }, "no test for \(part)")
        }
        #expect(Set(Cases.all.map(\.id)).count == Cases.all.count, "test ids repeat")
        for check in Cases.all { #expect(check.requirement.contains("§"), "\(check.id) names no section") }
    }

    @Test("against h2lab serve, h2c and TLS: every test passes", arguments: [false, true])
    func ownServer(tls: Bool) throws {
        let server = try Server([], tls: tls)
        defer { server.stop() }
        let result = try run(h2lab, ["check", server.url + "/"], timeout: 300)
        #expect(result.status == 0, "\(result.stdout.split(separator: "\n").filter { $0.contains("✗") || $0.hasPrefix("      ") }.prefix(30).joined(separator: "\n"))")
        #expect(result.stdout.hasSuffix("\(Cases.all.count) tests, \(Cases.all.count) passed, 0 failed\n"))
    }

    @Test("against nghttpd: finds its known failure (a HEADERS on a stream id lower than one used, §5.1.1) and explains it")
    func nghttpd() throws {
        try #require(installed("nghttpd"), "nghttp2-server is installed by scripts/test")
        let (port, nghttpd) = try startNghttpd(["index.html": "<h1>nghttpd</h1>\n"], offset: 90)
        defer { kill(nghttpd.processIdentifier, SIGKILL); nghttpd.waitUntilExit() }
        let result = try run(h2lab, ["check", "http://127.0.0.1:\(port)/"], timeout: 300)
        #expect(result.status == 1)
        let text = result.stdout
        let failure = text.components(separatedBy: "  ✗ 5.1.1/2 opens stream 5, then stream 3\n").last ?? ""
        #expect(text.contains("  ✗ 5.1.1/2 opens stream 5, then stream 3\n"), "\(text.suffix(1_500))")
        #expect(failure.hasPrefix("      sent:      HEADERS stream 5 [END_STREAM END_HEADERS]"))
        #expect(failure.contains("                 HEADERS stream 3 [END_STREAM END_HEADERS]"))
        #expect(failure.contains("      required:  §5.1.1: a new stream's identifier must exceed every one opened before"))
        #expect(failure.contains("      expected:  GOAWAY PROTOCOL_ERROR, or the connection closed"))
        #expect(failure.contains("      got:       HEADERS stream 5 (:status"))
        // nghttpd 1.52 does not announce RFC 9218 (no SETTINGS_NO_RFC7540_PRIORITIES): PRIORITY_UPDATE is
        // an unknown frame type to it, which RFC 9113 §5.5 has it ignore: inconclusive, never failed.
        #expect(text.contains("  ? rfc9218/7.1/1 ") && text.contains("  ? rfc9218/7.1/2 ") && text.contains("  ✓ rfc9218/7.1/3 "),
                "\(text.suffix(2_000))")
        #expect(text.contains("      why:       the server ignored the frame and never announced RFC 9218"))
        let summary = text.split(separator: "\n").last.map(String.init) ?? ""
        // "N tests, P passed, F failed" and, when there are any, ", I inconclusive" (issue 23 §6).
        #expect(summary.hasPrefix("\(Cases.all.count) tests, ") && summary.contains(" failed") && !summary.contains(" 0 failed"), "\(summary)")
    }

    @Test("against a Python h2 server, as JSON: every result is there, failures with what was expected and what came")
    func pythonJSON() throws {
        let server = try PythonH2Server()
        defer { server.stop() }
        try #require(server.port > 0, "the Python h2 server did not start")
        let result = try run(h2lab, ["check", "--json", "http://127.0.0.1:\(server.port)/"], timeout: 300)
        let object = try #require((try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8))) as? [String: Any], "\(result.stdout.prefix(500))")
        #expect(object["tests"] as? Int == Cases.all.count)
        let results = object["results"] as? [[String: Any]] ?? []
        #expect(results.count == Cases.all.count)
        // Failed, not merely not passed: Python h2 does not know RFC 9218, so its PRIORITY_UPDATE verdicts are inconclusive.
        let failed = results.filter { $0["verdict"] as? String == "failed" }
        #expect((object["failed"] as? Int) == failed.count && result.status == (failed.isEmpty ? 0 : 1))
        for item in failed { #expect(item["expected"] is String && item["got"] is String && item["sent"] is [String]) }
        // Python h2 answers an undecodable header block with PROTOCOL_ERROR, not COMPRESSION_ERROR (§4.3).
        let hpack = results.first { $0["id"] as? String == "4.3/1" }
        #expect(hpack?["passed"] as? Bool == false && (hpack?["got"] as? String)?.contains("PROTOCOL_ERROR") == true)
    }

    @Test("--section runs one part; a section with no test is an error")
    func section() throws {
        let server = try Server()
        defer { server.stop() }
        let part = try run(h2lab, ["check", "--section", "6.9", server.url + "/"])
        let expected = Cases.all.filter { $0.section == "6.9" || $0.section.hasPrefix("6.9.") }.count
        #expect(part.status == 0 && part.stdout.hasSuffix("\(expected) tests, \(expected) passed, 0 failed\n"), "\(part.stdout)")
        #expect(!part.stdout.contains("6.1/") && part.stdout.contains("6.9.1/1"))
        // An RFC's prefix selects its cases: RFC 7541's and RFC 9218's.
        for (prefix, count) in [("hpack", Cases.all.filter { $0.section.hasPrefix("hpack/") }.count), ("rfc9218", 3)] {
            let run = try run(h2lab, ["check", "--section", prefix, server.url + "/"])
            #expect(run.status == 0 && run.stdout.hasSuffix("\(count) tests, \(count) passed, 0 failed\n"), "\(prefix): \(run.stdout)\(run.stderr)")
        }
        let none = try run(h2lab, ["check", "--section", "99", server.url + "/"])
        #expect(none.status == 2 && none.stderr.contains("no test in section 99"))
    }
}
