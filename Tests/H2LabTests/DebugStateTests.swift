import Foundation
import Testing

/// The JSON object a server answered, or nil.
func jsonObject(_ text: String) -> [String: Any]? {
    (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
}

/// The number after `marker` in the first trace line containing `prefix` (what a peer sent, as the
/// server traced it).
func tracedValue(_ trace: String, line prefix: String, after marker: String) -> Int? {
    guard let line = trace.split(separator: "\n").first(where: { $0.contains(prefix) }),
          let range = line.range(of: marker) else { return nil }
    return Int(line[range.upperBound...].prefix { $0.isNumber })
}

@Suite("/.well-known/h2/state (draft-benfield-http2-debug-state)", .serialized)
struct DebugStateTests {
    @Test("curl: the state of its own connection, with the settings and window it sent", arguments: [false, true])
    func curl(tls: Bool) throws {
        let server = try Server(["--trace", "frames"], tls: tls)
        defer { server.stop() }
        let result = try run("curl", ["-s"] + server.curlHTTP2 + [server.url + "/.well-known/h2/state"])
        #expect(result.status == 0, "\(result.stderr)")
        let state = try #require(jsonObject(result.stdout), "not JSON: \(result.stdout)")
        server.stop()
        let trace = server.trace
        let sentWindow = try #require(tracedValue(trace, line: "c1 ← SETTINGS 2", after: "SETTINGS_INITIAL_WINDOW_SIZE="))
        let increment = try #require(tracedValue(trace, line: "c1 ← WINDOW_UPDATE", after: "increment "))
        let peer = try #require(state["peerSettings"] as? [String: Int])
        #expect(peer["SETTINGS_INITIAL_WINDOW_SIZE"] == sentWindow)
        #expect(peer["SETTINGS_ENABLE_PUSH"] == 0)
        #expect(state["connFlowOut"] as? Int == 65_535 + increment)
        let streams = try #require(state["streams"] as? [String: [String: Any]])
        #expect(streams["1"]?["state"] as? String == "HALF_CLOSED_REMOTE")
        #expect(streams["1"]?["flowOut"] as? Int == sentWindow)
        let hpack = try #require(state["hpack"] as? [String: Any])
        let inbound = try #require(hpack["inboundDynamicHeaderTable"] as? [[String]])
        #expect(inbound.contains { $0.first == "user-agent" && $0.last?.hasPrefix("curl/") == true })
        #expect(state["version"] as? String == "draft-01" && state["sentGoAway"] as? Bool == false)
    }

    @Test("nghttp -w 20 -W 24: windows of 2^20-1 and 2^24-1 show as the stream's and the connection's flowOut")
    func nghttp() throws {
        try #require(installed("nghttp"), "nghttp2-client is installed by scripts/test")
        let server = try Server()
        defer { server.stop() }
        let result = try run("nghttp", ["-w", "20", "-W", "24", server.url + "/.well-known/h2/state"])
        #expect(result.status == 0, "\(result.stderr)")
        let state = try #require(jsonObject(result.stdout), "not JSON: \(result.stdout)")
        let peer = try #require(state["peerSettings"] as? [String: Int])
        #expect(peer["SETTINGS_INITIAL_WINDOW_SIZE"] == (1 << 20) - 1)
        #expect(state["connFlowOut"] as? Int == (1 << 24) - 1)
        let streams = try #require(state["streams"] as? [String: [String: Any]])
        let request = try #require(streams.values.first { $0["state"] as? String == "HALF_CLOSED_REMOTE" })
        #expect(request["flowOut"] as? Int == (1 << 20) - 1)
        let settings = try #require(state["settings"] as? [String: Int])
        #expect(settings["SETTINGS_MAX_CONCURRENT_STREAMS"] == 128)
    }

    @Test("serve --no-debug-state: the path is an ordinary 404")
    func off() throws {
        let server = try Server(["--no-debug-state"])
        defer { server.stop() }
        let result = try run("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}"] + server.curlHTTP2 + [server.url + "/.well-known/h2/state"])
        #expect(result.stdout == "404")
    }
}
