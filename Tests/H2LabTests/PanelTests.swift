import Foundation
import Panel
import Testing
import Transport

/// A running `h2lab panel` on a free loopback port with its own users file (admin's password set
/// through `h2lab panel passwd`), certificate and cookie jar; stopped at the end.
final class PanelProcess: @unchecked Sendable {
    let process = Process()
    let directory: URL
    let port: UInt16
    let password = "correct horse battery"
    let stderr: URL

    init(_ extra: [String] = [], setPassword: Bool = true) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("h2lab-panel-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let users = directory.appendingPathComponent("users").path
        if setPassword {
            let set = try run(h2lab, ["panel", "passwd", "admin", "--users", users], input: "correct horse battery\n")
            guard set.status == 0 else { throw SocketError(operation: "panel passwd: \(set.stderr)", code: 0) }
        }
        let portFile = directory.appendingPathComponent("port")
        stderr = directory.appendingPathComponent("stderr.log")
        FileManager.default.createFile(atPath: stderr.path, contents: nil)
        port = try launch(process, ["panel", "--port", "0", "--port-file", portFile.path, "--users", users] + extra,
                          portFile: portFile, environment: ["XDG_CACHE_HOME": directory.path],
                          stdout: FileHandle.nullDevice, stderr: try FileHandle(forWritingTo: stderr))
    }

    var users: String { directory.appendingPathComponent("users").path }
    var url: String { "https://127.0.0.1:\(port)" }
    var log: String { (try? String(contentsOf: stderr, encoding: .utf8)) ?? "" }

    /// curl over TLS with ALPN h2 and a cookie jar of its own (`jar` names it); status, headers, body.
    func curl(_ arguments: [String], jar: String = "jar") throws -> (status: Int, headers: String, body: String) {
        let jarPath = directory.appendingPathComponent(jar).path
        let headers = directory.appendingPathComponent("headers-\(UUID().uuidString)").path
        let result = try run("curl", ["-sk", "--http2", "-c", jarPath, "-b", jarPath, "-D", headers, "-w", "\n%{http_code}"] + arguments)
        var lines = result.stdout.components(separatedBy: "\n")
        let status = Int(lines.popLast() ?? "") ?? 0
        let head = (try? String(contentsOfFile: headers, encoding: .utf8)) ?? ""
        return (status, head, lines.joined(separator: "\n"))
    }

    /// Logs in as admin (GET /login for the form's token, then POST it); returns the POST's status.
    @discardableResult
    func login(password: String? = nil, jar: String = "jar") throws -> Int {
        try loginResponse(password: password, jar: jar).status
    }

    func loginResponse(password: String? = nil, jar: String = "jar") throws -> (status: Int, headers: String, body: String) {
        let page = try curl([url + "/login"], jar: jar).body
        let token = page.components(separatedBy: "name=\"csrf\" value=\"").dropFirst().first?.prefix { $0 != "\"" } ?? ""
        return try curl(["--data-urlencode", "username=admin", "--data-urlencode", "password=\(password ?? self.password)",
                         "--data-urlencode", "csrf=\(token)", url + "/login"], jar: jar)
    }

    func csrf(jar: String = "jar") throws -> String {
        let body = try curl([url + "/api/session"], jar: jar).body
        let object = (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any]
        return object?["csrf"] as? String ?? ""
    }

    func sessionCookie(jar: String = "jar") -> String? {
        let text = (try? String(contentsOfFile: directory.appendingPathComponent(jar).path, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").first { $0.contains(PanelApp.sessionCookie) }?.split(separator: "\t").last.map(String.init)
    }

    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }

    deinit { stop() }
}

/// A free loopback port for a demo server (bound and released at once).
func freePort() throws -> Int {
    let socket = try TCPSocket.listen(host: "127.0.0.1", port: 0)
    defer { socket.close() }
    return Int(socket.localPort)
}

@Suite("the control panel's pieces")
struct PanelUnitTests {
    @Test("PBKDF2-HMAC-SHA256 from OpenSSL gives RFC 7914 §11's vector; hashes are salted and verify")
    func passwordHash() throws {
        let derived = try #require(PanelCrypto.pbkdf2("passwd", salt: Array("salt".utf8), iterations: 1))
        #expect(derived.map { String(format: "%02x", $0) }.joined() == "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc")
        let a = try #require(PasswordHash.make("a long password", iterations: 1_000))
        let b = try #require(PasswordHash.make("a long password", iterations: 1_000))
        #expect(a.salt != b.salt && a.hash != b.hash)
        #expect(a.matches("a long password") && !a.matches("a long passwore") && !a.matches(""))
        #expect(PasswordHash(encoded: a.encoded) == a)
        #expect(PasswordHash(encoded: "pbkdf2-sha256$x$$") == nil && PasswordHash(encoded: "plain") == nil)
        // An iteration count past OpenSSL's int (or past the bound) is a malformed line, not a trap at login.
        let hash = Data(repeating: 1, count: 32).base64EncodedString(), salt = Data(repeating: 2, count: 16).base64EncodedString()
        #expect(PasswordHash(encoded: "pbkdf2-sha256$99999999999$\(salt)$\(hash)") == nil)
        #expect(PasswordHash(encoded: "pbkdf2-sha256$0$\(salt)$\(hash)") == nil)
        #expect(PasswordHash(encoded: "pbkdf2-sha256$1000$\(salt)$\(hash)")?.iterations == 1000)
        #expect(PanelCrypto.pbkdf2("pw", salt: [1, 2, 3], iterations: Int(Int32.max) + 1) == nil)
        #expect(PasswordHash.defaultIterations >= 600_000)
    }

    @Test("sessions: fresh ids, one per user, expire when idle, end at logout")
    func sessions() throws {
        var store = SessionStore(idleTimeout: 60)
        let made = store.create(user: "admin", now: 0)
        let first = try #require(made)
        #expect(first.id.count == 43 && first.session.csrf.count == 43 && first.id != first.session.csrf)
        let at59 = store.session(first.id, now: 59), at118 = store.session(first.id, now: 118)
        let at179 = store.session(first.id, now: 179)
        #expect(at59?.user == "admin")
        #expect(at118 != nil)  // touched at 59
        #expect(at179 == nil)  // idle 61 s
        let madeSecond = store.create(user: "admin", now: 200)
        let madeThird = store.create(user: "admin", now: 201)
        let second = try #require(madeSecond), third = try #require(madeThird)
        let secondLater = store.session(second.id, now: 202), thirdLater = store.session(third.id, now: 202)
        #expect(second.id != third.id && secondLater == nil && thirdLater != nil)
        store.end(third.id)
        let ended = store.session(third.id, now: 203)
        #expect(ended == nil && store.count == 0)
    }

    @Test("the panel's own cookies are hidden wherever a demo server's traffic shows them")
    func redact() {
        #expect(DemoServers.redact("cookie: a=1; __Host-h2lab-session=abc_DEF-123; b=2")
                == "cookie: a=1; __Host-h2lab-session=(hidden); b=2")
        #expect(DemoServers.redact("[\"cookie\", \"__Host-h2lab-login=xyz\"]") == "[\"cookie\", \"__Host-h2lab-login=(hidden)\"]")
        #expect(DemoServers.redact("no cookie here") == "no cookie here")
    }

    @Test("login throttle: the sixth attempt within a minute waits until the first failure is a minute old")
    func throttle() {
        var throttle = LoginThrottle()
        for t in 0..<5 {
            let wait = throttle.retryAfter("a", now: Double(t))
            #expect(wait == nil)
            throttle.fail("a", now: Double(t))
        }
        let a = throttle.retryAfter("a", now: 10), b = throttle.retryAfter("b", now: 10)
        #expect(a == 50)
        #expect(b == nil)  // per address
        let later = throttle.retryAfter("a", now: 60.5)
        #expect(later == nil)  // the first failure left the window
        throttle.succeed("a")
        let after = throttle.retryAfter("a", now: 61)
        #expect(after == nil)
    }
}

@Suite("h2lab panel over HTTP/2 and TLS: what it refuses", .serialized)
struct PanelSecurityTests {
    @Test("without a session: pages redirect to /login, the API answers 401; every answer carries the security headers")
    func noSession() throws {
        let panel = try PanelProcess()
        defer { panel.stop() }
        let page = try panel.curl([panel.url + "/"])
        #expect(page.status == 303 && page.headers.contains("location: /login"))
        let api = try panel.curl([panel.url + "/api/servers"])
        #expect(api.status == 401 && api.body.contains("log in first"))
        let post = try panel.curl(["-X", "POST", "-d", "{\"port\": 8081}", panel.url + "/api/servers"])
        #expect(post.status == 401)
        let login = try panel.curl([panel.url + "/login"])
        #expect(login.status == 200 && login.headers.hasPrefix("HTTP/2 200"))
        for header in ["content-security-policy: default-src 'none'; script-src 'self'", "x-frame-options: DENY",
                       "x-content-type-options: nosniff", "referrer-policy: no-referrer", "cache-control: no-store"] {
            #expect(login.headers.contains(header), "missing \(header)")
        }
        #expect(!login.body.contains("<script>") && login.body.contains("name=\"username\"") && login.body.contains("name=\"password\""))
    }

    @Test("a right password: a __Host- session cookie (HttpOnly, Secure, SameSite=Strict); a second login replaces its id")
    func login() throws {
        let panel = try PanelProcess()
        defer { panel.stop() }
        let response = try panel.loginResponse()
        #expect(response.status == 303 && response.headers.contains("location: /"))
        let cookie = response.headers.split(separator: "\r\n").first { $0.hasPrefix("set-cookie: __Host-h2lab-session=") }
        #expect(cookie?.hasSuffix("; Path=/; Secure; HttpOnly; SameSite=Strict") == true, "\(response.headers)")
        let first = try #require(panel.sessionCookie())
        let session = try panel.curl([panel.url + "/api/session"])
        #expect(session.status == 200 && session.body.contains("\"user\": \"admin\""))
        #expect(try panel.login(jar: "second") == 303)
        let second = try #require(panel.sessionCookie(jar: "second"))
        #expect(first != second && first.count == 43)
        #expect(try panel.curl([panel.url + "/api/session"]).status == 401, "the first session outlived a new login")
        let headers = try panel.curl(["-o", "/dev/null", "-X", "GET", panel.url + "/login"], jar: "third").headers
        #expect(headers.contains("set-cookie: __Host-h2lab-login="))
        let loginHeaders = try panel.curl(["--data-urlencode", "username=admin", panel.url + "/login"], jar: "fourth").headers
        #expect(loginHeaders.hasPrefix("HTTP/2 403"), "a login without the form's token must fail")
        // The log names the user, never the password or the session id.
        let log = panel.log
        #expect(log.contains("admin logged in from 127.0.0.1"))
        #expect(!log.contains(panel.password) && !log.contains(first) && !log.contains(second))
        // The users file: mode 0600, a PBKDF2 hash, no password.
        let attributes = try FileManager.default.attributesOfItem(atPath: panel.users)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let file = try String(contentsOfFile: panel.users, encoding: .utf8)
        #expect(file.hasPrefix("admin:pbkdf2-sha256$600000$") && !file.contains(panel.password))
    }

    @Test("with no user yet, the panel makes admin with a random password, printed once, that logs in")
    func firstRun() throws {
        let panel = try PanelProcess(setPassword: false)
        defer { panel.stop() }
        let line = try #require(panel.log.split(separator: "\n").first { $0.contains("user: admin   password: ") })
        let password = String(line.components(separatedBy: "password: ").last?.prefix { $0 != " " } ?? "")
        #expect(password.count >= 16)
        #expect(try panel.login(password: password) == 303)
        #expect(panel.log.components(separatedBy: password).count == 2, "the password must be printed once only")
        // A password change: the old one stops working, the new one logs in.
        let token = try panel.csrf()
        let changed = try panel.curl(["-X", "POST", "-H", "x-csrf-token: \(token)", "-d",
                                      "{\"current\": \"\(password)\", \"new\": \"a brand new passphrase\"}", panel.url + "/api/password"])
        #expect(changed.status == 200, "\(changed.body)")
        let wrongCurrent = try panel.curl(["-X", "POST", "-H", "x-csrf-token: \(token)", "-d",
                                           "{\"current\": \"nope\", \"new\": \"another passphrase\"}", panel.url + "/api/password"])
        #expect(wrongCurrent.status == 403)
        let short = try panel.curl(["-X", "POST", "-H", "x-csrf-token: \(token)", "-d",
                                    "{\"current\": \"a brand new passphrase\", \"new\": \"short\"}", panel.url + "/api/password"])
        #expect(short.status == 400 && short.body.contains("at least 8"))
        #expect(try panel.login(password: password, jar: "old") == 401)
        #expect(try panel.login(password: "a brand new passphrase", jar: "new") == 303)
        #expect(!panel.log.contains("a brand new passphrase"))
    }

    @Test("wrong passwords: 401 each, and the sixth within a minute gets 429 with Retry-After, even with the right one")
    func throttled() throws {
        let panel = try PanelProcess()
        defer { panel.stop() }
        for _ in 0..<5 { #expect(try panel.login(password: "wrong password") == 401) }
        let page = try panel.curl([panel.url + "/login"]).body
        let token = String(page.components(separatedBy: "name=\"csrf\" value=\"").dropFirst().first?.prefix { $0 != "\"" } ?? "")
        let sixth = try panel.curl(["--data-urlencode", "username=admin", "--data-urlencode", "password=\(panel.password)",
                                    "--data-urlencode", "csrf=\(token)", panel.url + "/login"])
        #expect(sixth.status == 429)
        let retry = sixth.headers.split(separator: "\r\n").first { $0.hasPrefix("retry-after: ") }.flatMap { Int($0.dropFirst(13)) }
        #expect(retry != nil && (1...60).contains(retry ?? 0), "\(sixth.headers)")
        #expect(panel.sessionCookie() == nil)
    }

    @Test("state changes need the session's CSRF token: without it or with a forged one, 403 and nothing starts or stops")
    func csrf() throws {
        let panel = try PanelProcess()
        defer { panel.stop() }
        try panel.login()
        let port = try freePort()
        let body = "{\"port\": \(port), \"tls\": false}"
        let missing = try panel.curl(["-X", "POST", "-H", "content-type: application/json", "-d", body, panel.url + "/api/servers"])
        #expect(missing.status == 403)
        let forged = try panel.curl(["-X", "POST", "-H", "x-csrf-token: " + String(repeating: "A", count: 43), "-d", body,
                                     panel.url + "/api/servers"])
        #expect(forged.status == 403)
        #expect(try panel.curl([panel.url + "/api/servers"]).body.contains("\"servers\": []"))
        let token = try panel.csrf()
        let started = try panel.curl(["-X", "POST", "-H", "x-csrf-token: \(token)", "-d", body, panel.url + "/api/servers"])
        #expect(started.status == 201, "\(started.body)")
        #expect(try panel.curl(["-X", "DELETE", panel.url + "/api/servers/1"]).status == 403)
        #expect(try panel.curl(["-X", "POST", panel.url + "/logout"]).status == 403)
        #expect(try panel.curl([panel.url + "/api/servers"]).body.contains("\"port\": \(port)"))
        #expect(try panel.curl(["-X", "POST", "-H", "x-csrf-token: \(token)", panel.url + "/logout"]).status == 200)
        #expect(try panel.curl([panel.url + "/api/session"]).status == 401)
    }

    @Test("bad requests get a 400 with a message and the panel keeps running; a stopped server's API is 404")
    func badRequests() throws {
        let panel = try PanelProcess()
        defer { panel.stop() }
        try panel.login()
        let token = try panel.csrf()
        func start(_ body: String) throws -> (status: Int, headers: String, body: String) {
            try panel.curl(["-X", "POST", "-H", "x-csrf-token: \(token)", "-d", body, panel.url + "/api/servers"])
        }
        let low = try start("{\"port\": 80}")
        #expect(low.status == 400 && low.body.contains("port must be 1024-65535"))
        #expect(try start("{\"port\": \"8080\"}").body.contains("whole number"))
        #expect(try start("{port: 8080").status == 400)
        #expect(try start("[8080]").status == 400)
        let busy = try TCPSocket.listen(host: "127.0.0.1", port: 0)
        defer { busy.close() }
        let inUse = try start("{\"port\": \(busy.localPort)}")
        #expect(inUse.status == 400 && inUse.body.contains("cannot listen on 127.0.0.1:\(busy.localPort)"))
        let port = try freePort()
        #expect(try start("{\"port\": \(port)}").status == 201)
        let served = try run("curl", ["-s", "--http2-prior-knowledge", "http://127.0.0.1:\(port)/json"])
        #expect(served.stdout.contains("\"rfc\": 9113"))
        #expect(try panel.curl(["-X", "DELETE", "-H", "x-csrf-token: \(token)", panel.url + "/api/servers/1"]).status == 200)
        for path in ["/api/servers/1/log", "/api/servers/1/connections"] {
            #expect(try panel.curl([panel.url + path]).status == 404)
        }
        #expect(try panel.curl(["-X", "DELETE", "-H", "x-csrf-token: \(token)", panel.url + "/api/servers/1"]).status == 404)
        #expect(try panel.curl(["-X", "PUT", "-H", "x-csrf-token: \(token)", panel.url + "/api/servers"]).status == 405)
        #expect(try panel.curl([panel.url + "/api/session"]).status == 200)
    }

    @Test("a session idle longer than --session-minutes must log in again")
    func expiry() throws {
        let panel = try PanelProcess(["--session-minutes", "0.03"])  // 1.8 s
        defer { panel.stop() }
        try panel.login()
        #expect(try panel.curl([panel.url + "/api/session"]).status == 200)
        usleep(2_300_000)
        #expect(try panel.curl([panel.url + "/api/session"]).status == 401)
    }

    @Test("the log streams live (server-sent events) and its connections show the engine's state")
    func liveLog() throws {
        let panel = try PanelProcess()
        defer { panel.stop() }
        try panel.login()
        let token = try panel.csrf()
        let port = try freePort()
        #expect(try panel.curl(["-X", "POST", "-H", "x-csrf-token: \(token)", "-d", "{\"port\": \(port), \"trace\": true}",
                                panel.url + "/api/servers"]).status == 201)
        let jar = panel.directory.appendingPathComponent("jar").path
        let feed = Process()
        feed.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        feed.arguments = ["curl", "-skN", "--http2", "-b", jar, "-H", "accept: text/event-stream", "--max-time", "4",
                          panel.url + "/api/servers/1/log"]
        let out = Pipe()
        feed.standardOutput = out
        try feed.run()
        usleep(800_000)
        _ = try run("curl", ["-s", "--http2-prior-knowledge", "http://127.0.0.1:\(port)/html"])
        feed.waitUntilExit()
        let events = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(events.contains("data: listening on http://127.0.0.1:\(port)/ (h2c)\n\n"))
        #expect(events.contains("data: c1   stream 1: GET /html\n\n") && events.contains("data: c1 ← HEADERS stream 1"))
        // A connection held open shows its state: nghttp waits 3 s before closing (-t is its timeout).
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        holder.arguments = ["python3", "-c", """
            import socket, time, h2.connection
            s = socket.create_connection(("127.0.0.1", \(port)))
            c = h2.connection.H2Connection(); c.initiate_connection()
            c.send_headers(1, [(":method", "GET"), (":scheme", "http"), (":authority", "lab"), (":path", "/json"), ("x-panel", "look")], end_stream=True)
            s.sendall(c.data_to_send()); time.sleep(0.5); c.receive_data(s.recv(65536)); s.sendall(c.data_to_send()); time.sleep(3)
            """]
        try holder.run()
        defer { holder.waitUntilExit() }
        var text = ""
        _ = waitUntil(3) {
            text = (try? panel.curl([panel.url + "/api/servers/1/connections"]).body) ?? ""
            return text.contains("x-panel")
        }
        let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
        let connections = object?["connections"] as? [[String: Any]] ?? []
        let connection = try #require(connections.first, "\(text)")
        #expect(connection["alpn"] as? String == "h2c" && (connection["peer"] as? String)?.hasPrefix("127.0.0.1") == true)
        let state = try #require(connection["state"] as? [String: Any])
        let hpack = state["hpack"] as? [String: Any]
        #expect((hpack?["inboundDynamicHeaderTable"] as? [[String]])?.contains(["x-panel", "look"]) == true)
        let frames = connection["frames"] as? [[String: Any]] ?? []
        #expect(frames.contains { $0["type"] as? String == "HEADERS" && $0["out"] as? Bool == false && ($0["hex"] as? String)?.hasPrefix("00") == true })
    }
}

@Suite("h2lab panel in a real browser (Selenium, headless Chromium, Debian's chromedriver)", .serialized)
struct PanelBrowserTests {
    @Test("log in, start an h2c and a TLS server, load /html through each, watch the log and the connection, the ladder, stop, log out")
    func browser() throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/chromedriver"), "chromium-driver is installed by scripts/test")
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium"), "chromium is installed by scripts/test")
        try #require(try run("python3", ["-c", "import selenium"]).status == 0, "selenium is installed by scripts/test")
        let panel = try PanelProcess()
        defer { panel.stop() }
        // Screenshots land in test-output/panel (kept out of git): look at them.
        let shots = packageRoot.appendingPathComponent("test-output/panel")
        try? FileManager.default.removeItem(at: shots)
        let script = packageRoot.appendingPathComponent("Tests/Browser/panel.py").path
        let result = try run("python3", [script, panel.url, panel.password, shots.path, "\(try freePort())", "\(try freePort())"],
                             timeout: 180)
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr.suffix(3_000))")
        #expect(result.stdout.contains("ok 10 screenshots"))
        let files = (try? FileManager.default.contentsOfDirectory(atPath: shots.path)) ?? []
        #expect(files.filter { $0.hasSuffix(".png") }.count == 10, "\(files)")
        for file in files where file.hasSuffix(".png") {
            let size = (try? FileManager.default.attributesOfItem(atPath: shots.appendingPathComponent(file).path)[.size] as? Int) ?? 0
            #expect(size > 10_000, "\(file) is \(size) bytes")
        }
        #expect(panel.log.contains("admin logged in") && panel.log.contains("started server 1"))
    }
}
