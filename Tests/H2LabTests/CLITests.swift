import Foundation
import Testing
import Transport

@Suite("h2lab subcommands")
struct CLITests {
    @Test("--help lists the subcommands; an unknown one fails with a message")
    func help() throws {
        let result = try run(h2lab, ["--help"])
        #expect(result.status == 0)
        for name in ["repl", "lesson", "decode", "hpack", "bench"] { #expect(result.stdout.contains(name)) }
        let bad = try run(h2lab, ["frobnicate"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("frobnicate"))
    }

    @Test("decode prints every field of a SETTINGS frame and the HPACK of a HEADERS frame")
    func decode() throws {
        let hex = "000006040000000000000300000064" + "00001101050000000182868441" + "8cf1e3c2e5f23a6ba0ab90f4ff"
        let result = try run(h2lab, ["decode", hex])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("SETTINGS_MAX_CONCURRENT_STREAMS"))
        #expect(result.stdout.contains(":method: GET   (indexed 2)"))
        #expect(result.stdout.contains(":authority: www.example.com   (literal incremental, name index 1, value huffman)"))
        #expect(result.stdout.contains("Flags: END_STREAM | END_HEADERS"))
        let piped = try run(h2lab, ["decode"], input: "00 00 06 04 00 00 00 00 00\n00 03 00 00 00 64\n")
        #expect(piped.stdout.contains("Identifier: SETTINGS_MAX_CONCURRENT_STREAMS"))
    }

    @Test("decode reports bad input with its offset and exit status 1")
    func decodeErrors() throws {
        let truncated = try run(h2lab, ["decode", "0000080600000000000102"])
        #expect(truncated.status == 1)
        #expect(truncated.stdout.contains("offset 0: 11 octets left over"))
        let badFrame = try run(h2lab, ["decode", "000000040000000000" + "000003080000000000000001"])
        #expect(badFrame.status == 1)
        #expect(badFrame.stdout.contains("offset 9: error: connection error FRAME_SIZE_ERROR"))
        let notHex = try run(h2lab, ["decode", "zz"])
        #expect(notHex.status == 1 && notHex.stderr.contains("not hex"))
    }

    @Test("hpack check passes the corpus and reports a broken story case by case")
    func hpackCheck() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: corpus + "/nghttp2").filter { $0.hasSuffix(".json") }.map { corpus + "/nghttp2/" + $0 }
        let good = try run(h2lab, ["hpack", "check"] + files)
        #expect(good.status == 0)
        #expect(good.stdout.hasSuffix(" passed, 0 failed\n"))
        let broken = FileManager.default.temporaryDirectory.appendingPathComponent("broken-story-\(getpid()).json")
        try Data(#"{"cases":[{"seqno":0,"wire":"82","headers":[{":method":"GET"}]},{"seqno":1,"wire":"82","headers":[{":method":"POST"}]},{"seqno":2,"wire":"be","headers":[]}]}"#.utf8).write(to: broken)
        let bad = try run(h2lab, ["hpack", "check", broken.path])
        #expect(bad.status == 1)
        #expect(bad.stdout.contains("seqno 1: field 1: got \":method: GET\", expected \":method: POST\""))
        #expect(bad.stdout.contains("seqno 2: index 62 at offset 0 is beyond the tables"))
        #expect(bad.stdout.hasSuffix("1 passed, 2 failed\n"))
    }

    @Test("--script runs commands and names the file and line of each error")
    func script() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("script-\(getpid()).h2lab")
        try Data("request GET /json\ncontinue\nshow streams\nstpe\nquit\n".utf8).write(to: file)
        let result = try run(h2lab, ["--script", file.path])
        #expect(result.status == 1)
        #expect(result.stdout.contains("GET /json"))
        #expect(result.stderr.contains("\(file.path):4: unknown command 'stpe'"))
    }

    @Test("lesson check passes and lesson run prints a transcript; a missing lesson is an error")
    func lessons() throws {
        let check = try run(h2lab, ["lesson", "check"], directory: packageRoot.path)
        #expect(check.status == 0, "\(check.stdout)")
        #expect(check.stdout.contains("ok       01-handshake"))
        #expect(check.stdout.hasSuffix("passed, 0 failed\n"))
        // Every lesson in lessons/ is checked, 27 at least (issue 21's course).
        let passed = check.stdout.split(separator: "\n").last.flatMap { Int($0.prefix { $0.isNumber }) } ?? 0
        #expect(passed >= 27, "\(check.stdout)")
        let missing = try run(h2lab, ["lesson", "run", "nope"], directory: packageRoot.path)
        #expect(missing.status == 1 && missing.stderr.contains("no lesson 'nope'"))
    }

    @Test("piped input gets no colour, and NO_COLOR is honoured")
    func noColour() throws {
        let result = try run(h2lab, [], input: "request GET /\ncontinue\n", environment: ["NO_COLOR": "1"])
        #expect(!result.stdout.contains("\u{1b}["))
        #expect(result.stdout.contains("client has the whole response on stream 1"))
    }
}

@Suite("h2lab convert (seed 003)")
struct ConvertTests {
    @Test("seed 003's example request converts, and its content-length mismatch is reported")
    func seedExample() throws {
        let result = try run(h2lab, ["convert", packageRoot.appendingPathComponent("lessons/seed-003-request.http").path])
        #expect(result.status == 0, "\(result.stderr)")
        let out = result.stdout
        #expect(out.contains("[Frame 1] HEADERS") && out.contains("[Frame 2] DATA"))
        #expect(out.contains("Host: becomes :authority"))
        #expect(out.contains("content-length says 35 but the body has 32 octets"))
        #expect(out.contains("RFC 9113 §8.1.1"))
        #expect(out.contains(":authority: www.test101.com"))
        #expect(out.contains("0       00 00 20 00 01 00 00 00    00000000 00000000 00100000 00000000"))
    }

    @Test("connection-specific fields are removed and said so; a big body splits by MAX_FRAME_SIZE")
    func mapping() throws {
        let body = String(repeating: "z", count: 40_000)
        let request = "POST /upload HTTP/1.1\r\nHost: lab\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\nKeep-Alive: 5\r\nContent-Length: \(body.count)\r\n\r\n\(body)"
        let result = try run(h2lab, ["convert", "-"], input: request)
        #expect(result.stdout.contains("Connection: connection-specific: not sent in HTTP/2 (§8.2.2)"))
        #expect(result.stdout.contains("X-Hop: connection-specific"))
        #expect(result.stdout.contains("Keep-Alive: connection-specific"))
        #expect(result.stdout.components(separatedBy: "] DATA").count - 1 == 3)
        #expect(!result.stdout.contains("✗"))
    }

    @Test("--reverse prints the HTTP/1.1 form of HTTP/2 frames")
    func reverse() throws {
        // HEADERS (C.4.3's request block) with END_STREAM.
        let hex = "00002501050000000182868441" + "8cf1e3c2e5f23a6ba0ab90f4ff" + "408825a849e95ba97d7f8925a849e95bb8e8b4bf"
        let result = try run(h2lab, ["convert", "--reverse", "-"], input: hex)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "GET / HTTP/1.1\nHost: www.example.com\ncustom-key: custom-value\n\n")
    }

    @Test("bad input: not a request, not hex")
    func bad() throws {
        #expect(try run(h2lab, ["convert", "-"], input: "hello\r\n\r\n").stderr.contains("not an HTTP/1.1 request"))
        #expect(try run(h2lab, ["convert", "--reverse", "-"], input: "xyz").status == 1)
    }
}

@Suite("h2lab --script: errors in order, expectations counted")
struct ScriptTests {
    @Test("10 000 PINGs queued at once, then delivered: each delivery's snapshot for `back` shares the wire, memory stays flat")
    func queuedFramesShareTheWire() throws {
        // Each snapshot held a copy of the wire the delivery had just shortened: 9.7 GB here.
        let result = try run("/usr/bin/time", ["-f", "max RSS %M KiB", h2lab, "--script", "-"],
                             input: "continue\nrepeat 10000 ping\ncontinue\nback 3\nexpect wire 3\n", timeout: 300)
        #expect(result.status == 0, "\(result.stderr.suffix(300))")
        let rss = Int(result.stderr.split(separator: "\n").last { $0.hasPrefix("max RSS") }?.split(separator: " ")[2] ?? "") ?? .max
        #expect(rss < 600_000, "max RSS \(rss) KiB")
    }

    @Test("stderr and stdout sent to one file keep the order of the lines; a failing expect fails the script")
    func ordered() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("h2lab-order-\(getpid()).h2lab")
        try "request GET /json\ncontinue\nstpe\nshow streams\nexpect client stream 1 state open\nexpect wire empty\n"
            .write(to: file, atomically: true, encoding: .utf8)
        let merged = try run("/bin/sh", ["-c", "\"$0\" --script \"$1\" 2>&1", h2lab, file.path])
        #expect(merged.status == 1)
        let out = merged.stdout
        let continued = try #require(out.range(of: "client has the whole response on stream 1"))
        let error = try #require(out.range(of: "\(file.path):3: unknown command 'stpe'"))
        let shown = try #require(out.range(of: "lab> show streams"))
        #expect(continued.upperBound <= error.lowerBound && error.upperBound <= shown.lowerBound, "\(out)")
        #expect(out.contains("  ✗ expected client stream 1 to be open, it is closed\n\(file.path):5: expected client stream 1 to be open"))
        #expect(out.contains("lab> expect wire empty\n  ✓ the wire is empty"))
        // Errors stay on stderr.
        let split = try run(h2lab, ["--script", file.path])
        #expect(split.stderr.contains(":3: unknown command") && !split.stdout.contains(":3: unknown command"))
    }

    @Test("listen --timeout ends a wait in a script; Ctrl-C (SIGINT) stops a waiting listen and the script, cleanly")
    func listenInScripts() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("h2lab-listen-\(getpid()).h2lab")
        try "listen --port 0 --timeout 1\nshow streams\n".write(to: file, atomically: true, encoding: .utf8)
        let timed = try run(h2lab, ["--script", file.path], timeout: 20)
        #expect(timed.status == 1 && timed.stderr.contains("\(file.path):1: stopped listening: no client came within 1 s"))
        #expect(timed.stdout.contains("lab> show streams"), "the script went on after the timeout")

        try "listen --port 0\nshow streams\n".write(to: file, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: h2lab)
        process.arguments = ["--script", file.path]
        let errors = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        usleep(1_500_000)
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 130 && process.terminationReason == .exit, "\(text)")
        #expect(text.contains("\(file.path):1: interrupted (Ctrl-C); the rest of the script is skipped"))
    }

    @Test("--script - reads the commands from standard input")
    func scriptFromStdin() throws {
        let result = try run(h2lab, ["--script", "-"], input: "request GET /json\ncontinue\nexpect client stream 1 status 200\n")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("lab> expect client stream 1 status 200\n  ✓"))
    }

    @Test("listen --cert F --key F: a certificate of one's own, as serve takes")
    func listenWithCertificate() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("h2lab-listen-cert-\(getpid())").path
        let made = try TLSContext.selfSigned(in: dir)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("h2lab-listen-cert-\(getpid()).h2lab")
        try "listen --port 0 --timeout 20 --cert \(made.certificate) --key \(made.key)\nauto on\n"
            .write(to: file, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: h2lab)
        process.arguments = ["--script", file.path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) }; process.waitUntilExit() }
        var announced = ""
        let handle = output.fileHandleForReading
        while !announced.contains("Waiting for one client") {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            announced += String(decoding: chunk, as: UTF8.self)
        }
        // Long lines wrap with an indent: join them back before looking.
        #expect(announced.replacingOccurrences(of: "\n       ", with: " ").contains("the certificate in \(made.certificate)"))
        #expect(announced.contains(made.fingerprint.prefix(20)))
        let port = try #require(announced.firstMatch(of: /https:\/\/127\.0\.0\.1:(\d+)\//).map { String($0.1) })
        let curl = try run("curl", ["-s", "--http2", "--cacert", made.certificate, "--max-time", "10",
                                    "https://localhost:\(port)/json"], timeout: 20)
        #expect(curl.stdout.contains("\"protocol\": \"HTTP/2\""), "curl verified our certificate and got: \(curl.stdout)\(curl.stderr)")
    }
}

@Suite("h2lab lesson: run, check, class mode from a pipe")
struct LessonCommandTests {
    /// A scratch folder with a copy of one lesson (and its transcript), for changing it safely.
    func scratch(_ name: String) throws -> (lessons: URL, transcripts: URL) {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("h2lab-lessons-\(getpid())-\(name)")
        try? FileManager.default.removeItem(at: root)
        let lessons = root.appendingPathComponent("lessons"), transcripts = root.appendingPathComponent("transcripts")
        try FileManager.default.createDirectory(at: lessons, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: transcripts, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: packageRoot.appendingPathComponent("lessons/\(name).h2lab"), to: lessons.appendingPathComponent("\(name).h2lab"))
        try FileManager.default.copyItem(at: packageRoot.appendingPathComponent("transcripts/\(name).txt"), to: transcripts.appendingPathComponent("\(name).txt"))
        for file in ["upload-100k.txt", "body-30k.txt", "seed-003-request.http"] {
            try FileManager.default.copyItem(at: packageRoot.appendingPathComponent("lessons/\(file)"), to: lessons.appendingPathComponent(file))
        }
        return (lessons, transcripts)
    }

    @Test("a changed expect fails check and run with FILE:LINE, and --update leaves the golden file alone")
    func brokenCopy() throws {
        let (lessons, transcripts) = try scratch("10-flow-control")
        let file = lessons.appendingPathComponent("10-flow-control.h2lab")
        var lines = try String(contentsOf: file, encoding: .utf8).components(separatedBy: "\n")
        let index = try #require(lines.firstIndex(of: "expect server stream 1 body 65535"))
        lines[index] = "expect server stream 1 body 65536"
        try lines.joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
        let golden = transcripts.appendingPathComponent("10-flow-control.txt")
        let before = try Data(contentsOf: golden)

        let check = try run(h2lab, ["lesson", "check", "--lessons", lessons.path, "--transcripts", transcripts.path])
        #expect(check.status == 1)
        #expect(check.stdout.contains("FAILED   \(file.path):\(index + 1): expected server stream 1 body to be 65536 octets, it is 65535 octets"))
        #expect(check.stdout.hasSuffix("0 passed, 1 failed\n"))

        let update = try run(h2lab, ["lesson", "run", "--lessons", lessons.path, "--transcripts", transcripts.path, "10-flow-control", "--update"])
        #expect(update.status == 1)
        #expect(update.stderr.contains("\(file.path):\(index + 1):") && update.stderr.contains("left as it was"))
        #expect(try Data(contentsOf: golden) == before)
    }

    @Test("check works on a lesson file outside lessons/, with no transcript needed")
    func outsideFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("h2lab-own-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let file = dir.appendingPathComponent("mine.h2lab")
        try """
            # My lesson (RFC 9113 §6.7)
            ping 9
            continue
            expect last frame PING ACK from server
            """.write(to: file, atomically: true, encoding: .utf8)
        let ok = try run(h2lab, ["lesson", "check", file.path], directory: packageRoot.path)
        #expect(ok.status == 0, "\(ok.stdout)\(ok.stderr)")
        #expect(ok.stdout.contains("ok       \(file.path)"))
        try "# Mine\nexercise Nothing to solve with\n  goal expect wire empty\nend\n".write(to: file, atomically: true, encoding: .utf8)
        let bad = try run(h2lab, ["lesson", "check", file.path], directory: packageRoot.path)
        #expect(bad.status == 1)
        #expect(bad.stdout.contains("\(file.path):2: the exercise has no solution"))
    }

    @Test("--script goes on after a failing expect, reports FILE:LINE on stderr, and exits 1 (as docs/lessons.md says)")
    func scriptFailingExpect() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("h2lab-expect-\(getpid()).txt")
        defer { try? FileManager.default.removeItem(at: file) }
        try "expect wire 7\nsay still running\nexpect wire 3\n".write(to: file, atomically: true, encoding: .utf8)
        let result = try run(h2lab, ["--script", file.path])
        #expect(result.status == 1)
        #expect(result.stdout.contains("still running") && result.stdout.contains("✓ the wire holds 3 frames"))
        #expect(result.stderr.contains("\(file.path):1: expected the wire to hold 7"), "\(result.stderr)")
        let guide = try String(contentsOf: packageRoot.appendingPathComponent("docs/lessons.md"), encoding: .utf8)
        #expect(guide.contains("`h2lab --script FILE` goes on instead"))
    }

    @Test("a teacher's lesson in the current folder: found by name, its failure shows what ran then FILE:LINE (the answer line), its transcript beside it")
    func teachersOwnLesson() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("h2lab-teacher-\(getpid())")
        try? FileManager.default.removeItem(at: dir)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("my-ping.h2lab")
        let text = """
            # My lesson (RFC 9113 §6.7)
            continue
            ping
            expect client sent PING
            predict What comes back?
              option an ACK => expect server sent PING ACK
              option nothing => expect wire 3
              answer b
              reveal continue
            end
            """
        try text.write(to: file, atomically: true, encoding: .utf8)
        let wrong = try run(h2lab, ["lesson", "run", "my-ping"], directory: dir.path)
        #expect(wrong.status == 1)
        #expect(wrong.stdout.contains("lab> ping") && wrong.stdout.contains("✓ client sent PING"), "\(wrong.stdout)")
        #expect(wrong.stderr.contains("my-ping.h2lab:8: the answer key says (b)"), "\(wrong.stderr)")
        try text.replacingOccurrences(of: "answer b", with: "answer a").write(to: file, atomically: true, encoding: .utf8)
        let update = try run(h2lab, ["lesson", "run", "my-ping", "--update"], directory: dir.path)
        #expect(update.status == 0, "\(update.stderr)")
        let beside = dir.appendingPathComponent("my-ping.txt")
        #expect(FileManager.default.fileExists(atPath: beside.path))
        let check = try run(h2lab, ["lesson", "check", "my-ping"], directory: dir.path)
        #expect(check.status == 0 && check.stdout.contains("ok       my-ping"), "\(check.stdout)")
        try "changed\n".write(to: beside, atomically: true, encoding: .utf8)
        let differs = try run(h2lab, ["lesson", "check", "my-ping"], directory: dir.path)
        #expect(differs.status == 1 && differs.stdout.contains("DIFFERS  my-ping"))
        let missing = try run(h2lab, ["lesson", "run", "not-written"], directory: dir.path)
        #expect(missing.status == 1 && missing.stderr.contains("no \(dir.standardized.path)/not-written.h2lab")
                || missing.stderr.contains("/not-written.h2lab"), "\(missing.stderr)")
    }

    @Test("`h2lab lesson NAME` from a pipe prints straight through; `lesson NAME` at a piped REPL runs class mode")
    func classFromPipe() throws {
        let straight = try run(h2lab, ["lesson", "handshake"], directory: packageRoot.path)
        let golden = try String(contentsOf: packageRoot.appendingPathComponent("transcripts/01-handshake.txt"), encoding: .utf8)
        #expect(straight.status == 0 && straight.stdout == golden)

        let input = ["lesson 01-handshake", "", "show streams", "", "", "b", "", "hint", "step", "step", "", "show wire", "quit"].joined(separator: "\n") + "\n"
        let repl = try run(h2lab, [], input: input, directory: packageRoot.path)
        let out = repl.stdout
        #expect(repl.status == 0, "\(repl.stderr)")
        #expect(out.contains("── section 1 of 6"))
        #expect(out.contains("lesson 2/6> show streams"))
        #expect(out.contains("✗ you said b) a SETTINGS frame repeating the client's values"))
        #expect(out.contains("exercise> hint\n  hint 1 of 2: Two ACKs wait on the wire, one in each direction."))
        #expect(out.contains("✓ solved"))
        #expect(out.contains("score 50%  (exercises solved on your own: 1 of 1, predictions right: 0 of 1)"))
        #expect(out.contains("lab> show wire\n  the wire is empty"))
    }
}
