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

    /// With `push`, SETTINGS_ENABLE_PUSH is 1 and pushed responses are kept in `pushed`.
    public init(stream: ByteStream, tracer: Tracer?, traceID: Int = 0, push: Bool = false) {
        self.stream = stream
        self.tracer = tracer
        self.traceID = traceID
        var configuration = Connection.Configuration(
            settings: [Setting(.enablePush, push ? 1 : 0), Setting(.initialWindowSize, 1 << 20)], windowUpdatePolicy: .halfWindow)
        configuration.encoderPolicy = .network
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
        _ = try? connection.sendPriorityUpdate(id, priority)
    }

    /// Whether the connection can take more requests (not closed, no GOAWAY).
    public var isUsable: Bool { !connection.isClosed && connection.goawayReceived == nil && !streamFailed }
    private var streamFailed = false

    /// Runs requests on the (started) connection until each completes; the connection stays open.
    /// `upgraded` names the request that is already stream 1 (h2c upgrade).
    public func exchange(_ requests: [ClientRequest], upgraded: Int? = nil, timeoutMilliseconds: Int = 30_000) -> [ClientResult] {
        start()
        pushed = []
        var results: [ClientResult?] = Array(repeating: nil, count: requests.count)
        var queue = Array(requests.indices)[...]
        var inFlight: [UInt32: Int] = [:]  // stream id → request index
        var refusals: [Int: Int] = [:]
        var promised: Set<UInt32> = []
        var promisedOn: [UInt32: UInt32] = [:]
        if let upgraded {
            inFlight[1] = upgraded
            queue = queue.filter { $0 != upgraded }[...]
        }

        /// Whether another stream may open now: within the server's limit once its SETTINGS are here,
        /// one at a time before, none after its GOAWAY.
        func mayOpen() -> Bool {
            guard connection.goawayReceived == nil else { return false }
            guard connection.peerSettingsReceived else { return inFlight.isEmpty }
            guard let limit = connection.remoteSettings.maxConcurrentStreams else { return true }
            return inFlight.count < Int(limit)
        }
        func finish(_ id: UInt32, _ index: Int) {
            let record = connection.streams[id]
            var error: String?
            if record?.closeReason == .resetReceived || record?.closeReason == .resetSent { error = "stream \(id) was reset" }
            results[index] = ClientResult(url: requests[index].url, stream: id, status: record?.status,
                                          headers: record?.responseHeaders ?? [], body: record?.receivedBody ?? [], error: error,
                                          trailers: record?.trailers, resetCode: resets[id])
            results[index]?.interim = record?.informationalHeaders ?? []
        }
        var resets: [UInt32: ErrorCode] = [:]

        var failure: String?
        var waited = 0
        var queuedNoted = false
        loop: while failure == nil {
            while let next = queue.first, mayOpen() {
                queue = queue.dropFirst()
                do {
                    let (id, _) = try connection.sendRequest(requests[next].headers, body: requests[next].body)
                    inFlight[id] = next
                } catch {
                    results[next] = ClientResult(url: requests[next].url, stream: 0, headers: [], body: [], error: error.message)
                }
            }
            if !queue.isEmpty && !queuedNoted && connection.peerSettingsReceived && connection.goawayReceived == nil {
                queuedNoted = true
                let limit = connection.remoteSettings.maxConcurrentStreams.map(String.init) ?? "?"
                tracer?(traceID, .note("\(queue.count) request(s) wait: the server allows \(limit) concurrent stream(s) (§5.1.2)"))
            }
            guard flush() else { failure = "the connection failed while writing"; break }
            if inFlight.isEmpty && promised.isEmpty && (queue.isEmpty || connection.goawayReceived != nil) { break }
            guard stream.waitReadable(milliseconds: 200) else {
                waited += 200
                if waited >= timeoutMilliseconds { failure = "timed out after \(timeoutMilliseconds / 1000) s" }
                continue
            }
            waited = 0
            guard let bytes = try? stream.read(maximum: 65_536), !bytes.isEmpty else {
                failure = "the server closed the connection"
                break
            }
            let events = connection.receive(bytes: bytes)
            trace(events)
            for event in events {
                if case .streamReset(let id, let code, .received) = event { resets[id] = code }
                if case .pushPromised(let associated, let id, .received) = event {
                    promised.insert(id)
                    promisedOn[id] = associated
                }
                switch event {
                case .streamReset(let id, .refusedStream, .received):
                    guard let index = inFlight.removeValue(forKey: id) else { continue }
                    refusals[index, default: 0] += 1
                    if refusals[index, default: 0] > Self.maximumRefusals {
                        results[index] = ClientResult(url: requests[index].url, stream: id, headers: [], body: [],
                                                      error: "the server refused the request \(Self.maximumRefusals + 1) times (REFUSED_STREAM)")
                    } else {
                        tracer?(traceID, .note("stream \(id) refused (REFUSED_STREAM): the server did not process it; sending it again (§8.7)"))
                        queue = [index] + queue
                    }
                case .goawayReceived(let last, _, _):
                    let unprocessed = inFlight.filter { $0.key > last }
                    for (id, index) in unprocessed {
                        inFlight[id] = nil
                        results[index] = ClientResult(url: requests[index].url, stream: id, headers: [], body: [],
                                                      error: "the server did not process stream \(id) (GOAWAY last stream \(last))",
                                                      unprocessed: true)
                    }
                    if !unprocessed.isEmpty || !queue.isEmpty {
                        tracer?(traceID, .note("GOAWAY last stream \(last): \(unprocessed.count + queue.count) request(s) were not processed and may be sent on a new connection (§8.7)"))
                    }
                case .protocolError(let error) where error.isConnectionError:
                    failure = error.description
                case .connectionClosed(let reason):
                    failure = reason
                default:
                    break
                }
            }
            for (id, index) in inFlight where connection.state(of: id) == .closed {
                inFlight[id] = nil
                finish(id, index)
            }
            for id in promised where connection.state(of: id) == .closed {
                promised.remove(id)
                let record = connection.streams[id]
                let path = record?.requestHeaders?.first { $0.name == ":path" }?.value ?? "?"
                pushed.append(ClientResult(url: path, stream: id, status: record?.status, headers: record?.responseHeaders ?? [],
                                           body: record?.receivedBody ?? [], error: nil, trailers: record?.trailers,
                                           resetCode: resets[id], promisedOn: promisedOn[id], promisedRequest: record?.requestHeaders))
            }
            if failure != nil { break loop }
            if connection.isClosed { failure = connection.closeReason ?? "the connection closed" }
        }
        if failure != nil { streamFailed = true }
        _ = flush()
        for (id, index) in inFlight {
            if connection.state(of: id) == .closed { finish(id, index) } else {
                results[index] = ClientResult(url: requests[index].url, stream: id, status: connection.streams[id]?.status,
                                              headers: [], body: [], error: failure ?? "incomplete")
            }
        }
        for index in queue where results[index] == nil {
            let goaway = connection.goawayReceived != nil
            results[index] = ClientResult(url: requests[index].url, stream: 0, headers: [], body: [],
                                          error: goaway ? "not sent: the server sent GOAWAY" : (failure ?? "not sent"),
                                          unprocessed: goaway)
        }
        return results.enumerated().map { index, result in
            result ?? ClientResult(url: requests[index].url, stream: 0, headers: [], body: [], error: failure ?? "incomplete")
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
        while HTTP1Mapping.find([13, 10, 13, 10], in: buffer) == nil {
            guard stream.waitReadable(milliseconds: 10_000), let bytes = try? stream.read(maximum: 65_536), !bytes.isEmpty else {
                return .failure(UpgradeFailure("the server closed the connection before answering the upgrade"))
            }
            buffer += bytes
        }
        let end = (HTTP1Mapping.find([13, 10, 13, 10], in: buffer) ?? 0) + 4
        let statusLine = String(decoding: buffer.prefix { $0 != 13 }, as: UTF8.self)
        guard statusLine.hasPrefix("HTTP/1.1 101") else {
            return .failure(UpgradeFailure("the server did not upgrade to h2c: \(statusLine)"))
        }
        tracer?(traceID, .note("101 Switching Protocols: stream 1 is the request"))
        start()
        _ = try? connection.startUpgraded(request: request.headers)
        return .success(Array(buffer[end...]))
    }

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
