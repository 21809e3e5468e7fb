import Testing
@testable import Engine

/// IMF-fixdate (RFC 9110 §5.6.7), checked against dates worked out independently (Python's
/// email.utils.formatdate), leap days and the RFC's own example among them.
@Suite("HTTP dates (RFC 9110 §5.6.7)")
struct HTTPDateTests {
    @Test("IMF-fixdate for a second since 1970", arguments: [
        (0, "Thu, 01 Jan 1970 00:00:00 GMT"),
        (784_111_777, "Sun, 06 Nov 1994 08:49:37 GMT"),  // RFC 9110 §5.6.7's example
        (951_782_400, "Tue, 29 Feb 2000 00:00:00 GMT"),
        (1_709_164_800, "Thu, 29 Feb 2024 00:00:00 GMT"),
        (4_102_444_799, "Thu, 31 Dec 2099 23:59:59 GMT"),
        (-1, "Wed, 31 Dec 1969 23:59:59 GMT"),
    ])
    func formats(seconds: Int, expected: String) {
        #expect(HTTPDate.format(secondsSince1970: seconds) == expected)
    }

    /// RFC 9110 §6.6.1: a server without a clock MUST NOT send Date: the lab's site has none, so
    /// its answers (and every transcript) stay the same from run to run.
    @Test("the lab's site, which has no clock, sends no Date")
    func noClockNoDate() {
        var site = DemoSite()
        site.files = ["/a.txt": StaticFile(contentType: "text/plain", body: [0x61], lastModified: 0)]
        for path in ["/", "/html", "/a.txt", "/missing", "/json"] {
            let response = site.respond(to: SiteRequest(method: "GET", path: path))
            #expect(!response.headers.contains { $0.name == "date" }, "\(path)")
        }
        #expect(site.staticAnswer(getting: [HeaderField(":method", "GET"), HeaderField(":path", "/a.txt")])?
            .headerList.contains { $0.name == "date" } == false)
    }

    /// With a clock, every final response carries Date (2xx and 4xx alike), and a file its
    /// Last-Modified (RFC 9110 §8.8.2).
    @Test("a site with a clock dates its 2xx and 4xx responses; a file carries Last-Modified")
    func clockDates() {
        var site = DemoSite()
        site.files = ["/a.txt": StaticFile(contentType: "text/plain", body: [0x61], lastModified: 0)]
        site.date = { "Sun, 06 Nov 1994 08:49:37 GMT" }
        for path in ["/", "/a.txt", "/missing"] {
            let response = site.respond(to: SiteRequest(method: "GET", path: path))
            #expect(response.headers.filter { $0.name == "date" } == [HeaderField("date", "Sun, 06 Nov 1994 08:49:37 GMT")], "\(path)")
        }
        let file = site.respond(to: SiteRequest(method: "GET", path: "/a.txt"))
        #expect(file.headers.contains(HeaderField("last-modified", "Thu, 01 Jan 1970 00:00:00 GMT")))
        #expect(file.headers.contains(HeaderField("content-length", "1")))
    }
}
