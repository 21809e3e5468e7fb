import Foundation
import Testing

/// A body of `count` printable octets that differs all along, so a lost, repeated or reordered
/// frame shows in a comparison.
func sampleBody(_ count: Int, seed: Int) -> String {
    var text = ""
    text.reserveCapacity(count)
    var line = 0
    while text.utf8.count < count {
        text += "line \(line) of body \(seed): \(String(repeating: Character(UnicodeScalar(65 + (line + seed) % 26)!), count: 40))\n"
        line += 1
    }
    return String(text.utf8.prefix(count)) ?? text
}

/// nghttpd --no-tls with extra options, serving `files` on a port derived from the pid and `offset`.
func startNghttpd(_ files: [String: String], options: [String], offset: Int32) throws -> (port: Int, process: Process) {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("nghttpd-opt-\(getpid())-\(offset)")
    try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    for (name, text) in files { try Data(text.utf8).write(to: root.appendingPathComponent(name)) }
    let port = 20_000 + Int((getpid() + offset) % 20_000)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["nghttpd", "--no-tls", "-d", root.path] + options + ["\(port)"]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    usleep(400_000)
    return (port, process)
}

/// The start of a one-connection Python `h2` server script: listens on a free port, prints it,
/// accepts one client as `s` and has sent its SETTINGS through `c`; the rest answers.
let pythonH2ServerOpening = """
    import socket, sys, h2.connection, h2.config, h2.events, h2.errors
    l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(1)
    print(l.getsockname()[1], flush=True)
    l.settimeout(20)
    s, _ = l.accept()
    c = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=False))
    c.initiate_connection(); s.sendall(c.data_to_send())

    """

/// A Python `h2` server running `script` (which prints its port first); killed when the test ends.
func startPythonServer(_ script: String) throws -> (port: String, process: Process) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script]
    let out = Pipe()
    process.standardOutput = out
    process.standardError = FileHandle.nullDevice
    try process.run()
    var portText = ""
    let handle = out.fileHandleForReading
    while !portText.contains("\n") {
        let byte = handle.readData(ofLength: 1)
        if byte.isEmpty { break }
        portText += String(decoding: byte, as: UTF8.self)
    }
    return (portText.trimmingCharacters(in: .whitespacesAndNewlines), process)
}

@Suite("the client keeps within the server's limits and sends again what the server did not process", .serialized)
struct ClientLimitTests {
    @Test("nghttpd -m 1: two URLs fetched one after the other, the second queued until the first closes (§5.1.2)")
    func oneConcurrentStream() throws {
        try #require(installed("nghttpd"), "nghttp2-server is installed by scripts/test")
        let big = sampleBody(300_000, seed: 1), small = "<h1>small</h1>\n"
        let (port, nghttpd) = try startNghttpd(["big.txt": big, "index.html": small], options: ["-m", "1"], offset: 31)
        defer { kill(nghttpd.processIdentifier, SIGKILL); nghttpd.waitUntilExit() }
        let base = "http://127.0.0.1:\(port)"
        let plain = try run(h2lab, ["get", base + "/big.txt", base + "/index.html"])
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(plain.stdout == big + small)
        let traced = try run(h2lab, ["get", "--trace", "frames", base + "/big.txt", base + "/index.html"])
        let lines = traced.stdout.components(separatedBy: "\n")
        #expect(traced.stdout.contains("1 request(s) wait: the server allows 1 concurrent stream(s) (§5.1.2)"))
        let firstEnds = lines.firstIndex { $0.hasPrefix("c0 ← DATA stream 1") && $0.contains("END_STREAM") }
        let secondOpens = lines.firstIndex { $0.hasPrefix("c0 → HEADERS stream 3") }
        #expect(firstEnds != nil && secondOpens != nil && firstEnds! < secondOpens!, "stream 3 opened before stream 1 ended")
        #expect(!traced.stdout.contains("REFUSED_STREAM"))
    }

    @Test("the client against nghttpd's unusual settings: bodies arrive whole", arguments: [
        ["-w", "1", "-W", "1"],  // windows of one octet
        ["--padding=255"],
        ["--trailer=x-checksum: done"],
        ["--encoder-header-table-size=0"],
        ["-m", "1", "-w", "4"],
    ])
    func unusualServers(options: [String]) throws {
        try #require(installed("nghttpd"), "nghttp2-server is installed by scripts/test")
        let a = sampleBody(70_000, seed: 2), b = sampleBody(5_000, seed: 3)
        let offset = Int32(40 + options.joined().count % 50)
        let (port, nghttpd) = try startNghttpd(["a.txt": a, "b.txt": b], options: options, offset: offset)
        defer { kill(nghttpd.processIdentifier, SIGKILL); nghttpd.waitUntilExit() }
        let base = "http://127.0.0.1:\(port)"
        let result = try run(h2lab, ["get", base + "/a.txt", base + "/b.txt", base + "/a.txt"], timeout: 120)
        #expect(result.status == 0, "\(options): \(result.stderr)")
        #expect(result.stdout == a + b + a, "\(options): got \(result.stdout.utf8.count) octets")
    }

    @Test("RST_STREAM REFUSED_STREAM: the request goes again on the same connection (§8.7)")
    func refusedStream() throws {
        let script = pythonH2ServerOpening + """
        refused = 0
        while True:
            data = s.recv(65536)
            if not data: break
            for e in c.receive_data(data):
                if isinstance(e, h2.events.RequestReceived):
                    if refused < 2:
                        refused += 1
                        c.reset_stream(e.stream_id, error_code=h2.errors.ErrorCodes.REFUSED_STREAM)
                        continue
                    path = dict(e.headers)[b":path"].decode()
                    body = ("answered " + path + " on stream " + str(e.stream_id) + "\\n").encode()
                    c.send_headers(e.stream_id, [(":status", "200")])
                    c.send_data(e.stream_id, body, end_stream=True)
            s.sendall(c.data_to_send())
        """
        let (port, server) = try startPythonServer(script)
        defer { if server.isRunning { kill(server.processIdentifier, SIGKILL) }; server.waitUntilExit() }
        let result = try run(h2lab, ["get", "--trace", "frames", "http://127.0.0.1:\(port)/again"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("c0 ← RST_STREAM stream 1") && result.stdout.contains("c0 ← RST_STREAM stream 3"))
        #expect(result.stdout.contains("stream 1 refused (REFUSED_STREAM): the server did not process it; sending it again (§8.7)"))
        #expect(result.stdout.contains("answered /again on stream 5\n"))
    }

    @Test("GOAWAY with last-stream-id 1: the requests above it go again on a new connection (§8.7, §6.8)")
    func goawayRetry() throws {
        let script = """
        import socket, h2.connection, h2.config, h2.events
        l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(2)
        print(l.getsockname()[1], flush=True)
        l.settimeout(20)
        for connection in range(2):
            s, _ = l.accept()
            c = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=False))
            c.initiate_connection(); s.sendall(c.data_to_send())
            answered, done = 0, False
            while not done:
                data = s.recv(65536)
                if not data: break
                for e in c.receive_data(data):
                    if isinstance(e, h2.events.RequestReceived):
                        path = dict(e.headers)[b":path"].decode()
                        if connection == 0 and e.stream_id > 1:
                            continue
                        body = ("connection " + str(connection) + " answered " + path + "\\n").encode()
                        c.send_headers(e.stream_id, [(":status", "200")])
                        c.send_data(e.stream_id, body, end_stream=True)
                        answered += 1
                if connection == 0 and answered == 1:
                    c.close_connection(last_stream_id=1)
                    done = True
                s.sendall(c.data_to_send())
            s.close()
        """
        let (port, server) = try startPythonServer(script)
        defer { if server.isRunning { kill(server.processIdentifier, SIGKILL) }; server.waitUntilExit() }
        let base = "http://127.0.0.1:\(port)"
        let result = try run(h2lab, ["get", "--trace", "frames", base + "/one", base + "/two", base + "/three"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("connection 0 answered /one\n"))
        #expect(result.stdout.contains("connection 1 answered /two\n") && result.stdout.contains("connection 1 answered /three\n"))
        #expect(result.stdout.contains("a new connection for 2 unprocessed request(s)"))
    }

    @Test("get --push against nghttpd -p: the pushed stylesheet arrives whole on stream 2 (§8.4); without --push none is promised")
    func push() throws {
        try #require(installed("nghttpd"), "nghttp2-server is installed by scripts/test")
        let css = sampleBody(30_000, seed: 9)
        let (port, nghttpd) = try startNghttpd(["index.html": "<link rel=stylesheet href=/style.css>\n", "style.css": css],
                                               options: ["-p", "/index.html=/style.css"], offset: 77)
        defer { kill(nghttpd.processIdentifier, SIGKILL); nghttpd.waitUntilExit() }
        let url = "http://127.0.0.1:\(port)/index.html"
        let pushed = try run(h2lab, ["get", "--push", "--trace", "frames", url])
        #expect(pushed.status == 0, "\(pushed.stderr)")
        #expect(pushed.stdout.contains("SETTINGS_ENABLE_PUSH=1") && pushed.stdout.contains("c0 ← PUSH_PROMISE stream 1"))
        #expect(pushed.stderr.contains("pushed http://127.0.0.1:\(port)/style.css: 200 (\(css.utf8.count) octets)"), "\(pushed.stderr)")
        let plain = try run(h2lab, ["get", "--trace", "frames", url])
        #expect(plain.status == 0 && !plain.stdout.contains("PUSH_PROMISE") && !plain.stderr.contains("pushed"))
    }
}
