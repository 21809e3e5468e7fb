import Foundation
import Engine
import Testing

/// `h2lab --script FILE` whose script begins with `listen ... --port 0`: started in the background,
/// its output going to a file, and the port read from the line it prints at once.
final class ListeningLab: @unchecked Sendable {
    let process = Process()
    let output: URL
    let port: UInt16

    init(_ script: String) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("h2lab-listen-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let file = dir.appendingPathComponent("lab.h2lab")
        try Data(script.utf8).write(to: file)
        output = dir.appendingPathComponent("out.txt")
        FileManager.default.createFile(atPath: output.path, contents: nil)
        FileManager.default.createFile(atPath: dir.appendingPathComponent("err.txt").path, contents: nil)
        process.executableURL = URL(fileURLWithPath: h2lab)
        process.arguments = ["--script", file.path]
        var environment = ProcessInfo.processInfo.environment
        environment["XDG_CACHE_HOME"] = dir.path  // its own self-signed certificate
        process.environment = environment
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = try FileHandle(forWritingTo: dir.appendingPathComponent("err.txt"))
        try process.run()
        var found: UInt16?
        var text = ""
        let child = process, output = output
        waitUntil(20) {
            text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            found = text.firstMatch(of: /listening on https?:\/\/127\.0\.0\.1:(\d+)\//).flatMap { UInt16($0.1) }
            return found != nil || !child.isRunning
        }
        guard let found else {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            throw CocoaError(.fileReadUnknown, userInfo: [NSDebugDescriptionErrorKey: "no listening line: " + text])
        }
        port = found
    }

    var text: String { (try? String(contentsOf: output, encoding: .utf8)) ?? "" }
    var errors: String { (try? String(contentsOf: output.deletingLastPathComponent().appendingPathComponent("err.txt"), encoding: .utf8)) ?? "" }

    /// Waits for the script to end (bounded); kills it after `seconds`. Returns whether it ended by itself.
    func finish(within seconds: TimeInterval) -> Bool {
        guard !waitUntil(seconds, { !process.isRunning }) else { return true }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        return false
    }

    /// The output printed between `lab> FIRST` and the next command.
    func section(after command: String) -> String {
        guard let start = text.range(of: "lab> " + command + "\n") else { return "" }
        let rest = text[start.upperBound...]
        return String(rest[..<(rest.range(of: "\nlab> ")?.lowerBound ?? rest.endIndex)])
    }

    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
}

/// Headless Chromium fetching `url` (a throwaway profile, certificate errors ignored), bounded.
func chromiumDumpDOM(_ url: String) throws -> Run {
    let browser = ["chromium", "chromium-browser"].first(where: installed)
    try #require(browser != nil, "chromium is installed by scripts/test")
    let profile = FileManager.default.temporaryDirectory.appendingPathComponent("chromium-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: profile) }
    return try run(browser ?? "chromium", ["--headless", "--no-sandbox", "--disable-gpu", "--ignore-certificate-errors",
                                           "--user-data-dir=" + profile, "--virtual-time-budget=3000", "--dump-dom", url], timeout: 90)
}

let greeting = "<h1 id=\"greeting\">Hello over HTTP/2</h1>"

@Suite("The REPL's listen: real clients become the lab's client (loopback)", .serialized)
struct ListenPeerTests {
    /// Runs `script` (which listens with TLS), loads /html in headless Chromium while it runs, and
    /// checks that the browser got the page and the script ended once the browser had left.
    func browse(_ script: String) throws -> ListeningLab {
        let lab = try ListeningLab(script)
        let browser = try chromiumDumpDOM("https://127.0.0.1:\(lab.port)/html")
        #expect(browser.stdout.contains(greeting), "\(browser.stderr.suffix(800))")
        #expect(lab.finish(within: 30), "the lab kept going after Chromium left:\n\(lab.text.suffix(2_000))")
        return lab
    }

    @Test("headless Chromium with auto on: it gets the page; the lab printed its SETTINGS, HEADERS and transitions live")
    func chromiumAutoOn() throws {
        let lab = try browse("listen --tls --port 0\nauto on\nshow streams\nquit\n")
        let out = lab.text
        #expect(out.contains("a client from 127.0.0.1: TLS"), "\(out.prefix(2_000))")
        // Chromium's SETTINGS as decoded by our server, its request with HPACK, the transitions.
        let watched = lab.section(after: "auto on")
        #expect(watched.contains("client→server SETTINGS") && watched.contains("SETTINGS_INITIAL_WINDOW_SIZE="))
        #expect(watched.contains("client→server HEADERS stream 1 [END_STREAM END_HEADERS"))
        #expect(watched.contains(":path: /html"))
        #expect(watched.contains("server stream 1: idle → open → half-closed (remote)"))
        #expect(watched.contains("server stream 1: half-closed (remote) → closed"))
        #expect(watched.contains(":path: /styles.css"))  // the page's stylesheet, on the same connection
        #expect(watched.hasSuffix("the client at 127.0.0.1 closed the connection"))
        #expect(lab.section(after: "show streams").contains("GET /html"))
    }

    @Test("headless Chromium with auto off: its first frames wait on the wire until stepped")
    func chromiumStepped() throws {
        // Chromium runs while the script steps; it blocks on its request until the lab delivers it.
        let lab = try browse("listen --tls --port 0\nshow wire\nstep 4\nshow wire\ncontinue\nauto on\nquit\n")
        // Before any step: our SETTINGS and Chromium's preface and SETTINGS wait (its HEADERS is in the same
        // burst, but a loaded machine may split it off).
        let waiting = lab.section(after: "show wire").split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(waiting.first?.hasPrefix("server→client  SETTINGS") == true, "\(waiting)")
        #expect(waiting.contains { $0.hasPrefix("client→server  preface") })
        #expect(waiting.contains { $0.hasPrefix("client→server  SETTINGS") })
        #expect(lab.text.components(separatedBy: "lab> step 4").first?.contains("#1 ") == false)  // nothing delivered before `step`
        // Four steps deliver our SETTINGS, the preface, Chromium's SETTINGS and WINDOW_UPDATE; HEADERS still waits.
        let stepped = lab.section(after: "step 4")
        #expect(stepped.contains("#1 server→client SETTINGS") && stepped.contains("#2 client→server preface"))
        #expect(!stepped.contains("HEADERS"))
        let stillWaiting = lab.text.components(separatedBy: "lab> show wire").dropFirst(2).first ?? ""
        #expect(stillWaiting.contains("client→server  HEADERS stream 1"))
        #expect(lab.section(after: "continue").contains("server stream 1: idle → open → half-closed (remote)"))
    }

    @Test("curl and nghttp over h2c (prior knowledge) with auto on get /json; `back` is refused", arguments: [
        (["curl", "-s", "--http2-prior-knowledge", "--max-time", "20"], "curl/"),
        (["nghttp", "--timeout=20"], "nghttp2/"),  // nghttp opens with PRIORITY frames and uses stream 13
    ])
    func commandLineClients(_ client: [String], _ agent: String) throws {
        try #require(installed(client[0]), "curl and nghttp2-client are installed by scripts/test")
        let lab = try ListeningLab("listen --port 0\nauto on\nback\nquit\n")
        let result = try run(client[0], Array(client.dropFirst()) + ["http://127.0.0.1:\(lab.port)/json"], timeout: 30)
        #expect(result.stdout.contains("\"protocol\": \"HTTP/2\""), "\(result.stderr)")
        #expect(lab.finish(within: 30))
        let watched = lab.section(after: "auto on")
        #expect(watched.contains("user-agent: \(agent)"))
        #expect(watched.contains(#/server→client DATA stream \d+ \[END_STREAM\]/#))
        #expect(lab.errors.contains(":3: back is off while attached to a real client"))
    }

    @Test("h2load opens two connections to `listen`: both served by the lab, each numbered; `connection 2` switches the views")
    func twoConnections() throws {
        try #require(installed("h2load"), "nghttp2-client is installed by scripts/test")
        let lab = try ListeningLab("listen --port 0\nauto on\nconnection\nconnection 2\nshow streams\nconnection 9\nquit\n")
        let result = try run("h2load", ["-n", "20", "-c", "2", "-m", "2", "-T", "30", "http://127.0.0.1:\(lab.port)/json"], timeout: 60)
        #expect(result.stdout.contains("20 succeeded"), "\(result.stdout.suffix(1_000))")
        #expect(lab.finish(within: 30), "\(lab.text.suffix(2_000))")
        let watched = lab.section(after: "auto on")
        #expect(watched.contains("connection 2: another client from 127.0.0.1 (browsers open more than one)"))
        #expect(watched.contains(#/#\d+ c2 client→server HEADERS stream 1/#) && watched.contains(#/#\d+ c1 server→client DATA/#))
        #expect(watched.contains("connection 1: the client at 127.0.0.1 closed the connection"))
        let list = lab.section(after: "connection")
        #expect(list.contains(#/\* 1 +127\.0\.0\.1 ⇄ our server: \d+ deliveries, 0 waiting, the client has closed it/#), "\(list)")
        #expect(list.contains(#/\n    2 +127\.0\.0\.1 ⇄ our server/#))
        #expect(lab.section(after: "show streams").contains(#/server 19 +closed \(END_STREAM\)/#))
        #expect(lab.errors.contains(":6: no connection 9 (`connection` lists them)"), "\(lab.errors)")
    }

    @Test("curl uploads 2 MB through the lab with auto on: our WINDOW_UPDATEs reach it, the body arrives intact")
    func upload() throws {
        try #require(installed("curl"), "curl is installed by scripts/test")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("listen-upload-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var body = [UInt8](repeating: 0, count: 2_000_000)
        var generator = SystemRandomNumberGenerator()
        for i in body.indices { body[i] = UInt8.random(in: 0...255, using: &generator) }
        try Data(body).write(to: dir.appendingPathComponent("body.bin"))
        let lab = try ListeningLab("listen --port 0\nauto on\nshow streams\nquit\n")
        let result = try run("curl", ["-s", "--http2-prior-knowledge", "--max-time", "60", "--data-binary",
                                      "@" + dir.appendingPathComponent("body.bin").path, "http://127.0.0.1:\(lab.port)/upload"], timeout: 70)
        #expect(result.stdout.contains("\"received\": 2000000, \"sha256\": \"\(SHA256.hex(body))\""), "\(result.stdout) \(result.stderr)")
        #expect(lab.finish(within: 30))
        let watched = lab.section(after: "auto on")
        // 2 MB through a 64 KiB connection window cannot pass unless the server's updates reach curl.
        #expect(watched.components(separatedBy: "server→client WINDOW_UPDATE").count > 20)
        #expect(watched.components(separatedBy: "client→server DATA stream 1").count > 100)
        #expect(lab.section(after: "show streams").contains("POST /upload"))
    }
}
