import Foundation
import Testing

/// (from the client?, frame type number, stream id) for every HTTP/2 frame tshark decodes, in
/// order, and every header field name and value it decodes.
func tsharkFrames(_ file: String, port: Int? = nil, serverPort: Int) throws -> (frames: [String], fields: [String]) {
    let decodeAs = port.map { ["-d", "tcp.port==\($0),http"] } ?? []
    let result = try run("tshark", ["-2", "-r", file] + decodeAs + ["-Y", "http2", "-T", "fields", "-E", "separator=|", "-E", "aggregator=\u{1F}",
                                                                    "-e", "tcp.srcport", "-e", "http2.type", "-e", "http2.streamid",
                                                                    "-e", "http2.header.name", "-e", "http2.header.value"])
    var frames: [String] = [], fields: [String] = []
    for line in result.stdout.split(separator: "\n") {
        let parts = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 5 else { continue }
        let from = Int(parts[0]) == serverPort ? "server" : "client"
        let types = parts[1].split(separator: "\u{1F}"), streams = parts[2].split(separator: "\u{1F}")
        for (type, stream) in zip(types, streams) { frames.append("\(from) \(type) \(stream)") }
        let names = parts[3].split(separator: "\u{1F}", omittingEmptySubsequences: false)
        let values = parts[4].split(separator: "\u{1F}", omittingEmptySubsequences: false)
        if !parts[3].isEmpty { for (name, value) in zip(names, values) { fields.append("\(name): \(value)") } }
    }
    return (frames, fields)
}

let frameTypeNumbers = ["DATA": 0, "HEADERS": 1, "PRIORITY": 2, "RST_STREAM": 3, "SETTINGS": 4, "PUSH_PROMISE": 5, "PING": 6,
                        "GOAWAY": 7, "WINDOW_UPDATE": 8, "CONTINUATION": 9]

@Suite("pcapng captures that tshark decodes as HTTP/2", .serialized)
struct PcapTests {
    @Test("save pcap in the lab: tshark decodes the frames, stream ids and header fields the lab recorded; the same session gives the same bytes")
    func lab() throws {
        try #require(installed("tshark"), "tshark is installed by scripts/test")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("h2lab-pcap-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let script = dir.appendingPathComponent("session.h2lab")
        try Data("""
            request GET /html accept: text/html
            continue
            request POST /echo body: hello
            continue
            ping
            continue
            save pcap \(dir.path)/lab.pcapng
            save json \(dir.path)/lab.json
            save pcap \(dir.path)/again.pcapng
            """.utf8).write(to: script)
        let result = try run(h2lab, ["--script", script.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("as a pcapng capture"))
        let pcap = dir.appendingPathComponent("lab.pcapng").path
        let (frames, fields) = try tsharkFrames(pcap, serverPort: 80)
        let json = try String(contentsOfFile: dir.appendingPathComponent("lab.json").path, encoding: .utf8)
        var expected: [String] = []
        for line in json.split(separator: "\n") {
            guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any],
                  object["kind"] as? String == "delivery", let name = object["frame"] as? String, let type = frameTypeNumbers[name]
            else { continue }
            expected.append("\(object["from"] as? String ?? "?") \(type) \(object["stream"] as? Int ?? -1)")
        }
        #expect(expected.count >= 12)
        #expect(frames == expected)
        for field in [":method: GET", ":path: /html", "accept: text/html", ":method: POST", ":path: /echo", ":status: 200"] {
            #expect(fields.contains(field), "tshark did not decode \(field): \(fields)")
        }
        let again = try Data(contentsOf: URL(fileURLWithPath: dir.appendingPathComponent("again.pcapng").path))
        #expect(try Data(contentsOf: URL(fileURLWithPath: pcap)) == again)
    }

    @Test("serve --threads --pcap: curl's and nghttp's h2c connections, decoded by tshark as serve traced them")
    func serve() throws {
        try #require(installed("tshark") && installed("nghttp"), "tshark and nghttp2-client are installed by scripts/test")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("h2lab-serve-\(getpid()).pcapng").path
        let server = try Server(["--threads", "--trace", "frames", "--pcap", file])
        defer { server.stop() }
        #expect(try run("curl", ["-s", "--http2-prior-knowledge", server.url + "/json"]).status == 0)
        #expect(try run("nghttp", [server.url + "/html", server.url + "/styles.css"]).status == 0)
        server.stop()
        let (frames, fields) = try tsharkFrames(file, port: Int(server.port), serverPort: Int(server.port))
        // serve's own trace of the same connections, in the same order.
        var traced: [String] = []
        for line in server.trace.split(separator: "\n") {
            let words = line.split(separator: " ")
            guard words.count >= 3, words[1] == "→" || words[1] == "←", let type = frameTypeNumbers[String(words[2])] else { continue }
            let stream = words.count > 4 && words[3] == "stream" ? Int(words[4]) ?? 0 : 0
            traced.append("\(words[1] == "←" ? "client" : "server") \(type) \(stream)")
        }
        #expect(traced.count >= 16)
        #expect(Set(frames) == Set(traced) && frames.count == traced.count, "tshark: \(frames)\ntrace: \(traced)")
        for field in [":path: /json", ":path: /html", ":path: /styles.css", "content-type: text/css; charset=utf-8"] {
            #expect(fields.contains(field), "tshark did not decode \(field)")
        }
    }

    @Test("serve --loops 2 --pcap, h2c and TLS: every connection of both loops recorded; tshark decodes (and over TLS decrypts) it", arguments: [false, true])
    func eventLoop(tls: Bool) throws {
        try #require(installed("tshark"), "tshark is installed by scripts/test")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("h2lab-loop-\(tls)-\(getpid()).pcapng").path
        let server = try Server(["--loops", "2", "--pcap", file], tls: tls)
        defer { server.stop() }
        for path in ["/json", "/html", "/styles.css", "/json"] {  // four connections, over both loops
            #expect(try run("curl", ["-s"] + server.curlHTTP2 + [server.url + path]).status == 0)
        }
        server.stop()
        let (frames, fields) = try tsharkFrames(file, port: tls ? nil : Int(server.port), serverPort: Int(server.port))
        #expect(fields.filter { $0 == ":path: /json" }.count == 2, "\(fields)")
        #expect(fields.contains(":path: /html") && fields.contains(":path: /styles.css") && fields.contains("content-type: text/css; charset=utf-8"))
        #expect(frames.filter { $0 == "client 1 1" }.count == 4 && frames.filter { $0 == "server 0 1" }.count == 4, "\(frames)")
        let conversations = Set(try run("tshark", ["-r", file, "-T", "fields", "-e", "tcp.stream"]).stdout.split(separator: "\n"))
        #expect(conversations.count == 4)
    }

    @Test("get --pcap: the client's own connection, decoded by tshark")
    func get() throws {
        try #require(installed("tshark"), "tshark is installed by scripts/test")
        let server = try Server()
        defer { server.stop() }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("h2lab-get-\(getpid()).pcapng").path
        let result = try run(h2lab, ["get", "--pcap", file, server.url + "/json", server.url + "/html"])
        #expect(result.status == 0, "\(result.stderr)")
        let (frames, fields) = try tsharkFrames(file, port: Int(server.port), serverPort: Int(server.port))
        #expect(frames.contains("client 1 1") && frames.contains("client 1 3"), "\(frames)")
        #expect(frames.contains("server 0 1") && frames.contains("server 0 3"))
        #expect(fields.contains(":path: /json") && fields.contains(":path: /html") && fields.contains("user-agent: h2lab"))
    }

    /// RFC 7541 §7.1.3 (credentials are "highly valuable or sensitive to recovery") and §6.2.3:
    /// the `authorization` field `get` sends must be a never-indexed literal on the wire, as an
    /// independent decoder (Wireshark's) reads it; a short cookie too, while a long one is indexed.
    @Test("get -H 'authorization: Bearer …' --pcap: tshark shows the authorization field as never indexed, and a short cookie too")
    func getNeverIndexesCredentials() throws {
        try #require(installed("tshark"), "tshark is installed by scripts/test")
        let server = try Server()
        defer { server.stop() }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("h2lab-get-secret-\(getpid()).pcapng").path
        let token = "Bearer eyJhbGciOiJIUzI1NiJ9.not-a-real-token.0123456789abcdef"
        let result = try run(h2lab, ["get", "--pcap", file, "-H", "authorization: \(token)", "-H", "cookie: sid=short",
                                     "-H", "x-trace: a-value-long-enough-to-index-01234", server.url + "/json"])
        #expect(result.status == 0, "\(result.stderr)")
        let decoded = try run("tshark", ["-2", "-r", file, "-d", "tcp.port==\(server.port),http", "-Y", "http2.type == 1",
                                         "-T", "fields", "-E", "separator=|", "-E", "aggregator=\u{1F}",
                                         "-e", "tcp.srcport", "-e", "http2.header.name", "-e", "http2.header.repr"])
        var representation: [String: String] = [:]
        for line in decoded.stdout.split(separator: "\n") {
            let parts = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 3, Int(parts[0]) != Int(server.port) else { continue }
            for (name, repr) in zip(parts[1].split(separator: "\u{1F}"), parts[2].split(separator: "\u{1F}")) {
                representation[String(name)] = String(repr)
            }
        }
        #expect(representation["authorization"] == "Literal Header Field never Indexed - Indexed Name", "\(representation)")
        #expect(representation["cookie"] == "Literal Header Field never Indexed - Indexed Name", "\(representation)")
        #expect(representation["x-trace"] == "Literal Header Field with Incremental Indexing - New Name", "\(representation)")
    }

    @Test("TLS: serve --pcap and get --pcap https://…: the capture carries the TLS secrets, so tshark decrypts the HTTP/2 at once")
    func tls() throws {
        try #require(installed("tshark"), "tshark is installed by scripts/test")
        let serverFile = FileManager.default.temporaryDirectory.appendingPathComponent("h2lab-tls-serve-\(getpid()).pcapng").path
        let clientFile = FileManager.default.temporaryDirectory.appendingPathComponent("h2lab-tls-get-\(getpid()).pcapng").path
        let server = try Server(["--trace", "frames", "--pcap", serverFile], tls: true)
        defer { server.stop() }
        #expect(try run("curl", ["-sk", "--http2", server.url + "/json"]).stdout.contains("9113"))
        let get = try run(h2lab, ["get", "-k", "--pcap", clientFile, server.url + "/html"])
        #expect(get.status == 0, "\(get.stderr)")
        server.stop()
        // No -d, no key log file: the secrets are in the capture.
        let (frames, fields) = try tsharkFrames(serverFile, serverPort: Int(server.port))
        #expect(fields.contains(":path: /json") && fields.contains(":path: /html"), "\(fields)")
        #expect(frames.contains("client 1 1") && frames.contains("server 0 1"))
        let traced = server.trace.split(separator: "\n").filter { $0.contains(" → ") || $0.contains(" ← ") }.count
        #expect(frames.count == traced, "tshark decoded \(frames.count) frames, serve traced \(traced)")
        let client = try tsharkFrames(clientFile, serverPort: Int(server.port))
        #expect(client.fields.contains(":path: /html") && client.fields.contains(":status: 200"), "\(client.fields)")
        let secrets = try run("tshark", ["-r", clientFile, "-T", "fields", "-e", "frame.number", "-Y", "tls.handshake.type == 1"])
        #expect(!secrets.stdout.isEmpty, "no Client Hello in the capture")
    }

    @Test("proxy --pcap: both legs in one capture, the browser's over TLS (secrets included) and the server's over h2c; tshark decodes each")
    func proxy() throws {
        try #require(installed("tshark"), "tshark is installed by scripts/test")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("h2lab-proxy-\(getpid()).pcapng").path
        let server = try Server()
        defer { server.stop() }
        let proxy = try ProxyProcess(to: server.url, tls: true, extra: ["--pcap", file])
        defer { proxy.stop() }
        #expect(try run("curl", ["-sk", "--http2", proxy.url + "/json"]).stdout.contains("9113"))
        proxy.stop()
        let (frames, fields) = try tsharkFrames(file, port: Int(server.port), serverPort: Int(server.port))
        // The request and the response once on each leg.
        #expect(fields.filter { $0 == ":path: /json" }.count == 2, "\(fields)")
        #expect(fields.filter { $0 == ":status: 200" }.count == 2, "\(fields)")
        #expect(fields.contains { $0.hasPrefix("user-agent: curl/") })
        #expect(frames.contains("server 1 1") && frames.contains("server 0 1"), "the server's HEADERS and DATA: \(frames)")
    }

    @Test("save pcap after the REPL's proxy: one conversation per leg; the edited request is on the server's leg only")
    func replProxy() throws {
        try #require(installed("tshark") && installed("curl"), "tshark and curl are installed by scripts/test")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("h2lab-repl-proxy-\(getpid()).pcapng").path
        let server = try Server()
        defer { server.stop() }
        let lab = try ListeningLab("proxy --to \(server.url) --port 0 --timeout 30\nedit :path /json\nauto on\nsave pcap \(file)\nquit\n")
        let result = try run("curl", ["-s", "--http2-prior-knowledge", "--max-time", "20", "http://127.0.0.1:\(lab.port)/html"], timeout: 30)
        #expect(result.stdout.contains("9113"))
        #expect(lab.finish(within: 30))
        let (frames, fields) = try tsharkFrames(file, serverPort: 80)
        #expect(fields.filter { $0 == ":path: /html" }.count == 1 && fields.filter { $0 == ":path: /json" }.count == 1, "\(fields)")
        #expect(fields.filter { $0 == ":status: 200" }.count == 2)
        #expect(frames.filter { $0 == "client 1 1" }.count == 2 && frames.filter { $0 == "server 0 1" }.count == 2, "\(frames)")
        let streams = try run("tshark", ["-r", file, "-T", "fields", "-e", "tcp.stream"]).stdout
        #expect(Set(streams.split(separator: "\n")) == ["0", "1"], "two TCP conversations")
    }
}
