import Engine

/// A finished exchange: the response (or why there is none).
public struct ClientResult: Sendable {
    public var url: String
    public var stream: UInt32
    public var status: String?
    public var headers: [HeaderField]
    public var body: [UInt8]
    public var error: String?
    /// The server did not process the request (never sent, or above a GOAWAY's last stream id,
    /// §8.7 and §6.8): it is safe to send again on a new connection.
    public var unprocessed = false
    /// The interim (1xx) responses that came before the final one, in order (RFC 9113 §8.1).
    public var interim: [[HeaderField]] = []
    /// Trailers that followed the body, if any.
    public var trailers: [HeaderField]?
    /// The server's RST_STREAM code, if it reset the stream.
    public var resetCode: ErrorCode?
    /// For a pushed response: the stream its PUSH_PROMISE came on, and the promised request.
    public var promisedOn: UInt32?
    public var promisedRequest: [HeaderField]?
}

/// A request for `ClientConnection.run`.
public typealias ClientRequest = (url: String, headers: [HeaderField], body: [UInt8])

/// Runs requests on one client connection over a byte stream, multiplexed, until all complete.
///
/// It keeps within the server's SETTINGS_MAX_CONCURRENT_STREAMS once known (§5.1.2), and opens one
/// stream until the server's SETTINGS arrive; the rest wait in a queue. A stream the server refused
/// (RST_STREAM REFUSED_STREAM) is sent again on this connection, and requests above a GOAWAY's last
/// stream id come back `unprocessed`, for the caller to send on a new connection (§8.7).
public final class ClientConnection: @unchecked Sendable {
    let stream: ByteStream
    let tracer: Tracer?
    public private(set) var connection: Connection
    /// Responses the server pushed (§8.4), when push is enabled, with the promised request's path.
    public private(set) var pushed: [ClientResult] = []
    /// How many times one request is sent again after REFUSED_STREAM before it counts as failed.
    public static let maximumRefusals = 5

    /// The connection number traces carry.
    let traceID: Int

    /// The most octets of response bodies one connection holds by default (`get --max-body`).
    public static let defaultMaxBodyOctets = 256 << 20
    /// The most pushed responses one exchange keeps (their bodies count against the same bound).
    public static let maxPushedResults = 1_000
    let maxBodyOctets: Int

    /// With `push`, SETTINGS_ENABLE_PUSH is 1 and pushed responses are kept in `pushed`. The
    /// responses' bodies are held until the run ends, at most `maxBodyOctets` of them at once: DATA
    /// past it resets its stream (ENHANCE_YOUR_CALM, §10.5), so that a server sending without end
    /// cannot fill this process.
    public init(stream: ByteStream, tracer: Tracer?, traceID: Int = 0, push: Bool = false,
                maxBodyOctets: Int = ClientConnection.defaultMaxBodyOctets) {
        self.stream = stream
        self.tracer = tracer
        self.traceID = traceID
        var configuration = Connection.Configuration(
            settings: [Setting(.enablePush, push ? 1 : 0), Setting(.initialWindowSize, 1 << 20)], windowUpdatePolicy: .halfWindow)
        configuration.encoderPolicy = .network
        configuration.maxHeldBodyOctets = maxBodyOctets
        self.maxBodyOctets = maxBodyOctets
        connection = Connection(role: .client, configuration: configuration)
    }

    public func close() { stream.close() }

    /// Runs the requests to completion; results come in the order of `requests`. With `upgrade`, the
    /// first request goes as HTTP/1.1 with `Upgrade: h2c` and becomes stream 1.
    public func run(_ requests: [ClientRequest], upgrade: Bool = false, timeoutMilliseconds: Int = 30_000) -> [ClientResult] {
        defer { stream.close() }
        var leftover: [UInt8] = []
        var upgraded: Int?
        if upgrade, let first = requests.indices.first {
            switch self.upgrade(requests[first]) {
            case .failure(let failure):
                return requests.map { ClientResult(url: $0.url, stream: 0, headers: [], body: [], error: failure.message) }
            case .success(let rest):
                leftover = rest
                upgraded = first
            }
        } else {
            start()
        }
        if !leftover.isEmpty { trace(connection.receive(bytes: leftover)) }
        return exchange(requests, upgraded: upgraded, timeoutMilliseconds: timeoutMilliseconds)
    }

    private var started = false

    /// Sends the preface and SETTINGS, once, for a connection used for several `exchange`s (a proxy's
    /// leg to its server).
    public func start() {
        guard !started else { return }
        started = true
        connection.start()
    }

    /// Queues PRIORITY_UPDATE (RFC 9218 §7.1) for stream `id`, one of ours, open or still idle (the
    /// next `exchange` opens it); it goes out before that exchange's requests.
    public func queuePriorityUpdate(_ id: UInt32, _ priority: Priority) {
        start()  // the preface and SETTINGS go first (RFC 9113 §3.4)
        guard (try? connection.sendPriorityUpdate(id, priority)) != nil else { return }
        queuedPriorities[id] = priority
    }

    /// Priorities sent for streams not yet opened: the request that opens one keeps its priority
    /// if it is refused and sent again on another stream.
    private var queuedPriorities: [UInt32: Priority] = [:]

    /// Whether the connection can take more requests (not closed, no GOAWAY).
    public var isUsable: Bool { !connection.isClosed && connection.goawayReceived == nil && !streamFailed }
    private var streamFailed = false

    /// The bookkeeping of one `exchange`: which request is on which stream, which wait their turn,
    /// how often each was refused, the pushes promised, and the results so far.
    struct Exchange {
        let requests: [ClientRequest]
        var results: [ClientResult?]
        /// Requests not sent yet, by index.
        var queue: ArraySlice<Int>
        /// Stream id → request index.
        var inFlight: [UInt32: Int] = [:]
        var refusals: [Int: Int] = [:]
        /// The priority a PRIORITY_UPDATE gave a request's first stream, by request index.
        var priorities: [Int: Priority] = [:]
        var promised: Set<UInt32> = []
        var promisedOn: [UInt32: UInt32] = [:]
        var resets: [UInt32: ErrorCode] = [:]
        /// Why this client reset a stream (a stream error it found), by stream id.
        var resetReasons: [UInt32: String] = [:]
        /// Streams whose response arrived whole (END_STREAM): a reset after it (RST_STREAM NO_ERROR
        /// to stop the request's body, §8.1) does not undo it.
        var complete: Set<UInt32> = []
        /// Octets of bodies handed to results in this exchange: they count against the bound on
        /// what the connection holds as much as the bodies its streams still hold.
        var collectedOctets = 0
        /// Pushed responses not kept because `maxPushedResults` were.
        var pushesNotKept = 0
        var failure: String?
        /// Whether the trace said that requests wait for the server's limit.
        var queuedNoted = false

        init(_ requests: [ClientRequest], upgraded: Int?) {
            self.requests = requests
            results = Array(repeating: nil, count: requests.count)
            queue = Array(requests.indices)[...]
            if let upgraded {
                inFlight[1] = upgraded
                queue = queue.filter { $0 != upgraded }[...]
            }
        }

        /// Whether everything sent has been answered and nothing more will be sent.
        func isDone(_ connection: Connection) -> Bool {
            inFlight.isEmpty && promised.isEmpty && (queue.isEmpty || connection.goawayReceived != nil)
        }

        /// Forgets what was kept of stream `id` for its result, whose body of `octets` is now held there.
        mutating func forget(_ id: UInt32, collecting octets: Int) {
            resetReasons[id] = nil
            resets[id] = nil
            complete.remove(id)
            collectedOctets += octets
        }

        /// A result for request `index` that ended with `error`.
        mutating func fail(_ index: Int, stream: UInt32, _ error: String, unprocessed: Bool = false) {
            results[index] = ClientResult(url: requests[index].url, stream: stream, headers: [], body: [], error: error, unprocessed: unprocessed)
        }
    }

    /// Runs requests on the (started) connection until each completes; the connection stays open.
    /// `upgraded` names the request that is already stream 1 (h2c upgrade).
    public func exchange(_ requests: [ClientRequest], upgraded: Int? = nil, timeoutMilliseconds: Int = 30_000) -> [ClientResult] {
        start()
        pushed = []
        connection.configuration.maxHeldBodyOctets = maxBodyOctets
        var exchange = Exchange(requests, upgraded: upgraded)
        var waited = 0
        while exchange.failure == nil {
            openStreams(&exchange)
            guard flush() else {
                exchange.failure = "the connection failed while writing"
                break
            }
            if exchange.isDone(connection) { break }
            guard stream.waitReadable(milliseconds: 200) else {
                waited += 200
                if waited >= timeoutMilliseconds { exchange.failure = "timed out after \(timeoutMilliseconds / 1000) s" }
                continue
            }
            waited = 0
            guard let bytes = try? stream.read(maximum: 65_536), !bytes.isEmpty else {
                exchange.failure = "the server closed the connection"
                break
            }
            let events = connection.receive(bytes: bytes)
            trace(events)
            for event in events { absorb(event, &exchange) }
            collectFinished(&exchange)
            if exchange.failure == nil && connection.isClosed { exchange.failure = connection.closeReason ?? "the connection closed" }
        }
        if exchange.failure != nil { streamFailed = true }
        _ = flush()
        return results(of: exchange)
    }

    /// Sends queued requests while the server's limit allows: within SETTINGS_MAX_CONCURRENT_STREAMS
    /// once its SETTINGS are here, one at a time before, none after its GOAWAY (§5.1.2, §6.8).
    func openStreams(_ exchange: inout Exchange) {
        func mayOpen() -> Bool {
            guard connection.goawayReceived == nil else { return false }
            guard connection.peerSettingsReceived else { return exchange.inFlight.isEmpty }
            guard let limit = connection.remoteSettings.maxConcurrentStreams else { return true }
            return exchange.inFlight.count < Int(limit)
        }
        while let next = exchange.queue.first, mayOpen() {
            exchange.queue = exchange.queue.dropFirst()
            do {
                if let priority = exchange.priorities[next] {
                    // Sent again after REFUSED_STREAM: the update names the stream it now goes on
                    // (RFC 9218 §7.1 names a stream, not a request).
                    let highest = connection.highestLocalStreamID
                    _ = try? connection.sendPriorityUpdate(highest == 0 ? 1 : highest + 2, priority)
                }
                let (id, _) = try connection.sendRequest(exchange.requests[next].headers, body: exchange.requests[next].body)
                exchange.inFlight[id] = next
                if let priority = queuedPriorities.removeValue(forKey: id) { exchange.priorities[next] = priority }
            } catch {
                exchange.fail(next, stream: 0, error.message)
            }
        }
        if !exchange.queue.isEmpty && !exchange.queuedNoted && connection.peerSettingsReceived && connection.goawayReceived == nil {
            exchange.queuedNoted = true
            let limit = connection.remoteSettings.maxConcurrentStreams.map(String.init) ?? "?"
            tracer?(traceID, .note("\(exchange.queue.count) request(s) wait: the server allows \(limit) concurrent stream(s) (§5.1.2)"))
        }
    }

    /// What one event of the engine means for the exchange: a reset, a push promised, a refused
    /// stream sent again (§8.7), requests a GOAWAY left unprocessed (§6.8), the connection's end.
    func absorb(_ event: Event, _ exchange: inout Exchange) {
        if case .streamReset(let id, let code, .received) = event, exchange.inFlight[id] != nil || exchange.promised.contains(id) {
            exchange.resets[id] = code
        }
        if case .pushPromised(let associated, let id, .received) = event {
            exchange.promised.insert(id)
            exchange.promisedOn[id] = associated
        }
        switch event {
        case .streamReset(let id, .refusedStream, .received):
            guard let index = exchange.inFlight.removeValue(forKey: id) else { return }
            exchange.refusals[index, default: 0] += 1
            if exchange.refusals[index, default: 0] > Self.maximumRefusals {
                exchange.fail(index, stream: id, "the server refused the request \(Self.maximumRefusals + 1) times (REFUSED_STREAM)")
            } else {
                tracer?(traceID, .note("stream \(id) refused (REFUSED_STREAM): the server did not process it; sending it again (§8.7)"))
                exchange.queue = [index] + exchange.queue
            }
        case .goawayReceived(let last, _, _):
            let unprocessed = exchange.inFlight.filter { $0.key > last }
            for (id, index) in unprocessed {
                exchange.inFlight[id] = nil
                exchange.fail(index, stream: id, "the server did not process stream \(id) (GOAWAY last stream \(last))", unprocessed: true)
            }
            if !unprocessed.isEmpty || !exchange.queue.isEmpty {
                tracer?(traceID, .note("GOAWAY last stream \(last): \(unprocessed.count + exchange.queue.count) request(s) were not processed and may be sent on a new connection (§8.7)"))
            }
        case .messageComplete(let id, .response):
            if exchange.inFlight[id] != nil || exchange.promised.contains(id) { exchange.complete.insert(id) }
        case .protocolError(let error) where error.isConnectionError:
            exchange.failure = error.description
        case .protocolError(let error):
            // Kept for the streams that become results (not for every stream a server may provoke errors on).
            if case .stream(let id) = error.scope, exchange.inFlight[id] != nil || exchange.promised.contains(id) {
                exchange.resetReasons[id] = "\(error.code): \(error.message) (\(error.citation))"
            }
        case .connectionClosed(let reason):
            exchange.failure = reason
        default:
            break
        }
    }

    /// Requests and pushes whose streams have closed become results. Their bodies move out of the
    /// connection into the results, and still count against `maxBodyOctets` until the exchange
    /// ends; then the closed streams are forgotten (pruned) as the connection's own rule says.
    func collectFinished(_ exchange: inout Exchange) {
        for (id, index) in exchange.inFlight where connection.state(of: id) == .closed {
            exchange.inFlight[id] = nil
            let result = finished(id, request: exchange.requests[index], exchange)
            exchange.results[index] = result
            exchange.forget(id, collecting: result.body.count)
            connection.releaseBody(id)  // the result has it: the connection need not keep it too
        }
        for id in exchange.promised where connection.state(of: id) == .closed {
            exchange.promised.remove(id)
            let record = connection.streams[id]
            let associated = exchange.promisedOn.removeValue(forKey: id)
            let reason = exchange.resetReasons[id]
            let resetCode = exchange.resets[id]
            let complete = exchange.complete.contains(id)
            defer { exchange.forget(id, collecting: 0) }
            // A promise this client refused before its response began (§8.4.2) is no result.
            if reason != nil && record?.responseHeaders == nil { continue }
            guard pushed.count < Self.maxPushedResults else {
                exchange.pushesNotKept += 1
                continue
            }
            var error: String?
            if !complete {
                error = reason.map { "this client reset pushed stream \(id): \($0)" }
                    ?? "the server reset pushed stream \(id)" + (resetCode.map { " (\($0))" } ?? "")
            }
            let body = record?.receivedBody ?? []
            exchange.collectedOctets += body.count
            pushed.append(ClientResult(url: record?.requestHeaders?.first { $0.name == ":path" }?.value ?? "?", stream: id,
                                       status: record?.status, headers: record?.responseHeaders ?? [], body: body, error: error,
                                       trailers: record?.trailers, resetCode: resetCode, promisedOn: associated,
                                       promisedRequest: record?.requestHeaders))
            connection.releaseBody(id)
        }
        connection.configuration.maxHeldBodyOctets = max(0, maxBodyOctets - exchange.collectedOctets)
        connection.pruneClosedStreams()
    }

    /// The result of a request whose stream `id` has closed: the response, or that it was reset.
    func finished(_ id: UInt32, request: ClientRequest, _ exchange: Exchange) -> ClientResult {
        let record = connection.streams[id]
        var error: String?
        // A reset after the whole response is no failure of it (§8.1: NO_ERROR stops a request's body).
        switch record?.closeReason {
        case .resetReceived where !exchange.complete.contains(id):
            error = "the server reset stream \(id)" + (exchange.resets[id].map { " (\($0))" } ?? "")
        case .resetSent where !exchange.complete.contains(id):
            error = "this client reset stream \(id)" + (exchange.resetReasons[id].map { ": \($0)" } ?? "")
        default: break
        }
        var result = ClientResult(url: request.url, stream: id, status: record?.status, headers: record?.responseHeaders ?? [],
                                  body: record?.receivedBody ?? [], error: error, trailers: record?.trailers, resetCode: exchange.resets[id])
        result.interim = record?.informationalHeaders ?? []
        return result
    }

    /// Every request's result once the exchange is over: those still in flight or never sent say why.
    func results(of exchange: Exchange) -> [ClientResult] {
        var results = exchange.results
        let failure = exchange.failure
        for (id, index) in exchange.inFlight {
            if connection.state(of: id) == .closed {
                results[index] = finished(id, request: exchange.requests[index], exchange)
            } else {
                results[index] = ClientResult(url: exchange.requests[index].url, stream: id, status: connection.streams[id]?.status,
                                              headers: [], body: [], error: failure ?? "incomplete")
            }
        }
        for index in exchange.queue where results[index] == nil {
            let goaway = connection.goawayReceived != nil
            results[index] = ClientResult(url: exchange.requests[index].url, stream: 0, headers: [], body: [],
                                          error: goaway ? "not sent: the server sent GOAWAY" : (failure ?? "not sent"),
                                          unprocessed: goaway)
        }
        return results.enumerated().map { index, result in
            result ?? ClientResult(url: exchange.requests[index].url, stream: 0, headers: [], body: [], error: failure ?? "incomplete")
        }
    }

    /// Sends the first request as HTTP/1.1 asking for h2c, waits for 101, then starts HTTP/2 with the
    /// request as stream 1. Returns bytes read past the 101 (the server's first frames).
    func upgrade(_ request: ClientRequest) -> Result<[UInt8], UpgradeFailure> {
        guard request.body.isEmpty else { return .failure(UpgradeFailure("h2c upgrade is done with a bodiless request here; drop -d or --upgrade")) }
        var head = HTTP1Mapping.http1Request(from: request.headers, body: [])
        head.removeLast(2)  // reopen the head to add the upgrade fields
        head += "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: \(connection.http2SettingsHeader)\r\n\r\n"
        tracer?(traceID, .note("HTTP/1.1 request with Upgrade: h2c"))
        guard (try? stream.write(Array(head.utf8))) != nil else { return .failure(UpgradeFailure("the connection failed while writing")) }
        var buffer: [UInt8] = []
        var searched = 0
        var found: Int?
        while found == nil {
            // The 101's head is a few lines: a server that sends more than this without ending it
            // is not answering the upgrade (and is not read without end).
            guard buffer.count <= Self.upgradeHeadLimit else {
                return .failure(UpgradeFailure("the server's answer to the upgrade has no end of its head in \(Self.upgradeHeadLimit) octets"))
            }
            guard stream.waitReadable(milliseconds: 10_000), let bytes = try? stream.read(maximum: 65_536), !bytes.isEmpty else {
                return .failure(UpgradeFailure("the server closed the connection before answering the upgrade"))
            }
            buffer += bytes
            // Searched from where the last search could not have found the end (3 octets back).
            found = OctetSearch.firstOffset(of: [13, 10, 13, 10], in: buffer[max(0, searched - 3)...]).map { $0 + max(0, searched - 3) }
            searched = buffer.count
        }
        let end = (found ?? 0) + 4
        let statusLine = String(decoding: buffer.prefix { $0 != 13 }, as: UTF8.self)
        guard statusLine.hasPrefix("HTTP/1.1 101") else {
            return .failure(UpgradeFailure("the server did not upgrade to h2c: \(statusLine)"))
        }
        tracer?(traceID, .note("101 Switching Protocols: stream 1 is the request"))
        start()
        _ = try? connection.startUpgraded(request: request.headers)
        return .success(Array(buffer[end...]))
    }

    /// Octets of the server's HTTP/1.1 answer to an upgrade read before its head must have ended.
    static let upgradeHeadLimit = 64 * 1024

    public struct UpgradeFailure: Error { var message: String; init(_ m: String) { message = m } }

    func trace(_ events: [Event]) { Transport.trace(events, connection: traceID, to: tracer) }

    func flush() -> Bool {
        let outbound = connection.takeOutbound()
        guard !outbound.isEmpty else { return true }
        var bytes: [UInt8] = []
        for item in outbound {
            tracer?(traceID, .sent(item))
            bytes += item.bytes
        }
        return (try? stream.write(bytes)) != nil
    }
}
