import Foundation
import Testing
import Transport

/// A running `h2lab proxy --to URL` on a free port, its trace kept; stopped at the end.
final class ProxyProcess: @unchecked Sendable {
    let process = Process()
    let port: UInt16
    let log: URL
    let tls: Bool

    init(to upstream: String, tls: Bool = false, extra: [String] = []) throws {
        self.tls = tls
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("h2lab-proxy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let portFile = dir.appendingPathComponent("port")
        log = dir.appendingPathComponent("trace.log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        port = try launch(process, ["proxy", "--to", upstream, "--port", "0", "--port-file", portFile.path] + (tls ? ["--tls"] : []) + extra,
                          portFile: portFile, environment: ["XDG_CACHE_HOME": dir.path],
                          stdout: try FileHandle(forWritingTo: log), stderr: FileHandle.nullDevice)
    }

    var url: String { "\(tls ? "https" : "http")://127.0.0.1:\(port)" }
    var trace: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }

    deinit { stop() }
}

func sha256(_ path: String) throws -> String {
    String(try run("sha256sum", [path]).stdout.prefix(64))
}

@Suite("h2lab proxy between real clients and real servers (loopback)", .serialized)
struct ProxyTests {
    @Test("curl → proxy → h2lab serve: a page, a 10 MB upload and a 10 MB download with matching SHA-256, both legs traced")
    func curlThroughProxy() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("h2lab-proxy-root-\(getpid())")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let big = root.appendingPathComponent("big.bin").path
        #expect(try run("/bin/sh", ["-c", "head -c 10000000 /dev/urandom > \"$0\"", big]).status == 0)
        let server = try Server(["--root", root.path])
        defer { server.stop() }
        let proxy = try ProxyProcess(to: server.url)
        defer { proxy.stop() }
        let page = try run("curl", ["-s", "--http2-prior-knowledge", proxy.url + "/json"])
        #expect(page.stdout.contains("\"rfc\": 9113"))
        let upload = try run("curl", ["-s", "--http2-prior-knowledge", "--data-binary", "@" + big, proxy.url + "/upload"], timeout: 120)
        let digest = try sha256(big)
        #expect(upload.stdout.contains("\"received\": 10000000") && upload.stdout.contains(digest), "\(upload.stdout)")
        let copy = root.appendingPathComponent("copy.bin").path
        let download = try run("curl", ["-s", "--http2-prior-knowledge", "-o", copy, proxy.url + "/big.bin"], timeout: 120)
        let copied = try sha256(copy)
        #expect(download.status == 0 && copied == digest)
        proxy.stop()
        let trace = proxy.trace
        #expect(trace.contains("c1 client → proxy HEADERS stream 1") && trace.contains("c1 proxy → server HEADERS stream 1"))
        #expect(trace.contains("c1 proxy ← server DATA stream 1") && trace.contains("c1 client ← proxy DATA stream 1"))
        #expect(trace.contains("client → proxy DATA stream 1") && trace.contains("proxy → server DATA stream 1"), "the upload's DATA, both legs")
    }

    @Test("h2load → proxy → nghttpd: 400 requests, 10 streams at a time on each of 2 connections, all served")
    func manyStreams() throws {
        try #require(installed("nghttpd") && installed("h2load"), "nghttp2 is installed by scripts/test")
        let (port, nghttpd) = try startNghttpd(["index.html": "<h1>through the proxy</h1>\n"], offset: 120)
        defer { kill(nghttpd.processIdentifier, SIGKILL); nghttpd.waitUntilExit() }
        let proxy = try ProxyProcess(to: "http://127.0.0.1:\(port)", extra: ["--trace", "off"])
        defer { proxy.stop() }
        let load = try run("h2load", ["-n", "400", "-c", "2", "-m", "10", proxy.url + "/index.html"], timeout: 120)
        #expect(load.stdout.contains("400 succeeded, 0 failed"), "\(load.stdout.suffix(800))")
    }

    @Test("headless Chromium → proxy over TLS → h2lab serve (h2c): the page loads")
    func browserThroughProxy() throws {
        let server = try Server()
        defer { server.stop() }
        let proxy = try ProxyProcess(to: server.url, tls: true)
        defer { proxy.stop() }
        let browser = try chromiumDumpDOM(proxy.url + "/html")
        #expect(browser.stdout.contains(greeting), "\(browser.stdout.prefix(600))")
        proxy.stop()
        #expect(proxy.trace.contains("TLS") && proxy.trace.contains("proxy → server HEADERS"))
    }

    @Test("a Python h2 server behind the proxy; an unreachable server gives 502 with a reason")
    func pythonAndUnreachable() throws {
        let python = try PythonH2Server()
        defer { python.stop() }
        let proxy = try ProxyProcess(to: "http://127.0.0.1:\(python.port)")
        defer { proxy.stop() }
        let answer = try run("curl", ["-s", "--http2-prior-knowledge", proxy.url + "/anything"])
        #expect(answer.stdout == "hello from python h2\n")
        let dead = try ProxyProcess(to: "http://127.0.0.1:9")
        defer { dead.stop() }
        let failed = try run("curl", ["-s", "--http2-prior-knowledge", "-w", "%{http_code}", dead.url + "/"])
        #expect(failed.stdout.hasPrefix("h2lab proxy: cannot reach the server") && failed.stdout.hasSuffix("502"))
    }

    @Test("server push goes through: nghttpd -p behind the proxy, h2lab get --push and nghttp in front")
    func pushThroughProxy() throws {
        try #require(installed("nghttpd") && installed("nghttp"), "nghttp2 is installed by scripts/test")
        let css = sampleBody(20_000, seed: 5)
        let (port, nghttpd) = try startNghttpd(["index.html": "<link rel=stylesheet href=/style.css>\n", "style.css": css],
                                               options: ["-p", "/index.html=/style.css"], offset: 140)
        defer { kill(nghttpd.processIdentifier, SIGKILL); nghttpd.waitUntilExit() }
        let proxy = try ProxyProcess(to: "http://127.0.0.1:\(port)")
        defer { proxy.stop() }
        let get = try run(h2lab, ["get", "--push", proxy.url + "/index.html"])
        #expect(get.stderr.contains("pushed \(proxy.url)/style.css: 200 (\(css.utf8.count) octets)"), "\(get.stderr)")
        let nghttp = try run("nghttp", ["-v", proxy.url + "/index.html"])
        #expect(nghttp.stdout.contains("recv PUSH_PROMISE frame"))
        let plain = try run(h2lab, ["get", proxy.url + "/index.html"])
        #expect(plain.status == 0 && !plain.stderr.contains("pushed"), "a client that disables push gets no promise")
        proxy.stop()
        #expect(proxy.trace.contains("proxy ← server PUSH_PROMISE stream 1") && proxy.trace.contains("client ← proxy PUSH_PROMISE"))
    }
}
