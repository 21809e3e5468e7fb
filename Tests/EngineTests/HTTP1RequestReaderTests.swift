@testable import Engine
import Testing

/// HTTP1RequestReader (RFC 9112) as a value: the same outcome whether the octets come at once or one
/// at a time, what follows a request kept for HTTP/2 (h2c upgrade), and each limit.
@Suite("HTTP/1.1 request reader (RFC 9112)")
struct HTTP1RequestReaderTests {
    func readAtOnce(_ text: String) -> HTTP1RequestReader.Outcome {
        var reader = HTTP1RequestReader()
        return reader.append(Array(text.utf8))
    }

    func readByOctet(_ text: String) -> HTTP1RequestReader.Outcome {
        var reader = HTTP1RequestReader()
        var outcome = HTTP1RequestReader.Outcome.incomplete
        for octet in text.utf8 { outcome = reader.append([octet]) }
        return outcome
    }

    static let requests = [
        "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b\r\nhello\r\n1\r\n!\r\n0\r\nx-sum: 1\r\n\r\n",
        "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello",
        "GET / HTTP/1.1\r\nHost: t\r\n\r\n",
        "\r\n\r\nGET / HTTP/1.1\nHost: t\n\n",
        "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
        "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ]

    @Test("one octet at a time reads as all at once (§7.1 chunked, §6.2 Content-Length, §2.2 empty lines and bare LF)", arguments: requests)
    func octetByOctet(_ text: String) {
        #expect(readAtOnce(text) == readByOctet(text))
        #expect(readAtOnce(text) != .incomplete)
    }

    @Test("a chunked body is decoded, its extensions ignored (§7.1.1) and its trailers kept apart (§7.1.2)")
    func chunked() throws {
        guard case .request(let request) = readAtOnce(Self.requests[0]) else {
            Issue.record("not read: \(readAtOnce(Self.requests[0]))")
            return
        }
        #expect(request.body == Array("hello!".utf8))
        #expect(request.trailers == [HeaderField("x-sum", "1")])
        #expect(!request.fields.contains { $0.name.lowercased() == "x-sum" })
    }

    @Test("what follows the request (an upgrade's HTTP/2 preface) is kept as leftover")
    func leftover() {
        var reader = HTTP1RequestReader()
        let outcome = reader.append(Array("GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nabPRI * HTTP/2.0".utf8))
        guard case .request(let request) = outcome else {
            Issue.record("\(outcome)")
            return
        }
        #expect(request.body == Array("ab".utf8))
        #expect(reader.leftover == Array("PRI * HTTP/2.0".utf8))
    }

    @Test("limits: request line 414 (§3), header section 431 (RFC 6585 §5), body 413, chunk line 400 (§7.1.1), even before the head ends")
    func limits() {
        var limits = HTTP1RequestReader.Limits()
        limits.requestLine = 100
        limits.headerSection = 1_000
        limits.body = 10
        limits.chunkLine = 50
        func read(_ text: String) -> HTTP1RequestReader.Outcome {
            var reader = HTTP1RequestReader(limits: limits)
            return reader.append(Array(text.utf8))
        }
        func status(_ outcome: HTTP1RequestReader.Outcome) -> Int? {
            if case .rejected(let status, _) = outcome { return status }
            return nil
        }
        #expect(status(read("GET /" + String(repeating: "a", count: 200))) == 414)
        #expect(status(read("GET / HTTP/1.1\r\nHost: t\r\nX: " + String(repeating: "v", count: 2_000))) == 431)
        #expect(status(read("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n\r\n")) == 413)
        #expect(status(read("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n6\r\n")) == 413)
        #expect(status(read("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n1;" + String(repeating: "x", count: 60))) == 400)
        #expect(status(read("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n" + String(repeating: "x: y\r\n", count: 300))) == 431)
    }
}
