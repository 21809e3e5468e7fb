import Foundation
import Testing
@testable import Engine
@testable import Lessons

/// A lab after `request GET /html`, delivered to the end, with the server answering by hand for
/// stream 3 (so that it stays half-closed (remote) there).
func labAfterRequests() -> Session {
    var session = Session()
    for line in ["request GET /html accept: text/html", "continue", "respond manual", "request POST /echo body hello", "continue"] {
        let output = session.execute(line)
        precondition(output.error == nil, "\(line): \(String(describing: output.error))")
    }
    return session
}

@Suite("expect: assertions over the engine's values")
struct ExpectTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var line: String
        var holds: Bool
        var message: String
        var testDescription: String { line }
    }

    static let cases: [Case] = [
        Case(line: "expect client stream 1 state closed", holds: true, message: "client stream 1 is closed"),
        Case(line: "expect server stream 3 state half-closed (remote)", holds: true, message: "server stream 3 is half-closed (remote)"),
        Case(line: "expect server stream 3 state closed", holds: false,
             message: "expected server stream 3 to be closed, it is half-closed (remote)"),
        Case(line: "expect client stream 5 state idle", holds: true, message: "client stream 5 is idle"),
        Case(line: "expect client stream 1 status 200", holds: true, message: "client stream 1 status is 200"),
        Case(line: "expect client stream 3 status 200", holds: false, message: "expected client stream 3 status to be 200, it is no response yet"),
        Case(line: "expect client stream 1 body 290", holds: true, message: "client stream 1 body is 290 octets"),
        Case(line: "expect server stream 3 body 4", holds: false, message: "expected server stream 3 body to be 4 octets, it is 5 octets"),
        Case(line: "expect server stream 1 header accept: text/html", holds: true, message: "server stream 1 header is accept: text/html"),
        Case(line: "expect server stream 1 header accept: text/css", holds: false,
             message: "expected server stream 1 header to be accept: text/css, it is accept: text/html"),
        Case(line: "expect server stream 3 request POST /echo", holds: true, message: "server stream 3 request is POST /echo"),
        Case(line: "expect client stream 1 trailers", holds: false, message: "expected client stream 1 trailers to be received, it is no trailers"),
        Case(line: "expect server active-streams 1", holds: true, message: "server active-streams is 1"),
        Case(line: "expect client window conn recv 65535", holds: false,
             message: "expected client window conn recv to be 65535, it is 65245"),
        Case(line: "expect server window 3 recv 65530", holds: true, message: "server window 3 recv is 65530"),
        Case(line: "expect server window 9 send 1", holds: false, message: "expected server window 9 send to be 1, it is no such stream at the server"),
        Case(line: "expect server hpack decoder entries 5", holds: true, message: "server hpack decoder entries is 5"),
        Case(line: "expect server hpack decoder entry 62 content-length: 5", holds: true, message: "server hpack decoder entry 62 is content-length: 5"),
        Case(line: "expect server hpack decoder entry 70 a: b", holds: false,
             message: "expected server hpack decoder entry 70 to be a: b, it is absent (the table holds 5 entries)"),
        Case(line: "expect client hpack encoder size 231", holds: true, message: "client hpack encoder size is 231"),
        Case(line: "expect client hpack encoder max-size 4096", holds: true, message: "client hpack encoder max-size is 4096"),
        Case(line: "expect client setting INITIAL_WINDOW_SIZE 16", holds: false,
             message: "expected client setting INITIAL_WINDOW_SIZE to be 16, it is 65535"),
        Case(line: "expect client setting MAX_HEADER_LIST_SIZE unlimited", holds: true, message: "client setting MAX_HEADER_LIST_SIZE is unlimited"),
        Case(line: "expect client peer-setting MAX_CONCURRENT_STREAMS 100", holds: true,
             message: "client peer-setting MAX_CONCURRENT_STREAMS is 100"),
        Case(line: "expect server settings-pending 0", holds: true, message: "server settings-pending is 0"),
        Case(line: "expect last frame DATA END_STREAM stream 3 from client", holds: true,
             message: "the last frame is DATA END_STREAM stream 3 from client"),
        Case(line: "expect last frame RST_STREAM PROTOCOL_ERROR", holds: false,
             message: "expected the last frame to be RST_STREAM PROTOCOL_ERROR, it is DATA END_STREAM stream 3 from client"),
        Case(line: "expect server sent HEADERS END_STREAM stream 1", holds: false,
             message: "expected the server to have sent HEADERS END_STREAM stream 1, its HEADERS frames: HEADERS END_HEADERS stream 1 from server"),
        Case(line: "expect client sent SETTINGS ACK", holds: true, message: "client sent SETTINGS ACK"),
        Case(line: "expect wire empty", holds: true, message: "the wire is empty"),
        Case(line: "expect wire 2", holds: false, message: "expected the wire to hold 2, it is empty"),
        Case(line: "expect wire 0", holds: true, message: "the wire is empty"),
        Case(line: "expect server connection open", holds: true, message: "server connection is open"),
        Case(line: "expect client goaway received", holds: false, message: "expected client goaway received to be GOAWAY, it is none"),
        // The last header block (#9, the client's POST on stream 3), in the views' words.
        Case(line: "expect last block field content-length literal incremental, name index 28, value raw", holds: true,
             message: "content-length in the last block (#9) is literal incremental, name index 28, value raw"),
        Case(line: "expect last block field :authority indexed 64", holds: true, message: ":authority in the last block (#9) is indexed 64"),
        Case(line: "expect last block field :authority indexed 62", holds: false,
             message: "expected :authority in the last block (#9) to be indexed 62, it is indexed 64"),
        Case(line: "expect last block field content-length never-indexed", holds: false,
             message: "expected content-length in the last block (#9) to be literal never-indexed, it is literal incremental, name index 28, value raw"),
        Case(line: "expect last block field content-length huffman", holds: false,
             message: "expected content-length in the last block (#9) to be value huffman, it is literal incremental, name index 28, value raw"),
        Case(line: "expect last block field x-none literal", holds: false, message: "expected x-none in the last block (#9) to be literal, it is not in it"),
        Case(line: "expect last block from server field :status indexed 8", holds: true,
             message: ":status in the last block from the server (#7) is indexed 8"),
        Case(line: "expect last block size-update none", holds: true, message: "the size update in the last block (#9) is none"),
        Case(line: "expect last block size-update 64", holds: false, message: "expected the size update in the last block (#9) to be 64, it is none"),
        // How a stream closed, as `show streams` prints it.
        Case(line: "expect client stream 1 state closed (END_STREAM)", holds: true, message: "client stream 1 is closed (END_STREAM)"),
        Case(line: "expect client stream 1 state closed (reset sent)", holds: false,
             message: "expected client stream 1 to be closed (reset sent), it is closed (END_STREAM)"),
        Case(line: "expect server stream 3 state closed (reset received)", holds: false,
             message: "expected server stream 3 to be closed (reset received), it is half-closed (remote)"),
        // One notation: the ladder's flags, `settings`' NAME=VALUE, `window stream N`.
        Case(line: "expect last frame DATA [ES] stream 3", holds: true, message: "the last frame is DATA END_STREAM stream 3"),
        Case(line: "expect last frame HEADERS [ES EH]", holds: false,
             message: "expected the last frame to be HEADERS END_STREAM END_HEADERS, it is DATA END_STREAM stream 3 from client"),
        Case(line: "expect client setting INITIAL_WINDOW_SIZE=65535", holds: true, message: "client setting INITIAL_WINDOW_SIZE is 65535"),
        Case(line: "expect client setting INITIAL_WINDOW_SIZE=16", holds: false,
             message: "expected client setting INITIAL_WINDOW_SIZE to be 16, it is 65535"),
        Case(line: "expect server window stream 3 recv 65530", holds: true, message: "server window 3 recv is 65530"),
        Case(line: "expect client window stream 3 recv 1", holds: false, message: "expected client window 3 recv to be 1, it is 65535"),
        // Issue 21's leftovers: no response at all, a limit, the order of DATA, what was ignored, a refusal.
        Case(line: "expect client stream 3 status none", holds: true, message: "client stream 3 status is none (no response)"),
        Case(line: "expect client stream 1 status none", holds: false, message: "expected client stream 1 status to be none (no response), it is 200"),
        Case(line: "expect server limit rapid-resets 1000", holds: true, message: "server limit rapid-resets is 1000"),
        Case(line: "expect server limit rapid-resets 10", holds: false, message: "expected server limit rapid-resets to be 10, it is 1000"),
        Case(line: "expect last DATA streams 1 3", holds: true, message: "the last 2 DATA frames were on streams 1, 3"),
        Case(line: "expect last DATA streams 3", holds: true, message: "the last DATA frame was on stream 3"),
        Case(line: "expect last DATA streams 3, 1", holds: false, message: "expected the last 2 DATA frames on streams 3, 1, they were on streams 1, 3"),
        Case(line: "expect last RST_STREAM streams 1", holds: false, message: "expected the last RST_STREAM frame on stream 1, no RST_STREAM frame was delivered"),
        Case(line: "expect server ignored 0xfa", holds: false, message: "expected the server to have ignored UNKNOWN(0xfa), it received none"),
        Case(line: "expect client ignored SETTINGS", holds: false, message: "expected the client to have ignored SETTINGS, it acted on all 2 it received"),
        Case(line: "expect refused push 1 /styles.css", holds: true,
             message: "`push 1 /styles.css` is refused: stream 1 is closed at the server; a push needs a request the server has not answered (§8.4)"),
        Case(line: "expect refused ping 7", holds: false, message: "expected `ping 7` to be refused, the lab runs it"),
    ]

    @Test("each form checks the real state, with a sentence either way", arguments: cases)
    func form(_ c: Case) throws {
        var session = labAfterRequests()
        let before = session.lab.log.count
        let output = session.execute(c.line)
        #expect(output.error == nil, "\(String(describing: output.error))")
        #expect((output.failure == nil) == c.holds)
        // Long sentences wrap at 100 columns; the words are the same.
        let text = output.lines.joined(separator: " ").split(separator: " ").joined(separator: " ")
        #expect(text == "\(c.holds ? "✓" : "✗") \(c.message)")
        #expect(session.lab.log.count == before)  // an expect never delivers or acts
    }

    @Test("a failing expect changes nothing: tables, windows, streams and the wire are as they were")
    func changesNothing() {
        var session = labAfterRequests()
        _ = session.execute("request GET /json")
        let lab = session.lab
        #expect(session.execute("expect wire empty").failure?.message.hasPrefix("expected the wire to be empty, it holds 1 (client→server HEADERS stream 5)") == true)
        #expect(session.lab.state.toServer == lab.state.toServer)
        #expect(session.lab.state.server.decoder == lab.state.server.decoder)
        #expect(session.lab.state.client.streams == lab.state.client.streams)
        #expect(session.lab.log.count == lab.log.count)
    }

    @Test("malformed expect lines get a message and a hint", arguments: [
        ("expect", "expect what?"),
        ("expect sever stream 1 state open", "did you mean 'server'?"),
        ("expect server stream x state open", "expect server stream N state|status|body|header|request|trailers"),
        ("expect server stream 1 state ajar", "unknown state 'ajar'"),
        ("expect server window 1 sideways 5", "a window is send"),
        ("expect server hpack decoder entry 3 :path: /", "dynamic table entries start at index 62"),
        ("expect server hpack decoder entry 62 nocolon", "a header field is written `name: value`"),
        ("expect client setting INITIAL_WINDOW 5", "did you mean"),
        ("expect last frame HEADRES", "expected a frame type"),
        ("expect last frame RST_STREAM PROTOCOL_EROR", "did you mean PROTOCOL_ERROR?"),
        ("expect wire lots", "the number of frames on the wire"),
        ("server expect wire 1", "write the side after expect"),
        ("expect last block field authorization sometimes", "is not part of a field's representation"),
        ("expect last block field authorization", "expect last block field NAME"),
        ("expect last block size-update big", "a table size in octets"),
        ("expect last blok", "expect last block field|size-update"),
        ("expect client stream 1 state closed (ajar)", "unknown cause 'ajar'"),
        ("expect last frame HEADERS [ES XX]", "is not an error code, a flag"),
        ("expect client stream 1 status nothing", "a status is a number 100-999, or none"),
        ("expect server limit rapid-reset 5", "did you mean rapid-resets?"),
        ("expect server limit rapid-resets many", "expected a limit, not 'many'"),
        ("expect last DATA streams", "expect last DATA streams N"),
        ("expect last DATA streams 1 x", "'x' is not a stream number"),
        ("expect last DTA streams 1", "did you mean DATA?"),
        ("expect server ignored", "expected a frame type"),
        ("expect server ignored 0xfa stream", "expect server ignored TYPE [stream N]"),
        ("expect refused", "expect refused COMMAND"),
        ("expect refused pong", "expect refused: unknown command 'pong'"),
        ("expect refused expect wire empty", "takes a command that acts on the lab"),
        ("expect refsued ping", "did you mean 'refused'?"),
    ])
    func malformed(_ line: String, _ text: String) {
        var session = Session()
        let error = session.execute(line).error
        #expect(error?.description.contains(text) == true, "\(String(describing: error))")
    }

    @Test("help expect lists every form with an example")
    func help() {
        var session = Session()
        let text = session.execute("help expect").lines.joined(separator: "\n")
        for form in Expectation.forms {
            #expect(text.contains("expect " + form.form))
            #expect(text.contains(form.example))
            // Every example parses.
            #expect(CommandParser.parse(form.example).map { $0 != nil } == .success(true), "\(form.example)")
        }
    }

    @Test("last block size-update: the size update at the head of the block after SETTINGS_HEADER_TABLE_SIZE (RFC 7541 §4.2); closed (reset sent)")
    func sizeUpdateAndReset() throws {
        var session = Session()
        for line in ["continue", "server settings HEADER_TABLE_SIZE=64", "continue", "request GET /json", "reset 1 CANCEL", "continue"] {
            #expect(session.execute(line).error == nil, "\(line)")
        }
        #expect(session.execute("expect last block from client size-update 64").failure == nil)
        #expect(session.execute("expect last block from client size-update none").failure?.message
                == "expected the size update in the last block from the client (#8) to be none, it is 64")
        #expect(session.execute("expect client stream 1 state closed (reset sent)").failure == nil)
        #expect(session.execute("expect client stream 1 state closed (RST_STREAM sent)").failure == nil)
        // The server had answered (END_STREAM both ways) before the RST_STREAM reached it.
        #expect(session.execute("expect server stream 1 state closed (END_STREAM)").failure == nil)
        #expect(session.execute("expect server stream 1 state closed (reset received)").failure != nil)
    }

    @Test("ignored: a frame of an unknown type is discarded (RFC 9113 §5.5), on its stream")
    func ignoredUnknownType() {
        var session = Session()
        for line in ["continue", "send 0xfa stream=0 payload=0102", "step"] { #expect(session.execute(line).error == nil, "\(line)") }
        #expect(session.execute("expect server ignored 0xfa").lines.joined(separator: " ").contains("✓ server ignored UNKNOWN(0xfa) (#6: unknown frame type (§5.5))"))
        #expect(session.execute("expect server ignored 0xfa stream 0").failure == nil)
        #expect(session.execute("expect server ignored 0xfa stream 1").failure?.message == "expected the server to have ignored UNKNOWN(0xfa) on stream 1, it received none")
        #expect(session.execute("expect client ignored 0xfa").failure != nil)
    }

    @Test("refused: the command runs on a copy; the lab, the wire and the undo list are untouched either way")
    func refusedChangesNothing() {
        var session = labAfterRequests()
        let lab = session.lab
        let undoable = session.undoPoints.count
        #expect(session.execute("expect refused ping 7").failure != nil)
        #expect(session.execute("expect refused request GET /json").failure != nil)
        #expect(session.execute("expect refused push 1 /styles.css").failure == nil)
        #expect(session.lab.state.toServer == lab.state.toServer && session.lab.state.toClient == lab.state.toClient)
        #expect(session.lab.state.client.streams == lab.state.client.streams)
        #expect(session.lab.log.count == lab.log.count)
        #expect(session.undoPoints.count == undoable)
        // Below 16 384, the engine refuses to send it (§6.5.2).
        #expect(session.execute("expect refused server settings MAX_FRAME_SIZE=1").failure == nil)
    }

    @Test("a failing expect says what is there instead, in the issue's words")
    func wording() throws {
        var session = Session()
        _ = session.execute("request GET /")
        let failed = session.execute("expect client stream 1 state closed")
        #expect(failed.failure?.message == "expected client stream 1 to be closed, it is half-closed (local)")
    }
}
