import Engine
import Foundation
import Testing

@Suite("h2lab serve: interim responses and priorities against real clients (loopback)", .serialized)
struct ModernPeerTests {
    @Test("serve --early-hints: curl -v shows HTTP/2 103 with the link before HTTP/2 200, h2c and TLS, threads and event loops",
          arguments: [(false, ["--threads"]), (true, []), (false, []), (true, ["--threads"])])
    func earlyHintsCurl(tls: Bool, mode: [String]) throws {
        let server = try Server(["--early-hints"] + mode, tls: tls)
        defer { server.stop() }
        let result = try run("curl", ["-s", "-v", "--max-time", "20", "-o", "/dev/null"] + server.curlHTTP2 + [server.url + "/html"])
        let lines = result.stderr.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        let hints = try #require(lines.firstIndex(of: "< HTTP/2 103"), "\(result.stderr)")
        let final = try #require(lines.firstIndex(of: "< HTTP/2 200"))
        #expect(hints < final)
        #expect(lines[hints...final].contains("< link: </styles.css>; rel=preload; as=style"))
        // Only /html is hinted.
        let json = try run("curl", ["-s", "-v", "--max-time", "20", "-o", "/dev/null"] + server.curlHTTP2 + [server.url + "/json"])
        #expect(!json.stderr.contains("HTTP/2 103") && json.stderr.contains("HTTP/2 200"))
    }

    @Test("serve --early-hints: nghttp receives :status 103, then :status 200, on the same stream", arguments: [false, true])
    func earlyHintsNghttp(tls: Bool) throws {
        try #require(installed("nghttp"), "nghttp2-client is installed by scripts/test")
        let server = try Server(["--early-hints"], tls: tls)
        defer { server.stop() }
        let result = try run("nghttp", ["-nv", "-t", "20", server.url + "/html"])
        #expect(result.status == 0)
        let out = result.stdout
        let hints = try #require(out.range(of: ":status: 103"), "\(out)")
        let final = try #require(out.range(of: ":status: 200"))
        #expect(hints.upperBound < final.lowerBound)
        #expect(out.contains("link: </styles.css>; rel=preload"))
    }

    @Test("serve: curl's Expect: 100-continue gets HTTP/2 100 at once, then the upload's answer (RFC 9110 §10.1.1)", arguments: [false, true])
    func continueCurl(tls: Bool) throws {
        let server = try Server(tls: tls)
        defer { server.stop() }
        let started = Date()
        let result = try run("curl", ["-s", "-v", "--max-time", "20", "-H", "Expect: 100-continue", "--data-binary", "hello"]
                             + server.curlHTTP2 + [server.url + "/upload"])
        #expect(result.stderr.contains("< HTTP/2 100"), "\(result.stderr)")
        #expect(result.stdout.contains("\"received\": 5"))
        // curl waits up to a second for the 100 before it sends anyway: it came before that.
        #expect(Date().timeIntervalSince(started) < 0.9)
    }
}
