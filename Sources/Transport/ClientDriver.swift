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
    public func run(_ requests: [(url: String, headers: [HeaderField], body: [UInt8])], timeoutMilliseconds: Int = 30_000) -> [ClientResult] {
        defer { stream.close() }
        connection.start()
        var ids: [(String, UInt32)] = []
        var results: [ClientResult] = []
        for request in requests {
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
            for event in events {
                if let tracer {
                    if case .frameReceived(let frame) = event { tracer(0, .received(frame, bytes: 9 + frame.payloadLength)) }
                    else { tracer(0, .event(event)) }
                }
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
