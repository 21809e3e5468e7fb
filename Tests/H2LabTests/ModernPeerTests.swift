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
        let result = try run("curl", ["-s", "-v", "--max-time", "20", "-H", "Expect: 100-continue", "--data-binary", "hello"]
                             + server.curlHTTP2 + [server.url + "/upload"])
        #expect(result.stderr.contains("< HTTP/2 100"), "\(result.stderr)")
        #expect(result.stdout.contains("\"received\": 5"))
        // curl waits up to a second for the 100 and then sends anyway, saying so: it did not have to.
        #expect(!result.stderr.contains("Done waiting for 100-continue"), "\(result.stderr)")
    }
}

@Suite("h2lab serve: RFC 9218 priorities with real clients (loopback)", .serialized)
struct PriorityPeerTests {
    @Test("nghttp --no-rfc7540-pri with a priority field: served, and the server's first SETTINGS says NO_RFC7540_PRIORITIES 1", arguments: [false, true])
    func nghttp(tls: Bool) throws {
        try #require(installed("nghttp"), "nghttp2-client is installed by scripts/test")
        let server = try Server(tls: tls)
        defer { server.stop() }
        let result = try run("nghttp", ["-nv", "-t", "20", "--no-rfc7540-pri", "-H", "priority: u=0", server.url + "/styles.css", server.url + "/json"])
        #expect(result.status == 0, "\(result.stderr)")
        let out = result.stdout
        let received = try #require(out.range(of: "recv SETTINGS frame"), "\(out)")
        #expect(out[received.lowerBound...].contains("[SETTINGS_NO_RFC7540_PRIORITIES(0x09):1]"))
        #expect(out.components(separatedBy: ":status: 200").count == 3)
        #expect(!out.contains("recv GOAWAY"))
    }

    @Test("nghttp with RFC 9651 items in the priority field (a Date, a Display String): served at the default priority, and the server lives on (it once trapped)",
          arguments: [["--threads"], []])
    func newerItems(mode: [String]) throws {
        try #require(installed("nghttp"), "nghttp2-client is installed by scripts/test")
        let server = try Server(mode)
        defer { server.stop() }
        for value in ["u=@1", "u=1, i=%\"x\""] {
            let result = try run("nghttp", ["-nv", "-t", "20", "--no-rfc7540-pri", "-H", "priority: " + value, server.url + "/styles.css"])
            #expect(result.status == 0 && result.stdout.contains(":status: 200"), "\(value): \(result.stdout) \(result.stderr)")
        }
        let after = try run("curl", ["-sS", "--http2-prior-knowledge", "-o", "/dev/null", "-w", "%{http_code}", server.url + "/json"])
        #expect(after.stdout == "200", "\(after.stdout) \(after.stderr)")
    }

    @Test("Python h2: three requests and a PRIORITY_UPDATE in one write; serve sends the DATA by urgency (threads and event loops)",
          arguments: [["--threads"], []])
    func pythonOrder(mode: [String]) throws {
        let server = try Server(mode)
        defer { server.stop() }
        let script = """
        import socket, struct, sys, h2.connection, h2.events
        s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
        c = h2.connection.H2Connection()
        c.initiate_connection()
        s.sendall(c.data_to_send())
        seen_settings = False
        while not seen_settings:
            for e in c.receive_data(s.recv(65536)):
                if isinstance(e, h2.events.RemoteSettingsChanged): seen_settings = True
        def get(i, path, extra):
            c.send_headers(i, [(":method", "GET"), (":scheme", "http"), (":authority", "lab"), (":path", path)] + extra, end_stream=True)
        value = b"u=7"
        update = struct.pack(">I", 4 + len(value))[1:] + bytes([0x10, 0]) + struct.pack(">I", 0) + struct.pack(">I", 3) + value
        get(1, "/json", [("priority", "u=5")])
        first = c.data_to_send()
        get(3, "/html", [])
        get(5, "/styles.css", [("priority", "u=0")])
        s.sendall(first + update + c.data_to_send())
        order, done = [], set()
        while len(done) < 3:
            data = s.recv(65536)
            if not data: break
            for e in c.receive_data(data):
                if isinstance(e, h2.events.DataReceived): order.append(e.stream_id)
                if isinstance(e, h2.events.StreamEnded): done.add(e.stream_id)
            s.sendall(c.data_to_send())
        print(" ".join(map(str, order)))
        """
        let result = try run("python3", ["-c", script, "\(server.port)"], timeout: 60)
        #expect(result.status == 0, "\(result.stderr)")
        // /styles.css (u=0), /json (u=5), then /html (u=7 by the PRIORITY_UPDATE sent before it opened).
        #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "5 1 3", "\(result.stdout)")
    }
}

@Suite("h2lab serve: WebSockets over HTTP/2, extended CONNECT (RFC 8441), with real clients (loopback)", .serialized)
struct WebSocketPeerTests {
    static let peers = packageRoot.appendingPathComponent("Tests/Peers").path
    static let browser = packageRoot.appendingPathComponent("Tests/Browser").path

    @Test("Python h2: CONNECT :protocol websocket to /ws gets 200; a masked text frame comes back unmasked, close answers close (threads and event loops)",
          arguments: [["--threads"], []])
    func pythonEcho(mode: [String]) throws {
        let server = try Server(mode)
        defer { server.stop() }
        let result = try run("python3", [Self.peers + "/h2_websocket_client.py", "\(server.port)"], timeout: 60)
        #expect(result.status == 0, "\(result.stderr)")
        let expected = "200 " + Hex.encode(WebSocketFrame(opcode: .text, payload: Array("hello over h2".utf8)).encoded()
                                           + WebSocketFrame(opcode: .close, payload: [0x03, 0xe8]).encoded())
        #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == expected, "\(result.stdout)")
    }

    @Test("headless Chromium opens a WebSocket to /ws on the HTTP/2 connection that loaded the page, and gets its echo")
    func chromium() throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/chromedriver"), "chromium-driver is installed by scripts/test")
        let server = try Server(["--trace", "all"], tls: true)
        defer { server.stop() }
        let result = try run("python3", [Self.browser + "/h2_websocket.py", "\(server.port)"], timeout: 120)
        #expect(result.stdout.contains("echo: hello from chromium"), "\(result.stdout) \(result.stderr.suffix(800))")
        server.stop()
        let lines = server.trace.split(separator: "\n").map(String.init)
        // The page and the WebSocket share one connection: the CONNECT is on the one that fetched /html.
        let page = try #require(lines.first { $0.contains(":path: /html ") })
        let connection = String(page.prefix { $0 != " " })
        #expect(lines.contains { $0.hasPrefix(connection + " ") && $0.contains(":method: CONNECT ") })
        #expect(lines.contains { $0.hasPrefix(connection + " ") && $0.contains(":protocol: websocket ") })
    }
}
