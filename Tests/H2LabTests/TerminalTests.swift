import Foundation
import Testing

/// Drives the REPL through a real terminal with tmux, as a person would.
@Suite("The REPL in a terminal (tmux)")
struct TerminalTests {
    func tmux(_ args: [String]) throws -> Run { try run("tmux", args, timeout: 20, capture: args.first != "new-session") }

    func screen(_ session: String) throws -> String { try tmux(["capture-pane", "-p", "-J", "-S", "-400", "-t", session]).stdout }

    /// Types a line and waits until the screen shows `marker` (or a time limit passes); with
    /// `anchor`, only what follows the anchor's last appearance counts, so that a marker an earlier
    /// command printed cannot end the wait before this one has done anything.
    func type(_ session: String, _ line: String, until marker: String, after anchor: String? = nil) throws -> String {
        _ = try tmux(["send-keys", "-t", session, "-l", line])
        _ = try tmux(["send-keys", "-t", session, "Enter"])
        var text = ""
        let shown = { (text: String) -> Bool in
            guard let anchor else { return text.contains(marker) }
            return text.components(separatedBy: anchor).dropFirst().last?.contains(marker) == true
        }
        guard try waitUntil(15, { text = try screen(session); return shown(text) }) else { return text }
        usleep(200_000)  // let the rest of the command's output arrive
        return try screen(session)
    }

    /// Starts `h2lab` in a 100×50 tmux session named `name` with a fresh HOME (and cache) of its own;
    /// returns that HOME. The caller kills the session.
    func startREPL(_ name: String, arguments: String = "--no-color") throws -> String {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent(name).path
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        _ = try tmux(["kill-session", "-t", name])
        // The tmux server exits when another test kills its last session; a session started at that
        // moment fails, so a failed start is tried again.
        var start = try tmux(["new-session", "-d", "-s", name, "-x", "100", "-y", "50", "-c", packageRoot.path,
                              "env HOME=\(home) XDG_CACHE_HOME=\(home) TERM=xterm-256color \(h2lab) \(arguments)"])
        for _ in 0..<3 where start.status != 0 {
            usleep(500_000)
            start = try tmux(["new-session", "-d", "-s", name, "-x", "100", "-y", "50", "-c", packageRoot.path,
                              "env HOME=\(home) XDG_CACHE_HOME=\(home) TERM=xterm-256color \(h2lab) \(arguments)"])
        }
        #expect(start.status == 0, "tmux: \(start.stderr)")
        return home
    }

    @Test("live frames at the prompt: `auto on` set before `listen` stays on; a client's request flows while a line is half typed")
    func liveAtPrompt() throws {
        let name = "h2lab-live-\(getpid())"
        _ = try startREPL(name)
        defer { _ = try? tmux(["kill-session", "-t", name]) }
        _ = try type(name, "", until: "lab>")
        _ = try type(name, "auto on", until: "auto on")
        var text = try type(name, "listen --port 0", until: "Waiting for one client")
        let port = try #require(text.firstMatch(of: /listening on http:\/\/127\.0\.0\.1:(\d+)\//).map { String($0.1) })
        let answer = Box()
        let done = DispatchSemaphore(value: 0)
        Thread {
            let result = try? run("python3", ["-c", """
                import socket, sys, time, h2.connection, h2.events
                s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
                c = h2.connection.H2Connection(); c.initiate_connection(); s.sendall(c.data_to_send())
                time.sleep(2.5)
                c.send_headers(1, [(":method", "GET"), (":scheme", "http"), (":authority", "live"), (":path", "/json")], end_stream=True)
                s.sendall(c.data_to_send())
                s.settimeout(10)
                status = None
                while status is None:
                    for e in c.receive_data(s.recv(65536)):
                        if isinstance(e, h2.events.ResponseReceived): status = dict(e.headers)[b":status"].decode()
                    s.sendall(c.data_to_send())
                print("status", status)
                time.sleep(1)
                """, port], timeout: 30)
            answer.append(Array((result?.stdout ?? "").utf8)[...])
            done.signal()
        }.start()
        _ = try waitUntil(10) { try screen(name).contains("the lab's client now") }
        // Half a command typed, no Enter: the request arrives meanwhile.
        _ = try tmux(["send-keys", "-t", name, "-l", "show str"])
        #expect(done.wait(timeout: .now() + 20) == .success)
        #expect(String(decoding: answer.data, as: UTF8.self).contains("status 200"), "the client got no answer at the prompt")
        _ = try waitUntil(5) { try screen(name).contains("client→server HEADERS stream 1") }
        text = try screen(name)
        #expect(text.contains("client→server HEADERS stream 1") && text.contains("server→client DATA stream 1"), "\(text.suffix(2_000))")
        let last = text.split(separator: "\n").last(where: { !$0.trimmingCharacters(in: .whitespaces).isEmpty }) ?? ""
        #expect(last == "lab> show str", "the line being typed was not kept under the live frames: \(last)")
        text = try type(name, "eams", until: "side   stream")
        #expect(text.contains("GET /json"))
    }

    @Test("proxy at the prompt: `edit` changes curl's waiting request; a second client becomes connection 2, announced with its waiting frames")
    func proxyAtPrompt() throws {
        let server = try Server()
        defer { server.stop() }
        let name = "h2lab-proxy-\(getpid())"
        _ = try startREPL(name)
        defer { _ = try? tmux(["kill-session", "-t", name]) }
        _ = try type(name, "", until: "lab>")
        var text = try type(name, "proxy --to \(server.url) --port 0", until: "Waiting for one client")
        let port = try #require(text.firstMatch(of: /listening on http:\/\/127\.0\.0\.1:(\d+)\//).map { String($0.1) })
        let first = Box(), second = Box()
        let done = DispatchSemaphore(value: 0)
        for (box, path) in [(first, "/html"), (second, "/styles.css")] {
            Thread {
                if path == "/styles.css" { usleep(4_000_000) }  // the second client comes later
                let result = try? run("curl", ["-s", "--http2-prior-knowledge", "--max-time", "25", "http://127.0.0.1:\(port)\(path)"], timeout: 30)
                box.append(Array((result?.stdout ?? "").utf8)[...])
                done.signal()
            }.start()
        }
        _ = try waitUntil(10) { try screen(name).contains("H2Lab sits between the client") }
        text = try type(name, "edit :path /json", until: "goes to the server with: :path: /json")
        #expect(text.contains("goes to the server with: :path: /json"), "\(text.suffix(1_500))")
        // The second client arrives while the prompt waits: announced, with its frames waiting.
        let arrived = try waitUntil(10) {
            let screen = try screen(name)
            return screen.contains("connection 2: another client from 127.0.0.1") && screen.contains("waiting on its wire (`connection 2` shows them)")
        }
        let shown = try screen(name)
        #expect(arrived, "\(shown.suffix(1_500))")
        text = try type(name, "auto on", until: "connection 1: the client at 127.0.0.1 closed the connection")
        #expect(done.wait(timeout: .now() + 20) == .success && done.wait(timeout: .now() + 20) == .success)
        #expect(String(decoding: first.data, as: UTF8.self).contains("\"rfc\": 9113"), "the edited request should have fetched /json")
        #expect(String(decoding: second.data, as: UTF8.self).contains("font-family"), "connection 2's request was not served")
        text = try type(name, "connection", until: "    2 ")
        #expect(text.contains("* 1   127.0.0.1 ⇄ 127.0.0.1:\(server.port)"), "\(text.suffix(800))")
    }

    @Test("h2lab panel passwd on a terminal: asks twice without echo; two different answers change nothing")
    func panelPasswd() throws {
        let name = "h2lab-passwd-\(getpid())"
        let home = try startREPL(name, arguments: "panel passwd admin --users users; sleep 30")  // the pane outlives it
        defer { _ = try? tmux(["kill-session", "-t", name]) }
        let users = home + "/users"
        _ = try waitUntil(10) { try screen(name).contains("new password for admin:") }
        var text = try type(name, "first secret one", until: "again:")
        #expect(!text.contains("first secret one"), "the password was echoed:\n\(text)")
        text = try type(name, "another secret", until: "differ")
        #expect(text.contains("error: the two passwords differ; nothing changed"))
        // tmux runs it in the package folder: the users file is relative to it.
        let file = packageRoot.appendingPathComponent("users").path
        #expect(!FileManager.default.fileExists(atPath: file) && !FileManager.default.fileExists(atPath: users))
        _ = try tmux(["kill-session", "-t", name])
        _ = try startREPL(name, arguments: "panel passwd admin --users \(users); sleep 30")
        _ = try waitUntil(10) { try screen(name).contains("new password for admin:") }
        _ = try type(name, "the same secret", until: "again:")
        text = try type(name, "the same secret", until: "password set")
        #expect(text.contains("password set for admin in \(users)") && !text.contains("the same secret"))
        let stored = try String(contentsOfFile: users, encoding: .utf8)
        #expect(stored.hasPrefix("admin:pbkdf2-sha256$") && !stored.contains("the same secret"))
    }

    @Test("request, step to completion, show hpack, show streams, back, show frame")
    func session() throws {
        let name = "h2lab-test-\(getpid())"
        let home = try startREPL(name)
        defer { _ = try? tmux(["kill-session", "-t", name]) }

        var text = try type(name, "", until: "lab>")
        #expect(text.contains("H2Lab: an HTTP/2 client and server in memory"))
        text = try type(name, "request GET /html", until: "queued   client→server  HEADERS stream 1")
        #expect(text.contains("client stream 1: idle → open → half-closed (local)"))
        text = try type(name, "step 8", until: "#8 server→client DATA stream 1")
        #expect(text.contains("client has the whole response on stream 1"))
        text = try type(name, "show hpack server", until: "server decoder (what it receives)")
        #expect(text.contains(":path: /html"))
        text = try type(name, "show streams", until: "closed (END_STREAM)")
        #expect(text.contains("GET /html"))
        text = try type(name, "back 2", until: "rewound 2 deliveries: now after #6")
        text = try type(name, "show frame 3", until: "Stream Identifier: 0 (the connection)")
        #expect(text.contains("Type: SETTINGS"))
        text = try type(name, "stpe", until: "did you mean 'step'?")
        // Tab completion: "sho" + Tab completes to "show".
        _ = try tmux(["send-keys", "-t", name, "-l", "sho"])
        _ = try tmux(["send-keys", "-t", name, "Tab"])
        usleep(300_000)
        text = try type(name, "wire", until: "server→client  HEADERS stream 1")
        #expect(text.contains("lab> show wire"))
        _ = try tmux(["send-keys", "-t", name, "C-d"])
        try waitUntil(10, every: 0.1) { try tmux(["has-session", "-t", name]).status != 0 }
        #expect(try tmux(["has-session", "-t", name]).status != 0, "the REPL did not exit on Ctrl-D")
        let history = (try? String(contentsOfFile: home + "/.h2lab_history", encoding: .utf8)) ?? ""
        #expect(history.contains("request GET /html"))
    }

    @Test("listen in a terminal: curl waits until `auto on` lets its frames flow; Ctrl-C stops a listen, not the REPL")
    func listen() throws {
        try #require(installed("curl"), "curl is installed by scripts/test")
        let name = "h2lab-listen-\(getpid())"
        _ = try startREPL(name)
        defer { _ = try? tmux(["kill-session", "-t", name]) }
        _ = try type(name, "", until: "lab>")

        var text = try type(name, "listen --tls --port 0", until: "Waiting for one client")
        let port = try #require(text.firstMatch(of: /listening on https:\/\/127\.0\.0\.1:(\d+)\//).map { String($0.1) })
        let curl = Box()
        let done = DispatchSemaphore(value: 0)
        Thread {
            let result = try? run("curl", ["-sk", "--max-time", "30", "https://127.0.0.1:\(port)/json"], timeout: 40)
            curl.append(Array((result?.stdout ?? "").utf8)[...])
            done.signal()
        }.start()
        text = try type(name, "", until: "client→server  HEADERS stream 1")
        #expect(text.contains("a client from 127.0.0.1"))
        #expect(done.wait(timeout: .now() + 1) == .timedOut, "curl got an answer before anything was delivered")
        text = try type(name, "auto on", until: "the client at 127.0.0.1 closed the connection")
        #expect(text.contains("server stream 1: idle → open → half-closed (remote)"))
        #expect(done.wait(timeout: .now() + 20) == .success)
        #expect(String(decoding: curl.data, as: UTF8.self).contains("\"protocol\": \"HTTP/2\""))

        // A client that says hello and then stays: `auto on` watches it until Ctrl-C.
        text = try type(name, "listen --port 0", until: "Waiting for one client")
        let plainPort = try #require(text.components(separatedBy: "lab> listen --port 0").last?
            .firstMatch(of: /listening on http:\/\/127\.0\.0\.1:(\d+)\//).map { String($0.1) })
        let quiet = Thread {
            _ = try? run("python3", ["-c", """
                import socket, sys, time
                s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
                s.sendall(b"PRI * HTTP/2.0\\r\\n\\r\\nSM\\r\\n\\r\\n" + bytes([0, 0, 0, 4, 0, 0, 0, 0, 0]))
                time.sleep(40)
                """, plainPort], timeout: 45)
        }
        quiet.start()
        // The TLS client above printed these markers too: look only after this listen.
        text = try type(name, "", until: "client→server  SETTINGS", after: "lab> listen --port 0")
        text = try type(name, "auto on", until: "#4 server→client SETTINGS [ACK]", after: "lab> listen --port 0")
        _ = try tmux(["send-keys", "-t", name, "C-c"])
        text = try type(name, "", until: "stopped watching after 4 deliveries; auto stays on")
        #expect(text.contains("stopped watching after 4 deliveries"), "\(text.suffix(1_500))")
        text = try type(name, "auto off", until: "auto off: `step` delivers frames")

        text = try type(name, "listen --port 0", until: "Waiting for one client")
        _ = try tmux(["send-keys", "-t", name, "C-c"])
        text = try type(name, "", until: "stopped listening")
        text = try type(name, "help listen", until: "curl --max-time")
        #expect(text.contains("Firefox sends a PING once 58 s pass"))
        text = try type(name, "show streams", until: "side   stream")  // the REPL is still there, and so is its lab
        #expect(text.components(separatedBy: "lab> show streams").last?.contains("error") == false, "\(text.suffix(1_500))")
    }

    @Test("class mode in a terminal: Enter paces, exploring is undone, a prediction, a hint, an exercise solved by typing, the score, Ctrl-C leaves")
    func classMode() throws {
        let name = "h2lab-class-\(getpid())"
        _ = try startREPL(name, arguments: "lesson 01-handshake --no-color")
        defer { _ = try? tmux(["kill-session", "-t", name]) }

        var text = try type(name, "", until: "── section 2 of 6")
        #expect(text.contains("The handshake: the client preface and the SETTINGS exchange (RFC 9113 §3.4, §6.5)"))
        #expect(text.contains("✓ the wire holds 3 frames"))
        // Exploring between sections: a delivery the lesson did not make, undone before it goes on.
        text = try type(name, "step", until: "#2 client→server preface")
        text = try type(name, "", until: "── section 3 of 6")
        #expect(text.contains("the lab is back where the lesson left it"))
        text = try type(name, "", until: "answer (a-c)>")
        #expect(text.contains("predict: The server has just received the client's SETTINGS."))
        text = try type(name, "a", until: "✓ right: you said a)")
        #expect(text.contains("the engine: server sent SETTINGS ACK"))
        text = try type(name, "", until: "exercise>")
        text = try type(name, "hint", until: "hint 1 of 2:")
        text = try type(name, "step", until: "#4 client→server SETTINGS [ACK]")
        text = try type(name, "step", until: "✓ solved")
        #expect(text.contains("✓ solved: client settings-pending is 0; server settings-pending is 0"))
        text = try type(name, "", until: "lesson complete")  // the last section: no ACK of an ACK
        #expect(text.contains("score 100%  (exercises solved on your own: 1 of 1, predictions right: 1 of 1)"))
        for line in text.split(separator: "\n") { #expect(line.count <= 100) }

        // At the lab> prompt: another lesson, left with Ctrl-C; the lab stays as it was.
        text = try type(name, "lesson settings", until: "lesson 1/")
        _ = try tmux(["send-keys", "-t", name, "C-c"])
        text = try type(name, "", until: "left the lesson at section 1 of")
        text = try type(name, "expect client settings-pending 0", until: "✓ client settings-pending is 0")
        _ = try tmux(["send-keys", "-t", name, "C-d"])
        try waitUntil(10, every: 0.1) { try tmux(["has-session", "-t", name]).status != 0 }
        #expect(try tmux(["has-session", "-t", name]).status != 0, "h2lab did not exit on Ctrl-D")
    }

    @Test("Tab completes arguments: frame types, settings, expect forms, lesson names, file paths after @")
    func argumentCompletion() throws {
        let name = "h2lab-complete-\(getpid())"
        _ = try startREPL(name)
        defer { _ = try? tmux(["kill-session", "-t", name]) }
        _ = try type(name, "", until: "lab>")
        // Each: the start typed, Tab, the completed line on the screen, then Ctrl-U clears it unrun.
        // `say` takes free text: Tab offers nothing there and the line stays as typed.
        for (typed, completed) in [("say send win", "say send win"), ("send win", "send window_update"),
                                   ("settings INITIAL_W", "settings INITIAL_WINDOW_SIZE="),
                                   ("expect server hpack de", "expect server hpack decoder "),
                                   ("lesson flow", "lesson flow-control "),
                                   ("request POST /echo body @less", "request POST /echo body @lessons/")] {
            _ = try tmux(["send-keys", "-t", name, "-l", typed])
            _ = try tmux(["send-keys", "-t", name, "Tab"])
            let shown = waitUntil(5) { ((try? screen(name)) ?? "").contains("lab> " + completed) }
            #expect(shown, "\(typed) did not complete to \(completed): \((try? screen(name))?.suffix(400) ?? "")")
            _ = try tmux(["send-keys", "-t", name, "C-u"])  // clear the line; nothing runs
        }
    }
}
