import Engine

/// A finished exchange: the response (or why there is none).
public struct ClientResult: Sendable {
    public var url: String
    public var stream: UInt32
    public var status: String?
    public var headers: [HeaderField]
    public var body: [UInt8]
    public var error: String?
}

/// Runs requests on one client connection over a byte stream, multiplexed, until all complete.
public final class ClientConnection: @unchecked Sendable {
    let stream: ByteStream
    let tracer: Tracer?
    public private(set) var connection = Connection(role: .client, configuration: .init(
        settings: [Setting(.enablePush, 0), Setting(.initialWindowSize, 1 << 20)], windowUpdatePolicy: .halfWindow))

    public init(stream: ByteStream, tracer: Tracer?) {
        self.stream = stream
        self.tracer = tracer
    }

    /// Sends every request at once, then reads until each stream is closed or the connection ends.
    /// With `upgrade`, the first request goes as HTTP/1.1 with `Upgrade: h2c` and becomes stream 1.
    public func run(_ requests: [(url: String, headers: [HeaderField], body: [UInt8])], upgrade: Bool = false,
                    timeoutMilliseconds: Int = 30_000) -> [ClientResult] {
        defer { stream.close() }
        var ids: [(String, UInt32)] = []
        var results: [ClientResult] = []
        var pending = requests[...]
        var leftover: [UInt8] = []
        if upgrade, let first = pending.first {
            switch self.upgrade(first) {
            case .failure(let failure):
                return requests.map { ClientResult(url: $0.url, stream: 0, headers: [], body: [], error: failure.message) }
            case .success(let rest):
                leftover = rest
                ids.append((first.url, 1))
                pending = pending.dropFirst()
            }
        } else {
            connection.start()
        }
        if !leftover.isEmpty { trace(connection.receive(bytes: leftover)) }
        for request in pending {
            do {
                let (id, _) = try connection.sendRequest(request.headers, body: request.body)
                ids.append((request.url, id))
            } catch {
                results.append(ClientResult(url: request.url, stream: 0, headers: [], body: [], error: error.message))
            }
        }
        var failure: String?
        var waited = 0
        loop: while failure == nil {
            guard flush() else { failure = "the connection failed while writing"; break }
            let open = ids.contains { connection.state(of: $0.1) != .closed }
            if !open { break }
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
                if case .protocolError(let error) = event, error.isConnectionError { failure = error.description; break loop }
                if case .connectionClosed(let reason) = event { failure = reason; break loop }
            }
            if connection.isClosed { failure = connection.closeReason ?? "the connection closed" }
        }
        _ = flush()
        for (url, id) in ids {
            let record = connection.streams[id]
            var error: String?
            if record?.closeReason == .resetReceived || record?.closeReason == .resetSent { error = "stream \(id) was reset" }
            if record?.closeReason == .goaway { error = "the server refused stream \(id) with GOAWAY" }
            if record?.state != .closed { error = failure ?? "incomplete" }
            results.append(ClientResult(url: url, stream: id, status: record?.status, headers: record?.responseHeaders ?? [],
                                        body: record?.receivedBody ?? [], error: error))
        }
        return results
    }

    /// Sends the first request as HTTP/1.1 asking for h2c, waits for 101, then starts HTTP/2 with the
    /// request as stream 1. Returns bytes read past the 101 (the server's first frames).
    func upgrade(_ request: (url: String, headers: [HeaderField], body: [UInt8])) -> Result<[UInt8], UpgradeFailure> {
        guard request.body.isEmpty else { return .failure(UpgradeFailure("h2c upgrade is done with a bodiless request here; drop -d or --upgrade")) }
        var head = HTTP1Mapping.http1Request(from: request.headers, body: [])
        head.removeLast(2)  // reopen the head to add the upgrade fields
        head += "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: \(connection.http2SettingsHeader)\r\n\r\n"
        tracer?(0, .note("HTTP/1.1 request with Upgrade: h2c"))
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
        tracer?(0, .note("101 Switching Protocols: stream 1 is the request"))
        connection.start()
        _ = try? connection.startUpgraded(request: request.headers)
        return .success(Array(buffer[end...]))
    }

    public struct UpgradeFailure: Error { var message: String; init(_ m: String) { message = m } }

    func trace(_ events: [Event]) {
        guard let tracer else { return }
        for event in events {
            if case .frameReceived(let frame) = event { tracer(0, .received(frame, bytes: 9 + frame.payloadLength)) } else { tracer(0, .event(event)) }
        }
    }

    func flush() -> Bool {
        let outbound = connection.takeOutbound()
        guard !outbound.isEmpty else { return true }
        var bytes: [UInt8] = []
        for item in outbound {
            tracer?(0, .sent(item))
            bytes += item.bytes
        }
        return (try? stream.write(bytes)) != nil
    }
}
