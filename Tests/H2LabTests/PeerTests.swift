import Engine
import Foundation
import Lessons
import Testing
import Transport

/// A running `h2lab serve --plain` on a free loopback port, stopped (gracefully) at the end.
final class Server: @unchecked Sendable {
    let process = Process()
    let port: UInt16
    let log: URL

    let tls: Bool

    /// `descriptors` starts the server under that RLIMIT_NOFILE (soft, hard), through prlimit(1).
    init(_ extra: [String] = [], tls: Bool = false, descriptors: (soft: Int, hard: Int)? = nil) throws {
        self.tls = tls
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("h2lab-serve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let portFile = dir.appendingPathComponent("port")
        log = dir.appendingPathComponent("trace.log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        port = try launch(process, ["serve", "--port", "0", "--port-file", portFile.path] + (tls ? [] : ["--plain"]) + extra,
                          portFile: portFile, environment: ["XDG_CACHE_HOME": dir.path,  // a fresh self-signed certificate per server
                                                            "SSLKEYLOGFILE": dir.appendingPathComponent("keys.log").path],
                          stdout: try FileHandle(forWritingTo: log), stderr: FileHandle.nullDevice,
                          wrapper: descriptors.map { ["/usr/bin/prlimit", "--nofile=\($0.soft):\($0.hard)"] } ?? [])
    }

    var url: String { "\(tls ? "https" : "http")://127.0.0.1:\(port)" }

    /// curl's arguments for HTTP/2 to this server: prior knowledge for h2c, ALPN over TLS.
    var curlHTTP2: [String] { tls ? ["--http2", "-k"] : ["--http2-prior-knowledge"] }

    var keyLog: String { (try? String(contentsOf: log.deletingLastPathComponent().appendingPathComponent("keys.log"), encoding: .utf8)) ?? "" }

    var trace: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }

    deinit { stop() }
}

/// Starts `h2lab` with `arguments` and waits for the port it writes to `portFile` (up to 15 s).
func launch(_ process: Process, _ arguments: [String], portFile: URL, environment: [String: String],
            stdout: FileHandle, stderr: FileHandle, wrapper: [String] = []) throws -> UInt16 {
    // A wrapper (prlimit) execs h2lab in its own process: the pid stays the server's.
    process.executableURL = URL(fileURLWithPath: wrapper.first ?? h2lab)
    process.arguments = wrapper.isEmpty ? arguments : Array(wrapper.dropFirst()) + [h2lab] + arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    process.standardOutput = stdout
    process.standardError = stderr
    try process.run()
    var found: UInt16?
    waitUntil(15, every: 0.02) {
        found = (try? String(contentsOf: portFile, encoding: .utf8)).flatMap { UInt16($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        return found != nil
    }
    guard let found else { throw SocketError(operation: "h2lab \(arguments.first ?? "") did not start", code: 0) }
    return found
}

func installed(_ program: String) -> Bool { (try? run("which", [program]).status) == 0 }

@Suite("h2lab serve against real clients (loopback)", .serialized)
struct ServePeerTests {
    @Test("curl over h2c (prior knowledge) and over TLS (ALPN h2): every route, 404, 405 with Allow, HEAD", arguments: [false, true])
    func curlRoutes(tls: Bool) throws {
        let server = try Server(tls: tls)
        defer { server.stop() }
        func curl(_ args: [String]) throws -> Run { try run("curl", ["-s", "--max-time", "20"] + server.curlHTTP2 + args) }
        #expect(try curl([server.url + "/json"]).stdout.contains("\"rfc\": 9113"))
        #expect(try curl([server.url + "/html"]).stdout.contains("<link rel=\"stylesheet\" href=\"/styles.css\">"))
        #expect(try curl([server.url + "/styles.css"]).stdout.contains("font-family"))
        #expect(try curl([server.url + "/"]).stdout.contains("H2Lab demo site"))
        let echo = try curl(["-H", "x-lesson: 1", "--data-binary", "ping body", server.url + "/echo"]).stdout
        #expect(echo.contains("method: POST") && echo.contains("header x-lesson: 1") && echo.hasSuffix("ping body"))
        let missing = try curl(["-i", server.url + "/nope"]).stdout
        #expect(missing.hasPrefix("HTTP/2 404"))
        let notAllowed = try curl(["-i", "-X", "DELETE", server.url + "/json"]).stdout
        #expect(notAllowed.hasPrefix("HTTP/2 405") && notAllowed.contains("allow: GET, HEAD"))
        let head = try curl(["-I", server.url + "/html"]).stdout
        #expect(head.hasPrefix("HTTP/2 200") && head.contains("content-length: \(DemoSite().respond(to: SiteRequest(method: "GET", path: "/html")).body.count)"))
    }

    @Test("h2c Upgrade (curl --http2 on http://): the request becomes stream 1; plain HTTP/1.1 is answered in kind; threads and event loops",
          arguments: [["--threads"], []])
    func upgradeAndFallback(mode: [String]) throws {
        let server = try Server(["--trace", "all"] + mode)
        defer { server.stop() }
        let upgraded = try run("curl", ["-s", "--http2", "--max-time", "10", "-w", "\n%{http_version}", "--data-binary", "abc", server.url + "/upload"])
        #expect(upgraded.stdout.contains("\"received\": 3"))
        #expect(upgraded.stdout.hasSuffix("\n2"))
        let http1 = try run("curl", ["-s", "--http1.1", "-i", "--max-time", "10", server.url + "/json"])
        #expect(http1.stdout.hasPrefix("HTTP/1.1 200 OK"))
        #expect(http1.stdout.contains("\"rfc\": 9113"))
        let bad = try run("/bin/sh", ["-c", "printf 'GET /json HTTP/1.1\\r\\nContent-Length: -1\\r\\n\\r\\n' | curl -s --max-time 5 telnet://127.0.0.1:$0", "\(server.port)"])
        #expect(bad.stdout.hasPrefix("HTTP/1.1 400"), "\(bad.stdout)")
        server.stop()
        #expect(server.trace.contains("HTTP/1.1 POST /upload upgraded to h2c: it is stream 1"))
        #expect(server.trace.contains("HTTP/1.1 GET /json: answered over HTTP/1.1"))
    }

    @Test("a 10 MiB upload, h2c and TLS: the server reports its length and SHA-256", arguments: [false, true])
    func bigUpload(tls: Bool) throws {
        let server = try Server(tls: tls)
        defer { server.stop() }
        var bytes = [UInt8](repeating: 0, count: 10 << 20)
        for i in bytes.indices { bytes[i] = UInt8(truncatingIfNeeded: i &* 2_654_435_761 >> 13) }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("upload-\(getpid())")
        try Data(bytes).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try run("curl", ["-s", "--max-time", "60"] + server.curlHTTP2 + ["--data-binary", "@" + file.path, server.url + "/upload"])
        #expect(result.stdout.contains("\"received\": \(10 << 20)"))
        #expect(result.stdout.contains(SHA256.hex(bytes)), "\(result.stdout)")
    }

    @Test("nghttp -nv, h2c and TLS: the handshake and a response, in nghttp's own words", arguments: [false, true])
    func nghttp(tls: Bool) throws {
        try #require(installed("nghttp"), "nghttp2-client is installed by scripts/test")
        let server = try Server(tls: tls)
        defer { server.stop() }
        let result = try run("nghttp", ["-nv", "-t", "20", server.url + "/html"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("recv SETTINGS frame"))
        #expect(result.stdout.contains(":status: 200"))
        #expect(result.stdout.contains("recv DATA frame"))
    }

    /// Issue 24 §3's "same work": a file from --root gets the fields nghttpd sends for the same
    /// file (nghttp -v names them), Date as IMF-fixdate (RFC 9110 §6.6.1, §5.6.7) and Last-Modified
    /// (§8.8.2) no later than Date.
    @Test("serve --root answers a file with the fields nghttpd sends for it: date, last-modified, cache-control, content-type, content-length, server")
    func rootFileFields() throws {
        try #require(installed("nghttp") && installed("nghttpd"), "nghttp2-client and nghttp2-server are installed by scripts/test")
        let files = ["note.txt": "a file served by both servers\n"]
        let (port, nghttpd) = try startNghttpd(files, offset: 11)
        defer { kill(nghttpd.processIdentifier, SIGKILL); nghttpd.waitUntilExit() }
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("nghttpd-opt-\(getpid())-11")
        let server = try Server(["--root", root.path])
        defer { server.stop() }
        func fields(_ url: String) throws -> [String: String] {
            let result = try run("nghttp", ["-v", "-t", "20", url])
            #expect(result.status == 0, "\(result.stderr)")
            var found: [String: String] = [:]
            for line in result.stdout.split(separator: "\n") {
                // "[  0.017] recv (stream_id=13) server: nghttpd nghttp2/1.52.0"
                guard let start = line.range(of: "recv (stream_id="), let close = line[start.upperBound...].range(of: ") ") else { continue }
                let field = line[close.upperBound...]
                guard let colon = field.dropFirst().firstIndex(of: ":") else { continue }
                found[String(field[..<colon])] = field[field.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            return found
        }
        let theirs = try fields("http://127.0.0.1:\(port)/note.txt")
        let ours = try fields(server.url + "/note.txt")
        #expect(Set(theirs.keys).subtracting(ours.keys).isEmpty, "nghttpd sent \(theirs.keys.sorted()), h2lab \(ours.keys.sorted())")
        #expect(ours["content-length"] == "30" && ours["cache-control"] == "max-age=3600" && ours["server"] == "h2lab")
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        let date = try #require(ours["date"].flatMap(formatter.date(from:)), "\(ours)")
        let modified = try #require(ours["last-modified"].flatMap(formatter.date(from:)), "\(ours)")
        #expect(abs(date.timeIntervalSinceNow) < 60 && modified <= date)
    }

    @Test("TLS: the certificate is self-signed for localhost, its fingerprint printed; SSLKEYLOGFILE gets the secrets; HTTP/1.1 over TLS; threads and event loops",
          arguments: [["--threads"], []])
    func tlsDetails(mode: [String]) throws {
        let server = try Server(["--trace", "frames"] + mode, tls: true)
        defer { server.stop() }
        let result = try run("curl", ["-s", "-v", "-k", "--http2", server.url + "/json"])
        #expect(result.stdout.contains("\"rfc\": 9113"))
        #expect(result.stderr.contains("ALPN: server accepted h2") || result.stderr.contains("ALPN, server accepted to use h2"))
        #expect(result.stderr.contains("subject: O=H2Lab; CN=localhost"))
        #expect(server.keyLog.contains("CLIENT_HANDSHAKE_TRAFFIC_SECRET") || server.keyLog.contains("CLIENT_RANDOM"))
        let http1 = try run("curl", ["-s", "-k", "--http1.1", "-i", server.url + "/json"])
        #expect(http1.stdout.hasPrefix("HTTP/1.1 200 OK"))
        let get = try run(h2lab, ["get", server.url + "/json"])
        #expect(get.status == 1 && get.stderr.contains("certificate verify failed"))
        let insecure = try run(h2lab, ["get", "-k", server.url + "/json"])
        #expect(insecure.status == 0 && insecure.stdout.contains("\"rfc\": 9113"))
        server.stop()
        #expect(server.trace.contains("ALPN h2"))
        #expect(server.trace.contains("ALPN http/1.1"))
    }

    @Test("headless Chromium loads /html over TLS: Chromium's SETTINGS, then /styles.css on the same connection")
    func chromium() throws {
        let browser = ["chromium", "chromium-browser"].first(where: installed)
        try #require(browser != nil, "chromium is installed by scripts/test")
        let server = try Server(["--trace", "all"], tls: true)
        defer { server.stop() }
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("chromium-\(getpid())").path
        let result = try run(browser ?? "chromium", ["--headless", "--no-sandbox", "--disable-gpu", "--ignore-certificate-errors",
                                                     "--user-data-dir=" + profile, "--virtual-time-budget=3000",
                                                     "--dump-dom", server.url + "/html"], timeout: 90)
        #expect(result.stdout.contains("<h1 id=\"greeting\">Hello over HTTP/2</h1>"), "\(result.stderr.suffix(500))")
        server.stop()
        let trace = server.trace
        // Chromium's SETTINGS arrive (it sends INITIAL_WINDOW_SIZE and MAX_HEADER_LIST_SIZE), and the
        // stylesheet is requested on the connection that fetched the page.
        let lines = trace.split(separator: "\n").map(String.init)
        guard let page = lines.first(where: { $0.hasSuffix(":path: /html   (literal incremental, name index 4, value huffman)") || $0.contains(":path: /html ") }) else {
            Issue.record("no request for /html in the trace")
            return
        }
        let connection = String(page.prefix { $0 != " " })
        #expect(lines.contains { $0.hasPrefix(connection + " ← SETTINGS") && $0.contains("SETTINGS_INITIAL_WINDOW_SIZE") })
        #expect(lines.contains { $0.hasPrefix(connection + " ") && $0.contains(":path: /styles.css") })
    }

    @Test("h2load -n 20000 -c 20 -m 10: zero failed requests")
    func h2load() throws {
        try #require(installed("h2load"), "nghttp2-client is installed by scripts/test")
        let server = try Server()
        defer { server.stop() }
        let result = try run("h2load", ["-n", "20000", "-c", "20", "-m", "10", "-T", "60", server.url + "/styles.css"], timeout: 120)
        #expect(result.stdout.contains("20000 succeeded, 0 failed, 0 errored, 0 timeout"), "\(result.stdout)")
    }

    /// Over TLS the frames go out gathered into records of 16 KiB (`WireQueue.withRecord`): a
    /// DATA frame's header and its payload copied together, a record often ending inside one
    /// frame and the next going on from there, the frames of many streams in one record. Python
    /// h2 checks the framing and every body, all on one connection; h2load then asks for 2000.
    @Test("40 downloads of 64 KiB at once on one connection, h2c and TLS (records gathered): every body whole; h2load's 2000 over 100 streams all succeed",
          arguments: [false, true])
    func manyLargeAtOnce(tls: Bool) throws {
        try #require(installed("h2load"), "nghttp2-client is installed by scripts/test")
        try #require(try run("python3", ["-c", "import h2"]).status == 0, "python3-h2 is installed by scripts/test")
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("h2lab-many-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let big = root.appendingPathComponent("64k.bin").path
        #expect(try run("/bin/sh", ["-c", "head -c 65536 /dev/urandom > \"$0\"", big]).status == 0)
        let server = try Server(["--root", root.path], tls: tls)
        defer { server.stop() }
        let script = packageRoot.appendingPathComponent("Tests/Peers/h2_many_get.py").path
        let result = try run("python3", [script, "127.0.0.1", "\(server.port)", "/64k.bin", "40", try sha256(big)] + (tls ? ["--tls"] : []),
                             timeout: 60)
        #expect(result.status == 0 && result.stdout.contains("40 whole, 0 differ"), "\(result.stdout)\(result.stderr)")
        let load = try run("h2load", ["-n", "2000", "-c", "1", "-m", "100", "-T", "60", server.url + "/64k.bin"], timeout: 120)
        #expect(load.stdout.contains("2000 succeeded, 0 failed, 0 errored, 0 timeout"), "\(load.stdout)")
    }

    @Test("Python h2 as a client: GET and POST on one connection")
    func pythonClient() throws {
        let server = try Server()
        defer { server.stop() }
        let script = """
        import socket, sys, h2.connection, h2.events
        s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
        c = h2.connection.H2Connection()
        c.initiate_connection()
        c.send_headers(1, [(":method", "GET"), (":scheme", "http"), (":authority", "lab"), (":path", "/json")], end_stream=True)
        c.send_headers(3, [(":method", "POST"), (":scheme", "http"), (":authority", "lab"), (":path", "/upload")])
        c.send_data(3, b"x" * 100000, end_stream=False) if False else None
        body = b"y" * 50000
        sent = 0
        s.sendall(c.data_to_send())
        bodies, statuses, done = {1: b"", 3: b""}, {}, set()
        while len(done) < 2:
            while sent < len(body) and c.local_flow_control_window(3) > 0:
                n = min(len(body) - sent, c.local_flow_control_window(3), c.max_outbound_frame_size)
                c.send_data(3, body[sent:sent + n], end_stream=(sent + n == len(body)))
                sent += n
            s.sendall(c.data_to_send())
            data = s.recv(65536)
            if not data: break
            for e in c.receive_data(data):
                if isinstance(e, h2.events.ResponseReceived): statuses[e.stream_id] = dict(e.headers)[b":status"]
                if isinstance(e, h2.events.DataReceived):
                    bodies[e.stream_id] += e.data
                    c.acknowledge_received_data(e.flow_controlled_length, e.stream_id)
                if isinstance(e, h2.events.StreamEnded): done.add(e.stream_id)
            s.sendall(c.data_to_send())
        print(statuses[1].decode(), bodies[1].decode().strip())
        print(statuses[3].decode(), bodies[3].decode().strip())
        """
        let result = try run("python3", ["-c", script, "\(server.port)"], timeout: 60)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.first?.hasPrefix("200 {\"protocol\": \"HTTP/2\"") == true)
        #expect(lines.last?.contains("200 {\"received\": 50000, \"sha256\": \"\(SHA256.hex([UInt8](repeating: 0x79, count: 50000)))\"}") == true,
                "\(result.stdout)")
    }

    @Test("a garbage client gets GOAWAY PROTOCOL_ERROR while another client is served")
    func garbage() throws {
        let server = try Server(["--trace", "all"])
        defer { server.stop() }
        // A bad preface, a truncated frame, and a valid preface followed by a frame-size violation.
        let cases: [([UInt8], ErrorCode?)] = [
            (Array("this is not HTTP/2 at all, just garbage bytes".utf8), .protocolError),
            (connectionPreface + [0, 0, 6, 4, 0, 0, 0, 0, 0, 0, 3], nil),
            (connectionPreface + [0, 0, 0, 4, 0, 0, 0, 0, 0] + [0, 0, 3, 8, 0, 0, 0, 0, 0, 0, 0, 1], .frameSizeError),
        ]
        for (bytes, expected) in cases {
            let socket = try TCPSocket.connect(host: "127.0.0.1", port: server.port)
            try socket.write(bytes)
            socket.shutdownWrite()
            var received: [UInt8] = []
            while socket.waitReadable(milliseconds: 5_000), let chunk = try socket.read() { received += chunk }
            socket.close()
            let frames = FrameDecoder.decodeAll(received, expectPreface: false).items.compactMap { item -> Frame? in
                if case .frame(let f) = item.item { return f } else { return nil }
            }
            #expect(frames.first?.type == .settings)
            if let expected {
                let goaway = frames.last { $0.type == .goaway }
                guard case .goaway(_, let code, _)? = goaway?.payload else {
                    Issue.record("no GOAWAY for \(bytes.prefix(12))")
                    continue
                }
                #expect(code == expected)
            }
            // Meanwhile a well-behaved client is served normally.
            let ok = try run("curl", ["-s", "--max-time", "10"] + server.curlHTTP2 + [server.url + "/json"])
            #expect(ok.stdout.contains("\"rfc\": 9113"))
        }
        // The trace is written in batches, at least every 100 ms.
        #expect(waitUntil(2) { server.trace.contains("✗ connection error PROTOCOL_ERROR: the client connection preface is missing or wrong") })
    }

    @Test("trace --json writes one JSON object per line")
    func jsonTrace() throws {
        let server = try Server(["--trace", "all", "--json"])
        _ = try run("curl", ["-s", "--http2-prior-knowledge", "--max-time", "10", server.url + "/html"])
        server.stop()
        let lines = server.trace.split(separator: "\n")
        #expect(lines.count > 10)
        for line in lines { #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil, "\(line)") }
        #expect(server.trace.contains(#""frame":"HEADERS""#) && server.trace.contains(#""from":"idle","to":"open""#))
    }

    @Test("SIGTERM: GOAWAY NO_ERROR to the client, then exit")
    func gracefulShutdown() throws {
        let server = try Server(["--trace", "frames"])
        let socket = try TCPSocket.connect(host: "127.0.0.1", port: server.port)
        try socket.write(connectionPreface + [0, 0, 0, 4, 0, 0, 0, 0, 0])
        usleep(200_000)
        server.process.terminate()
        var received: [UInt8] = []
        while socket.waitReadable(milliseconds: 5_000), let chunk = try socket.read() { received += chunk }
        server.process.waitUntilExit()
        let frames = FrameDecoder.decodeAll(received, expectPreface: false).items.compactMap { item -> Frame? in
            if case .frame(let f) = item.item { return f } else { return nil }
        }
        #expect(frames.contains(.goaway(lastStreamID: 0, .noError, debug: "server shutting down")))
        #expect(server.process.terminationStatus == 0)
    }
}

extension ServePeerTests {
    @Test("SIGTERM in the middle of a 4 MB download: GOAWAY, and the stream in flight still finishes whole; loops and threads, h2c and TLS",
          arguments: [[], ["--threads"]], [false, true])
    func drainOnStop(mode: [String], tls: Bool) throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("h2lab-drain-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let big = root.appendingPathComponent("big.bin").path
        #expect(try run("/bin/sh", ["-c", "head -c 4000000 /dev/urandom > \"$0\"", big]).status == 0)
        let server = try Server(["--root", root.path, "--trace", "frames"] + mode, tls: tls)
        defer { server.stop() }
        // curl reads slowly (1 MB/s); the server is told to stop once the body has begun to arrive
        // (the first 64 KiB written; at most 10 s after curl starts), not after a fixed delay,
        // which a loaded machine could reach before the request was even sent.
        let copy = root.appendingPathComponent("copy.bin").path
        let pid = server.process.processIdentifier
        let script = """
            (i=0; while [ "$(stat -c %s "$1" 2>/dev/null || echo 0)" -lt 65536 ] && [ $i -lt 1000 ]; do sleep 0.01; i=$((i+1)); done; \
            kill -TERM $2) & curl -s $3 --limit-rate 1M -o "$1" $0
            """
        let result = try run("/bin/sh", ["-c", script, server.url + "/big.bin", copy, "\(pid)", server.curlHTTP2.joined(separator: " ")],
                             timeout: 60)
        #expect(result.status == 0, "\(result.stderr)")
        let copied = try sha256(copy), digest = try sha256(big)
        #expect(copied == digest, "the download was cut short")
        server.process.waitUntilExit()
        #expect(server.process.terminationStatus == 0)
        #expect(server.trace.contains("shutting down: GOAWAY NO_ERROR, finishing open streams"), "\(server.trace.suffix(500))")
    }
}

/// nghttpd --no-tls serving `files` on a port derived from the pid; SIGKILL it when done (a child of
/// a test process may inherit a signal mask with SIGTERM blocked).
func startNghttpd(_ files: [String: String], offset: Int32) throws -> (port: Int, process: Process) {
    try startNghttpd(files, options: [], offset: offset)
}

/// A Python script that listens on a free loopback port, prints it (for `startPythonServer`),
/// accepts one client as `s` and then runs `body`.
func oneClientPythonServer(_ body: String) -> String {
    "import socket\nlistener = socket.socket()\nlistener.bind((\"127.0.0.1\", 0))\nlistener.listen(1)\n"
        + "print(listener.getsockname()[1], flush=True)\ns, _ = listener.accept()\n" + body
}

/// `oneClientPythonServer` with Python h2 as the server: `c`, its connection, has sent its preface.
func oneClientPythonH2Server(_ body: String) -> String {
    oneClientPythonServer("""
        import h2.connection, h2.config, h2.events, h2.errors, h2.exceptions
        c = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False))
        c.initiate_connection()
        s.sendall(c.data_to_send())

        """ + body)
}

@Suite("h2lab get against real servers (loopback)", .serialized)
struct GetPeerTests {
    @Test("a request refused (REFUSED_STREAM) and sent again keeps its PRIORITY_UPDATE, which names the new stream (RFC 9218 §7.1); Python h2 as the server")
    func priorityFollowsARetry() throws {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("priority-retry-\(UUID().uuidString).txt").path
        defer { try? FileManager.default.removeItem(atPath: log) }
        let (portText, server) = try startPythonServer(oneClientPythonH2Server("""
        log, refused, done = [], False, False
        while not done:
            data = s.recv(65536)
            if not data: break
            for e in c.receive_data(data):
                if isinstance(e, h2.events.UnknownFrameReceived) and e.frame.type == 0x10:
                    log.append("update %d" % int.from_bytes(e.frame.body[:4], "big"))
                if isinstance(e, h2.events.RequestReceived):
                    log.append("request %d" % e.stream_id)
                    if not refused:
                        refused = True
                        c.reset_stream(e.stream_id, h2.errors.ErrorCodes.REFUSED_STREAM)
                    else:
                        c.send_headers(e.stream_id, [(":status", "200")], end_stream=True)
                        done = True
            s.sendall(c.data_to_send())
        open("\(log)", "w").write(", ".join(log))
        """))
        defer { if server.isRunning { server.terminate() } }
        let port = try #require(UInt16(portText), "no port: \(portText)")
        let client = ClientConnection(stream: try TCPSocket.connect(host: "127.0.0.1", port: port), tracer: nil)
        client.queuePriorityUpdate(1, Priority(urgency: 1))
        let request: ClientRequest = (url: "/", headers: [HeaderField(":method", "GET"), HeaderField(":scheme", "http"),
                                                         HeaderField(":authority", "lab"), HeaderField(":path", "/")], body: [])
        let results = client.exchange([request], timeoutMilliseconds: 10_000)
        client.close()
        server.waitUntilExit()
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(results.first?.status == "200", "\(results.first?.error ?? "")")
        #expect(text.contains("update 1, request 1, update 3, request 3"), "\(text)")
    }

    @Test("get --upgrade against a server whose HTTP/1.1 answer never ends its head: refused after 64 KiB, not read without end")
    func endlessUpgradeAnswer() throws {
        let (port, server) = try startPythonServer(oneClientPythonServer("""
        s.recv(65536)
        try:
            s.sendall(b"HTTP/1.1 101 Switching Protocols\\r\\n" + b"x" * (4 << 20))
        except OSError:
            pass
        """))
        defer { if server.isRunning { server.terminate() }; server.waitUntilExit() }
        let result = try run(h2lab, ["get", "--upgrade", "http://127.0.0.1:\(port)/"], timeout: 30)
        #expect(result.status != 0 && (result.stdout + result.stderr).contains("no end of its head in 65536 octets"), "\(result.stdout) \(result.stderr)")
    }

    @Test("get against a Python h2 server whose response never ends: the body held stops at --max-body, the reset says why and how to raise it")
    func endlessBody() throws {
        let (port, server) = try startPythonServer(oneClientPythonH2Server("""
        chunk, stream, sent = b"x" * 16384, None, 0
        try:
            while sent < (64 << 20):
                data = s.recv(65536)
                if not data: break
                for e in c.receive_data(data):
                    if isinstance(e, h2.events.RequestReceived):
                        stream = e.stream_id
                        c.send_headers(stream, [(":status", "200")])
                    if isinstance(e, h2.events.StreamReset): stream = None
                while stream is not None and c.local_flow_control_window(stream) >= len(chunk):
                    c.send_data(stream, chunk)
                    sent += len(chunk)
                s.sendall(c.data_to_send())
        except Exception:
            pass
        """))
        defer { if server.isRunning { server.terminate() }; server.waitUntilExit() }
        let result = try run(h2lab, ["get", "--max-body", "1000000", "http://127.0.0.1:\(port)/"], timeout: 30)
        #expect(result.status == 1)
        #expect(result.stderr.contains("this client reset stream 1: ENHANCE_YOUR_CALM"), "\(result.stderr)")
        #expect(result.stderr.contains("the 1000000 octets of bodies this endpoint holds") && result.stderr.contains("--max-body raises the bound"),
                "\(result.stderr)")
        let bad = try run(h2lab, ["get", "--max-body", "0", "http://127.0.0.1:\(port)/"])
        #expect(bad.status == 64 && bad.stderr.contains("--max-body must be at least 1"), "\(bad.stderr)")
    }

    @Test("get: a response the server resets with NO_ERROR after it is whole is a result (§8.1); bodies already handed out count against --max-body")
    func resetAfterCompleteAndBodiesCounted() throws {
        // Python h2 answers each POST at once with 600 000 octets, without reading its body, then
        // RST_STREAM NO_ERROR: "stop sending the request's body, the response is whole" (§8.1).
        let (port, server) = try startPythonServer(oneClientPythonH2Server("""
        left = {}
        while True:
            data = s.recv(65536)
            if not data: break
            try:
                events = c.receive_data(data)
            except h2.exceptions.ProtocolError:
                break
            for e in events:
                if isinstance(e, h2.events.RequestReceived):
                    c.send_headers(e.stream_id, [(":status", "200")])
                    left[e.stream_id] = 600000
                if isinstance(e, h2.events.StreamReset): left.pop(e.stream_id, None)
            for stream in list(left):
                room = min(c.local_flow_control_window(stream), left[stream])
                while room > 0:
                    n = min(room, 16384)
                    c.send_data(stream, b"x" * n)
                    left[stream] -= n
                    room -= n
                if left[stream] == 0:
                    c.end_stream(stream)
                    c.reset_stream(stream, h2.errors.ErrorCodes.NO_ERROR)
                    del left[stream]
            s.sendall(c.data_to_send())
        """))
        defer { kill(server.processIdentifier, SIGKILL); server.waitUntilExit() }
        let upload = FileManager.default.temporaryDirectory.appendingPathComponent("upload-\(getpid()).bin")
        try Data(repeating: 0x61, count: 300_000).write(to: upload)
        defer { try? FileManager.default.removeItem(at: upload) }
        let base = "http://127.0.0.1:\(port)"
        let result = try run(h2lab, ["get", "--max-body", "1000000", "-d", upload.path, base + "/a", base + "/b"], timeout: 60)
        #expect(result.stdout.count == 600_000, "\(result.stdout.count) octets out; \(result.stderr)")
        #expect(result.stderr.contains("/a: 200") && !result.stderr.contains("error: \(base)/a"), "\(result.stderr)")
        #expect(result.status == 1 && result.stderr.contains("error: \(base)/b: this client reset stream 3: ENHANCE_YOUR_CALM"),
                "\(result.stderr)")
    }

    @Test("get against a server that never acknowledges SETTINGS and promises pushes without end: each refused (CANCEL), none listed, memory flat")
    func pushFlood() throws {
        // Raw frames: the server's SETTINGS (never an ACK), then 30 000 PUSH_PROMISEs on stream 1,
        // then the response to stream 1, each with a new even stream and a field block that inserts into the table.
        let (port, server) = try startPythonServer(oneClientPythonServer("""
        import struct, threading, time
        def frame(t, flags, sid, payload):
            return struct.pack(">I", len(payload))[1:] + bytes([t, flags]) + struct.pack(">I", sid) + payload
        def drain():  # what the client sends (its resets) is read and dropped
            try:
                while s.recv(65536): pass
            except OSError:
                pass
        s.sendall(frame(4, 0, 0, b""))
        reader = threading.Thread(target=drain, daemon=True)
        reader.start()
        n = 2
        try:
            for _ in range(60):  # 30 000 promises
                batch = b"".join(frame(5, 4, 1, struct.pack(">I", n + 2 * i) + b"\\x82\\x86\\x84\\x41\\x01a") for i in range(500))
                s.sendall(batch)
                n += 1000
            s.sendall(frame(1, 5, 1, b"\\x88"))
            reader.join(50)  # until the client has read it all and closed
        except OSError:
            pass
        """))
        defer { if server.isRunning { server.terminate() }; server.waitUntilExit() }
        let result = try run("/usr/bin/time", ["-f", "max RSS %M KiB", h2lab, "get", "--trace", "frames", "http://127.0.0.1:\(port)/"], timeout: 60)
        let cancels = result.stdout.components(separatedBy: "RST_STREAM").count - 1
        #expect(result.status == 0, "\(result.stderr.suffix(500))")
        #expect(cancels == 30_000 && !result.stderr.contains("pushed"), "\(cancels) refused; \(result.stderr.suffix(300))")
        let rss = Int(result.stderr.split(separator: "\n").last { $0.hasPrefix("max RSS") }?.split(separator: " ")[2] ?? "") ?? .max
        #expect(rss < 200_000, "max RSS \(rss) KiB after \(cancels) promises")
    }

    @Test("a client connection kept for many exchanges (the proxy's server leg) holds no body once its result is handed out")
    func bodiesLetGo() throws {
        let server = try Server()
        defer { server.stop() }
        let client = ClientConnection(stream: try TCPSocket.connect(host: "127.0.0.1", port: server.port), tracer: nil)
        defer { client.close() }
        for _ in 0..<3 {
            let requests: [ClientRequest] = ["/html", "/styles.css"].map { path in
                (url: path, headers: [HeaderField(":method", "GET"), HeaderField(":scheme", "http"), HeaderField(":authority", "127.0.0.1"),
                                      HeaderField(":path", path)], body: [])
            }
            let results = client.exchange(requests)
            #expect(results.count == 2 && results.allSatisfy { $0.status == "200" && !$0.body.isEmpty }, "\(results.map(\.error))")
            #expect(client.connection.heldBodyOctets == 0)
        }
    }

    @Test("h2lab get against nghttpd: two URLs multiplexed on one connection")
    func nghttpd() throws {
        try #require(installed("nghttpd"), "nghttp2-server is installed by scripts/test")
        let (port, nghttpd) = try startNghttpd(["a.txt": "first file\n", "b.txt": "second file\n"], offset: 0)
        defer { kill(nghttpd.processIdentifier, SIGKILL); nghttpd.waitUntilExit() }
        let result = try run(h2lab, ["get", "--trace", "frames", "http://127.0.0.1:\(port)/a.txt", "http://127.0.0.1:\(port)/b.txt"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("first file") && result.stdout.contains("second file"))
        #expect(result.stdout.contains("c0 ← HEADERS stream 1") && result.stdout.contains("c0 ← HEADERS stream 3"))
    }

    @Test("REPL `connect` against nghttpd: the server's frames wait on the wire until stepped")
    func connectNghttpd() throws {
        try #require(installed("nghttpd"), "nghttp2-server is installed by scripts/test")
        let (port, nghttpd) = try startNghttpd(["hello.txt": "served by nghttpd\n"], offset: 7)
        defer { kill(nghttpd.processIdentifier, SIGKILL); nghttpd.waitUntilExit() }
        let script = FileManager.default.temporaryDirectory.appendingPathComponent("connect-\(getpid()).h2lab")
        try Data("""
            connect http://127.0.0.1:\(port)
            request GET /hello.txt
            step 3
            show wire
            continue
            show streams
            back
            """.utf8).write(to: script)
        let result = try run(h2lab, ["--script", script.path], timeout: 60)
        let out = result.stdout
        #expect(out.contains("connected to 127.0.0.1:\(port)"))
        // After our three frames, nghttpd's answer is on the wire, not yet delivered.
        let wire = out.components(separatedBy: "lab> show wire").last?.components(separatedBy: "lab> continue").first ?? ""
        #expect(wire.contains("server→client  SETTINGS"))
        #expect(out.contains("server→client DATA stream 1 [END_STREAM]") && out.contains("served by nghttpd"))
        let streams = out.components(separatedBy: "lab> show streams").last ?? ""
        #expect(streams.split(separator: "\n").contains { $0.contains("client") && $0.contains("GET /hello.txt") && $0.hasSuffix("200") })
        #expect(result.stderr.contains(":7: back is off while attached to a real server (127.0.0.1:\(port))"))
    }

    @Test("REPL `connect` to a server that sends PINGs without pause: the wire holds a bounded number, `continue` stops at its limit, memory stays flat")
    func connectToAFlood() throws {
        // Raw frames: SETTINGS, then PING after PING until the client goes; what it sends is read and dropped.
        let (port, server) = try startPythonServer(oneClientPythonServer("""
        import struct, threading, time
        def frame(t, flags, sid, payload):
            return struct.pack(">I", len(payload))[1:] + bytes([t, flags]) + struct.pack(">I", sid) + payload
        def drain():
            try:
                while s.recv(65536): pass
            except OSError:
                pass
        threading.Thread(target=drain, daemon=True).start()
        blob = frame(6, 0, 0, b"12345678") * 1000
        try:
            s.sendall(frame(4, 0, 0, b""))
            while True: s.sendall(blob)  # until the client goes
        except OSError:
            pass
        """))
        defer { if server.isRunning { server.terminate() }; server.waitUntilExit() }
        let script = FileManager.default.temporaryDirectory.appendingPathComponent("flood-\(getpid()).h2lab")
        defer { try? FileManager.default.removeItem(at: script) }
        try Data("connect http://127.0.0.1:\(port)\nstep 50\nshow wire\ncontinue\n".utf8).write(to: script)
        let result = try run("/usr/bin/time", ["-f", "max RSS %M KiB", h2lab, "--script", script.path], timeout: 120)
        #expect(result.status == 0, "\(result.stderr.suffix(300))")
        // One pull takes about 256 KiB (its last read of at most 64 KiB may pass it: 19 275 PINGs
        // of 17 octets in all), and none is made past the hold.
        let wire = result.stdout.components(separatedBy: "lab> show wire").last?.components(separatedBy: "lab> continue").first ?? ""
        let waiting = wire.split(separator: "\n").filter { $0.contains("server→client  PING") }.count
        #expect(waiting > 0 && waiting <= Session.wireHoldFrames + (Session.pullOctets + 65_536) / 17, "\(waiting) PINGs wait")
        #expect(result.stdout.contains("stopped after 100000 deliveries"))
        let rss = Int(result.stderr.split(separator: "\n").last { $0.hasPrefix("max RSS") }?.split(separator: " ")[2] ?? "") ?? .max
        #expect(rss < 400_000, "max RSS \(rss) KiB")
    }

    @Test("REPL `connect https://…`: TLS with ALPN h2, requests carry :scheme https")
    func connectTLS() throws {
        let server = try Server(["--trace", "all"], tls: true)
        defer { server.stop() }
        let script = FileManager.default.temporaryDirectory.appendingPathComponent("connect-tls-\(getpid()).h2lab")
        try Data("connect \(server.url)\nrequest GET /json\ncontinue\n".utf8).write(to: script)
        let result = try run(h2lab, ["--script", script.path], timeout: 60)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("connected to 127.0.0.1:\(server.port)"))
        #expect(result.stdout.contains("\"protocol\": \"HTTP/2\""))
        server.stop()
        #expect(server.trace.contains("ALPN h2") && server.trace.contains(":scheme: https"), "\(server.trace.prefix(1_500))")
    }

    @Test("h2lab get against Python h2 as the server")
    func pythonServer() throws {
        let script = pythonH2ServerOpening + """
        while True:
            data = s.recv(65536)
            if not data: break
            for e in c.receive_data(data):
                if isinstance(e, h2.events.RequestReceived):
                    path = dict(e.headers)[b":path"].decode()
                    body = ("hello from python h2, you asked for " + path + "\\n").encode()
                    c.send_headers(e.stream_id, [(":status", "200"), ("content-length", str(len(body)))])
                    c.send_data(e.stream_id, body, end_stream=True)
            s.sendall(c.data_to_send())
        """
        let (port, process) = try startPythonServer(script)
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) }; process.waitUntilExit() }
        let result = try run(h2lab, ["get", "http://127.0.0.1:\(port)/from-h2lab"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "hello from python h2, you asked for /from-h2lab\n")
    }

    @Test("h2lab get --upgrade: h2c Upgrade against serve (threads, event loops), then a second URL multiplexed as stream 3",
          arguments: [["--threads"], []])
    func upgrade(mode: [String]) throws {
        let server = try Server(["--trace", "frames"] + mode)
        defer { server.stop() }
        let result = try run(h2lab, ["get", "--upgrade", "--trace", "frames", server.url + "/styles.css", server.url + "/json"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("101 Switching Protocols: stream 1 is the request"))
        #expect(result.stdout.contains("c0 ← DATA stream 1 [END_STREAM]") && result.stdout.contains("c0 → HEADERS stream 3"))
        #expect(result.stdout.contains("font-family") && result.stdout.contains("\"rfc\": 9113"))
        server.stop()
        #expect(server.trace.contains("upgraded to h2c: it is stream 1"))
    }

    @Test("the RFC 9113 §9.2 TLS rules: TLS 1.3, or TLS 1.2 with ECDHE and an AEAD cipher")
    func tlsRules() {
        #expect(TLSStream.isAcceptable(version: "TLSv1.3", cipher: "TLS_AES_128_GCM_SHA256"))
        #expect(TLSStream.isAcceptable(version: "TLSv1.2", cipher: "ECDHE-RSA-AES128-GCM-SHA256"))
        #expect(TLSStream.isAcceptable(version: "TLSv1.2", cipher: "ECDHE-ECDSA-CHACHA20-POLY1305"))
        #expect(!TLSStream.isAcceptable(version: "TLSv1.2", cipher: "AES128-GCM-SHA256"))  // no forward secrecy
        #expect(!TLSStream.isAcceptable(version: "TLSv1.2", cipher: "ECDHE-RSA-AES128-SHA256"))  // CBC
        #expect(!TLSStream.isAcceptable(version: "TLSv1.1", cipher: "ECDHE-RSA-AES128-GCM-SHA256"))
    }

    @Test("h2lab get against nothing: one clear line and exit status 1")
    func nothingThere() throws {
        let result = try run(h2lab, ["get", "http://127.0.0.1:9/"])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("error: cannot connect to 127.0.0.1:9"))
        #expect(result.stderr.split(separator: "\n").count == 1)
    }
}
