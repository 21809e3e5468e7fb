import Testing
@testable import Engine

/// RFC 9113 §8: what makes a header list malformed, checked on `String`s (`HTTPSemantics.check`)
/// and on octets as a server's decoder hands them out (`FieldChecker`, fed in `completeHeaderBlock`).
@Suite("RFC 9113 §8 header list rules")
struct HTTPSemanticsTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var fields: [(String, String)]
        var kind: HeaderBlockKind = .request
        /// The problem reported, nil for a well-formed list.
        var problem: String?
        var testDescription: String { problem ?? "fine: \(fields.map { $0.0 }.joined(separator: " "))" }
    }

    static let request = [(":method", "GET"), (":scheme", "https"), (":path", "/"), (":authority", "lab")]

    static let cases: [Case] = [
        Case(fields: request + [("user-agent", "h2load nghttp2/1.52.0"), ("te", "TRAILERS")]),
        Case(fields: [(":method", "CONNECT"), (":authority", "lab:443")]),
        Case(fields: [(":method", "CONNECT"), (":protocol", "websocket"), (":scheme", "https"), (":path", "/chat"), (":authority", "lab")]),
        Case(fields: [(":status", "204")], kind: .response),
        Case(fields: [(":status", "103"), ("link", "</styles.css>")], kind: .informational),
        Case(fields: [("x-checksum", "abc")], kind: .trailers),
        Case(fields: request + [("", "x")], problem: "empty field name"),
        Case(fields: request + [("X-Upper", "1")], problem: "field name \"X-Upper\" has uppercase characters (§8.2.1)"),
        Case(fields: request + [("a b", "1")], problem: "field name \"a b\" has a character not allowed in a name (§8.2.1)"),
        Case(fields: request + [("a:b", "1")], problem: "field name \"a:b\" has a character not allowed in a name (§8.2.1)"),
        Case(fields: request + [("caf\u{e9}", "1")], problem: "field name \"caf\u{e9}\" has a character not allowed in a name (§8.2.1)"),
        Case(fields: [(":method", "GET"), (":pa:th", "/")], problem: "field name \":pa:th\" has a character not allowed in a name (§8.2.1)"),
        Case(fields: request + [("x", "a\r\nb: c")], problem: "value of \"x\" contains NUL, CR or LF (§8.2.1)"),
        Case(fields: request + [("x", "a\u{0}")], problem: "value of \"x\" contains NUL, CR or LF (§8.2.1)"),
        Case(fields: request + [("x", " a")], problem: "value of \"x\" starts or ends with whitespace (§8.2.1)"),
        Case(fields: request + [("x", "a\t")], problem: "value of \"x\" starts or ends with whitespace (§8.2.1)"),
        Case(fields: request + [("connection", "close")], problem: "connection-specific field \"connection\" (§8.2.2)"),
        Case(fields: request + [("keep-alive", "5")], problem: "connection-specific field \"keep-alive\" (§8.2.2)"),
        Case(fields: request + [("proxy-connection", "x")], problem: "connection-specific field \"proxy-connection\" (§8.2.2)"),
        Case(fields: request + [("transfer-encoding", "chunked")], problem: "connection-specific field \"transfer-encoding\" (§8.2.2)"),
        Case(fields: request + [("upgrade", "h2c")], problem: "connection-specific field \"upgrade\" (§8.2.2)"),
        Case(fields: request + [("te", "gzip")], problem: "te may only be \"trailers\" (§8.2.2)"),
        Case(fields: request + [("te", "trailerz")], problem: "te may only be \"trailers\" (§8.2.2)"),
        Case(fields: [(":method", "GET"), ("accept", "*/*"), (":path", "/")], problem: "pseudo-header :path after a regular field (§8.3)"),
        Case(fields: [(":status", "200")], kind: .trailers, problem: "pseudo-header :status in trailers (§8.1)"),
        Case(fields: request + [(":status", "200")], problem: "pseudo-header :status is not allowed in a request (§8.3)"),
        Case(fields: [(":status", "200"), (":path", "/")], kind: .response, problem: "pseudo-header :path is not allowed in a response (§8.3)"),
        Case(fields: [(":method", "GET"), (":custom", "x")], problem: "pseudo-header :custom is not allowed in a request (§8.3)"),
        Case(fields: [(":method", "GET"), (":method", "POST")], problem: "pseudo-header :method appears twice (§8.3)"),
        Case(fields: [(":scheme", "https"), (":path", "/")], problem: "request without :method (§8.3.1)"),
        Case(fields: [(":method", "GET"), (":path", "/")], problem: "request without :scheme (§8.3.1)"),
        Case(fields: [(":method", "GET"), (":scheme", "https")], problem: "request without :path (§8.3.1)"),
        Case(fields: [(":method", "GET"), (":scheme", "https"), (":path", "")], problem: "empty :path (§8.3.1)"),
        Case(fields: [(":method", "CONNECT"), (":authority", "lab:443"), (":path", "/")], problem: "CONNECT with :scheme or :path (§8.5)"),
        Case(fields: [(":method", "CONNECT")], problem: "CONNECT without :authority (§8.5)"),
        Case(fields: request.map { $0.0 == ":method" ? (":method", "POST") : $0 }, kind: .pushPromise,
             problem: "pushed request must be safe and cacheable, not POST (§8.4)"),
        Case(fields: [("server", "x")], kind: .response, problem: "response without :status (§8.3.2)"),
        Case(fields: [(":status", "20")], kind: .response, problem: "invalid :status \"20\""),
        Case(fields: [(":status", "099")], kind: .response, problem: "invalid :status \"099\""),
    ]

    @Test("each rule, on Strings", arguments: cases)
    func rule(_ rule: Case) {
        #expect(HTTPSemantics.check(fields(rule.fields), kind: rule.kind).problem == rule.problem)
    }

    /// A server checks a request's fields as they are decoded, unless it reports header blocks
    /// (the lab does): then the decoded list is checked afterwards. Both must answer alike.
    @Test("a server answers a malformed request alike whether it checks while decoding or after",
          arguments: cases.filter { $0.kind == .request })
    func serverPaths(_ rule: Case) {
        var answers: [[Event]] = []
        for reports in [true, false] {
            var configuration = Connection.Configuration.server
            // A request with :protocol is an extended CONNECT, well-formed only where the server
            // offered it (RFC 8441 §4): this server does, so that the field rules alone decide.
            configuration.settings.append(Setting(.enableConnectProtocol, 1))
            configuration.reportsHeaderBlocks = reports
            configuration.reportsProgress = reports
            var server = handshakenServer(configuration)
            var encoder = HPACKEncoder()
            // Twice on one connection: the second time the fields are indexed from the dynamic
            // table, whose entries carry what the first check found in them (a note per entry).
            for id: UInt32 in [1, 3] {
                let block = encoder.encode(fields(rule.fields), policies: rule.fields.map { _ in EncoderPolicy(huffman: .never) }).bytes
                let events = server.receive(bytes: rawFrame(1, flags: 5, stream: id, block))
                answers.append(events.filter {
                    switch $0 {
                    case .protocolError, .streamReset, .messageComplete: return true
                    default: return false
                    }
                })
                if let problem = rule.problem {
                    #expect(sent(&server) == [.rstStream(id, .protocolError)])
                    #expect(answers.last == [.protocolError(.stream(id, .protocolError, "§8.1.1", "malformed request: \(problem)")),
                                             .streamReset(stream: id, code: .protocolError, direction: .sent)])
                } else {
                    #expect(answers.last == [.messageComplete(stream: id, kind: .request)])
                }
            }
        }
        #expect(answers[0] == answers[2] && answers[1] == answers[3])
    }

    /// What the checks find in a field's octets alone is kept with a dynamic table entry as 16
    /// bits (`FieldScan.bits`, returned by `FieldChecker.add`) and read back on every later
    /// reference, and the static table's are made once: a field checked from kept bits must be
    /// judged as one scanned afresh, problem and content-length alike, in every kind of block.
    @Test("a field checked from its kept scan is judged as one scanned afresh")
    func scanBits() {
        let names = ["", ":method", ":path", ":status", ":pa:th", ":custom", "te", "content-length", "connection", "keep-alive",
                     "upgrade", "transfer-encoding", "proxy-connection", "X-Upper", "a b", "caf\u{e9}", "accept", "cookie"]
        let values = ["", "GET", "trailers", "TRAILERS", "trailerz", " a", "a\t", "a\r\nb", "a\u{0}", "0", "007", "-1",
                      "9223372036854775807", "9223372036854775808", "/styles.css"]
        func judged(_ field: HeaderField, _ kind: HeaderBlockKind, _ origin: (UInt16) -> HPACKDecoder.FieldOrigin) -> (String?, String, UInt16) {
            var checker = HTTPSemantics.FieldChecker(kind: kind)
            var bits: UInt16 = 0
            field.withOctets { name, value in
                let fresh = HTTPSemantics.FieldScan(name, value).bits
                bits = checker.add(name: name, value: value, origin: origin(fresh))
            }
            let check = checker.finish()
            return (check.problem, "\(check.contentLength)", bits)
        }
        for kind in [HeaderBlockKind.request, .response, .trailers] {
            for name in names {
                for value in values {
                    let field = HeaderField(name, value)
                    let fresh = judged(field, kind) { _ in .literal }
                    let kept = judged(field, kind) { .dynamicEntry(note: $0) }
                    #expect(fresh.0 == kept.0 && fresh.1 == kept.1, "\(kind) \(name): \(value)")
                    #expect(fresh.2 == kept.2 && fresh.2 & HTTPSemantics.FieldScan.scanned != 0)
                }
            }
            for index in 1...StaticTable.count {
                let entry = StaticTable.entries[index - 1]
                let fresh = judged(entry, kind) { _ in .literal }
                let looked = judged(entry, kind) { _ in .staticEntry(index) }
                #expect(fresh.0 == looked.0 && fresh.1 == looked.1 && fresh.2 == looked.2, "\(kind) static \(index)")
            }
        }
    }

    @Test("content-length is 1*DIGIT, and repeated only with the same value (§8.1.1, RFC 9110 §8.6)",
          arguments: [
            ("0", 0 as Int?), ("007", 7), ("9223372036854775807", Int.max),
            ("+5", nil), ("-1", nil), ("1 2", nil), ("1,1", nil), ("0x10", nil), ("", nil), ("9223372036854775808", nil),
            ("12345678901234567890", nil),
          ])
    func contentLength(_ text: String, _ expected: Int?) {
        let check = HTTPSemantics.check(fields(Self.request + [("content-length", text)]), kind: .request)
        #expect(check.problem == nil)
        switch check.contentLength {
        case .success(let length): #expect(length == expected && expected != nil)
        case .failure(let message):
            #expect(expected == nil)
            #expect(message.text == "content-length \"\(text)\" is not a number (§8.1.1)")
        }
    }

    @Test("two content-length fields: the same value is one length, two values are an error")
    func repeatedContentLength() {
        let same = HTTPSemantics.check(fields(Self.request + [("content-length", "5"), ("content-length", "5")]), kind: .request)
        guard case .success(let length) = same.contentLength else { Issue.record("refused"); return }
        #expect(length == 5)
        let different = HTTPSemantics.check(fields(Self.request + [("content-length", "5"), ("content-length", "6")]), kind: .request)
        guard case .failure(let message) = different.contentLength else { Issue.record("accepted"); return }
        #expect(message.text == "two different content-length values (§8.1.1)")
    }

    @Test("a request target's query is cut at the first ?, the path kept as it is without one")
    func withoutQuery() {
        #expect(DemoSite.withoutQuery("/json?a=1?b") == "/json")
        #expect(DemoSite.withoutQuery("/caf\u{e9}?x") == "/caf\u{e9}")
        #expect(DemoSite.withoutQuery("/styles.css") == "/styles.css")
        #expect(DemoSite.withoutQuery("?") == "")
        #expect(DemoSite.withoutQuery("") == "")
    }
}
