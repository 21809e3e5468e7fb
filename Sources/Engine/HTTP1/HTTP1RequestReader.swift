/// Reads one HTTP/1.1 request off a connection as its octets arrive, held to RFC 9112: the request
/// line (§3), field lines (§5), the Host rules (§3.2), the framing of the body (§6: Content-Length,
/// Transfer-Encoding chunked, and which wins), the chunked coding with its extensions and trailer
/// section (§7.1), each with a size limit. The servers' HTTP/1.1 fallback (the event loops and
/// `--threads`) both use it, so both answer alike.
///
/// Sans-IO: `append` takes octets and says whether more are needed, the request is complete, or it
/// must be refused with a status code (after which a server answers and closes: RFC 9112 §6.3 asks
/// for the close whenever the framing is in doubt, and the fallback answers one request per
/// connection anyway). Each octet is looked at a bounded number of times, so a client that
/// dribbles its request one octet at a time costs no more than one that sends it at once.
///
/// `HTTP1Mapping.parseRequest` stays the lenient reader of `convert` and the lessons, which show a
/// request as it was written (a body shorter than its Content-Length included) instead of refusing it.
public struct HTTP1RequestReader: Sendable {
    /// How much of each part a request may use.
    public struct Limits: Sendable, Hashable {
        /// The request line; RFC 9112 §3 recommends supporting at least 8,000 octets.
        public var requestLine = 8_192
        /// The whole header section (request line and field lines), and the trailer section.
        public var headerSection = 65_536
        /// The body, after any chunked coding is removed.
        public var body = 1 << 20
        /// A chunk-size line with its extensions (§7.1.1 lets a server limit them).
        public var chunkLine = 4_096

        public init() {}
    }

    /// What `append` found.
    public enum Outcome: Hashable, Sendable {
        /// More octets are needed.
        case incomplete
        /// A whole request (octets that came after it are in `leftover`).
        case request(HTTP1Request)
        /// The request must be answered with `status` and the connection closed; `reason` says
        /// why, citing the RFC.
        case rejected(status: Int, reason: String)
    }

    public let limits: Limits
    /// Octets that came after the request (an h2c upgrade's HTTP/2 preface, say), once it is complete.
    public private(set) var leftover: [UInt8] = []
    private var buffer: [UInt8] = []
    /// Where the search for the end of the header section resumes.
    private var scanned = 0
    private var phase = Phase.head
    private var request: HTTP1Request?
    private var finished: Outcome?

    enum Phase: Sendable {
        case head
        /// A Content-Length body: the octets still expected.
        case length(Int)
        case chunked(Chunked)
    }

    public init(limits: Limits = Limits()) { self.limits = limits }

    /// Adds octets read from the connection; returns what is known now. Once the outcome is a
    /// request or a rejection, it stays so.
    public mutating func append<C: Collection>(_ bytes: C) -> Outcome where C.Element == UInt8 {
        if let finished { return finished }
        buffer.append(contentsOf: bytes)
        let outcome = advance()
        if outcome != .incomplete { finished = outcome }
        return outcome
    }

    /// Runs the phases as far as the buffered octets go: the head, then a body framed by
    /// Content-Length or the chunked coding (RFC 9112 §6.3).
    private mutating func advance() -> Outcome {
        while true {
            switch phase {
            case .head:
                if let outcome = advanceHead() { return outcome }
            case .length(let n):
                guard buffer.count >= n else { return .incomplete }
                request?.body = Array(buffer[0..<n])
                return complete(consumedBody: n)
            case .chunked:
                return advanceChunked()
            }
        }
    }

    /// The header section, once its end is in: parsed, and the body's phase chosen. Returns nil when
    /// the reader moves on to a body phase.
    private mutating func advanceHead() -> Outcome? {
        // Empty lines before the request line are ignored (RFC 9112 §2.2): dropped as they come,
        // so that a run of them sent a few at a time is not searched again on every read.
        if scanned == 0, let first = buffer.first, first == 0x0d || first == 0x0a {
            guard let start = buffer.firstIndex(where: { $0 != 0x0d && $0 != 0x0a }) else {
                buffer.removeAll(keepingCapacity: true)
                return .incomplete
            }
            buffer.removeFirst(start)
        }
        guard let end = Self.endOfHead(buffer, from: &scanned) else { return headStillIncomplete() }
        if end.headEnd > limits.headerSection {
            return .rejected(status: 431, reason: "the header section is longer than \(limits.headerSection) octets (RFC 6585 §5)")
        }
        switch Self.parseHead(buffer[0..<end.headEnd], limits: limits) {
        case .failure(let rejection): return .rejected(status: rejection.status, reason: rejection.reason)
        case .success(let (head, framing)):
            request = head
            buffer.removeFirst(end.bodyStart)
            scanned = 0
            switch framing {
            case .none: return complete(consumedBody: 0)
            case .length(let n):
                guard n <= limits.body else {
                    return .rejected(status: 413, reason: "Content-Length \(n) is more than the \(limits.body) octets taken here (RFC 9110 §15.5.14)")
                }
                phase = .length(n)
            case .chunked: phase = .chunked(Chunked())
            }
            return nil
        }
    }

    /// No end of the header section yet: refused once it, or the request line, is already too long.
    private func headStillIncomplete() -> Outcome {
        if buffer.count > limits.headerSection {
            return .rejected(status: 431, reason: "the header section is longer than \(limits.headerSection) octets (RFC 6585 §5)")
        }
        if let firstLine = buffer.firstIndex(of: 0x0a) ?? (buffer.count > limits.requestLine ? buffer.count : nil),
           firstLine > limits.requestLine {
            return .rejected(status: 414, reason: "the request line is longer than \(limits.requestLine) octets (RFC 9112 §3)")
        }
        return .incomplete
    }

    /// A chunked body (RFC 9112 §7.1): decoded as far as it goes; what was decoded is dropped from
    /// the buffer, which keeps only the piece still incomplete.
    private mutating func advanceChunked() -> Outcome {
        guard case .chunked(var state) = phase else { return .incomplete }
        // Taken out of `phase` while it is advanced, so that its body grows in place rather than
        // being copied whole on every read (a body sent a chunk at a time cost its square).
        phase = .head
        switch state.advance(buffer, limits: limits) {
        case .incomplete:
            buffer.removeFirst(state.offset)
            state.offset = 0
            phase = .chunked(state)
            return .incomplete
        case .rejected(let status, let reason): return .rejected(status: status, reason: reason)
        case .done(let consumed):
            request?.body = state.body
            request?.trailers = state.trailers
            return complete(consumedBody: consumed)
        }
    }

    private mutating func complete(consumedBody: Int) -> Outcome {
        guard let request else { return .incomplete }
        leftover = Array(buffer[min(consumedBody, buffer.count)...])
        buffer = []
        return .request(request)
    }

    /// The end of the header section: the empty line after the field lines (CRLF CRLF, or bare LFs,
    /// which RFC 9112 §2.2 lets a recipient take as line ends). `from` is where the last search
    /// stopped, so each octet is searched once. Empty lines before the request line are already
    /// gone (`advanceHead` drops them as they come).
    static func endOfHead(_ bytes: [UInt8], from start: inout Int) -> (headEnd: Int, bodyStart: Int)? {
        var i = max(0, start)
        while i < bytes.count {
            if bytes[i] == 0x0a {
                // LF followed by LF, or by CR LF: the empty line.
                if i + 1 < bytes.count && bytes[i + 1] == 0x0a { return (i + 1, i + 2) }
                if i + 2 < bytes.count && bytes[i + 1] == 0x0d && bytes[i + 2] == 0x0a { return (i + 1, i + 3) }
                if i + 2 >= bytes.count { break }  // not enough to tell yet
            }
            i += 1
        }
        start = max(start, i)
        return nil
    }

    /// How the body's length is known (RFC 9112 §6.3).
    enum Framing { case none, length(Int), chunked }

    struct Rejection: Error {
        var status: Int
        var reason: String
        static func bad(_ reason: String) -> Rejection { Rejection(status: 400, reason: reason) }
    }

    /// The request line and field lines (`head` ends with the LF of the last field line), and the
    /// body's framing.
    static func parseHead(_ head: ArraySlice<UInt8>, limits: Limits) -> Result<(HTTP1Request, Framing), Rejection> {
        let lines = Self.lines(of: head)
        guard let requestLine = lines.first else { return .failure(.bad("no request line")) }
        // §2.2: a bare CR anywhere is invalid; §5.5: so is NUL. (CR LF was taken off each line.)
        for line in lines where line.contains(0x0d) || line.contains(0x00) {
            return .failure(.bad("a bare CR or a NUL in the request head (RFC 9112 §2.2, RFC 9110 §5.5)"))
        }
        let (method, target, version): (String, String, String)
        switch Self.parseRequestLine(requestLine, limits: limits) {
        case .failure(let rejection): return .failure(rejection)
        case .success(let parts): (method, target, version) = parts
        }
        var fields: [HeaderField] = []
        for line in lines.dropFirst() {
            switch Self.parseFieldLine(line) {
            case .failure(let rejection): return .failure(rejection)
            case .success(let field): fields.append(field)
            }
        }
        var request = HTTP1Request(method: method, target: target, version: version, fields: fields, body: [])
        return framing(of: request).map { framing in
            // RFC 9110 §8.6: identical Content-Length values may be replaced by a single one.
            if case .length(let n) = framing, fields.filter({ $0.name.lowercased() == "content-length" }).count > 1 || fields.contains(where: {
                $0.name.lowercased() == "content-length" && $0.value.contains(",")
            }) {
                request.fields.removeAll { $0.name.lowercased() == "content-length" }
                request.fields.append(HeaderField("content-length", String(n)))
            }
            return (request, framing)
        }
    }

    /// The head's lines without their line ends (CR LF, or a bare LF: RFC 9112 §2.2), leading empty
    /// lines skipped (they were skipped when the end was found, too).
    static func lines(of head: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
        var lines: [ArraySlice<UInt8>] = []
        var start = head.startIndex
        while start < head.endIndex, head[start] == 0x0d || head[start] == 0x0a { start += 1 }
        var i = start
        while i < head.endIndex {
            if head[i] == 0x0a {
                var line = head[start..<i]
                if line.last == 0x0d { line = line.dropLast() }
                lines.append(line)
                start = i + 1
            }
            i += 1
        }
        if start < head.endIndex { lines.append(head[start..<head.endIndex]) }
        return lines
    }

    /// §3: request-line = method SP request-target SP HTTP-version, single spaces; the version is
    /// HTTP/1.x (§2.3; another major version is RFC 9110 §15.6.6's 505).
    static func parseRequestLine(_ requestLine: ArraySlice<UInt8>, limits: Limits) -> Result<(String, String, String), Rejection> {
        guard requestLine.count <= limits.requestLine else {
            return .failure(Rejection(status: 414, reason: "the request line is longer than \(limits.requestLine) octets (RFC 9112 §3)"))
        }
        let parts = requestLine.split(separator: 0x20, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty, parts[0].allSatisfy(isTokenChar),
              !parts[1].contains(where: { $0 < 0x21 || $0 == 0x7f }) else {
            return .failure(.bad("the request line is not METHOD SP TARGET SP HTTP-VERSION (RFC 9112 §3)"))
        }
        let version = String(decoding: parts[2], as: UTF8.self)
        guard version.count == 8, version.hasPrefix("HTTP/"), version.utf8.dropFirst(5).enumerated().allSatisfy({ offset, c in
            offset == 1 ? c == 0x2e : (c >= 0x30 && c <= 0x39)
        }) else { return .failure(.bad("\"\(version)\" is not an HTTP-version (RFC 9112 §2.3)")) }
        guard version.hasPrefix("HTTP/1.") else {
            return .failure(Rejection(status: 505, reason: "\(version) is not HTTP/1.x (RFC 9110 §15.6.6)"))
        }
        return .success((String(decoding: parts[0], as: UTF8.self), String(decoding: parts[1], as: UTF8.self), version))
    }

    /// One field line (§5): a token name right before its colon, the value without its edge
    /// whitespace and with no control character but HTAB; obs-fold refused (§5.2).
    static func parseFieldLine(_ line: ArraySlice<UInt8>) -> Result<HeaderField, Rejection> {
        // §5.2: obs-fold (a line starting with SP or HTAB; §2.2 for the first) is refused with 400.
        if line.first == 0x20 || line.first == 0x09 {
            return .failure(.bad("obsolete line folding (RFC 9112 §5.2)"))
        }
        guard let colon = line.firstIndex(of: 0x3a) else { return .failure(.bad("a field line without a colon (RFC 9112 §5)")) }
        let name = line[line.startIndex..<colon]
        // §5.1: no whitespace between the field name and the colon; the name is a token (RFC 9110 §5.1).
        guard !name.isEmpty, name.allSatisfy(isTokenChar) else {
            return .failure(.bad("the field name \"\(String(decoding: name, as: UTF8.self))\" is not a token, or has whitespace before its colon (RFC 9112 §5.1)"))
        }
        var value = line[(colon + 1)...]
        while let c = value.first, c == 0x20 || c == 0x09 { value = value.dropFirst() }
        while let c = value.last, c == 0x20 || c == 0x09 { value = value.dropLast() }
        // RFC 9110 §5.5: no control characters but HTAB in a value.
        guard !value.contains(where: { ($0 < 0x20 && $0 != 0x09) || $0 == 0x7f }) else {
            return .failure(.bad("a control character in a field value (RFC 9110 §5.5)"))
        }
        return .success(HeaderField(String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self)))
    }

    /// Host (RFC 9112 §3.2) and the body's framing (§6.1, §6.2, §6.3).
    static func framing(of request: HTTP1Request) -> Result<Framing, Rejection> {
        func values(_ name: String) -> [String] { request.fields.filter { $0.name.lowercased() == name }.map(\.value) }
        let hosts = values("host")
        // §3.2: a server MUST respond with 400 to an HTTP/1.1 request that lacks Host, has more than
        // one Host field line, or a Host with an invalid value.
        if request.version == "HTTP/1.1" && hosts.isEmpty { return .failure(.bad("an HTTP/1.1 request without Host (RFC 9112 §3.2)")) }
        if hosts.count > 1 { return .failure(.bad("more than one Host field line (RFC 9112 §3.2)")) }
        if let host = hosts.first, host.contains(where: { $0 == " " || $0 == "/" || $0 == "@" || $0 == "\t" }) {
            return .failure(.bad("Host \"\(host)\" is not uri-host [ \":\" port ] (RFC 9112 §3.2)"))
        }
        let codings = values("transfer-encoding").flatMap { $0.split(separator: ",") }.map { HTTP1Mapping.trim(String($0)).lowercased() }
        let lengths = values("content-length").flatMap { $0.split(separator: ",", omittingEmptySubsequences: false) }
            .map { HTTP1Mapping.trim(String($0)) }
        if !values("transfer-encoding").isEmpty {
            // §6.1: Transfer-Encoding in an HTTP/1.0 message means the framing is faulty.
            if request.version == "HTTP/1.0" {
                return .failure(.bad("Transfer-Encoding in an HTTP/1.0 request (RFC 9112 §6.1)"))
            }
            // §6.3 (3): both: possibly request smuggling; we refuse it (the RFC lets a server do so) and close.
            if !lengths.isEmpty {
                return .failure(.bad("both Content-Length and Transfer-Encoding (RFC 9112 §6.3: a possible request smuggling)"))
            }
            // §6.3 (4): chunked not the final coding of a request: its length cannot be known: 400 and close.
            guard codings.last == "chunked" else {
                return .failure(.bad("Transfer-Encoding \"\(codings.joined(separator: ", "))\" does not end in chunked (RFC 9112 §6.3)"))
            }
            // §6.1: chunked at most once; other codings are not understood here: 501.
            if codings.dropLast().contains("chunked") { return .failure(.bad("chunked applied more than once (RFC 9112 §6.1)")) }
            if codings.count > 1 {
                return .failure(Rejection(status: 501, reason: "transfer coding \"\(codings.dropLast().joined(separator: ", "))\" is not understood here (RFC 9112 §6.1)"))
            }
            return .success(.chunked)
        }
        guard let first = lengths.first else { return .success(.none) }
        // §6.3 (5), RFC 9110 §8.6: Content-Length is 1*DIGIT; several values must all be the same
        // (then they count as one), else the framing is invalid: 400 and close.
        for value in lengths where value.isEmpty || value.count > 18 || !value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
            return .failure(.bad("Content-Length \"\(value)\" is not a number of octets (RFC 9112 §6.3, RFC 9110 §8.6)"))
        }
        guard let n = Int(first), lengths.allSatisfy({ Int($0) == n }) else {
            return .failure(.bad("Content-Length values differ: \(lengths.joined(separator: ", ")) (RFC 9112 §6.3: invalid framing)"))
        }
        return .success(.length(n))
    }

    /// RFC 9110 §5.6.2: tchar.
    static func isTokenChar(_ c: UInt8) -> Bool {
        switch c {
        case 0x30...0x39, 0x41...0x5a, 0x61...0x7a: return true
        default: return "!#$%&'*+-.^_`|~".utf8.contains(c)
        }
    }
}

extension HTTP1RequestReader {
    /// The chunked transfer coding's decoder (RFC 9112 §7.1):
    ///
    ///     chunked-body   = *chunk last-chunk trailer-section CRLF
    ///     chunk          = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
    ///     chunk-size     = 1*HEXDIG
    ///     last-chunk     = 1*("0") [ chunk-ext ] CRLF
    ///
    /// Chunk extensions are read and ignored (§7.1.1: a recipient MUST ignore those it does not
    /// recognise; their line is limited); trailer fields are parsed like header fields and kept
    /// apart from them (§7.1.2: not merged into the header section).
    struct Chunked: Sendable {
        enum State: Sendable { case size, data(Int), dataEnd, trailers }
        var state = State.size
        /// Octets of the input decoded so far.
        var offset = 0
        var body: [UInt8] = []
        var trailers: [HeaderField] = []
        var trailerOctets = 0

        /// Decodes as far as `input` goes; each part returns nil to go on, or the outcome to stop at.
        mutating func advance(_ input: [UInt8], limits: Limits) -> Outcome {
            while true {
                let stop: Outcome?
                switch state {
                case .size: stop = readSize(input, limits: limits)
                case .data(let size):
                    guard input.count - offset >= size else { return .incomplete }
                    body += input[offset..<(offset + size)]
                    offset += size
                    state = .dataEnd
                    stop = nil
                case .dataEnd: stop = readDataEnd(input)
                case .trailers: stop = readTrailerLine(input, limits: limits)
                }
                if let stop { return stop }
            }
        }

        /// chunk = chunk-size [ chunk-ext ] CRLF (§7.1, §7.1.1), the line and the body bounded.
        mutating func readSize(_ input: [UInt8], limits: Limits) -> Outcome? {
            guard let lf = input[offset...].firstIndex(of: 0x0a) else {
                if input.count - offset > limits.chunkLine {
                    return .rejected(status: 400, reason: "a chunk-size line longer than \(limits.chunkLine) octets (RFC 9112 §7.1.1)")
                }
                return .incomplete
            }
            var line = input[offset..<lf]
            guard line.count <= limits.chunkLine else {
                return .rejected(status: 400, reason: "a chunk-size line longer than \(limits.chunkLine) octets (RFC 9112 §7.1.1)")
            }
            if line.last == 0x0d { line = line.dropLast() }
            let digits = line.prefix { Self.hexValue($0) != nil }
            let rest = line[digits.endIndex...]
            // chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] ): anything
            // after the size must begin an extension.
            guard !digits.isEmpty, rest.drop(while: { $0 == 0x20 || $0 == 0x09 }).first.map({ $0 == 0x3b }) ?? true,
                  !rest.contains(where: { ($0 < 0x20 && $0 != 0x09) || $0 == 0x7f }) else {
                return .rejected(status: 400, reason: "\"\(String(decoding: line, as: UTF8.self))\" is not chunk-size [ chunk-ext ] (RFC 9112 §7.1)")
            }
            let significant = digits.drop { $0 == 0x30 }
            guard significant.count <= 8 else {
                return .rejected(status: 413, reason: "a chunk of over \(limits.body) octets (RFC 9110 §15.5.14)")
            }
            let size = significant.reduce(0) { $0 * 16 + Int(Self.hexValue($1) ?? 0) }
            guard body.count + size <= limits.body else {
                return .rejected(status: 413, reason: "a chunked body of over \(limits.body) octets (RFC 9110 §15.5.14)")
            }
            offset = lf + 1
            state = size == 0 ? .trailers : .data(size)
            return nil
        }

        /// chunk-data is followed by CRLF (a bare LF is taken, §2.2).
        mutating func readDataEnd(_ input: [UInt8]) -> Outcome? {
            guard input.count - offset >= 1 else { return .incomplete }
            if input[offset] == 0x0a {
                offset += 1
            } else if input[offset] == 0x0d {
                guard input.count - offset >= 2 else { return .incomplete }
                guard input[offset + 1] == 0x0a else {
                    return .rejected(status: 400, reason: "chunk-data not followed by CRLF (RFC 9112 §7.1)")
                }
                offset += 2
            } else {
                return .rejected(status: 400, reason: "chunk-data longer than its chunk-size (RFC 9112 §7.1)")
            }
            state = .size
            return nil
        }

        /// trailer-section = *( field-line CRLF ), then CRLF (§7.1.2), bounded as a header section.
        mutating func readTrailerLine(_ input: [UInt8], limits: Limits) -> Outcome? {
            guard let lf = input[offset...].firstIndex(of: 0x0a) else {
                if trailerOctets + input.count - offset > limits.headerSection {
                    return .rejected(status: 431, reason: "a trailer section longer than \(limits.headerSection) octets (RFC 6585 §5)")
                }
                return .incomplete
            }
            var line = input[offset..<lf]
            trailerOctets += line.count + 1
            guard trailerOctets <= limits.headerSection else {
                return .rejected(status: 431, reason: "a trailer section longer than \(limits.headerSection) octets (RFC 6585 §5)")
            }
            offset = lf + 1
            if line.last == 0x0d { line = line.dropLast() }
            if line.isEmpty { return .done(consumed: offset) }
            guard line.first != 0x20 && line.first != 0x09, let colon = line.firstIndex(of: 0x3a),
                  line[line.startIndex..<colon].allSatisfy(isTokenChar), colon > line.startIndex,
                  !line.contains(where: { ($0 < 0x20 && $0 != 0x09) || $0 == 0x7f }) else {
                return .rejected(status: 400, reason: "a trailer line that is not a field line (RFC 9112 §7.1.2)")
            }
            let value = HTTP1Mapping.trim(String(decoding: line[(colon + 1)...], as: UTF8.self))
            trailers.append(HeaderField(String(decoding: line[line.startIndex..<colon], as: UTF8.self), value))
            return nil
        }

        enum Outcome { case incomplete, rejected(status: Int, reason: String), done(consumed: Int) }

        static func hexValue(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: return c - 0x30
            case 0x41...0x46: return c - 0x41 + 10
            case 0x61...0x66: return c - 0x61 + 10
            default: return nil
            }
        }
    }
}
