/// The demo site answering on a server connection: shared by the lab, `serve` and the REPL's `push`.
extension DemoSite {
    /// Answers every request whose END_STREAM arrived in `events`, first promising the paths that
    /// `pushes` names for it (server push, §8.4). Returns the events of sending.
    /// With no `pushes`, nothing is promised, and a GET of a fixed page is answered from the
    /// page's own lists without a `SiteRequest` being made.
    public func answer(_ events: [Event], on connection: inout Connection,
                       pushes: ((SiteRequest) -> [String])? = nil) -> [Event] {
        var sent: [Event] = []
        // RFC 9110 §10.1.1: a request that waits for 100 (Continue) gets one at once, unless its
        // content has already arrived too (then the final response is the answer).
        for case .continueRequested(let id) in events where connection.state(of: id) == .open {
            sent += (try? connection.sendResponse(id, [HeaderField(":status", "100")])) ?? []
        }
        // Extended CONNECT (RFC 8441): tunnels are opened when asked, and fed as their DATA arrives.
        for event in events {
            switch event {
            case .tunnelRequested(let id, let proto): sent += openTunnel(id, protocol: proto, on: &connection)
            case .tunnelData(let id): sent += echoWebSocket(id, on: &connection)
            default: continue
            }
        }
        // Several requests complete at once: their responses are queued first and their DATA then
        // sent together, by priority (RFC 9218 §10), not each in full as it is answered.
        var completed = 0
        for case .messageComplete(_, .request) in events { completed += 1 }
        if completed > 1 { connection.pauseDataFlush() }
        for case .messageComplete(let id, .request) in events {
            // The request's fields and body, not the stream's record: a copy of the record kept
            // while the response is sent would share its storage, and the send would copy it.
            let message = connection.streams.read(id) { stream in stream.requestHeaders.map { ($0, stream.receivedBody) } } ?? nil
            guard let (headers, body) = message else { continue }
            if (connection.streams.read(id, { $0.tunnelProtocol }) ?? nil) != nil { continue }  // a tunnel's end: answered already
            if earlyHints, let hints = Self.earlyHints(for: headers) {
                sent += (try? connection.sendResponse(id, hints)) ?? []
            }
            if pushes == nil, let page = staticAnswer(getting: headers) {
                let events = (try? connection.sendResponse(id, page.headerList, body: page.body)) ?? []
                if sent.isEmpty { sent = events } else { sent += events }
                continue
            }
            let request = SiteRequest(headers: headers, body: body)
            for path in pushes?(request) ?? [] {
                // A client that disabled push, or a closed stream, simply gets no promise.
                // The promise repeats the request's own :scheme (§8.4.1: its origin is the request's).
                let scheme = headers.first { $0.name == ":scheme" }?.value ?? "https"
                sent += (try? push(path, on: id, authority: request.authority, scheme: scheme, connection: &connection)) ?? []
            }
            let isDebugState = debugState && Self.withoutQuery(request.path) == Connection.debugStatePath
            var response = isDebugState ? debugStateResponse(request, connection) : respond(to: request)
            let events = (try? connection.sendResponse(id, response.takeHeaderList(), body: response.body)) ?? []
            if sent.isEmpty { sent = events } else { sent += events }  // the first list is kept, not copied
        }
        if completed > 1 { sent += connection.resumeDataFlush() }
        return sent
    }

    /// The 103 (Early Hints) sent before the final response to a GET or HEAD of /html (RFC 8297):
    /// the stylesheet the page will ask for, so that a client may start fetching it at once.
    static func earlyHints(for headers: [HeaderField]) -> [HeaderField]? {
        let request = SiteRequest(headers: headers, body: [])
        guard request.method == "GET" || request.method == "HEAD", withoutQuery(request.path) == "/html" else { return nil }
        return earlyHintsList
    }

    static let earlyHintsList = [HeaderField(":status", "103"), HeaderField("link", "</styles.css>; rel=preload; as=style")]

    /// The answer to a GET of a fixed page or a static file (its first :method is GET, its first
    /// :path one of theirs, the query aside): their own header lists, made once, with Date added
    /// when the site has a clock. Read off the pseudo-headers at the head of the list, a fixed page
    /// told by its octets with no `String` made; nil for anything else.
    func staticAnswer(getting headers: [HeaderField]) -> (headerList: [HeaderField], body: [UInt8])? {
        guard let (list, body, dated) = Self.staticPage(getting: headers, files: fileIndex) else { return nil }
        guard let date else { return (list, body) }
        return (dated.list(list, date: date()), body)
    }

    static func staticPage(getting headers: [HeaderField], files: FileIndex)
        -> (headerList: [HeaderField], body: [UInt8], dated: DatedList)? {
        var method: Int?, path: Int?
        fields: for i in headers.indices where method == nil || path == nil {
            // §8.3: pseudo-headers come first (checked on receipt); the first regular field ends
            // them. Told apart by length first (a small string's length is in its bits), then
            // compared as `String`s: these names are small strings, held inline, so `==` compares
            // two words and retains nothing.
            let name = headers[i].name
            switch name.utf8.count {
            case 7 where method == nil && name == ":method": method = i
            case 5 where path == nil && name == ":path": path = i
            default: if name.utf8.first != 0x3a { break fields }
            }
        }
        guard let method, let path, headers[method].value == "GET" else { return nil }
        return HeaderField.withOctets(of: headers[path].value) { target in
            let path = withoutQuery(octets: target)
            if let page = fixedPage(path: path) { return (page.headerList, page.response.body, page.dated) }
            return files.answer(at: path)
        }
    }

    /// `/.well-known/h2/state`: the state of the very connection the request came on, taken when
    /// the request is complete and before the response is sent (draft-benfield-http2-debug-state).
    func debugStateResponse(_ request: SiteRequest, _ connection: Connection) -> SiteResponse {
        guard request.method == "GET" || request.method == "HEAD" else {
            var response = notAllowed("GET, HEAD")
            response.headers.append(HeaderField("content-length", "\(response.body.count)"))
            addDate(to: &response.headers)
            return response
        }
        let state = Array(connection.debugState().utf8)
        var headers = [
            HeaderField("content-type", "application/json"), HeaderField("cache-control", "no-store"),
            HeaderField("content-length", "\(state.count)"), HeaderField("server", "h2lab"),
        ]
        addDate(to: &headers)
        return SiteResponse(status: 200, headers: headers, body: request.method == "HEAD" ? [] : state)
    }

    /// Promises `path` on stream `id` with PUSH_PROMISE and sends the pushed response; with
    /// `respond` false only the promise, leaving the promised stream reserved (local) (§8.4).
    public func push(_ path: String, on id: UInt32, authority: String, scheme: String = "https",
                     respond respondNow: Bool = true, connection: inout Connection) throws(UsageError) -> [Event] {
        let request = [HeaderField(":method", "GET"), HeaderField(":scheme", scheme),
                       HeaderField(":authority", authority), HeaderField(":path", path)]
        let (promised, events) = try connection.push(on: id, request: request)
        guard respondNow else { return events }
        let response = respond(to: SiteRequest(method: "GET", path: path, authority: authority))
        return try events + connection.sendResponse(promised, response.headerList, body: response.body)
    }
}
