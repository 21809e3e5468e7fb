import Synchronization

/// A request as the demo site sees it.
public struct SiteRequest: Hashable, Sendable {
    public var method: String
    public var path: String
    public var authority: String
    public var headers: [HeaderField]
    public var body: [UInt8]

    public init(method: String, path: String, authority: String = "", headers: [HeaderField] = [], body: [UInt8] = []) {
        self.method = method
        self.path = path
        self.authority = authority
        self.headers = headers
        self.body = body
    }

    /// From an HTTP/2 header list (pseudo-headers and fields).
    /// One pass: the first of each pseudo-header, and the other fields in order.
    public init(headers: [HeaderField], body: [UInt8]) {
        var method: String?, path: String?, authority: String?
        var fields: [HeaderField] = []
        fields.reserveCapacity(headers.count)
        var cookie: Int?  // where the first cookie field went
        for field in headers {
            guard field.isPseudo else {
                // RFC 9113 §8.2.3: cookie crumbs sent as several fields "MUST be concatenated into a
                // single octet string using the two-octet delimiter of 0x3b, 0x20 ("; ")" before an
                // application sees them.
                if field.name.utf8.count == 6 && field.name == "cookie" {
                    if let first = cookie {
                        fields[first].value += "; " + field.value
                        continue
                    }
                    cookie = fields.count
                }
                fields.append(field)
                continue
            }
            switch field.name {
            case ":method" where method == nil: method = field.value
            case ":path" where path == nil: path = field.value
            case ":authority" where authority == nil: authority = field.value
            default: break
            }
        }
        self.init(method: method ?? "", path: path ?? "", authority: authority ?? "", headers: fields, body: body)
    }
}

/// A response from the demo site.
public struct SiteResponse: Hashable, Sendable {
    public var status: Int
    public var headers: [HeaderField]
    public var body: [UInt8]

    public init(status: Int, headers: [HeaderField], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The HTTP/2 header list: :status first, then the fields (content-length included).
    public var headerList: [HeaderField] {
        var copy = self
        return copy.takeHeaderList()
    }

    /// `headerList`, made from this response's own list in place (`headers` is left empty): a
    /// server's hot path, with no second list.
    public mutating func takeHeaderList() -> [HeaderField] {
        var list = headers
        headers = []
        list.insert(HeaderField(":status", status == 200 ? "200" : String(status)), at: 0)
        return list
    }
}

/// A static file the driver read (`serve --root`), with its response made once: a server answers
/// it again and again with the same fields (only Date changes, added per response).
public struct StaticFile: Sendable {
    public let contentType: String
    public let body: [UInt8]
    /// When the file last changed (seconds since 1970), nil if unknown.
    public let lastModified: Int?
    /// The response to GET, its header list with :status first.
    let headerList: [HeaderField]
    /// `headerList` with the Date of the moment (made once for each Date value).
    let dated = DatedList()

    /// `lastModified` is sent as Last-Modified (RFC 9110 §8.8.2: an origin server SHOULD send it
    /// when it knows it) and with `cache-control: max-age=3600`: the files are read once when the
    /// server starts and do not change while it serves them (what nghttpd sends for its files).
    public init(contentType: String, body: [UInt8], lastModified: Int? = nil) {
        self.contentType = contentType
        self.body = body
        self.lastModified = lastModified
        var list = [HeaderField(":status", "200"), HeaderField("content-type", contentType)]
        if let lastModified {
            list.append(HeaderField("last-modified", HTTPDate.format(secondsSince1970: lastModified)))
            list.append(HeaderField("cache-control", "max-age=3600"))
        }
        list.append(HeaderField("content-length", String(body.count)))
        list.append(HeaderField("server", "h2lab"))
        headerList = list
    }
}

/// Static files by path, found by the path's octets: an FNV-1a hash into open-addressed slots,
/// probed linearly, then one comparison of octets. A `Dictionary` keyed by `String` hashed every
/// request's path with SipHash and compared Strings, a server's largest cost in finding its answer.
struct FileIndex: Sendable {
    /// Per slot: the entry's position in `files`, or -1 (empty). Twice as many slots as entries
    /// at least, a power of two.
    private var slots: [Int32]
    /// The paths' octets one after another, and where each entry's path lies in them: a lookup
    /// compares octets in place, and copies no entry (each copy of a `StaticFile` retains its
    /// four buffers).
    private var pathOctets: [UInt8] = []
    private var paths: [Range<Int>] = []
    private var files: [StaticFile] = []

    init(_ files: [String: StaticFile]) {
        var size = 8
        while size < 2 * files.count { size *= 2 }
        slots = Array(repeating: -1, count: size)
        for (path, file) in files {
            let octets = Array(path.utf8)
            var slot = octets.withUnsafeBufferPointer { Self.hash($0) } & (size - 1)
            while slots[slot] >= 0 { slot = (slot + 1) & (size - 1) }
            slots[slot] = Int32(self.files.count)
            paths.append(pathOctets.count..<(pathOctets.count + octets.count))
            pathOctets += octets
            self.files.append(file)
        }
    }

    /// The answer to a GET of the file at `path` (without its query): its header list, body and
    /// dated lists, taken from the entry where it lies.
    func answer(at path: UnsafeBufferPointer<UInt8>) -> (headerList: [HeaderField], body: [UInt8], dated: DatedList)? {
        index(of: path).map { (files[$0].headerList, files[$0].body, files[$0].dated) }
    }

    private func index(of path: UnsafeBufferPointer<UInt8>) -> Int? {
        guard !files.isEmpty else { return nil }
        let mask = slots.count - 1
        var slot = Self.hash(path) & mask
        return pathOctets.withUnsafeBufferPointer { all in
            while slots[slot] >= 0 {
                let entry = Int(slots[slot])
                if DynamicTable.same(UnsafeBufferPointer(rebasing: all[paths[entry]]), path) { return entry }
                slot = (slot + 1) & mask
            }
            return nil
        }
    }

    /// FNV-1a, 64 bits.
    private static func hash(_ octets: UnsafeBufferPointer<UInt8>) -> Int {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for octet in octets { hash = (hash ^ UInt64(octet)) &* 0x100_0000_01b3 }
        return Int(truncatingIfNeeded: hash)
    }
}

/// A header list made once (a static answer's) with a Date field appended (RFC 9110 §6.6.1): the
/// dated list is made once for each Date value, that is once a second on a server, and shared by
/// the responses of that second, instead of a copy of the whole list (every field retained, then
/// released) made for each response. Shared by the threads of a server, behind a lock.
final class DatedList: Sendable {
    private let latest = Mutex<(date: String, list: [HeaderField])?>(nil)

    init() {}

    /// `list` with `date` appended.
    func list(_ list: [HeaderField], date: String) -> [HeaderField] {
        latest.withLock { latest in
            if let latest, latest.date == date { return latest.list }
            var dated = list
            dated.append(HeaderField("date", date))
            latest = (date, dated)
            return dated
        }
    }
}

/// The demo website of seed 000, done properly: /, /echo, /json, /html, /styles.css, /upload, plus
/// static files supplied by the driver. Pure: a request in, a response out; no files, and no clock
/// unless the driver gives it one (`date`).
public struct DemoSite: Sendable {
    /// Extra static files by path, e.g. from `serve --root`.
    public var files: [String: StaticFile] = [:] { didSet { fileIndex = FileIndex(files) } }
    /// `files`, found by a path's octets (a server's hot path).
    var fileIndex = FileIndex([:])
    /// The Date field's value for a response made now, or nil for a server without a clock. RFC
    /// 9110 §6.6.1: "An origin server with a clock MUST generate a Date header field in all 2xx
    /// (Successful), 3xx (Redirection), and 4xx (Client Error) responses" (1xx and 5xx MAY; this
    /// site adds none to them) and one without a clock MUST NOT. `serve` reads the time; the lab
    /// has no clock, so its transcripts are the same on every run.
    public var date: (@Sendable () -> String)?
    /// Whether `/.well-known/h2/state` answers with the connection's state (`serve --no-debug-state`
    /// turns it off).
    public var debugState = true
    /// Whether /html is preceded by a 103 (Early Hints) naming its stylesheet (RFC 8297; `serve
    /// --early-hints`, the lab's `early-hints on`).
    public var earlyHints = false

    public init() {}

    public static let paths = ["/", "/echo", "/json", "/html", "/styles.css", "/upload"]

    public func respond(to request: SiteRequest) -> SiteResponse {
        let path = Self.withoutQuery(request.path)
        let isHead = request.method == "HEAD"
        let method = isHead ? "GET" : request.method
        if method == "GET", let page = Self.fixedPage(path) {
            var response = page.response
            if isHead { response.body = [] }
            addDate(to: &response.headers)
            return response
        }
        if method == "GET", let file = files[path] {
            var headers = file.headerList
            headers.removeFirst()  // :status
            addDate(to: &headers)
            return SiteResponse(status: 200, headers: headers, body: isHead ? [] : file.body)
        }
        var response: SiteResponse
        switch (path, method) {
        case ("/echo", _):
            response = echo(request)
        case ("/upload", "POST"), ("/upload", "PUT"):
            let digest = SHA256.hex(request.body)
            response = text(200, "application/json",
                "{\"received\": \(request.body.count), \"sha256\": \"\(digest)\"}\n")
        case ("/upload", "GET"):
            response = text(200, "text/html; charset=utf-8", Self.uploadPage)
        case ("/upload", _):
            response = notAllowed("GET, HEAD, POST, PUT")
        case ("/", _), ("/json", _), ("/html", _), ("/styles.css", _):
            response = notAllowed("GET, HEAD")
        default:
            if files[path] != nil {
                response = notAllowed("GET, HEAD")
            } else {
                response = text(404, "text/plain; charset=utf-8", "no such page: \(path)\n")
            }
        }
        Self.finish(&response)
        addDate(to: &response.headers)
        if isHead { response.body = [] }
        return response
    }

    /// Every response ends with its content-length and the server's name.
    private static func finish(_ response: inout SiteResponse) {
        response.headers.reserveCapacity(response.headers.count + 3)
        response.headers.append(HeaderField("content-length", String(response.body.count)))
        response.headers.append(HeaderField("server", "h2lab"))
    }

    /// Appends the Date field when this site has a clock (`date`).
    func addDate(to headers: inout [HeaderField]) {
        if let date { headers.append(HeaderField("date", date())) }
    }

    /// A page whose answer to GET never changes (/, /json, /html, /styles.css): the response and
    /// its HTTP/2 header list, made once. A server answering it again and again sends these very
    /// lists (shared, not rebuilt: no allocation, no `String` made, nothing to free per request).
    struct FixedPage: Sendable {
        let response: SiteResponse
        let headerList: [HeaderField]
        /// `headerList` with the Date of the moment (made once for each Date value).
        let dated = DatedList()

        init(_ type: String, _ body: [UInt8]) {
            var response = SiteResponse(status: 200, headers: [HeaderField("content-type", type)], body: body)
            DemoSite.finish(&response)
            self.response = response
            headerList = response.headerList
        }
    }

    static let indexFixed = FixedPage("text/html; charset=utf-8", indexBytes)
    static let jsonFixed = FixedPage("application/json", jsonBytes)
    static let htmlFixed = FixedPage("text/html; charset=utf-8", htmlBytes)
    static let stylesheetFixed = FixedPage("text/css; charset=utf-8", stylesheetBytes)

    /// The fixed page at `path` (without its query), if it is one.
    static func fixedPage(_ path: String) -> FixedPage? { HeaderField.withOctets(of: path) { fixedPage(octets: $0) } }

    /// The fixed page a request target names, its query aside, told apart by length and octets.
    static func fixedPage(octets target: UnsafeBufferPointer<UInt8>) -> FixedPage? {
        fixedPage(path: withoutQuery(octets: target))
    }

    /// A request target's path: its octets up to the first `?`, where they lie.
    @inline(__always)
    static func withoutQuery(octets target: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        var end = 0
        while end < target.count && target[end] != 0x3f { end += 1 }  // a loop: `firstIndex(of:)` on a slice cost ten times more
        return UnsafeBufferPointer(rebasing: target[..<end])
    }

    /// The fixed page at `path` (a request target without its query).
    static func fixedPage(path: UnsafeBufferPointer<UInt8>) -> FixedPage? {
        switch path.count {
        case 1: return HTTPSemantics.same(path, "/") ? indexFixed : nil
        case 5: return HTTPSemantics.same(path, "/json") ? jsonFixed : HTTPSemantics.same(path, "/html") ? htmlFixed : nil
        case 11: return HTTPSemantics.same(path, "/styles.css") ? stylesheetFixed : nil
        default: return nil
        }
    }

    func text(_ status: Int, _ type: String, _ body: String) -> SiteResponse {
        text(status, type, Array(body.utf8))
    }

    func text(_ status: Int, _ type: String, _ body: [UInt8]) -> SiteResponse {
        var headers: [HeaderField] = []
        headers.reserveCapacity(4)  // content-length and server follow (`respond`), :status goes first
        headers.append(HeaderField("content-type", type))
        return SiteResponse(status: status, headers: headers, body: body)
    }

    /// The fixed pages as octets, made once (a server sends them again and again).
    static let indexBytes = Array(indexPage.utf8)
    static let jsonBytes = Array(jsonDocument.utf8)
    static let htmlBytes = Array(htmlPage.utf8)
    static let stylesheetBytes = Array(stylesheet.utf8)

    /// A request target without its query ("/a?b" → "/a"), found by octet, not by character; a
    /// target without one is handed back as it is (no Substring, no new String).
    static func withoutQuery(_ target: String) -> String {
        HeaderField.withOctets(of: target) { octets in
            let path = withoutQuery(octets: octets)
            return path.count == octets.count ? target : String(decoding: path, as: UTF8.self)
        }
    }

    func notAllowed(_ allow: String) -> SiteResponse {
        var response = text(405, "text/plain; charset=utf-8", "method not allowed; allowed: \(allow)\n")
        response.headers.append(HeaderField("allow", allow))
        return response
    }

    /// /echo: the method, path, every header and the body, as plain text.
    func echo(_ request: SiteRequest) -> SiteResponse {
        var lines = ["method: \(request.method)", "path: \(request.path)", "authority: \(request.authority)"]
        lines += request.headers.map { "header \($0.name): \($0.value)" }
        lines.append("body: \(request.body.count) octets")
        var body = Array((lines.joined(separator: "\n") + "\n").utf8)
        if !request.body.isEmpty {
            body.append(contentsOf: Array("\n".utf8))
            body.append(contentsOf: request.body)
        }
        return SiteResponse(status: 200, headers: [HeaderField("content-type", "text/plain; charset=utf-8")], body: body)
    }

    static let indexPage = """
    <!doctype html>
    <html lang="en"><head><meta charset="utf-8"><title>H2Lab demo site</title>
    <link rel="stylesheet" href="/styles.css"></head>
    <body><h1>H2Lab demo site</h1><ul>
    <li><a href="/html">/html</a>: a page with a stylesheet</li>
    <li><a href="/json">/json</a>: a JSON document</li>
    <li><a href="/echo">/echo</a>: echoes the request</li>
    <li><a href="/upload">/upload</a>: POST a body, get its length and SHA-256</li>
    </ul></body></html>

    """

    static let htmlPage = """
    <!doctype html>
    <html lang="en"><head><meta charset="utf-8"><title>Hello over HTTP/2</title>
    <link rel="stylesheet" href="/styles.css"></head>
    <body><h1 id="greeting">Hello over HTTP/2</h1>
    <p>This page and its stylesheet came over one HTTP/2 connection, on two streams.</p>
    </body></html>

    """

    static let stylesheet = """
    body { font-family: sans-serif; margin: 2em; }
    h1 { color: #1a5fb4; }

    """

    static let jsonDocument = """
    {"protocol": "HTTP/2", "rfc": 9113, "hpack": 7541, "frames": ["DATA", "HEADERS", "PRIORITY", \
    "RST_STREAM", "SETTINGS", "PUSH_PROMISE", "PING", "GOAWAY", "WINDOW_UPDATE", "CONTINUATION"]}

    """

    static let uploadPage = """
    <!doctype html>
    <html lang="en"><head><meta charset="utf-8"><title>Upload</title></head>
    <body><form method="post" action="/upload" enctype="application/octet-stream">
    <input type="file" name="file"><button>Upload</button></form></body></html>

    """
}
