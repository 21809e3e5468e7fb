import Testing
@testable import Engine

@Suite("Field rules the demo site and the engine apply: RFC 9113 §8.2")
struct FieldRulesTests {
    @Test("§8.2.3: cookie crumbs in several fields reach the application as one, joined by \"; \"")
    func cookieCrumbs() {
        let request = SiteRequest(headers: request("GET", "/echo") + fields([("cookie", "a=b"), ("accept", "*/*"), ("cookie", "c=d"), ("cookie", "e=f")]),
                                  body: [])
        #expect(request.headers == fields([("cookie", "a=b; c=d; e=f"), ("accept", "*/*")]))
        let echo = String(decoding: DemoSite().respond(to: request).body, as: UTF8.self)
        #expect(echo.contains("header cookie: a=b; c=d; e=f\n"))
        #expect(SiteRequest(headers: fields([("cookie", "x=1")]), body: []).headers == fields([("cookie", "x=1")]))
    }

    @Test("§8.2.1, §8.2.2: uppercase names, connection-specific fields, te other than trailers, edge whitespace are malformed", arguments: [
        ("X-Up", "1"), ("connection", "keep-alive"), ("transfer-encoding", "chunked"), ("upgrade", "h2c"), ("keep-alive", "5"),
        ("proxy-connection", "close"), ("te", "gzip"), ("x-note", " padded"), ("x-note", "tab\t"),
    ])
    func malformed(_ name: String, _ value: String) {
        #expect(HTTPSemantics.problem(in: request("GET", "/") + [HeaderField(name, value)], kind: .request) != nil)
    }

    @Test("§8.2.2: te: trailers is the one exception")
    func teTrailers() {
        #expect(HTTPSemantics.problem(in: request("GET", "/") + [HeaderField("te", "trailers")], kind: .request) == nil)
    }
}
