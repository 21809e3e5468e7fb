@testable import Classroom
import Engine
import Foundation
import Lessons
import Panel
import Testing
import Transport

/// A running `h2lab class` on a free loopback port with its own users file (admin's password set
/// through `h2lab panel passwd`), results file and cookie jars; stopped at the end.
final class ClassProcess: @unchecked Sendable {
    let process = Process()
    let directory: URL
    let port: UInt16
    let password = "correct horse battery"
    let code: String
    let stderr: URL

    init(_ extra: [String] = [], code: String = "H2LAB7", directory existing: URL? = nil) throws {
        self.code = code
        directory = existing ?? FileManager.default.temporaryDirectory.appendingPathComponent("h2lab-class-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let users = directory.appendingPathComponent("users").path
        if existing == nil {
            let set = try run(h2lab, ["panel", "passwd", "admin", "--users", users], input: "correct horse battery\n")
            guard set.status == 0 else { throw SocketError(operation: "panel passwd: \(set.stderr)", code: 0) }
        }
        let portFile = directory.appendingPathComponent("port")
        try? FileManager.default.removeItem(at: portFile)
        stderr = directory.appendingPathComponent("stderr-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: stderr.path, contents: nil)
        port = try launch(process, ["class", "--port", "0", "--port-file", portFile.path, "--users", users, "--code", code,
                                    "--lessons", packageRoot.appendingPathComponent("lessons").path] + extra,
                          portFile: portFile, environment: ["XDG_CACHE_HOME": directory.path],
                          stdout: FileHandle.nullDevice, stderr: try FileHandle(forWritingTo: stderr))
    }

    var url: String { "https://127.0.0.1:\(port)" }
    var log: String { (try? String(contentsOf: stderr, encoding: .utf8)) ?? "" }
    var results: String { directory.appendingPathComponent("classroom-results.json").path }

    func curl(_ arguments: [String], jar: String) throws -> (status: Int, headers: String, body: String) {
        let jarPath = directory.appendingPathComponent(jar).path
        let headers = directory.appendingPathComponent("headers-\(UUID().uuidString)").path
        let result = try run("curl", ["-sk", "--http2", "--max-time", "30", "-c", jarPath, "-b", jarPath, "-D", headers,
                                      "-w", "\n%{http_code}"] + arguments)
        var lines = result.stdout.components(separatedBy: "\n")
        let status = Int(lines.popLast() ?? "") ?? 0
        let head = (try? String(contentsOfFile: headers, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(atPath: headers)
        return (status, head, lines.joined(separator: "\n"))
    }

    func json(_ body: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
    }

    /// POST JSON with the jar's CSRF token (or `token`).
    func post(_ path: String, _ object: Any, jar: String, token: String? = nil, method: String = "POST") throws -> (status: Int, headers: String, body: String) {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.fragmentsAllowed])
        let csrf = try token ?? self.csrf(jar: jar)
        return try curl(["-X", method, "-H", "content-type: application/json", "-H", "x-csrf-token: \(csrf)",
                         "--data-binary", String(decoding: data, as: UTF8.self), url + path], jar: jar)
    }

    @discardableResult
    func join(_ name: String, code: String? = nil, jar: String) throws -> (status: Int, headers: String, body: String) {
        let data = try JSONSerialization.data(withJSONObject: ["code": code ?? self.code, "name": name])
        return try curl(["-H", "content-type: application/json", "--data-binary", String(decoding: data, as: UTF8.self),
                         url + "/api/join"], jar: jar)
    }

    func csrf(jar: String) throws -> String {
        json(try curl([url + "/api/session"], jar: jar).body)["csrf"] as? String ?? ""
    }

    func command(_ line: String, jar: String) throws -> [String: Any] {
        json(try post("/api/lab/command", ["line": line], jar: jar).body)
    }

    /// Logs in as the teacher (the login form's token, then POST); returns the POST's status.
    @discardableResult
    func login(jar: String = "teacher", password: String? = nil) throws -> Int {
        let page = try curl([url + "/login"], jar: jar).body
        let token = page.components(separatedBy: "name=\"csrf\" value=\"").dropFirst().first?.prefix { $0 != "\"" } ?? ""
        return try curl(["--data-urlencode", "username=admin", "--data-urlencode", "password=\(password ?? self.password)",
                         "--data-urlencode", "csrf=\(token)", url + "/login"], jar: jar).status
    }

    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }

    deinit { stop() }
}

@Suite("h2lab class: options and start", .serialized)
struct ClassStartTests {
    @Test("bad options exit 64 with a message", arguments: [
        (["--code", "abc"], "--code must be 6 to 32"),
        (["--code", "abc def!"], "--code must be 6 to 32"),
        (["--max-students", "0"], "--max-students must be 1-10000"),
        (["--cert", "/tmp/x.pem"], "--cert and --key go together"),
        (["--lessons", "/nonexistent-folder"], "is not a folder"),
        (["--port", "70000"], "is invalid for '--port"),
        (["--host", "not an address"], "--host must be an IP address"),
        (["--student-minutes", "0"], "--student-minutes must be more than 0"),
    ])
    func badOptions(arguments: [String], message: String) throws {
        let result = try run(h2lab, ["class"] + arguments)
        #expect(result.status == 64, "\(arguments): \(result.status) \(result.stderr)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }

    @Test("prints the address, a random code of 6 and the certificate's fingerprint; loopback unless told")
    func startup() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("h2lab-class-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let users = directory.appendingPathComponent("users").path
        _ = try run(h2lab, ["panel", "passwd", "admin", "--users", users], input: "correct horse battery\n")
        let process = Process()
        let portFile = directory.appendingPathComponent("port")
        let log = directory.appendingPathComponent("log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let port = try launch(process, ["class", "--port", "0", "--port-file", portFile.path, "--users", users,
                                        "--lessons", packageRoot.appendingPathComponent("lessons").path],
                              portFile: portFile, environment: ["XDG_CACHE_HOME": directory.path],
                              stdout: FileHandle.nullDevice, stderr: try FileHandle(forWritingTo: log))
        defer { process.terminate(); process.waitUntilExit() }
        var text = ""
        #expect(waitUntil(10) {
            text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            return text.contains("results:")
        })
        #expect(text.contains("students open https://localhost:\(port)/"))
        let code = text.components(separatedBy: "join code: ").dropFirst().first?.prefix { $0 != "\n" } ?? ""
        #expect(code.count == 6 && code.allSatisfy { $0.isUppercase || $0.isNumber }, "\(code)")
        #expect(text.range(of: "fingerprint: ([0-9A-F]{2}:){31}[0-9A-F]{2}", options: .regularExpression) != nil, "\(text)")
        #expect(!text.contains("warning: the classroom listens"))
        // Bound to loopback only: the socket's own address.
        let ss = try run("ss", ["-ltnH", "sport = :\(port)"])
        #expect(ss.stdout.contains("127.0.0.1:\(port)"), "\(ss.stdout)")
    }
}

@Suite("h2lab class: the JSON API with 30 HTTP/2 clients, and §5's limits", .serialized)
struct ClassroomAPITests {
    @Test("30 students, each a Python h2 client with one HTTP/2 connection and session: all join, the 31st finds the class full, the teacher's lesson reaches every lab, and every student's score arrives on the roster (live and asked for), the CSV and the JSON")
    func thirtyStudents() throws {
        try #require(try run("python3", ["-c", "import h2"]).status == 0, "python3-h2 is installed by scripts/test")
        let classroom = try ClassProcess(["--max-students", "30"])
        defer { classroom.stop() }
        let script = packageRoot.appendingPathComponent("Tests/Peers/class_students.py").path
        let result = try run("python3", ["-B", script, classroom.url, classroom.code, classroom.password, "30"], timeout: 180)
        #expect(result.status == 0 && result.stdout.contains("ok 30 students"), "\(result.stdout)\n\(result.stderr.suffix(2_000))")
        // The server saw 30 students and one refused, each from its own connection.
        #expect(classroom.log.components(separatedBy: "a student joined").count - 1 == 30, "\(classroom.log.suffix(500))")
    }

    @Test("the same lesson gives the same text in the browser's API and at a terminal: every line, prompt and score")
    func sameAsTerminal() throws {
        let classroom = try ClassProcess()
        defer { classroom.stop() }
        try classroom.login()
        try classroom.join("Ann", jar: "a")
        _ = try classroom.post("/api/class/lesson", ["name": "01-handshake"], jar: "teacher")
        let inputs = ["", "show streams", "", "", "b", "", "hint", "step", "goal", "step", ""]
        for line in inputs { _ = try classroom.command(line, jar: "a") }
        let web = classroom.json(try classroom.curl([classroom.url + "/api/lab/output"], jar: "a").body)["lines"] as? [String] ?? []
        let report = classroom.directory.appendingPathComponent("terminal.json").path
        let terminal = try run(h2lab, ["lesson", "01-handshake", "--no-color", "--report", report],
                               input: inputs.joined(separator: "\n") + "\n", directory: packageRoot.path)
        #expect(terminal.status == 0, "\(terminal.stderr)")
        let lines = terminal.stdout.components(separatedBy: "\n").dropLast()
        #expect(Array(web.dropFirst(2)) == Array(lines), "the page's lines differ from the terminal's")
        #expect(web.contains("  score 50%  (exercises solved on your own: 1 of 1, predictions right: 0 of 1)"), "\(web.suffix(8))")
        // A poll with ?since=N gets only the newer lines.
        let tail = classroom.json(try classroom.curl([classroom.url + "/api/lab/output?since=\(web.count - 3)"], jar: "a").body)
        #expect(tail["lines"] as? [String] == Array(web.suffix(3)) && tail["total"] as? Int == web.count, "\(tail)")
    }

    @Test("student sessions: a 256-bit id in a __Host- cookie, HttpOnly, Secure, SameSite=Strict; /api/session gives role, name, CSRF")
    func cookies() throws {
        let classroom = try ClassProcess()
        defer { classroom.stop() }
        let joined = try classroom.join("Ann", jar: "a")
        #expect(joined.status == 200)
        let cookie = joined.headers.components(separatedBy: .newlines).first { $0.lowercased().hasPrefix("set-cookie: __host-h2lab-class=") } ?? ""
        #expect(cookie.contains("; Path=/; Secure; HttpOnly; SameSite=Strict"), "\(joined.headers)")
        let id = cookie.dropFirst("set-cookie: __Host-h2lab-class=".count).prefix { $0 != ";" }
        #expect(id.count == 43, "256 bits in base64url are 43 characters: \(id)")
        let session = classroom.json(try classroom.curl([classroom.url + "/api/session"], jar: "a").body)
        #expect(session["role"] as? String == "student" && session["name"] as? String == "Ann" && (session["csrf"] as? String)?.count == 43)
        #expect(!classroom.log.contains(String(id)), "the session id is never logged")
        // The security headers of the panel, a CSP without inline script among them.
        let page = try classroom.curl([classroom.url + "/"], jar: "a")
        #expect(page.headers.contains("content-security-policy: default-src 'none'; script-src 'self';"))
        #expect(!page.body.contains("<script>") && page.body.contains("<script src=\"/student.js\" defer></script>"))
    }

    @Test("a student reaches only their own lab: 401 without a session, 403 on every teacher route, another's lab by no URL")
    func isolation() throws {
        let classroom = try ClassProcess()
        defer { classroom.stop() }
        try classroom.login()
        try classroom.join("Ann", jar: "a")
        try classroom.join("Ben", jar: "b")
        _ = try classroom.command("request GET /ben-only", jar: "b")
        let roster = classroom.json(try classroom.curl([classroom.url + "/api/class/roster"], jar: "teacher").body)
        let benID = (roster["students"] as? [[String: Any]])?.first { $0["name"] as? String == "Ben" }?["id"] as? String ?? ""
        #expect(!benID.isEmpty)
        for path in ["/api/class/roster", "/api/class/scores.csv", "/api/class/scores.json", "/api/class/events", "/api/lessons",
                     "/projector", "/api/class/students/\(benID)/state", "/api/class/students/\(benID)/output"] {
            let answer = try classroom.curl([classroom.url + path], jar: "a")
            #expect(answer.status == 403, "\(path): \(answer.status)")
        }
        for (path, body) in [("/api/class/lesson", ["name": "01-handshake"]), ("/api/class/pace", ["open": 1]), ("/api/class/end", [:])] as [(String, [String: Any])] {
            #expect(try classroom.post(path, body, jar: "a").status == 403, "\(path)")
        }
        #expect(try classroom.post("/api/class/students/\(benID)", [:], jar: "a", method: "DELETE").status == 403)
        // Nor by another spelling of a teacher's path (empty segments once reached the route).
        for path in ["//api/class/students/\(benID)/state", "/api//class/students/\(benID)/state", "/api/class//students/\(benID)/output",
                     "/./api/class/students/\(benID)/state"] {
            let answer = try classroom.curl(["--path-as-is", classroom.url + path], jar: "a")
            #expect((400...499).contains(answer.status) && !answer.body.contains("ben-only"), "\(path): \(answer.status) \(answer.body.prefix(200))")
        }
        // Ann's lab has nothing of Ben's.
        let state = try classroom.curl([classroom.url + "/api/lab/state"], jar: "a").body
        #expect(!state.contains("ben-only") && !state.isEmpty)
        #expect(try classroom.curl([classroom.url + "/api/class/students/\(benID)/state"], jar: "teacher").body.contains("ben-only"))
        // No session, or a made-up one: 401.
        #expect(try classroom.curl([classroom.url + "/api/lab/state"], jar: "nobody").status == 401)
        let forged = try classroom.curl(["-H", "cookie: __Host-h2lab-class=\(String(repeating: "A", count: 43))", classroom.url + "/api/lab/state"], jar: "forged")
        #expect(forged.status == 401)
    }

    @Test("CSRF: a command without the token, or with another student's, is refused (403) and not run")
    func csrf() throws {
        let classroom = try ClassProcess()
        defer { classroom.stop() }
        try classroom.join("Ann", jar: "a")
        try classroom.join("Ben", jar: "b")
        let bens = try classroom.csrf(jar: "b")
        #expect(try classroom.post("/api/lab/command", ["line": "request GET /x"], jar: "a", token: "").status == 403)
        #expect(try classroom.post("/api/lab/command", ["line": "request GET /x"], jar: "a", token: bens).status == 403)
        #expect(!(try classroom.curl([classroom.url + "/api/lab/state"], jar: "a").body.contains("\"request\":\"GET /x\"")))
        #expect(try classroom.post("/api/lab/command", ["line": "request GET /x"], jar: "a").status == 200)
        let state = try classroom.curl([classroom.url + "/api/lab/state"], jar: "a").body
        #expect(state.contains("\"request\":\"GET /x\""), "the accepted one is in the lab: \(state.prefix(300))")
        // The join itself needs a JSON body (a cross-site form cannot send one without a preflight).
        let form = try classroom.curl(["--data", "code=\(classroom.code)&name=Eve", classroom.url + "/api/join"], jar: "e")
        #expect(form.status == 415)
    }

    @Test("Tab on the page: the same completion as the terminal, from the command definitions, without what a student may not run")
    func completion() throws {
        let classroom = try ClassProcess()
        defer { classroom.stop() }
        try classroom.join("Ann", jar: "a")
        func offered(_ before: String) throws -> [String] {
            classroom.json(try classroom.post("/api/lab/complete", ["before": before], jar: "a").body)["candidates"] as? [String] ?? []
        }
        let first = try offered("")
        #expect(first.contains("request") && first.contains("expect"))
        #expect(!first.contains("listen") && !first.contains("connect") && !first.contains("save"), "\(first)")
        #expect(try offered("show ").contains("hpack"))
        #expect(try offered("expect client stream 3 status ").contains("none"))
        #expect(try classroom.post("/api/lab/complete", ["line": "x"], jar: "a").status == 400)
    }

    @Test("wrong codes: 403, then 429 after 60 from one address a minute; ten typos do not lock the room out")
    func codes() throws {
        let classroom = try ClassProcess()
        defer { classroom.stop() }
        for i in 0..<10 { #expect(try classroom.join("typo \(i)", code: "WRONG\(i)A", jar: "t").status == 403) }
        #expect(try classroom.join("Ann", jar: "a").status == 200, "a class behind one NAT address joins after a few typos")
        #expect(try classroom.join("Ann again", code: classroom.code.lowercased(), jar: "a2").status == 200, "the code is not case-sensitive")
        for i in 10..<ClassroomApp.joinFailures { _ = try classroom.join("guess \(i)", code: "GUESS\(i)", jar: "t") }
        let throttled = try classroom.join("guess", code: "GUESS", jar: "t")
        #expect(throttled.status == 429 && throttled.headers.lowercased().contains("retry-after:"), "\(throttled)")
        let right = try classroom.join("Ben", jar: "b")
        #expect(right.status == 429, "while throttled, even the right code waits: the guesser learns nothing")
        #expect(classroom.log.contains("too many wrong codes"))
    }

    @Test("bounded: an oversized body is 413, a long line 400, a flood of commands 429 while another student goes on")
    func limits() throws {
        let classroom = try ClassProcess()
        defer { classroom.stop() }
        try classroom.join("Ann", jar: "a")
        try classroom.join("Ben", jar: "b")
        let big = try classroom.post("/api/lab/command", ["line": String(repeating: "x", count: 20_000)], jar: "a")
        #expect(big.status == 413)
        let long = try classroom.post("/api/lab/command", ["line": "say " + String(repeating: "x", count: 3_000)], jar: "a")
        #expect(long.status == 400)
        let bigJoin = try classroom.join(String(repeating: "n", count: 20_000), jar: "c")
        #expect(bigJoin.status == 413)
        #expect(try classroom.join(String(repeating: "n", count: 41), jar: "c").status == 400)
        // A flood: 60 commands on one connection at once (curl --parallel); some wait with 429.
        let token = try classroom.csrf(jar: "a")
        let jar = classroom.directory.appendingPathComponent("a").path
        var arguments = ["--parallel", "--parallel-max", "60"]
        for n in 0..<60 {
            arguments += (n == 0 ? [] : ["--next"]) + ["-sk", "--http2", "-b", jar, "-w", "%{http_code}\n", "-o", "/dev/null",
                          "-H", "content-type: application/json", "-H", "x-csrf-token: \(token)",
                          "--data-binary", "{\"line\": \"show streams\"}", classroom.url + "/api/lab/command"]
        }
        let flood = try run("curl", arguments)
        let codes = flood.stdout.split(separator: "\n")
        #expect(codes.count == 60 && codes.contains("429") && codes.contains("200"), "\(codes)")
        #expect(try classroom.post("/api/lab/command", ["line": "show streams"], jar: "b").status == 200, "Ben is not slowed")
    }

    @Test("names are text: markup and formulas come back as typed in JSON, defused in the CSV; control characters refused")
    func names() throws {
        let classroom = try ClassProcess()
        defer { classroom.stop() }
        try classroom.login()
        _ = try classroom.post("/api/class/lesson", ["name": "01-handshake"], jar: "teacher")
        #expect(try classroom.join("<script>alert(1)</script>", jar: "x").status == 200)
        #expect(try classroom.join("=HYPERLINK(\"http://x\")", jar: "y").status == 200)
        #expect(try classroom.join("bell\u{7}", jar: "z").status == 400)
        let roster = classroom.json(try classroom.curl([classroom.url + "/api/class/roster"], jar: "teacher").body)
        let names = (roster["students"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        #expect(Set(names) == ["<script>alert(1)</script>", "=HYPERLINK(\"http://x\")"])
        let csv = try classroom.curl([classroom.url + "/api/class/scores.csv"], jar: "teacher").body
        #expect(csv.contains("\"<script>alert(1)</script>\"") && csv.contains("\"'=HYPERLINK(\"\"http://x\"\")\""), "\(csv)")
        // The pages never put a name in as markup.
        for script in ["student.js", "dashboard.js", "projector.js", "labview.js"] {
            let text = try String(contentsOf: packageRoot.appendingPathComponent("Sources/Classroom/Resources/" + script), encoding: .utf8)
            #expect(!text.contains("innerHTML") && !text.contains("insertAdjacentHTML") && !text.contains("document.write"), "\(script)")
        }
    }

    @Test("refused commands: connect, listen, proxy, save, lesson FILE, body @FILE outside the folder; nothing written, nothing connected")
    func refusals() throws {
        let classroom = try ClassProcess()
        defer { classroom.stop() }
        try classroom.join("Mallory", jar: "m")
        let listener = try TCPSocket.listen(host: "127.0.0.1", port: 0)
        defer { listener.close() }
        let target = classroom.directory.appendingPathComponent("written-by-student").path
        let cases: [(String, String)] = [
            ("connect https://127.0.0.1:\(listener.localPort)/", "no connections to the network"),
            ("connect http://127.0.0.1:\(listener.localPort)/", "no connections to the network"),
            ("listen --port 0", "no connections to the network"),
            ("listen --tls --port 0", "no connections to the network"),
            ("proxy http://127.0.0.1:\(listener.localPort)/", "no connections to the network"),
            ("save transcript \(target)", "writes no files"),
            ("save pcap \(target)", "writes no files"),
            ("save json ../../\(target)", "writes no files"),
            ("repeat 2 save transcript \(target)", "writes no files"),
            ("lesson \(packageRoot.path)/lessons/01-handshake.h2lab", "only the lessons of its own folder"),
            ("request POST /upload body @/etc/passwd", "outside the lesson's folder"),
            ("request POST /upload body @../../../../etc/passwd", "outside the lesson's folder"),
            ("request @/etc/passwd", "outside the lesson's folder"),
        ]
        for (line, refusal) in cases {
            let reply = try classroom.post("/api/lab/command", ["line": line], jar: "m")
            #expect(reply.status == 200)
            let output = classroom.json(reply.body)["output"] as? String ?? ""
            #expect(output.contains(refusal), "\(line): \(output)")
        }
        #expect(!FileManager.default.fileExists(atPath: target))
        #expect((try? listener.accept(milliseconds: 300)) == nil, "nothing connected")
        // A file of the lesson folder may be read (the lessons use them).
        let inside = classroom.json(try classroom.post("/api/lab/command", ["line": "request POST /upload body @body-30k.txt"], jar: "m").body)
        #expect((inside["output"] as? String)?.contains("queued") == true, "\(inside)")
    }

    @Test("pacing: held at section 1, Enter says so and the lesson waits; free again, it goes on")
    func pacing() throws {
        let classroom = try ClassProcess()
        defer { classroom.stop() }
        try classroom.login()
        try classroom.join("Ann", jar: "a")
        #expect(try classroom.post("/api/class/pace", ["open": 1], jar: "teacher").status == 200)
        #expect(try classroom.post("/api/class/lesson", ["name": "01-handshake"], jar: "teacher").status == 200)
        let held = try classroom.command("", jar: "a")
        #expect((held["output"] as? String)?.contains("the teacher has not opened section 2 yet") == true && held["section"] as? Int == 1)
        #expect((try classroom.command("show wire", jar: "a")["output"] as? String)?.contains("SETTINGS") == true, "exploring is allowed meanwhile")
        #expect(try classroom.post("/api/class/pace", ["open": NSNull()], jar: "teacher").status == 200)
        #expect(try classroom.command("", jar: "a")["section"] as? Int == 2)
        #expect(try classroom.post("/api/class/pace", ["open": 0], jar: "teacher").status == 400)
        #expect(try classroom.post("/api/class/lesson", ["name": "../README"], jar: "teacher").status == 404)
    }

    @Test("the results survive a restart: the file beside the users file (mode 0600) holds every row")
    func persistence() throws {
        let first = try ClassProcess()
        try first.login()
        _ = try first.post("/api/class/lesson", ["name": "01-handshake"], jar: "teacher")
        try first.join("Ann", jar: "a")
        for line in ["", "", "", "a"] { _ = try first.command(line, jar: "a") }
        #expect(waitUntil(5) { FileManager.default.fileExists(atPath: first.results) })
        first.stop()
        let mode = (try FileManager.default.attributesOfItem(atPath: first.results)[.posixPermissions] as? Int) ?? 0
        #expect(mode == 0o600)
        let second = try ClassProcess(directory: first.directory)
        defer { second.stop() }
        try second.login(jar: "teacher2")
        let json = second.json(try second.curl([second.url + "/api/class/scores.json"], jar: "teacher2").body)
        let rows = json["results"] as? [[String: Any]] ?? []
        #expect(rows.count == 1 && rows.first?["name"] as? String == "Ann" && rows.first?["predictionsRight"] as? Int == 1, "\(json)")
        let roster = second.json(try second.curl([second.url + "/api/class/roster"], jar: "teacher2").body)
        #expect((roster["students"] as? [[String: Any]])?.first?["online"] as? Bool == false)
    }

    @Test("the teacher removes a student (their session ends, results kept) and ends the class (joins refused with 410)")
    func removeAndEnd() throws {
        let classroom = try ClassProcess()
        defer { classroom.stop() }
        try classroom.login()
        try classroom.join("Ann", jar: "a")
        try classroom.join("Ben", jar: "b")
        let roster = classroom.json(try classroom.curl([classroom.url + "/api/class/roster"], jar: "teacher").body)
        let annID = (roster["students"] as? [[String: Any]])?.first { $0["name"] as? String == "Ann" }?["id"] as? String ?? ""
        #expect(try classroom.post("/api/class/students/\(annID)", [:], jar: "teacher", method: "DELETE").status == 200)
        #expect(try classroom.curl([classroom.url + "/api/lab/state"], jar: "a").status == 401)
        #expect(try classroom.curl([classroom.url + "/api/lab/state"], jar: "b").status == 200)
        #expect(try classroom.post("/api/class/end", [:], jar: "teacher").status == 200)
        #expect(try classroom.curl([classroom.url + "/api/lab/state"], jar: "b").status == 401)
        #expect(try classroom.join("Cleo", jar: "c").status == 410)
    }

    @Test("the teacher's dashboard receives the roster as server-sent events when a student moves")
    func events() throws {
        let classroom = try ClassProcess()
        defer { classroom.stop() }
        try classroom.login()
        let jar = classroom.directory.appendingPathComponent("teacher").path
        let out = classroom.directory.appendingPathComponent("events").path
        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        curl.arguments = ["-skN", "--http2", "-b", jar, "-H", "accept: text/event-stream", "--max-time", "8", "-o", out,
                          classroom.url + "/api/class/events"]
        try curl.run()
        defer { curl.terminate(); curl.waitUntilExit() }
        Thread.sleep(forTimeInterval: 1)
        try classroom.join("Ann", jar: "a")
        #expect(waitUntil(5) { ((try? String(contentsOfFile: out, encoding: .utf8)) ?? "").contains("\"name\":\"Ann\"") })
        let text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        #expect(text.hasPrefix("event: roster\ndata: {"), "\(text.prefix(200))")
    }
}

@Suite("h2lab class: students who leave, and what a student's screen never shows", .serialized)
struct ClassroomSessionTests {
    @Test("a student who left (nothing for --student-minutes) is gone: lab freed, 401, 'left' on the roster, results kept; one back within the time keeps their lab")
    func idleStudentsLeave() throws {
        let classroom = try ClassProcess(["--student-minutes", "0.05"])  // 3 seconds
        defer { classroom.stop() }
        try classroom.login()
        _ = try classroom.post("/api/class/lesson", ["name": "01-handshake"], jar: "teacher")
        try classroom.join("Ann", jar: "a")
        try classroom.join("Ben", jar: "b")
        #expect(try classroom.command("", jar: "a")["section"] as? Int == 2)
        #expect(try classroom.command("", jar: "b")["section"] as? Int == 2)
        // Ann's page stays open (it polls); Ben closed his 6 seconds ago.
        for _ in 0..<6 {
            Thread.sleep(forTimeInterval: 1)
            #expect(try classroom.curl([classroom.url + "/api/lab/output?since=0"], jar: "a").status == 200)
        }
        let ann = classroom.json(try classroom.curl([classroom.url + "/api/lab/output"], jar: "a").body)
        #expect(ann["section"] as? Int == 2 && (ann["lines"] as? [String])?.contains { $0.contains("── section 2 of") } == true,
                "back within the time, Ann's lab is as she left it: \(ann)")
        #expect(try classroom.curl([classroom.url + "/api/lab/state"], jar: "b").status == 401, "Ben's session has ended")
        let roster = classroom.json(try classroom.curl([classroom.url + "/api/class/roster"], jar: "teacher").body)
        let rows = roster["students"] as? [[String: Any]] ?? []
        let ben = rows.first { $0["name"] as? String == "Ben" } ?? [:]
        #expect(ben["online"] as? Bool == false && ben["left"] as? Bool == true && ben["section"] as? Int == 2
                && ben["lesson"] as? String == "01-handshake", "\(ben)")
        #expect(rows.first { $0["name"] as? String == "Ann" }?["online"] as? Bool == true)
        let csv = try classroom.curl([classroom.url + "/api/class/scores.csv"], jar: "teacher").body
        #expect(csv.contains("\"Ben\",\"01-handshake\",2,"), "Ben's results are kept: \(csv)")
        #expect(classroom.log.contains("a student left"))
        // A student who left before any lesson is on the roster as left too.
        let other = try ClassProcess(["--student-minutes", "0.02"])
        defer { other.stop() }
        try other.login()
        try other.join("Cleo", jar: "c")
        #expect(waitUntil(8) {
            let rows = other.json((try? other.curl([other.url + "/api/class/roster"], jar: "teacher").body) ?? "")["students"] as? [[String: Any]]
            return rows?.first?["left"] as? Bool == true && rows?.first?["name"] as? String == "Cleo"
        })
    }

    @Test("a student's screen names the lesson and its line or a file by its name, never the server's folders")
    func noServerPaths() throws {
        let classroom = try ClassProcess()
        defer { classroom.stop() }
        try classroom.login()
        _ = try classroom.post("/api/class/lesson", ["name": "01-handshake"], jar: "teacher")
        try classroom.join("Ann", jar: "a")
        let folder = packageRoot.appendingPathComponent("lessons").path
        let reply = try classroom.command("request POST /upload body @missing.txt", jar: "a")
        let output = reply["output"] as? String ?? ""
        #expect(output.contains("cannot read missing.txt") && output.contains("looked for missing.txt"), "\(output)")
        #expect(!output.contains(folder) && !output.contains(packageRoot.path), "\(output)")
        let all = try classroom.curl([classroom.url + "/api/lab/output"], jar: "a").body
        #expect(!all.contains(packageRoot.path.replacingOccurrences(of: "/", with: "\\/")) && !all.contains(packageRoot.path))
    }
}

@Suite("h2lab class in real browsers (Selenium, headless Chromium, Debian's chromedriver)", .serialized)
struct ClassroomBrowserTests {
    @Test("a teacher and three students: join, a section, an exercise typed, a prediction clicked, a reload, the roster's scores, pacing, the projector")
    func browsers() throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/chromedriver"), "chromium-driver is installed by scripts/test")
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium"), "chromium is installed by scripts/test")
        try #require(try run("python3", ["-c", "import selenium"]).status == 0, "selenium is installed by scripts/test")
        let classroom = try ClassProcess()
        defer { classroom.stop() }
        // Screenshots land in test-output/classroom (kept out of git): look at them. With
        // H2LAB_DOCS_SCREENSHOTS=1 the three of docs/ are written again.
        let shots = packageRoot.appendingPathComponent("test-output/classroom")
        try? FileManager.default.removeItem(at: shots)
        let script = packageRoot.appendingPathComponent("Tests/Browser/classroom.py").path
        var arguments = [script, classroom.url, classroom.code, classroom.password, shots.path]
        if ProcessInfo.processInfo.environment["H2LAB_DOCS_SCREENSHOTS"] == "1" { arguments.append(packageRoot.appendingPathComponent("docs").path) }
        let result = try run("python3", arguments, timeout: 300)
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr.suffix(3_000))")
        #expect(result.stdout.contains("ok 7 screenshots"))
        let results = (try? String(contentsOfFile: classroom.results, encoding: .utf8)) ?? ""
        #expect(waitUntil(5) { ((try? String(contentsOfFile: classroom.results, encoding: .utf8)) ?? "").contains("\"score\" : 100") }, "\(results)")
    }
}

@Suite("the classroom's desk: limits a student cannot pass")
struct DeskTests {
    @Test("a lesson line that fails shows as LESSON:LINE, not the lesson file's path on the server")
    func lessonLineWithoutPath() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("h2lab-desk-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("90-broken.h2lab").path
        try Data("""
        # A lesson whose reveal fails (RFC 9113 §3.4)
        #
        # One section.
        show wire
        predict How many frames wait?
          option three => expect wire 3
          option four => expect wire 4
          answer a
          reveal show frame 999
          explain The prefaces.
        end

        """.utf8).write(to: URL(fileURLWithPath: path))
        let script = try LessonScript.load(path: path)
        let desk = Desk(id: "d", name: "Ann", role: .student, csrf: "c", folder: folder.path, now: 0)
        _ = desk.begin(script, now: 0)
        var lines: [String] = []
        for line in ["", "a", "", ""] { lines += desk.command(line, openThrough: nil) }
        let text = lines.joined(separator: "\n")
        #expect(text.contains("error: 90-broken:9: "), "\(text)")
        #expect(!text.contains(folder.path) && !desk.output.joined().contains(folder.path), "\(text)")
    }

    @Test("a lab that holds its most frames refuses commands that add more; looking, back and reconnect still run")
    func frames() throws {
        var limits = Desk.Limits()
        limits.frames = 50
        let desk = Desk(id: "d", name: "Mallory", role: .student, csrf: "c", folder: packageRoot.appendingPathComponent("lessons").path,
                        now: 0, limits: limits)
        let burst = desk.command("repeat 60 request GET /json", openThrough: nil)
        #expect(!burst.joined().contains("the classroom's most"), "under the limit it runs: \(burst.suffix(2))")
        #expect(desk.lab.state.toServer.count >= 60)
        let refused = desk.command("request GET /json", openThrough: nil).joined()
        #expect(refused.contains("your lab holds 50 frames, the classroom's most"))
        #expect(desk.command("show wire", openThrough: nil).joined().contains("client→server"))
        #expect(desk.command("reconnect", openThrough: nil).joined().contains("a new connection"))
        #expect(desk.lab.state.toServer.count < 50)
        #expect(!desk.command("request GET /json", openThrough: nil).joined().contains("the classroom's most"))
        // The kept output is bounded too: the oldest lines go, and are counted.
        var small = Desk.Limits()
        small.outputLines = 10
        let quiet = Desk(id: "q", name: "Q", role: .student, csrf: "c", folder: "/tmp", now: 0, limits: small)
        for _ in 0..<5 { _ = quiet.command("show windows", openThrough: nil) }
        #expect(quiet.output.count == 10 && quiet.droppedLines > 0)
    }

    @Test("one line cannot fill the server: `repeat 10000 send … block=16777216*00` stops at the lab's octet bound; reconnect starts over")
    func octets() throws {
        let desk = Desk(id: "d", name: "Mallory", role: .student, csrf: "c", folder: packageRoot.appendingPathComponent("lessons").path, now: 0)
        let flood = desk.command("repeat 10000 send continuation stream=1 block=16777216*00", openThrough: nil).joined(separator: "\n")
        #expect(flood.contains("octets on the wire, the most here"), "\(flood.suffix(300))")
        let limit = Desk.Limits.standard.octets
        #expect(desk.lab.state.sentOctets >= limit && desk.lab.state.sentOctets < limit + (17 << 20), "\(desk.lab.state.sentOctets)")
        #expect(desk.command("request GET /json", openThrough: nil).joined().contains("the most here"))
        #expect(desk.command("show wire", openThrough: nil).joined().contains("client→server"))
        #expect(desk.command("reconnect", openThrough: nil).joined().contains("a new connection"))
        #expect(!desk.command("request GET /json", openThrough: nil).joined().contains("the most here"))
    }

    @Test("a student's results have at most ResultBook.lessonsPerStudent rows: reports naming a new lesson each time stop there (409)")
    func resultRows() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("results-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let results = try ResultBook(path: path)
        let make = { (lesson: String) in LessonResult(student: "s", name: "Mallory", lesson: lesson, via: "terminal", started: 0) }
        for i in 0..<ResultBook.lessonsPerStudent {
            #expect(results.update(student: "s", lesson: "x\(i)", { $0.score = 1 }, make: { make("x\(i)") }))
        }
        #expect(!results.update(student: "s", lesson: "one more", { $0.score = 1 }, make: { make("one more") }))
        #expect(results.update(student: "s", lesson: "x7", { $0.score = 2 }, make: { make("x7") }), "an existing row still updates")
        #expect(results.update(student: "t", lesson: "x0", { $0.score = 1 }, make: { make("x0") }), "another student is not counted")
        #expect(results.all.count == ResultBook.lessonsPerStudent + 1)
    }

    @Test("the lab's picture is bounded: at most LabView.frameLimit frames of the wire, the rest counted")
    func wireBounded() throws {
        let desk = Desk(id: "d", name: "Ann", role: .student, csrf: "c", folder: packageRoot.appendingPathComponent("lessons").path, now: 0)
        _ = desk.command("repeat 300 send ping", openThrough: nil)
        _ = desk.command("repeat 300 server send ping", openThrough: nil)
        let waiting = desk.lab.state.toServer.count + desk.lab.state.toClient.count
        #expect(waiting >= 600)
        let object = LabView.object(desk.lab)
        let wire = try #require(object["wire"] as? [[String: Any]])
        #expect(wire.count == LabView.frameLimit && object["wireOmitted"] as? Int == waiting - LabView.frameLimit)
    }

    @Test("every lesson of the course runs in class mode well inside the classroom's octet bound")
    func lessonsFitTheBound() throws {
        let folder = packageRoot.appendingPathComponent("lessons").path
        let names = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".h2lab") }.sorted()
        #expect(names.count >= 27)
        var most = 0
        for name in names {
            var session = Session(directory: folder)
            session.octetLimit = Desk.Limits.standard.octets
            let script = try LessonScript.load(path: folder + "/" + name)
            // The lesson run straight through with the bound set: a refused line would fail it.
            for section in script.sections {
                for item in section {
                    var lines: [String] = []
                    if case .command(_, let text) = item { lines = [text] }
                    if case .exercise(let exercise) = item { lines = exercise.solution.map(\.text) }
                    for line in lines {
                        let output = session.execute(line)
                        #expect(output.error.map { !$0.message.contains("the most here") } ?? true, "\(name): \(line)")
                    }
                }
            }
            most = max(most, session.lab.state.sentOctets)
        }
        #expect(most * 4 < Desk.Limits.standard.octets, "the largest lesson puts \(most) octets on the wire")
    }
}

@Suite("the classroom's JSON text")
struct JSONTextTests {
    @Test("RFC 8259 text that JSONSerialization reads back as written: escapes, integers of any width, nesting, keys in order")
    func roundTrip() throws {
        let value: [String: Any] = [
            "name": "<script>\"quoted\" \\ back\nline\u{1}tab\t", "b": true, "n": NSNull(), "i": -42, "u8": UInt8(255),
            "u32": UInt32(4_000_000_000), "d": 1.5, "list": [1, "two", ["three": 3]] as [Any], "octets": [UInt8]([0, 127, 255]),
            "ünïcode": "→ ✓ 😀", "x-edge": "😀\"\r\n\u{1F}é\\ \u{7F}end",
        ]
        let text = JSONText.encode(value)
        let back = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(back["name"] as? String == value["name"] as? String)
        #expect(back["x-edge"] as? String == value["x-edge"] as? String, "escapes beside characters of 2 and 4 octets")
        #expect(back["b"] as? Bool == true && back["n"] is NSNull && back["i"] as? Int == -42 && back["u8"] as? Int == 255)
        #expect(back["u32"] as? Int == 4_000_000_000 && back["d"] as? Double == 1.5 && back["octets"] as? [Int] == [0, 127, 255])
        #expect((back["list"] as? [Any])?.count == 3 && back["ünïcode"] as? String == "→ ✓ 😀")
        #expect(text.hasPrefix("{\"b\":true,\"d\":1.5,\"i\":-42,\"list\":[1,\"two\",{\"three\":3}],\"n\":null,\"name\":"), "\(text)")
        #expect(text.contains("\\u0001") && text.contains("\\n") && text.contains("\\\""))
        #expect(JSONText.encode(value) == text, "the same value gives the same text")
    }
}

@Suite("the classroom's redaction of the server's paths")
struct RedactionTests {
    @Test("the lesson folder's paths become names, found octet for octet beside characters of any width; other lines are kept")
    func paths() {
        let redaction = Redaction(script: nil, folder: "/srv/h2lab/lessons")
        #expect(redaction.apply(["cannot read /srv/h2lab/lessons/x.txt: looked for x.txt"]) == ["cannot read x.txt: looked for x.txt"])
        #expect(redaction.apply(["é→ /srv/h2lab/lessons"]) == ["é→ the lesson folder"])
        #expect(redaction.apply(["GET /html → 200", "no slash at all", "/srv/h2lab/lesson"]) == ["GET /html → 200", "no slash at all", "/srv/h2lab/lesson"])
        #expect(OctetSearch.contains(Array("/srv".utf8), in: "x/sr/srv") && !OctetSearch.contains(Array("/srvx".utf8), in: "x/srv"))
        // A folder named in one Unicode form is found in the other too (é as one scalar, and as e + U+0301).
        let accented = Redaction(script: nil, folder: "/srv/caf\u{E9}")
        #expect(accented.apply(["cannot read /srv/cafe\u{301}/x.txt"]) == ["cannot read x.txt"])
    }

    @Test("a desk redacts before any lesson as in one (the paths are made once and kept)")
    func deskBeforeAnyLesson() {
        let desk = Desk(id: "d", name: "n", role: .student, csrf: "c", folder: "/srv/h2lab/lessons", now: 0)
        for _ in 0..<2 {
            #expect(desk.redact(["cannot read /srv/h2lab/lessons/x.txt"]) == ["cannot read x.txt"])
        }
    }
}
