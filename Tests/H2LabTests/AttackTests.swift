import Foundation
import Testing

/// The server's resident memory (KiB) and thread count, from /proc.
func residentMemory(of pid: Int32) -> (kib: Int, threads: Int)? {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
    func field(_ name: String) -> Int? {
        status.split(separator: "\n").first { $0.hasPrefix(name + ":") }
            .flatMap { Int($0.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "") }
    }
    guard let rss = field("VmRSS"), let threads = field("Threads") else { return nil }
    return (rss, threads)
}

/// The known HTTP/2 attacks, each from `Tests/Attacks/attack.py` (raw frames over loopback, bounded
/// in count and time) against a fresh `serve --plain --idle-timeout 2`: the attacking connection
/// gets the RFC's answer within a stated bound, the server's memory stays bounded, and a
/// well-behaved client (Python h2) is served afterwards.
@Suite("serve under attack (loopback, bounded)", .serialized)
struct AttackTests {
    struct Outcome {
        var result: [String: Any]
        var peakKiB: Int
        var peakThreads: Int
        func goaway(_ key: String) -> Any? { (result["goaway"] as? [String: Any])?[key] }
    }

    func attack(_ name: String, serve extra: [String] = [], timeout: TimeInterval = 120) throws -> Outcome {
        let server = try Server(["--idle-timeout", "2"] + extra)
        defer { server.stop() }
        return try attack(name, port: server.port, process: server.process, timeout: timeout)
    }

    /// Runs attack `name` against a server already started (`tls`: over TLS with ALPN h2; `panel`:
    /// the well-behaved client asks for the panel's login page), sampling its memory and threads.
    func attack(_ name: String, port: UInt16, process: Process, tls: Bool = false, panel: Bool = false, options: [String] = [],
                timeout: TimeInterval = 120) throws -> Outcome {
        let pid = process.processIdentifier
        let peak = Peak()
        let sampler = Thread {
            while !peak.done {
                if let now = residentMemory(of: pid) { peak.note(now) }
                usleep(50_000)
            }
        }
        sampler.start()
        let script = packageRoot.appendingPathComponent("Tests/Attacks/attack.py").path
        let run = try run("python3", [script, name, "\(port)", "--good"] + (tls ? ["--tls"] : []) + (panel ? ["--panel"] : []) + options,
                          timeout: timeout)
        peak.finish()
        #expect(process.isRunning, "the server died under \(name)")
        let line = run.stdout.split(separator: "\n").last.map(String.init) ?? ""
        let result = try #require((try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any],
                                  "\(name): \(run.stdout)\(run.stderr.suffix(1_500))")
        #expect(result["good_client_after"] is Double, "\(name): a well-behaved client was not served afterwards: \(result)")
        return Outcome(result: result, peakKiB: peak.kib, peakThreads: peak.threads)
    }

    final class Peak: @unchecked Sendable {
        let lock = NSLock()
        var kib = 0, threads = 0
        var done = false
        func note(_ sample: (kib: Int, threads: Int)) {
            lock.lock()
            kib = max(kib, sample.kib)
            threads = max(threads, sample.threads)
            lock.unlock()
        }
        func finish() {
            lock.lock()
            done = true
            lock.unlock()
        }
    }

    @Test("rapid reset (CVE-2023-44487): GOAWAY ENHANCE_YOUR_CALM after 1 000 early resets")
    func rapidReset() throws {
        let outcome = try attack("rapid_reset")
        #expect(outcome.goaway("code") as? String == "ENHANCE_YOUR_CALM")
        #expect((outcome.goaway("debug") as? String)?.contains("(limit 1000)") == true, "\(outcome.result)")
        #expect((outcome.goaway("at") as? Double ?? 99) < 5)
        #expect(outcome.peakKiB < 150_000)
    }

    @Test("CONTINUATION flood (CVE-2024-27316): GOAWAY ENHANCE_YOUR_CALM past 64 KiB + 1 KiB, though never acknowledged")
    func continuationFlood() throws {
        let outcome = try attack("continuation_flood")
        #expect(outcome.goaway("code") as? String == "ENHANCE_YOUR_CALM")
        #expect((outcome.goaway("debug") as? String)?.contains("header block of over 66560 octets") == true, "\(outcome.result)")
        #expect(outcome.peakKiB < 150_000)
    }

    @Test("HPACK bomb (CVE-2016-6581): 1 000 references to a 4 KB entry end at the 64 KiB header list limit")
    func hpackBomb() throws {
        let outcome = try attack("hpack_bomb")
        #expect(outcome.goaway("code") as? String == "COMPRESSION_ERROR")
        #expect((outcome.goaway("debug") as? String)?.contains("exceeds SETTINGS_MAX_HEADER_LIST_SIZE 65536") == true)
        #expect(outcome.peakKiB < 150_000)
    }

    @Test("empty frames (CVE-2019-9518): GOAWAY ENHANCE_YOUR_CALM after 1 000")
    func emptyFrames() throws {
        let outcome = try attack("empty_frames")
        #expect(outcome.goaway("code") as? String == "ENHANCE_YOUR_CALM")
        #expect((outcome.goaway("debug") as? String)?.contains("frames that carry nothing and end nothing (limit 1000)") == true)
    }

    @Test("ping, settings and reset floods whose answers are never read (CVE-2019-9512/9515/9514): closed within the idle timeout of the stall",
          arguments: ["ping_flood", "settings_flood", "reset_flood"])
    func unreadFloods(name: String) throws {
        let outcome = try attack(name)
        #expect(outcome.result["closed"] as? Bool == true, "\(outcome.result)")
        let closedAt = outcome.result["closed_at"] as? Double ?? 99
        let sending = outcome.result["sending_took"] as? Double ?? 0
        #expect(closedAt <= sending + 15, "\(outcome.result)")
        #expect(outcome.peakKiB < 150_000, "peak \(outcome.peakKiB) KiB")
        if name == "reset_flood" { #expect(outcome.result["reset_codes"] as? [String] == ["PROTOCOL_ERROR"]) }
    }

    @Test("zero-length header names (CVE-2019-9516): RST_STREAM PROTOCOL_ERROR for that stream; the connection goes on")
    func zeroLengthHeaders() throws {
        let outcome = try attack("zero_length_headers")
        #expect(outcome.result["resets"] as? Int == 1 && outcome.result["reset_codes"] as? [String] == ["PROTOCOL_ERROR"])
        #expect(outcome.result["closed"] as? Bool == false && outcome.result["goaway"] is NSNull)
        #expect((outcome.result["frames_received"] as? Int ?? 0) >= 4, "the empty value's stream was not answered")
    }

    @Test("window of one and data dribble (CVE-2019-9517/9511): bounded, and closed once the client goes quiet")
    func windowOfOne() throws {
        let outcome = try attack("window_of_one")
        #expect(outcome.result["alive_after_1s"] as? Bool == true)
        #expect(outcome.goaway("debug") as? String == "idle timeout")
        #expect((outcome.goaway("at") as? Double ?? 99) < 8)
        #expect(outcome.peakKiB < 150_000)
    }

    @Test("slowloris: silent, a preface one octet at a time, a header block never finished: all closed after --idle-timeout")
    func slowloris() throws {
        let outcome = try attack("slowloris")
        for kind in ["silent", "dribble", "unfinished"] {
            let result = outcome.result[kind] as? [String: Any]
            #expect(result?["closed"] as? Bool == true, "\(kind): \(String(describing: result))")
            #expect((result?["closed_at"] as? Double ?? 99) < 4.5, "\(kind) held past the idle timeout")
        }
        let unfinished = (outcome.result["unfinished"] as? [String: Any])?["goaway"] as? [String: Any]
        #expect(unfinished?["code"] as? String == "ENHANCE_YOUR_CALM")
    }

    @Test("--threads, 10 000 connections at once: at most --max-connections held (and the evictions in flight: threads and memory bounded); a client is served meanwhile and once they go")
    func manyConnections() throws {
        let outcome = try attack("many_connections", serve: ["--threads", "--max-connections", "500"])
        #expect(outcome.result["opened"] as? Int == 10_000)
        #expect(outcome.result["good_client_during"] is Double, "\(outcome.result)")
        #expect(outcome.peakThreads <= 500 + 64 + 8, "\(outcome.peakThreads) threads")
        #expect(outcome.peakKiB < 200_000, "peak \(outcome.peakKiB) KiB")
    }

    @Test("an HTTP/1.1 request with Content-Length: -1 (found by the fuzzer) gets 400 and the server goes on")
    func negativeContentLength() throws {
        let server = try Server()
        defer { server.stop() }
        let raw = try run("python3", ["-c", """
            import socket, sys
            s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
            s.sendall(b"POST /echo HTTP/1.1\\r\\nHost: a\\r\\nContent-Length: -1\\r\\n\\r\\nhi")
            print(s.recv(200).split(b"\\r\\n")[0].decode())
            """, "\(server.port)"])
        #expect(raw.stdout.hasPrefix("HTTP/1.1 400"), "\(raw.stdout)\(raw.stderr)")
        #expect(server.process.isRunning)
        #expect(try run("curl", ["-s", "--http2-prior-knowledge", server.url + "/json"]).stdout.contains("9113"))
    }

    @Test("--loops 2: 10 000 connections at once held by two loop threads, a few KiB each, and a new client served at once")
    func eventLoopManyConnections() throws {
        let outcome = try attack("many_connections", serve: ["--loops", "2", "--max-connections", "20000"])
        #expect(outcome.result["opened"] as? Int == 10_000)
        let during = outcome.result["good_client_during"] as? Double
        // Served while 10 000 are held (the threaded server refuses it): ~15 ms in release (README); this
        // is the debug build beside other suites, so the bound is loose.
        #expect(during != nil && (during ?? 9) < 5, "a client while 10 000 are held: \(String(describing: during)) s")
        #expect(outcome.peakThreads <= 3, "\(outcome.peakThreads) threads")  // the two loops (one the main thread), and slack
        #expect(outcome.peakKiB < 200_000, "peak \(outcome.peakKiB) KiB for 10 000 connections")
    }

    /// `count` idle HTTP/2 connections held against `server`, then curl and Python h2 as new clients.
    func holdIdle(_ server: Server, count: Int) throws -> [String: Any] {
        let script = packageRoot.appendingPathComponent("Tests/Attacks/attack.py").path
        let run = try run("python3", [script, "idle_hold", "\(server.port)", "--count=\(count)",
                                      "--server_pid=\(server.process.processIdentifier)"], timeout: 240)
        let line = run.stdout.split(separator: "\n").last.map(String.init) ?? ""
        let result = try #require((try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any], "\(run.stdout)\(run.stderr.suffix(1_500))")
        print("idle_hold \(count): \(line)")
        #expect(server.process.isRunning)
        #expect(result["opened"] as? Int == count, "\(result)")
        return result
    }

    @Test("default options (started with a soft descriptor limit of 1 024, hard 20 000): 10 000 idle connections held, none closed, and curl served in under 100 ms")
    func tenThousandIdleWithDefaults() throws {
        let server = try Server([], descriptors: (1_024, 20_000))
        defer { server.stop() }
        let result = try holdIdle(server, count: 10_000)
        #expect(result["closed_by_server"] as? Int == 0, "the default limit did not follow the raised descriptor limit: \(result)")
        let curl = try #require(result["curl_during"] as? Double, "curl was not served: \(result)")
        #expect(curl < 0.1, "curl took \(curl) s")
        #expect((result["good_client_during"] as? Double ?? 9) < 0.1, "\(result)")
        #expect((result["kib_per_connection"] as? Double ?? 99) < 20, "\(result)")
    }

    @Test("at the descriptor limit (1 024, hard too), 2 000 idle connections: the idlest are closed with GOAWAY NO_ERROR and a new client is served in under 100 ms",
          arguments: [[], ["--threads"]])
    func idlestMakeRoom(mode: [String]) throws {
        let server = try Server(mode, descriptors: (1_024, 1_024))
        defer { server.stop() }
        let result = try holdIdle(server, count: 2_000)
        let closed = result["closed_by_server"] as? Int ?? 0
        // 1 024 less the reserve of 64 are held (shared between the loops, rounded up).
        #expect((1_000...1_100).contains(closed), "\(result)")
        #expect(result["goaway_no_error"] as? Int == closed, "an idle connection closed without GOAWAY NO_ERROR: \(result)")
        let curl = try #require(result["curl_during"] as? Double, "curl was not served: \(result)")
        #expect(curl < 0.1, "curl took \(curl) s")
    }

    /// What each attack must get, whatever the transport and the server (h2c or TLS; serve, --threads
    /// or the panel), with `--idle-timeout 2`.
    func expectAnswer(_ name: String, _ outcome: Outcome, _ label: String) {
        let result = outcome.result
        switch name {
        case "rapid_reset", "empty_frames":
            #expect(outcome.goaway("code") as? String == "ENHANCE_YOUR_CALM", "\(label): \(result)")
        case "continuation_flood":
            #expect(outcome.goaway("code") as? String == "ENHANCE_YOUR_CALM", "\(label): \(result)")
        case "hpack_bomb":
            #expect(outcome.goaway("code") as? String == "COMPRESSION_ERROR", "\(label): \(result)")
        case "ping_flood", "settings_flood", "reset_flood":
            // A client that stops reading: closed within the idle timeout of the stall.
            #expect(result["closed"] as? Bool == true, "\(label): \(result)")
            let closedAt = result["closed_at"] as? Double ?? 99, sending = result["sending_took"] as? Double ?? 0
            #expect(closedAt <= sending + 15, "\(label): \(result)")
        case "zero_length_headers":
            #expect(result["resets"] as? Int == 1 && result["reset_codes"] as? [String] == ["PROTOCOL_ERROR"], "\(label): \(result)")
            #expect(result["closed"] as? Bool == false, "\(label): \(result)")
        case "window_of_one":
            #expect(outcome.goaway("debug") as? String == "idle timeout", "\(label): \(result)")
        case "slowloris":
            for kind in ["silent", "dribble", "unfinished"] {
                #expect(((result[kind] as? [String: Any])?["closed_at"] as? Double ?? 99) < 4.5, "\(label) \(kind): \(result)")
            }
        case "stop_reading":
            #expect(result["closed"] as? Bool == true, "\(label): the server still held a client that stopped reading: \(result)")
            #expect(result["good_client_during"] is Double, "\(label): \(result)")
        case "half_record":
            #expect((result["closed_at"] as? Double ?? 99) < 4.5, "\(label): half a TLS record held the connection: \(result)")
            #expect(result["good_client_during"] is Double, "\(label): \(result)")
        case "no_handshake":
            for kind in ["silent", "half_hello", "hello_only"] {
                let closed = result[kind] as? [String: Any]
                #expect(closed?["closed"] as? Int == closed?["of"] as? Int, "\(label) \(kind): \(result)")
                #expect((closed?["last_closed_at"] as? Double ?? 99) < 6, "\(label) \(kind): \(result)")
            }
            #expect(result["good_client_during"] is Double, "\(label): \(result)")
        default:
            Issue.record("no expectation for \(name)")
        }
        #expect(outcome.peakKiB < 200_000, "\(label): peak \(outcome.peakKiB) KiB")
    }

    /// A folder with one 4 MB file, for responses large enough to stall a client that stops reading.
    static let bigRoot: String = {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("h2lab-big-\(getpid())")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try? Data(count: 4_000_000).write(to: directory.appendingPathComponent("big.bin"))
        return directory.path
    }()

    static let tlsAttacks = ["rapid_reset", "continuation_flood", "hpack_bomb", "empty_frames", "ping_flood", "reset_flood",
                             "zero_length_headers", "window_of_one", "slowloris", "stop_reading", "half_record", "no_handshake"]

    @Test("over TLS (ALPN h2), serve on its event loops: every attack class gets the same answer as on h2c, plus a client that stops reading mid-response, half a TLS record, and handshakes never finished",
          arguments: tlsAttacks)
    func tlsEventLoop(name: String) throws {
        let server = try Server(["--idle-timeout", "2", "--root", Self.bigRoot], tls: true)
        defer { server.stop() }
        expectAnswer(name, try attack(name, port: server.port, process: server.process, tls: true), "TLS event loop \(name)")
    }

    @Test("over TLS, --threads: the same, where a WANT_WRITE was retried forever and a half record or an unfinished handshake held a thread",
          arguments: ["rapid_reset", "continuation_flood", "ping_flood", "slowloris", "stop_reading", "half_record", "no_handshake"])
    func tlsThreads(name: String) throws {
        let server = try Server(["--threads", "--idle-timeout", "2", "--root", Self.bigRoot], tls: true)
        defer { server.stop() }
        expectAnswer(name, try attack(name, port: server.port, process: server.process, tls: true), "TLS --threads \(name)")
    }

    @Test("the panel (TLS, the first server people reach before logging in): the same attack classes",
          arguments: ["rapid_reset", "continuation_flood", "hpack_bomb", "empty_frames", "ping_flood", "zero_length_headers", "slowloris",
                      "half_record", "no_handshake"])
    func panel(name: String) throws {
        let panel = try PanelProcess(["--idle-timeout", "2"])
        defer { panel.stop() }
        expectAnswer(name, try attack(name, port: panel.port, process: panel.process, tls: true, panel: true), "panel \(name)")
    }

    @Test("--threads keeps the limits too: rapid reset, CONTINUATION flood, slowloris, a ping flood never read",
          arguments: ["rapid_reset", "continuation_flood", "slowloris", "ping_flood"])
    func threadedLimits(name: String) throws {
        let outcome = try attack(name, serve: ["--threads"])
        switch name {
        case "rapid_reset", "continuation_flood": #expect(outcome.goaway("code") as? String == "ENHANCE_YOUR_CALM")
        case "slowloris":
            for kind in ["silent", "dribble", "unfinished"] {
                #expect(((outcome.result[kind] as? [String: Any])?["closed_at"] as? Double ?? 99) < 4.5, "\(kind)")
            }
        default: #expect(outcome.result["closed"] as? Bool == true, "\(outcome.result)")
        }
    }

    @Test("the event loops and --threads (a thread per connection) serve alike, h2c and TLS: every check passes, h2load, a 10 MB upload, Chromium",
          arguments: [[], ["--threads"]], [false, true])
    func bothServersServe(mode: [String], tls: Bool) throws {
        let server = try Server(mode, tls: tls)
        defer { server.stop() }
        let check = try run(h2lab, ["check", server.url + "/"], timeout: 300)
        #expect(check.status == 0, "\(check.stdout.split(separator: "\n").filter { $0.contains("✗") }.joined(separator: "\n"))")
        let load = try run("h2load", ["-n", "20000", "-c", "10", "-m", "10", server.url + "/styles.css"], timeout: 120)
        #expect(load.stdout.contains("20000 succeeded, 0 failed"))
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("h2lab-loop-\(getpid()).bin").path
        #expect(try run("/bin/sh", ["-c", "head -c 10000000 /dev/urandom > \"$0\"", file]).status == 0)
        let upload = try run("curl", ["-s"] + server.curlHTTP2 + ["--data-binary", "@" + file, server.url + "/upload"], timeout: 120)
        let digest = try sha256(file)
        #expect(upload.stdout.contains(digest))
        if tls {
            // A browser over TLS.
            let browser = try chromiumDumpDOM(server.url + "/html")
            #expect(browser.stdout.contains(greeting), "\(browser.stdout.prefix(400))")
        }
    }
}
