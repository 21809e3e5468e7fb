import Foundation
import Testing
@testable import Engine
@testable import Lessons

let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

func fields(_ pairs: [(String, String)]) -> [HeaderField] { pairs.map { HeaderField($0.0, $0.1) } }

/// A lab session after `commands`, run in order (what each printed is not looked at).
func session(after commands: String...) -> Session {
    var session = Session()
    for command in commands { _ = session.execute(command) }
    return session
}

@Suite("The interpreter over a lab")
struct SessionTests {
    @Test("a request stepped to completion, shown, rewound")
    func walkthrough() {
        var session = Session()
        #expect(session.execute("request GET /html").lines.first?.contains("HEADERS stream 1") == true)
        let run = session.execute("continue")
        #expect(run.error == nil)
        #expect(session.lab.state.client.streams[1]?.status == "200")
        let streams = session.execute("show streams").lines.joined(separator: "\n")
        #expect(streams.contains("closed (END_STREAM)") && streams.contains("GET /html"))
        let tables = session.execute("show hpack server").lines.joined(separator: "\n")
        #expect(tables.contains(":path: /html") && tables.contains("server decoder"))
        let count = session.lab.log.count
        #expect(session.execute("back 2").lines.first == "  rewound 2 deliveries: now after #\(count - 2)")
        #expect(session.lab.state.client.streams[1]?.state == .halfClosedLocal)
        let dump = session.execute("show frame 4").lines.joined(separator: "\n")
        #expect(dump.contains("Stream Identifier: 1") && dump.contains("00000000 00000000"))
    }

    @Test("hpack never NAME: the client's encoder never indexes it (RFC 7541 §6.2.3); the list shows built-in and added names; remove undoes it")
    func hpackNever() {
        var session = Session()
        let listed = session.execute("hpack never").lines.joined(separator: "\n")
        #expect(listed.contains("authorization, proxy-authorization: always") && listed.contains("added: none"), "\(listed)")
        let added = session.execute("hpack never x-api-key").lines.joined(separator: "\n")
        #expect(added.contains("added: x-api-key"), "\(added)")
        #expect(session.lab.state.client.encoder.sensitive.added == ["x-api-key"])
        #expect(session.lab.state.server.encoder.sensitive.added.isEmpty)
        _ = session.execute("request GET /json x-api-key: k-0123456789012345678901234")
        let delivered = session.execute("continue").lines.joined(separator: "\n")
        #expect(delivered.contains("literal never-indexed, new name"), "\(delivered)")
        #expect(session.lab.state.server.decoder.table.entries.allSatisfy { $0.field.name != "x-api-key" })
        let kept = session.execute("hpack never remove authorization").lines.joined(separator: "\n")
        #expect(kept.contains("never indexed by default"), "\(kept)")
        #expect(session.execute("hpack never remove x-api-key").lines.joined().contains("added: none"))
        // `hpack policy` changes the representation choices, not the list.
        _ = session.execute("hpack never x-b")
        _ = session.execute("hpack policy huffman off")
        #expect(session.lab.state.client.encoder.sensitive.added == ["x-b"])
    }

    @Test("a dynamic table size update opens the block in the delivery view and in show frame (RFC 7541 §4.2), 3f 21 for 64")
    func sizeUpdateShown() {
        var session = Session()
        for line in ["continue", "server settings HEADER_TABLE_SIZE=64", "continue", "request GET /json"] { _ = session.execute(line) }
        let delivered = session.execute("step").lines
        let fields = delivered.filter { $0.hasPrefix("     ") && !$0.hasPrefix("      ") }
        #expect(fields.first?.contains("(table max size 4096 → 64)") == true && fields.first?.hasSuffix("size update 64") == true,
                "\(delivered)")
        #expect(!delivered.contains { $0.contains("table: size update") })
        let number = session.lab.log.count
        let dump = session.execute("show frame \(number)").lines
        let head = dump.drop { !$0.contains("HPACK, field by field:") }.dropFirst().first
        #expect(head?.hasPrefix("    3f 21 ") == true && head?.hasSuffix("size update 64") == true, "\(dump)")
    }

    @Test("drop in the lab: the server never sees the request, the history says so, back puts it on the wire again; edit needs proxy")
    func dropInLab() {
        var session = Session()
        _ = session.execute("request GET /html")
        _ = session.execute("step 3")  // the server's SETTINGS, the client's preface and SETTINGS
        let dropped = session.execute("drop").lines.joined(separator: "\n")
        #expect(dropped.contains("#4 client→server HEADERS stream 1") && dropped.contains("dropped: the server never sees it"), "\(dropped)")
        _ = session.execute("continue")
        #expect(session.lab.state.server.streams[1] == nil && session.lab.state.client.streams[1]?.state == .halfClosedLocal)
        #expect(session.execute("expect client stream 1 state half-closed-local").failure == nil)
        #expect(session.execute("history").lines.contains { $0.contains("HEADERS stream 1") })
        _ = session.execute("back \(session.lab.log.count - 3)")
        #expect(session.execute("show wire").lines.contains { $0.contains("HEADERS stream 1") })
        _ = session.execute("continue")
        #expect(session.lab.state.client.streams[1]?.status == "200")
        let edit = session.execute("edit :path /json")
        #expect(edit.error?.message.contains("needs `proxy`") == true && edit.error?.hint?.contains("request GET") == true)
        #expect(session.execute("proxy --to http://127.0.0.1:1").error?.message.contains("needs the h2lab REPL") == true)
    }

    @Test("between two real peers the lab cannot act, expect has nothing to check, and back is off: each says what to do instead")
    func relayRefusals() {
        var session = Session()
        session.lab = Lab(relaying: "127.0.0.1", to: "127.0.0.1:8080", scheme: "http")
        let expect = session.execute("expect client stream 1 state open")
        #expect(expect.error?.message.contains("between two real peers there are none") == true && expect.error?.hint?.contains("show streams") == true)
        let request = session.execute("request GET /")
        #expect(request.error?.message.contains("H2Lab only sits between the two") == true && request.error?.hint?.contains("`drop`") == true)
        #expect(session.execute("back").error?.message.contains("back is off while attached to a real client (127.0.0.1)") == true)
        #expect(session.execute("show settings").lines.first?.contains("client announced") == true)
        #expect(session.execute("drop").error?.message == "the wire is empty: nothing to drop")
    }

    @Test("a mistyped command changes nothing and says what is wrong")
    func errorsChangeNothing() {
        var session = Session()
        _ = session.execute("continue")
        let before = session.lab.log.count
        let result = session.execute("stpe 3")
        #expect(result.error?.hint?.contains("'step'") == true)
        #expect(session.lab.log.count == before)
        #expect(session.execute("show frame 99").error?.message.contains("no delivery #99") == true)
        #expect(session.execute("reset 9 CANCEL").error?.message.contains("idle") == true)
        #expect(session.execute("window 7 10").error != nil)
        #expect(session.execute("delete 4").error?.message.contains("no breakpoint 4") == true)
    }

    @Test("breakpoints stop continue where they match", arguments: [
        ("break frame DATA", "DATA stream 1"), ("break state closed", "closed"), ("break stream 1", "HEADERS stream 1"),
        ("break flag END_STREAM", "END_STREAM"),
    ])
    func breakpoints(_ command: String, _ expected: String) {
        var session = Session()
        _ = session.execute(command)
        _ = session.execute("request GET /json")
        let lines = session.execute("continue").lines
        #expect(lines.last?.contains("breakpoint 1") == true)
        #expect(lines.joined(separator: "\n").contains(expected))
    }

    @Test("break on error and GOAWAY catch a crafted bad frame")
    func breakOnError() {
        var session = Session()
        _ = session.execute("break error")
        _ = session.execute("send ping stream=1")
        let lines = session.execute("continue").lines
        #expect(lines.contains { $0.contains("✗ connection error PROTOCOL_ERROR") })
        #expect(lines.last?.contains("breakpoint 1 (error)") == true)
    }

    @Test("auto on delivers after every action")
    func auto() {
        var session = Session()
        _ = session.execute("auto on")
        _ = session.execute("request GET /json")
        #expect(session.lab.wireIsEmpty)
        #expect(session.lab.state.client.streams[1]?.status == "200")
    }

    @Test("save transcript and json write what happened")
    func save() throws {
        var session = Session(directory: NSTemporaryDirectory())
        _ = session.execute("request GET /json")
        _ = session.execute("continue")
        let name = "h2lab-test-\(UInt32.random(in: 0...UInt32.max))"
        #expect(session.execute("save transcript \(name).txt").error == nil)
        #expect(session.execute("save json \(name).json").error == nil)
        let text = try String(contentsOfFile: NSTemporaryDirectory() + "/\(name).txt", encoding: .utf8)
        #expect(text.hasPrefix("lab> request GET /json\n"))
        let json = try String(contentsOfFile: NSTemporaryDirectory() + "/\(name).json", encoding: .utf8)
        for line in json.split(separator: "\n") {
            #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil, "not JSON: \(line)")
        }
        #expect(json.contains("\"event\":\"state\""))
    }

    @Test("the renderer keeps lines within 100 columns, in colour too (escapes take no column)", arguments: [false, true])
    func width(colour: Bool) {
        var session = Session(palette: Palette(enabled: colour))
        _ = session.execute("request GET /html user-agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome")
        var all = session.execute("continue").lines
        for command in ["show streams", "show hpack", "show windows", "show settings", "history", "show frame 4", "help"] {
            all += session.execute(command).lines
        }
        #expect(all.count > 60)
        for line in all {
            let visible = line.replacing(/\x1b\[[0-9;]*m/, with: "")
            #expect(visible.count <= 100, "\(visible.count): \(visible)")
            // A colour opened on a line is closed on it, so a cut never bleeds colour into the margin.
            let lastEscape = line.matches(of: /\x1b\[[0-9;]*m/).last.map { String(line[$0.range]) }
            #expect(lastEscape == nil || lastEscape == "\u{1b}[0m", "\(line)")
        }
        if colour { #expect(all.contains { $0.contains("\u{1b}[") }) }
        // The same session without colour prints the same text.
        var plain = Session()
        _ = plain.execute("request GET /html user-agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome")
        let text = plain.execute("continue").lines
        if colour {
            let stripped = session.transcript.joined(separator: "\n").replacing(/\x1b\[[0-9;]*m/, with: "")
            #expect(stripped.contains(text.joined(separator: "\n")))
        }
    }
}

@Suite("Commands for lessons: repeat, reconnect, upgrade, request @FILE, trailers, push by hand")
struct LessonCommandsTests {
    @Test("repeat runs a burst and shows its first and last rounds; reset last resets the newest stream")
    func repeatBurst() {
        var session = Session()
        _ = session.execute("continue")
        _ = session.execute("respond manual")
        let out = session.execute("repeat 4 request GET /json; reset last CANCEL")
        #expect(out.error == nil)
        #expect(out.lines.first?.contains("HEADERS stream 1") == true)
        #expect(out.lines.contains("  … 2 more rounds (`history` shows every frame); the last:"))
        #expect(out.lines.contains { $0.contains("RST_STREAM stream 7") })
        #expect(session.lab.state.client.streams[7]?.state == .closed)
        #expect(session.execute("repeat 2 reset 99 CANCEL").error?.message.hasPrefix("round 1 of 2:") == true)
    }

    @Test("reconnect starts a fresh connection; upgrade starts one from HTTP/1.1")
    func freshConnections() {
        var session = Session()
        _ = session.execute("continue")
        _ = session.execute("server goaway PROTOCOL_ERROR bye")
        _ = session.execute("continue")
        #expect(session.lab.state.client.goawayReceived != nil)
        #expect(session.execute("reconnect").error == nil)
        #expect(session.lab.log.isEmpty && session.lab.state.client.goawayReceived == nil && session.lab.state.toServer.count == 2)
        let upgrade = session.execute("upgrade /json")
        #expect(upgrade.lines.contains("    Upgrade: h2c") && upgrade.lines.contains("    HTTP/1.1 101 Switching Protocols"))
        _ = session.execute("continue")
        #expect(session.lab.state.client.streams[1]?.status == "200")
    }

    @Test("request @FILE maps an HTTP/1.1 request (seed 003) and says what changed")
    func http1File() throws {
        var session = Session(directory: packageRoot.appendingPathComponent("lessons").path)
        _ = session.execute("continue")
        let out = session.execute("request @seed-003-request.http")
        #expect(out.error == nil)
        let text = out.lines.joined(separator: "\n")
        #expect(text.contains("Host: becomes :authority (§8.3.1)") && text.contains("content-length says 35 but the body has 32 octets"))
        _ = session.execute("continue")
        #expect(session.lab.state.server.streams[1]?.requestHeaders?.contains(HeaderField(":authority", "www.test101.com")) == true)
        #expect(session.execute("request @nope.http").error?.message.hasPrefix("cannot read nope.http: looked for ") == true)
    }

    @Test("trailers both ways reach the peer's stream record")
    func trailers() {
        var session = Session()
        _ = session.execute("continue")
        _ = session.execute("request POST /echo body hi --trailers x-sum: 5")
        _ = session.execute("continue")
        #expect(session.lab.state.server.streams[1]?.trailers == [HeaderField("x-sum", "5")])
        _ = session.execute("respond manual")
        _ = session.execute("request GET /json")
        _ = session.execute("step")
        _ = session.execute("respond 3 200 {} --trailers x-checksum: 1")
        _ = session.execute("continue")
        #expect(session.lab.state.client.streams[3]?.trailers == [HeaderField("x-checksum", "1")])
    }

    @Test("push on an answered stream says how to do it; by hand it only promises")
    func pushByHand() {
        var session = Session()
        _ = session.execute("settings ENABLE_PUSH=1")  // the lab's client sends 0 by default, like browsers
        _ = session.execute("request GET /html")
        _ = session.execute("continue")
        let error = session.execute("push 1 /styles.css").error
        #expect(error?.message.contains("the demo site has already answered it") == true)
        #expect(error?.hint?.contains("`respond manual`") == true)
        #expect(session.execute("help push").lines.joined().contains("respond manual"))
        _ = session.execute("respond manual")
        _ = session.execute("request GET /html")
        _ = session.execute("step")
        #expect(session.execute("push 3 /styles.css").error == nil)
        #expect(session.lab.state.server.streams[2]?.state == .reservedLocal)
    }
}

@Suite("Everyday frictions")
struct FrictionTests {
    @Test("a breakpoint keeps its number for its life: deleting one renumbers none")
    func stableBreakpoints() {
        var session = Session()
        #expect(session.execute("break frame DATA").lines == ["  breakpoint 1: frame DATA"])
        #expect(session.execute("break goaway").lines == ["  breakpoint 2: goaway"])
        #expect(session.execute("break state closed").lines == ["  breakpoint 3: state closed"])
        #expect(session.execute("delete 1").lines == ["  deleted breakpoint 1: frame DATA"])
        #expect(session.execute("breaks").lines == ["  2  goaway", "  3  state closed"])
        #expect(session.execute("delete 3").lines == ["  deleted breakpoint 3: state closed"])
        let again = session.execute("delete 3").error
        #expect(again?.message == "no breakpoint 3" && again?.hint == "breakpoints: 2")
        #expect(session.execute("break frame HEADERS").lines == ["  breakpoint 4: frame HEADERS"])
        _ = session.execute("request GET /html")
        #expect(session.execute("continue").lines.last == "  breakpoint 4 (frame HEADERS) at #4")
    }
}
