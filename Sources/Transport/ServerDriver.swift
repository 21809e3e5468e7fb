import Engine

/// What a driver reports for tracing: a frame in or out, or an engine event.
public enum TraceItem: Sendable {
    case received(Frame, bytes: Int)
    case sent(Outbound)
    case event(Event)
    case note(String)
}

/// Receives trace items with the connection number; nil means tracing is off (nothing is formatted).
public typealias Tracer = @Sendable (_ connection: Int, _ item: TraceItem) -> Void

/// Serves one HTTP/2 connection over a byte stream: bytes in → engine → demo site → bytes out.
/// Everything protocol is the engine's; this only moves bytes and answers complete requests.
public final class ServerConnection: @unchecked Sendable {
    let stream: ByteStream
    let id: Int
    let site: DemoSite
    let tracer: Tracer?
    let shouldStop: @Sendable () -> Bool
    public private(set) var connection: Connection

    public static let settings: [Setting] = [
        Setting(.maxConcurrentStreams, 128), Setting(.initialWindowSize, 1 << 20), Setting(.maxHeaderListSize, 65_536),
    ]

    public init(stream: ByteStream, id: Int, site: DemoSite, tracer: Tracer?, shouldStop: @escaping @Sendable () -> Bool) {
        self.stream = stream
        self.id = id
        self.site = site
        self.tracer = tracer
        self.shouldStop = shouldStop
        connection = Connection(role: .server, configuration: .init(settings: Self.settings, windowUpdatePolicy: .halfWindow))
    }

    /// Runs until the peer closes, a connection error ends it, or a graceful shutdown completes.
    /// `initial` holds bytes already read (for example while sniffing for HTTP/1.1).
    public func run(initial: [UInt8] = []) {
        defer { stream.close() }
        connection.start()
        // Give the client a large connection window at once, as browsers expect of servers.
        _ = try? connection.sendWindowUpdate(0, increment: (1 << 24) - 65_535)
        guard flush() else { return }
        if !initial.isEmpty, !process(initial) { return }
        var draining = false
        while true {
            if shouldStop() && !draining {
                draining = true
                tracer?(id, .note("shutting down: GOAWAY NO_ERROR, finishing open streams"))
                _ = connection.sendGoaway(.noError, debug: "server shutting down")
                guard flush() else { return }
            }
            if draining && !connection.streams.values.contains(where: { $0.state.isActive || $0.pendingSendCount > 0 }) { return }
            guard stream.waitReadable(milliseconds: 200) else { continue }
            guard let bytes = try? stream.read(maximum: 65_536), !bytes.isEmpty else {
                tracer?(id, .note("the client closed the connection"))
                return
            }
            guard process(bytes) else { return }
        }
    }

    /// Feeds bytes to the engine, answers completed requests, writes what it queued. False when done.
    func process(_ bytes: [UInt8]) -> Bool {
        let events = connection.receive(bytes: bytes)
        if let tracer {
            for event in events {
                if case .frameReceived(let frame) = event {
                    tracer(id, .received(frame, bytes: 9 + frame.payloadLength))
                } else {
                    tracer(id, .event(event))
                }
            }
        }
        for case .messageComplete(let streamID, .request) in events {
            guard let record = connection.streams[streamID], let headers = record.requestHeaders else { continue }
            let response = site.respond(to: SiteRequest(headers: headers, body: record.receivedBody))
            let sent = (try? connection.sendResponse(streamID, response.headerList, body: response.body)) ?? []
            if let tracer { for event in sent { tracer(id, .event(event)) } }
        }
        return flush() && !connection.isClosed
    }

    /// Writes everything the engine queued as one write. False if the socket failed.
    func flush() -> Bool {
        let outbound = connection.takeOutbound()
        guard !outbound.isEmpty else { return true }
        var bytes: [UInt8] = []
        for item in outbound {
            tracer?(id, .sent(item))
            switch item {
            case .preface: bytes += connectionPreface
            case .frame(let frame): FrameEncoder.encode(frame, into: &bytes)
            }
        }
        do {
            try stream.write(bytes)
            return true
        } catch {
            tracer?(id, .note("write failed: \(error)"))
            return false
        }
    }
}
