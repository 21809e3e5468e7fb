import Foundation
import Testing
import Transport

/// The REPL's `proxy`: a real client and a real server with the lab in the middle, driven by a
/// `--script` (ListeningLab reads the port it listens on).
@Suite("The REPL's proxy: stepping, editing and dropping between real peers (loopback)", .serialized)
struct ProxyREPLTests {
    @Test("curl → REPL proxy → nghttpd: the waiting request's :path is edited; curl gets the other file; both peers' views differ")
    func editWithNghttpd() throws {
        try #require(installed("nghttpd") && installed("curl"), "nghttp2-server and curl are installed by scripts/test")
        let (port, server) = try startNghttpd(["a.txt": "file A\n", "b.txt": "file B, chosen by the lab\n"], offset: 311)
        defer { server.terminate(); kill(server.processIdentifier, SIGKILL) }
        let lab = try ListeningLab("proxy --to http://127.0.0.1:\(port) --port 0 --timeout 30\nedit :path /b.txt\n"
                                   + "auto on\nshow streams\nshow hpack\nquit\n")
        let result = try run("curl", ["-s", "--http2-prior-knowledge", "--max-time", "20", "http://127.0.0.1:\(lab.port)/a.txt"], timeout: 30)
        #expect(result.stdout == "file B, chosen by the lab\n", "\(result.stderr)")
        #expect(lab.finish(within: 30), "\(lab.text.suffix(2_000))")
        let out = lab.text
        #expect(out.contains("H2Lab sits between the client from 127.0.0.1 and the server at 127.0.0.1:\(port)"))
        #expect(lab.section(after: "edit :path /b.txt").contains("goes to the server with: :path: /b.txt"))
        let watched = lab.section(after: "auto on")
        #expect(watched.contains("client→server HEADERS stream 1 [END_STREAM END_HEADERS]"))
        #expect(watched.contains("edited before forwarding: :path: /b.txt"))
        #expect(watched.contains("H2Lab → server:") && watched.contains("H2Lab → client:"))
        #expect(watched.contains("user-agent: curl/"))
        #expect(watched.contains("server stream 1: idle → open → half-closed (remote)"))
        #expect(watched.contains(#/server→client DATA stream 1 \[END_STREAM\]/#))
        #expect(watched.contains("the client at 127.0.0.1 closed the connection"))
        let streams = lab.section(after: "show streams")
        #expect(streams.contains(#/client 1 +closed .* GET /a.txt +200/#), "\(streams)")
        #expect(streams.contains(#/server 1 +closed .* GET /b.txt +200/#), "\(streams)")
        // Each leg has its own tables: the server's decoder holds the edited path, the client's encoder the original.
        let tables = lab.section(after: "show hpack")
        #expect(tables.contains("server (127.0.0.1:\(port)) decoder, mirroring H2Lab's encoder toward it"))
        #expect(tables.contains(":path: /b.txt") && tables.contains("user-agent: curl/"))
    }

    @Test("drop the server's response HEADERS: curl answers the DATA that follows with GOAWAY PROTOCOL_ERROR")
    func dropResponseHeaders() throws {
        try #require(installed("curl"), "curl is installed by scripts/test")
        let server = try Server()
        defer { server.stop() }
        let lab = try ListeningLab("proxy --to \(server.url) --port 0 --timeout 30\nnext\ndrop server headers\nauto on\nhistory\nquit\n")
        let result = try run("curl", ["-s", "--http2-prior-knowledge", "--max-time", "20", "http://127.0.0.1:\(lab.port)/json"], timeout: 30)
        #expect(result.status != 0 && !result.stdout.contains("9113"), "curl should not get the body: \(result.stdout)")
        #expect(lab.finish(within: 30), "\(lab.text.suffix(2_000))")
        let next = lab.section(after: "next")
        #expect(next.contains("client stream 1: idle → open → half-closed (local)") && !next.contains("server→client HEADERS"))
        let dropped = lab.section(after: "drop server headers")
        #expect(dropped.contains("server→client HEADERS stream 1 [END_HEADERS]") && dropped.contains("dropped: the client never sees it"))
        #expect(dropped.contains(":status: 200"))  // H2Lab decoded it (the server's context stays whole)
        let watched = lab.section(after: "auto on")
        #expect(watched.contains(#/server→client DATA stream 1 \[END_STREAM\]/#))
        #expect(watched.contains(#/client→server GOAWAY \d+ bytes\n +last stream 0, PROTOCOL_ERROR/#), "\(watched)")
        #expect(lab.section(after: "history").contains("HEADERS stream 1 [EH] dropped"))
    }

    @Test("nghttp → REPL proxy → a Python h2 server: stepped a frame at a time to the end; the request's fields edited and removed")
    func pythonServer() throws {
        try #require(installed("nghttp"), "nghttp2-client is installed by scripts/test")
        let server = try PythonH2Server()
        defer { server.stop() }
        let lab = try ListeningLab("proxy --to http://127.0.0.1:\(server.port) --port 0 --timeout 30\n"
                                   + "edit user-agent h2lab-edited\nedit remove accept\nbreak frame DATA\ncontinue\nstep 40\nshow streams\nquit\n")
        let result = try run("nghttp", ["--timeout=20", "http://127.0.0.1:\(lab.port)/"], timeout: 30)
        #expect(result.stdout == "hello from python h2\n", "\(result.stderr)")
        #expect(lab.finish(within: 30), "\(lab.text.suffix(2_000))")
        // The breakpoint stops `continue` at the server's DATA, forwarded to the client.
        let continued = lab.section(after: "continue")
        #expect(continued.contains(#/server→client DATA stream \d+ \[END_STREAM\].*\n(.*\n)*  breakpoint 1 \(frame DATA\) at #\d+$/#), "\(continued)")
        let stepped = continued + lab.section(after: "step 40")
        #expect(stepped.contains("edited before forwarding: user-agent: h2lab-edited; remove accept"))
        let forwarded = stepped.components(separatedBy: "H2Lab → server:").dropFirst().first ?? ""
        #expect(forwarded.contains("user-agent: h2lab-edited") && !forwarded.prefix(800).contains("accept: "), "\(forwarded.prefix(800))")
        #expect(lab.section(after: "show streams").contains(#/server \d+ +closed .* GET / +200/#))
    }

    @Test("headless Chromium → REPL proxy over TLS → h2lab serve (h2c), auto on: the page and its stylesheet load")
    func chromium() throws {
        let server = try Server()
        defer { server.stop() }
        let lab = try ListeningLab("proxy --to \(server.url) --tls --port 0 --timeout 60\nauto on\nshow streams\nquit\n")
        let browser = try chromiumDumpDOM("https://127.0.0.1:\(lab.port)/html")
        #expect(browser.stdout.contains(greeting), "\(browser.stderr.suffix(800))")
        #expect(lab.finish(within: 30), "\(lab.text.suffix(2_000))")
        let watched = lab.section(after: "auto on")
        #expect(watched.contains(":path: /html") && watched.contains(":path: /styles.css"))
        #expect(watched.contains("H2Lab → server:"))
        #expect(lab.section(after: "show streams").contains("GET /styles.css"))
    }

    @Test("curl → REPL proxy → h2lab serve with auto on: a 10 MB download and a 10 MB upload with matching SHA-256")
    func bigBodies() throws {
        try #require(installed("curl"), "curl is installed by scripts/test")
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("h2lab-repl-proxy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let big = root.appendingPathComponent("big.bin").path
        #expect(try run("/bin/sh", ["-c", "head -c 10000000 /dev/urandom > \"$0\"", big]).status == 0)
        let digest = try sha256(big)
        let server = try Server(["--root", root.path])
        defer { server.stop() }
        let down = try ListeningLab("proxy --to \(server.url) --port 0 --timeout 30\nauto on\nshow windows\nquit\n")
        let copy = root.appendingPathComponent("copy.bin").path
        let download = try run("curl", ["-s", "--http2-prior-knowledge", "--max-time", "120", "-o", copy, "http://127.0.0.1:\(down.port)/big.bin"], timeout: 130)
        let copied = try sha256(copy)
        #expect(download.status == 0 && copied == digest, "\(download.stderr)")
        #expect(down.finish(within: 60))
        #expect(down.section(after: "auto on").components(separatedBy: "server→client DATA stream 1").count > 600)
        let up = try ListeningLab("proxy --to \(server.url) --port 0 --timeout 30\nauto on\nquit\n")
        let upload = try run("curl", ["-s", "--http2-prior-knowledge", "--max-time", "120", "--data-binary", "@" + big,
                                      "http://127.0.0.1:\(up.port)/upload"], timeout: 130)
        #expect(upload.stdout.contains("\"received\": 10000000") && upload.stdout.contains(digest), "\(upload.stdout) \(upload.stderr)")
        #expect(up.finish(within: 60))
        // 10 MB through 64 KiB windows: the server's WINDOW_UPDATEs were forwarded to curl.
        #expect(up.section(after: "auto on").components(separatedBy: "server→client WINDOW_UPDATE").count > 20)
    }

    @Test("h2load → REPL proxy → nghttpd over 2 connections: 200 requests, 10 streams at a time, all succeed; each connection numbered")
    func manyStreams() throws {
        try #require(installed("h2load") && installed("nghttpd"), "nghttp2-client and nghttp2-server are installed by scripts/test")
        let (port, server) = try startNghttpd(["index.html": "<p>hello</p>\n"], offset: 313)
        defer { server.terminate(); kill(server.processIdentifier, SIGKILL) }
        let lab = try ListeningLab("proxy --to http://127.0.0.1:\(port) --port 0 --timeout 30\nauto on\nconnection\n"
                                   + "show streams\nconnection 2\nshow streams\nquit\n")
        let result = try run("h2load", ["-n", "200", "-c", "2", "-m", "10", "-T", "60", "http://127.0.0.1:\(lab.port)/index.html"], timeout: 90)
        #expect(result.stdout.contains("200 succeeded"), "\(result.stdout.suffix(1_000))")
        #expect(lab.finish(within: 60), "\(lab.text.suffix(2_000))")
        let watched = lab.section(after: "auto on")
        #expect(watched.contains("connection 2: another client from 127.0.0.1"))
        #expect(watched.contains(#/#\d+ c1 client→server HEADERS/#) && watched.contains(#/#\d+ c2 server→client DATA/#))
        #expect(watched.contains("connection 2: the client at 127.0.0.1 closed the connection"))
        let list = lab.section(after: "connection")
        #expect(list.contains(#/\* 1 +127\.0\.0\.1 ⇄ 127\.0\.0\.1:\d+: \d+ deliveries/#) && list.contains(#/\n    2 +127\.0\.0\.1 ⇄/#), "\(list)")
        // 100 requests on each connection (h2load splits them evenly), each relayed on its own server connection.
        let first = lab.section(after: "show streams")
        #expect(first.contains(#/server 199 +closed/#) && !first.contains("server 201 "), "\(first.suffix(500))")
        #expect(lab.section(after: "connection 2").hasPrefix("  connection 2: 127.0.0.1 ⇄ 127.0.0.1:\(port)"))
        let second = lab.text.components(separatedBy: "lab> show streams").last ?? ""
        #expect(second.contains(#/client 199 +closed/#))
    }
}
