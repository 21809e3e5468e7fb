import Foundation
import Testing
@testable import Engine
@testable import Lessons

/// The lab's side of issue 21: `goaway graceful`, the cleartext lab's `:scheme`, and what it says
/// about a RST_STREAM on a closed stream.
@Suite("The lab: graceful GOAWAY, :scheme, resets on closed streams")
struct ShutdownLabTests {
    @Test("`server goaway graceful` sends GOAWAY 2^31-1 and a PING; its ACK brings GOAWAY with the real last stream (§6.8)")
    func gracefulCommand() {
        var session = Session()
        _ = session.execute("continue")
        _ = session.execute("respond manual")
        _ = session.execute("request GET /html")
        _ = session.execute("step")
        _ = session.execute("request GET /json")
        let shown = session.execute("server goaway graceful")
        #expect(shown.error == nil)
        #expect(shown.lines.contains { $0.contains("GOAWAY") } && shown.lines.contains { $0.contains("PING") })
        #expect(session.lab.state.server.goawaySent?.lastStreamID == Connection.unboundedLastStreamID)
        _ = session.execute("continue")
        #expect(session.lab.state.server.goawaySent?.lastStreamID == 3)
        #expect(session.lab.state.client.goawayReceived?.lastStreamID == 3)
        #expect(session.lab.state.server.streams[3]?.requestHeaders != nil)  // in flight, and processed
        #expect(session.execute("goaway").error != nil)
        #expect((try? CommandParser.parse("server goaway graceful closing for the night").get()) == .gracefulGoaway(.server, debug: "closing for the night"))
    }

    @Test("the in-memory lab is cleartext, so requests say :scheme http (static index 6); a pushed request repeats it")
    func schemeFollowsTransport() {
        var session = Session()
        _ = session.execute("settings ENABLE_PUSH=1")
        _ = session.execute("continue")
        _ = session.execute("respond manual")
        _ = session.execute("request GET /html")
        let delivered = session.execute("step").lines.joined(separator: "\n")
        #expect(delivered.contains(":scheme: http ") && delivered.contains("indexed 6"))
        #expect(session.lab.state.server.streams[1]?.requestHeaders?.contains(HeaderField(":scheme", "http")) == true)
        _ = session.execute("push 1 /styles.css")
        #expect(session.lab.state.server.streams[2]?.requestHeaders?.contains(HeaderField(":scheme", "http")) == true)
    }

    @Test("reset on a closed stream is sent, with what §5.1 makes of it; on an open one, no such note")
    func resetClosedStream() {
        var session = Session()
        _ = session.execute("request GET /json")
        _ = session.execute("continue")
        let closed = session.execute("reset 1 CANCEL")
        #expect(closed.error == nil)
        #expect(closed.lines.first?.contains("stream 1 is already closed at the client") == true)
        #expect(closed.lines.joined(separator: " ").contains("MUST NOT send frames other than PRIORITY"))
        _ = session.execute("continue")
        #expect(session.lab.state.server.isClosed == false)  // the server ignored it
        _ = session.execute("request GET /json")
        let open = session.execute("reset 3 CANCEL")
        #expect(open.lines.allSatisfy { !$0.contains("already closed") })
    }

    @Test("crafted frames move the sender's own stream states where §5.1 has an arrow: END_STREAM, RST_STREAM")
    func craftedFramesMoveTheSendersStates() {
        // A POST by hand, HEADERS without END_STREAM (POST, :scheme http, :path /echo, :authority lab).
        var session = session(after: "continue", "respond manual", "send headers stream=1 flags=END_HEADERS block=838604052f6563686f01036c6162",
                              "step")
        #expect(session.lab.state.client.state(of: 1) == .open)
        let sent = session.execute("send data stream=1 flags=END_STREAM data=hi")
        #expect(sent.error == nil)
        #expect(sent.lines.contains { $0.contains("client stream 1: open → half-closed (local)") }, "\(sent.lines)")
        #expect(session.lab.state.client.state(of: 1) == .halfClosedLocal)
        _ = session.execute("continue")
        #expect(session.lab.state.server.state(of: 1) == .halfClosedRemote)
        _ = session.execute("server send rst_stream stream=1 code=CANCEL")
        #expect(session.lab.state.server.state(of: 1) == .closed && session.lab.state.server.streams[1]?.closeReason == .resetSent)
    }

    @Test("an unknown setting is shown as ignored (§6.5.2); an unknown frame's line leaves what became of it to the receiver")
    func unknownsShownAsWhatTheyAre() {
        #expect(Renderer.settingsText([Setting(SettingID(0x99), 5), Setting(.enablePush, 0)])
                == "0x99=5 (unknown: ignored, §6.5.2), SETTINGS_ENABLE_PUSH=0")
        var session = session(after: "continue", "send headers stream=1 flags=END_STREAM block=82", "send 0xfa stream=0 payload=0102")
        let shown = session.execute("continue").lines.joined(separator: "\n")
        #expect(shown.contains("type 0xfa, 2 octets") && !shown.contains("ignored"), "\(shown)")
        #expect(shown.contains("awaits CONTINUATION"))
    }

    @Test("a file a command cannot read: the error says where it looked")
    func cannotRead() {
        var session = Session(directory: "/tmp")
        let result = session.execute("request POST /upload body @no-such-file-here.txt")
        #expect(result.error?.message.contains("looked for /tmp/no-such-file-here.txt, which does not exist") == true, "\(String(describing: result.error))")
    }

    @Test("at `answer (a-b)>` anything but a letter or a command gets \"answer with a or b\"; a command still explores")
    func answerPrompt() throws {
        var run = try classRun()
        _ = run.start()
        _ = run.input("")
        #expect(run.prompt == "answer (a-b)> ")
        #expect(run.input("the ACK I think").first == "  answer with a or b (or a command, such as `show streams`, to look around first)")
        #expect(run.input("").first == "  answer with a or b")
        #expect(run.input("show wire").joined().contains("SETTINGS ACK"))
        #expect(run.prompt == "answer (a-b)> ")
        #expect(run.input("a").joined().contains("✓ right: you said a)"))
        #expect(run.prompt != "answer (a-b)> ")
    }

    @Test("save transcript after a lesson in colour: no ANSI escapes, each prediction's and exercise's result, the score")
    func savedTranscript() throws {
        let script = try LessonScript.parse(name: "t", path: "t.h2lab", text: classLesson)
        var run = ClassRun(script: script, session: Session(palette: Palette(enabled: true), directory: "/tmp"))
        _ = run.start()
        _ = run.input("")
        _ = run.input("b")      // wrong
        _ = run.input("step 2") // solves the exercise
        _ = run.input("")
        #expect(run.mode == .finished)
        let path = "h2lab-saved-\(getpid()).txt"
        defer { try? FileManager.default.removeItem(atPath: "/tmp/" + path) }
        var session = run.session  // the REPL goes on with the lesson's session at the `lab>` prompt
        #expect(session.execute("save transcript " + path).error == nil)
        let text = try String(contentsOfFile: "/tmp/" + path, encoding: .utf8)
        #expect(!text.contains("\u{1b}["))
        #expect(text.contains("prediction: What does the server queue after the client's SETTINGS?"))
        #expect(text.contains("✗ you said b) nothing; the answer is a) a SETTINGS ACK"))
        #expect(text.contains("exercise: Make every setting take effect.: ✓ solved on your own"))
        #expect(text.contains("score 50%"), "\(text)")
    }

    @Test("help fits a 100x40 screen, by group; help all has a line per command, names apart from their text")
    func helpFits() {
        var session = Session()
        let short = session.execute("help").lines
        #expect(short.count <= 40 && short.allSatisfy { $0.count <= 100 }, "\(short)")
        #expect(short.contains { $0.hasPrefix("  acting") } && short.joined().contains("help all"))
        let all = session.execute("help all").lines
        #expect(all.allSatisfy { $0.count <= 100 })
        #expect(all.contains { $0.hasPrefix("    connection ") && $0.contains("  list the connections") }, "\(all)")
        #expect(!all.joined().contains("connectionlist"))
        #expect(CommandHelp.all.allSatisfy { entry in all.contains { $0.hasPrefix("    " + entry.name + " ") } })
    }

    @Test("clear parses, changes nothing and prints nothing outside a terminal")
    func clear() {
        var session = Session()
        _ = session.execute("request GET /html")
        let before = session.lab.state.toServer.count
        let output = session.execute("clear")
        #expect(output.error == nil && output.lines.isEmpty && output.command == .clear)
        #expect(session.lab.state.toServer.count == before)
        #expect(session.execute("clear now").error != nil)
    }

    @Test("class mode prints the title once, in the banner")
    func titleOnce() throws {
        var run = try classRun()
        let first = run.start()
        #expect(first.filter { $0.contains("Class mode test (RFC 9113 §3.4)") }.count == 1, "\(first)")
        #expect(first.contains { $0.contains("The first section delivers the server's SETTINGS.") })
    }

    @Test("lesson list lines fit 100 columns: a long title drops its citation, then its end")
    func listLine() {
        let long = LessonRunner.listLine(name: "13-goaway", title: "GOAWAY: abrupt and graceful shutdown, unprocessed requests (RFC 9113 §4.3, §5.4.1, §6.8, §8.7)", nameWidth: 27)
        #expect(long == "13-goaway                  GOAWAY: abrupt and graceful shutdown, unprocessed requests")
        let short = LessonRunner.listLine(name: "01-x", title: "Short (RFC 9113 §3.4)", nameWidth: 27)
        #expect(short.hasSuffix("Short (RFC 9113 §3.4)"))
        let huge = LessonRunner.listLine(name: "02-y", title: String(repeating: "word ", count: 40), nameWidth: 27)
        #expect(huge.count == 100 && huge.hasSuffix("…"))
    }
}
