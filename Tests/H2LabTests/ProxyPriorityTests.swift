import Foundation
import Testing

/// RFC 9218 PRIORITY_UPDATE through `h2lab proxy`: Python h2 in front and behind (h2c, loopback).
/// The frame is hop-by-hop (RFC 9218 §4: "Frames transmit priority parameters on a single hop
/// only. Intermediaries can consume and produce priority signals in a PRIORITY_UPDATE frame"): the
/// proxy produces one for the server naming the server leg's stream, and drops, with a reason in
/// its trace, one that comes after the response (§7.1 lets a server discard those).
@Suite("h2lab proxy and RFC 9218 PRIORITY_UPDATE (Python h2 on both sides)", .serialized)
struct ProxyPriorityTests {
    @Test("client streams 5 and 9 become the server leg's 1 and 3: each PRIORITY_UPDATE reaches the server naming the mapped stream; one after the response is dropped and said so")
    func mappedPriorityUpdates() throws {
        try #require(try run("python3", ["-c", "import h2"]).status == 0, "python3-h2 is installed by scripts/test")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("h2lab-proxy-priority-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let portFile = dir.appendingPathComponent("port"), seen = dir.appendingPathComponent("server.log")
        FileManager.default.createFile(atPath: seen.path, contents: nil)
        let upstream = Process()
        upstream.executableURL = URL(fileURLWithPath: "/usr/bin/env")  // the python3 on PATH, as `run` finds it
        upstream.arguments = ["python3", "-B", "-u", packageRoot.appendingPathComponent("Tests/Peers/h2_priority_update_server.py").path, portFile.path]
        upstream.standardOutput = try FileHandle(forWritingTo: seen)
        try upstream.run()
        defer {
            // SIGKILL: Python keeps SIGTERM ignored when the test runner started it so.
            if upstream.isRunning { kill(upstream.processIdentifier, SIGKILL) }
            upstream.waitUntilExit()
        }
        var port = ""
        #expect(waitUntil(10) {
            port = ((try? String(contentsOf: portFile, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            return !port.isEmpty
        })
        let proxy = try ProxyProcess(to: "http://127.0.0.1:\(port)")
        defer { proxy.stop() }
        let client = try run("python3", ["-B", packageRoot.appendingPathComponent("Tests/Peers/h2_priority_update_client.py").path, "\(proxy.port)"],
                             timeout: 30)
        #expect(client.status == 0 && client.stdout == "stream 5: 200\nstream 9: 200\nok\n", "\(client.stdout)\(client.stderr)")
        var server = ""
        #expect(waitUntil(5) {
            server = (try? String(contentsOf: seen, encoding: .utf8)) ?? ""
            return server.contains("request on stream 3")
        })
        // What the server received, in order: each update before its request, with the server leg's ids.
        #expect(server == """
            PRIORITY_UPDATE prioritized stream 1: u=0
            request on stream 1 /json priority -
            PRIORITY_UPDATE prioritized stream 3: u=2
            request on stream 3 /json priority -

            """, "\(server)")
        proxy.stop()
        let trace = proxy.trace
        #expect(trace.contains("PRIORITY_UPDATE for client stream 5 (u=0) forwarded for stream 1"), "\(trace)")
        #expect(trace.contains("PRIORITY_UPDATE for client stream 9 (u=2) forwarded for stream 3"))
        #expect(trace.contains("PRIORITY_UPDATE for stream 5 (u=1) not forwarded: its response is already sent"))
        #expect(trace.components(separatedBy: "proxy → server PRIORITY_UPDATE").count - 1 == 2, "the dropped one never reaches the server")
    }
}
