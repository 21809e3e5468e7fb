/// An HTTP/1.1 request as it arrived: request line, fields, body.
public struct HTTP1Request: Hashable, Sendable {
    public var method: String
    public var target: String
    public var version: String
    public var fields: [HeaderField]
    public var body: [UInt8]
    /// Trailer fields of a chunked body (RFC 9112 §7.1.2), kept apart from the header fields.
    public var trailers: [HeaderField] = []

    public init(method: String, target: String, version: String, fields: [HeaderField], body: [UInt8], trailers: [HeaderField] = []) {
        self.method = method
        self.target = target
        self.version = version
        self.fields = fields
        self.body = body
        self.trailers = trailers
    }

    public func field(_ name: String) -> String? { fields.first { $0.name.lowercased() == name }?.value }
}

/// What parsing an HTTP/1.1 request head found.
public enum HTTP1Parse: Hashable, Sendable {
    /// More bytes are needed.
    case incomplete
    /// A request, and how many octets of the input it used (head and body).
    case request(HTTP1Request, consumed: Int)
    case invalid(String)
}

/// HTTP/1.1 ⇄ HTTP/2, RFC 9113 §8.3 and §8.2.2: one mapping for the HTTP/1.1 fallback, for h2c
/// Upgrade and for `h2lab convert`.
public enum HTTP1Mapping {
    /// Parses one request (head and a Content-Length body) from the start of `bytes`.
    public static func parseRequest(_ bytes: [UInt8], maxHead: Int = 65_536) -> HTTP1Parse {
        guard let headEnd = OctetSearch.firstOffset(of: [13, 10, 13, 10], in: bytes) else {
            if let lfEnd = OctetSearch.firstOffset(of: [10, 10], in: bytes) { return parse(bytes, headEnd: lfEnd, separator: 2) }
            return bytes.count > maxHead ? .invalid("request head longer than \(maxHead) octets") : .incomplete
        }
        return parse(bytes, headEnd: headEnd, separator: 4)
    }

    static func parse(_ bytes: [UInt8], headEnd: Int, separator: Int) -> HTTP1Parse {
        let head = String(decoding: bytes[0..<headEnd], as: UTF8.self)
        // "\r\n" is one Character in Swift, so split on both forms of line end.
        var lines = head.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).map { line in
            line.hasSuffix("\r") ? String(line.dropLast()) : String(line)
        }
        // Leading blank lines before the request line are tolerated (RFC 9112 §2.2).
        while lines.first == "" { lines.removeFirst() }
        guard let requestLine = lines.first else { return .invalid("no request line") }
        let parts = requestLine.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard parts.count == 3, parts[2].hasPrefix("HTTP/") else {
            return .invalid("request line \"\(requestLine)\" is not METHOD TARGET HTTP/VERSION")
        }
        var fields: [HeaderField] = []
        for line in lines.dropFirst() where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { return .invalid("header line \"\(line)\" has no colon") }
            let name = String(line[..<colon])
            guard !name.isEmpty, !name.contains(" ") else { return .invalid("header name \"\(name)\" is not a token") }
            fields.append(HeaderField(name, trim(String(line[line.index(after: colon)...]))))
        }
        var request = HTTP1Request(method: parts[0], target: parts[1], version: parts[2], fields: fields, body: [])
        let bodyStart = headEnd + separator
        var length = 0
        if let declared = request.field("content-length") {
            // RFC 9110 §8.6: Content-Length is 1*DIGIT; anything else (a sign, a list, an overflow) is invalid.
            guard !declared.isEmpty, declared.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let n = Int(declared) else {
                return .invalid("Content-Length \"\(declared)\" is not a number of octets")
            }
            length = n
        }
        if request.field("transfer-encoding")?.lowercased().contains("chunked") == true {
            return .invalid("chunked request bodies are not supported here; send Content-Length")
        }
        let available = bytes.count - bodyStart
        // A body shorter than Content-Length at the end of input is taken as it is, so that `convert`
        // can show the mismatch instead of waiting for octets that will never come.
        request.body = Array(bytes[bodyStart..<(bodyStart + min(length, available))])
        return .request(request, consumed: bodyStart + min(length, available))
    }

    /// A field the mapping dropped or changed, and why (for `convert` and the trace).
    public struct Note: Hashable, Sendable {
        public var field: String
        public var reason: String
    }

    /// The HTTP/2 header list for an HTTP/1.1 request (§8.3.1): pseudo-headers first, names
    /// lowercased, Host → :authority, connection-specific fields removed (§8.2.2).
    public static func headers(for request: HTTP1Request, scheme: String) -> (fields: [HeaderField], notes: [Note]) {
        var notes: [Note] = []
        let host = request.field("host") ?? ""
        var fields = [HeaderField(":method", request.method), HeaderField(":scheme", scheme)]
        if request.method == "CONNECT" {
            fields.append(HeaderField(":authority", request.target))
        } else {
            // An absolute-form target carries the authority itself.
            var path = request.target
            var authority = host
            if let range = path.range(of: "://") {
                let rest = path[range.upperBound...]
                let slash = rest.firstIndex(of: "/") ?? rest.endIndex
                authority = String(rest[..<slash])
                path = slash == rest.endIndex ? "/" : String(rest[slash...])
            }
            fields.append(HeaderField(":authority", authority))
            fields.append(HeaderField(":path", path))
        }
        let connectionTokens = Set((request.field("connection") ?? "").lowercased().split(separator: ",").map { trim(String($0)) })
        for field in request.fields {
            let name = field.name.lowercased()
            if name == "host" {
                notes.append(Note(field: field.name, reason: "becomes :authority (§8.3.1)"))
            } else if HTTPSemantics.isConnectionSpecific(name) || connectionTokens.contains(name) || name == "http2-settings" {
                notes.append(Note(field: field.name, reason: "connection-specific: not sent in HTTP/2 (§8.2.2)"))
            } else if name == "te" && field.value.lowercased() != "trailers" {
                notes.append(Note(field: field.name, reason: "te other than \"trailers\" is not allowed (§8.2.2)"))
            } else {
                if name != field.name { notes.append(Note(field: field.name, reason: "lowercased to \(name) (§8.2)")) }
                fields.append(HeaderField(name, field.value))
            }
        }
        return (fields, notes)
    }

    /// A problem a peer would see in the mapped request (for `convert`): content-length vs body.
    public static func problems(in request: HTTP1Request) -> [String] {
        guard let declared = request.field("content-length"), let n = Int(declared) else { return [] }
        if n != request.body.count {
            return ["content-length says \(n) but the body has \(request.body.count) octets: a peer treats this request as "
                    + "malformed and resets the stream with PROTOCOL_ERROR (RFC 9113 §8.1.1)"]
        }
        return []
    }

    /// The frames an HTTP/1.1 request becomes on `stream`: HEADERS (+ CONTINUATION) and DATA split by
    /// `maxFrameSize`, END_STREAM on the last.
    public static func frames(for request: HTTP1Request, stream: UInt32, scheme: String, encoder: inout HPACKEncoder,
                              maxFrameSize: Int = 16_384) -> (frames: [Frame], block: EncodedHeaderBlock, notes: [Note]) {
        let (fields, notes) = headers(for: request, scheme: scheme)
        let block = encoder.encode(fields)
        var frames = Frame.headerBlock(block.bytes, stream: stream, endStream: request.body.isEmpty, maxFrameSize: maxFrameSize)
        let body = request.body
        for start in stride(from: 0, to: body.count, by: maxFrameSize) {
            let end = min(start + maxFrameSize, body.count)
            frames.append(.data(stream, Array(body[start..<end]), endStream: end == body.count))
        }
        return (frames, block, notes)
    }

    /// The HTTP/1.1 form of an HTTP/2 request header list (`convert --reverse`, §8.3.1 in reverse).
    public static func http1Request(from fields: [HeaderField], body: [UInt8]) -> String {
        func value(_ name: String) -> String { fields.first { $0.name == name }?.value ?? "" }
        var lines = ["\(value(":method")) \(value(":method") == "CONNECT" ? value(":authority") : value(":path")) HTTP/1.1"]
        if !value(":authority").isEmpty { lines.append("Host: \(value(":authority"))") }
        lines += fields.filter { !$0.isPseudo }.map { "\($0.name): \($0.value)" }
        if !body.isEmpty && !fields.contains(where: { $0.name == "content-length" }) { lines.append("content-length: \(body.count)") }
        return lines.joined(separator: "\r\n") + "\r\n\r\n" + String(decoding: body, as: UTF8.self)
    }

    /// A server's answer to a request that asks to be upgraded to h2c (RFC 7540 §3.2).
    public static let switchingToH2C = Array("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n".utf8)

    /// An HTTP/1.1 response for the fallback path. Its length is always known, so that the
    /// connection may persist (RFC 9112 §6.3: a response without Content-Length or chunked coding
    /// ends only when the connection closes): `content-length` is added when the fields have none,
    /// except for statuses that never carry content (1xx, 204, 304; RFC 9110 §8.6).
    public static func http1Response(status: Int, fields: [HeaderField], body: [UInt8], close: Bool) -> [UInt8] {
        var head = "HTTP/1.1 \(status) \(reason(status))\r\n"
        for field in fields where !field.isPseudo { head += "\(field.name): \(field.value)\r\n" }
        let bodiless = status < 200 || status == 204 || status == 304
        if !bodiless && !fields.contains(where: { $0.name.lowercased() == "content-length" }) { head += "content-length: \(body.count)\r\n" }
        if close { head += "connection: close\r\n" }
        return Array((head + "\r\n").utf8) + body
    }

    /// The answer to a request HTTP1RequestReader refused: the status, why (as text, for whoever
    /// reads it), and `connection: close` (RFC 9112 §6.3: the framing may be in doubt; close).
    public static func rejection(status: Int, reason: String) -> [UInt8] {
        http1Response(status: status, fields: [HeaderField("content-type", "text/plain; charset=utf-8")],
                      body: Array("\(reason)\n".utf8), close: true)
    }

    public static func reason(_ status: Int) -> String {
        [101: "Switching Protocols", 200: "OK", 204: "No Content", 400: "Bad Request", 404: "Not Found",
         405: "Method Not Allowed", 413: "Content Too Large", 414: "URI Too Long", 431: "Request Header Fields Too Large",
         500: "Internal Server Error", 501: "Not Implemented", 505: "HTTP Version Not Supported"][status] ?? "Status"
    }

    public static func trim(_ text: String) -> String {
        var s = Substring(text)
        while s.first == " " || s.first == "\t" { s.removeFirst() }
        while s.last == " " || s.last == "\t" { s.removeLast() }
        return String(s)
    }
}
