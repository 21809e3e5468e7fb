import Foundation
import Testing

/// A student at a terminal takes a lesson with `--report` and `--join` (tmux, as a person would)
/// while a browser-less teacher watches the running `h2lab class` through its JSON API.
@Suite("h2lab lesson --report and --join against a running h2lab class (tmux)", .serialized)
struct ClassroomTerminalTests {
    let terminal = TerminalTests()

    @Test("the terminal student's progress reaches the roster as they go; the report file has each item, the score and the times")
    func joinAndReport() throws {
        let classroom = try ClassProcess()
        defer { classroom.stop() }
        try classroom.login()
        let name = "h2lab-join-\(getpid())"
        let report = classroom.directory.appendingPathComponent("report.json").path
        _ = try terminal.startREPL(name, arguments: "lesson 01-handshake --no-color --report \(report) --join \(classroom.url) "
                                        + "--code \(classroom.code.lowercased()) --name 'Dana at a terminal' --insecure")
        defer { _ = try? terminal.tmux(["kill-session", "-t", name]) }
        var text = try terminal.type(name, "", until: "section 2 of 6")
        #expect(text.contains("joined the class at \(classroom.url) as Dana at a terminal"), "\(text)")
        func roster() -> [String: Any] {
            let object = classroom.json((try? classroom.curl([classroom.url + "/api/class/roster"], jar: "teacher").body) ?? "")
            return (object["students"] as? [[String: Any]])?.first { $0["name"] as? String == "Dana at a terminal" } ?? [:]
        }
        #expect(waitUntil(10) { roster()["section"] as? Int == 2 }, "\(roster())")
        #expect(roster()["via"] as? String == "terminal")
        _ = try terminal.type(name, "", until: "section 3 of 6")
        _ = try terminal.type(name, "", until: "answer (a-c)>")
        text = try terminal.type(name, "b", until: "✗ you said b)")
        _ = try terminal.type(name, "", until: "exercise>")
        _ = try terminal.type(name, "hint", until: "hint 1 of 2")
        _ = try terminal.type(name, "step 2", until: "✓ solved")
        text = try terminal.type(name, "", until: "lesson complete")  // lesson 01's last section
        #expect(text.contains("score 50%"), "\(text)")
        #expect(waitUntil(10) { roster()["complete"] as? Bool == true }, "\(roster())")
        let row = roster()
        #expect(row["score"] as? Int == 50 && row["exercisesOwn"] as? Int == 0 && row["exercisesHelped"] as? Int == 1
                && row["predictions"] as? Int == 1 && row["predictionsRight"] as? Int == 0, "\(row)")
        // The report file: the same figures, each item, the times.
        let data = try #require(FileManager.default.contents(atPath: report))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["lesson"] as? String == "01-handshake" && object["complete"] as? Bool == true && object["score"] as? Int == 50)
        #expect((object["exerciseResults"] as? [[String: Any]])?.first?["result"] as? String == "hint")
        let prediction = (object["predictionResults"] as? [[String: Any]])?.first
        #expect(prediction?["answer"] as? String == "b" && prediction?["key"] as? String == "a" && prediction?["right"] as? Bool == false)
        #expect((object["started"] as? String)?.hasSuffix("Z") == true && (object["finished"] as? String)?.hasSuffix("Z") == true)
        // The CSV has the terminal student's row too.
        let csv = try classroom.curl([classroom.url + "/api/class/scores.csv"], jar: "teacher").body
        #expect(csv.contains("\"Dana at a terminal\",\"01-handshake\",6,6,yes,0,1,0,1,50,terminal,"), "\(csv)")
    }

    @Test("the teacher starts another lesson: the terminal student is told, and Enter takes them into it (and onto the roster in it)")
    func followsTheTeacher() throws {
        let classroom = try ClassProcess()
        defer { classroom.stop() }
        try classroom.login()
        let name = "h2lab-follow-\(getpid())"
        _ = try terminal.startREPL(name, arguments: "lesson 01-handshake --no-color --join \(classroom.url) "
                                        + "--code \(classroom.code) --name 'Eve at a terminal' --insecure")
        defer { _ = try? terminal.tmux(["kill-session", "-t", name]) }
        _ = try terminal.type(name, "", until: "section 2 of 6")
        #expect(try classroom.post("/api/class/lesson", ["name": "03-get-request"], jar: "teacher").status == 200)
        var screen = ""
        #expect(waitUntil(15) {
            screen = (try? terminal.screen(name)) ?? ""
            return screen.contains("(the teacher started the lesson 03-get-request: press Enter to follow)")
        }, "\(screen)")
        screen = try terminal.type(name, "", until: "section 1 of 5")
        #expect(screen.contains("(the teacher started the lesson 03-get-request)"), "\(screen)")
        func roster() -> [String: Any] {
            let object = classroom.json((try? classroom.curl([classroom.url + "/api/class/roster"], jar: "teacher").body) ?? "")
            return (object["students"] as? [[String: Any]])?.first { $0["name"] as? String == "Eve at a terminal" && $0["online"] as? Bool == true } ?? [:]
        }
        #expect(waitUntil(10) { roster()["lesson"] as? String == "03-get-request" }, "\(roster())")
        _ = try terminal.type(name, "", until: "section 2 of 5")
        #expect(waitUntil(10) { roster()["section"] as? Int == 2 && roster()["lesson"] as? String == "03-get-request" }, "\(roster())")
    }

    @Test("--fingerprint pins the class's certificate as the teacher prints it (hex with colons, plain hex, base64): a match joins without --insecure, a mismatch is refused before anything is sent")
    func fingerprint() throws {
        let classroom = try ClassProcess()
        defer { classroom.stop() }
        #expect(waitUntil(5) { classroom.log.contains("terminal students: ") })
        let printed = classroom.log.components(separatedBy: "certificate SHA-256 fingerprint: ").dropFirst().first?.prefix { $0 != "\n" } ?? ""
        #expect(printed.count == 95, "\(classroom.log)")
        #expect(classroom.log.contains("--fingerprint SHA256:\(printed)"), "the class prints the line a terminal student types: \(classroom.log)")
        let octets = printed.split(separator: ":").compactMap { UInt8($0, radix: 16) }
        let forms = ["SHA256:" + printed, printed.replacingOccurrences(of: ":", with: "").lowercased(),
                     "SHA256:" + Data(octets).base64EncodedString().replacingOccurrences(of: "=", with: "")]
        for (i, form) in forms.enumerated() {
            let joined = try run(h2lab, ["lesson", "01-handshake", "--join", classroom.url, "--code", classroom.code,
                                         "--name", "Pinned \(i)", "--fingerprint", form], input: "\n")
            #expect(joined.status == 0 && joined.stderr.contains("joined the class"), "\(form): \(joined.stderr)")
        }
        // Another certificate's fingerprint: refused, nothing sent (the class saw no join).
        var wrong = octets
        wrong[0] ^= 0xff
        let before = classroom.log.components(separatedBy: "a terminal joined").count
        let refused = try run(h2lab, ["lesson", "01-handshake", "--join", classroom.url, "--code", classroom.code, "--name", "Mallory",
                                      "--fingerprint", "SHA256:" + wrong.map { String(format: "%02X", $0) }.joined(separator: ":")], input: "\n")
        #expect(refused.status == 1 && refused.stderr.contains("not the one you pinned") && refused.stderr.contains("SHA256:\(printed)"),
                "\(refused.stderr)")
        Thread.sleep(forTimeInterval: 0.5)
        #expect(classroom.log.components(separatedBy: "a terminal joined").count == before, "nothing reached the class")
        // --insecure still works; a malformed fingerprint is a usage error.
        let insecure = try run(h2lab, ["lesson", "01-handshake", "--join", classroom.url, "--code", classroom.code, "--name", "Ivy", "--insecure"],
                               input: "\n")
        #expect(insecure.status == 0, "\(insecure.stderr)")
        let malformed = try run(h2lab, ["lesson", "01-handshake", "--join", classroom.url, "--code", classroom.code, "--name", "X",
                                        "--fingerprint", "SHA256:12:34"])
        #expect(malformed.status == 64 && malformed.stderr.contains("--fingerprint is the certificate's SHA-256 fingerprint"), "\(malformed.stderr)")
    }

    @Test("a wrong code stops before the lesson, with the class's reason; --join without --code is exit 64")
    func refused() throws {
        let classroom = try ClassProcess()
        defer { classroom.stop() }
        let wrong = try run(h2lab, ["lesson", "01-handshake", "--join", classroom.url, "--code", "NOPE99", "--name", "X", "--insecure"],
                            input: "\n")
        #expect(wrong.status == 1 && wrong.stderr.contains("not the class's code"), "\(wrong.stderr)")
        let verify = try run(h2lab, ["lesson", "01-handshake", "--join", classroom.url, "--code", classroom.code, "--name", "X"], input: "\n")
        #expect(verify.status == 1 && verify.stderr.contains("--insecure") && verify.stderr.contains("--fingerprint"),
                "a self-signed certificate is refused unless asked: \(verify.stderr)")
        let usage = try run(h2lab, ["lesson", "01-handshake", "--join", classroom.url])
        #expect(usage.status == 64 && usage.stderr.contains("--join needs --code and --name"))
    }
}
