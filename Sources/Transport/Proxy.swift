import Engine
import Foundation

/// A proxy between HTTP/2 clients and one HTTP/2 server: each client connection (the client leg)
/// is served by our server engine; its requests go to the server over a connection of our own (the
/// server leg: its own HPACK tables, windows and settings, as with any real proxy), and the
/// responses come back. A request is forwarded once it is complete and its response once that is
/// complete (bodies of any size, trailers, resets, pushed responses to clients that allow push); a
/// failed server leg gives 502.
public final class ProxyResponder: Responder, @unchecked Sendable {
    let open: @Sendable () throws -> ByteStream
    let tracer: Tracer?
    let upstreamScheme: String
    let lock = NSLock()
    var legs: [Int: ClientConnection] = [:]

    /// `open` connects to the server (TCP, or TLS with ALPN h2); `tracer` gets the server leg's
    /// frames under the client connection's number.
    public init(upstreamScheme: String, tracer: Tracer?, open: @escaping @Sendable () throws -> ByteStream) {
        self.open = open
        self.tracer = tracer
        self.upstreamScheme = upstreamScheme
    }

    /// The server leg for a client connection, made on first use and again after it failed.
    func leg(for id: Int) -> ClientConnection? {
        lock.lock()
        defer { lock.unlock() }
        if let leg = legs[id], leg.isUsable { return leg }
        legs[id]?.close()
        guard let stream = try? open() else { return nil }
        // Push is relayed: the server leg accepts it, and promises go on to clients that allow it.
        let leg = ClientConnection(stream: stream, tracer: tracer, traceID: id, push: true)
        legs[id] = leg
        return leg
    }

    public func answer(_ events: [Event], on connection: inout Connection, peer: PeerInfo) -> [Event] {
        var requests: [(stream: UInt32, request: ClientRequest)] = []
        for case .messageComplete(let id, .request) in events {
            guard let record = connection.streams[id], let headers = record.requestHeaders else { continue }
            let path = headers.first { $0.name == ":path" }?.value ?? "/"
            let forwarded = headers.map { $0.name == ":scheme" ? HeaderField(":scheme", upstreamScheme) : $0 }
            requests.append((id, (url: path, headers: forwarded, body: record.receivedBody)))
        }
        guard !requests.isEmpty else { return [] }
        var sent: [Event] = []
        guard let leg = leg(for: peer.connection) else {
            for (id, _) in requests { sent += Self.badGateway(id, "cannot reach the server", &connection) }
            return sent
        }
        let results = leg.exchange(requests.map(\.request))
        for (index, item) in requests.enumerated() {
            guard index < results.count else { break }
            let result = results[index]
            // Promises first, while the stream they ride on is still open (§8.4).
            if connection.remoteSettings.enablePush {
                for pushed in leg.pushed where pushed.promisedOn == result.stream && pushed.status != nil {
                    guard let request = pushed.promisedRequest,
                          let (promised, events) = try? connection.push(on: item.stream, request: request) else { continue }
                    sent += events
                    sent += (try? connection.sendResponse(promised, pushed.headers, body: pushed.body, trailers: pushed.trailers)) ?? []
                }
            }
            if let code = result.resetCode {
                sent += (try? connection.sendReset(item.stream, code)) ?? []
            } else if result.error == nil, result.status != nil {
                sent += (try? connection.sendResponse(item.stream, result.headers, body: result.body, trailers: result.trailers)) ?? []
            } else {
                sent += Self.badGateway(item.stream, result.error ?? "no response", &connection)
            }
        }
        return sent
    }

    static func badGateway(_ id: UInt32, _ why: String, _ connection: inout Connection) -> [Event] {
        let body = Array("h2lab proxy: \(why)\n".utf8)
        return (try? connection.sendResponse(id, [HeaderField(":status", "502"), HeaderField("content-type", "text/plain"),
                                                  HeaderField("content-length", "\(body.count)")], body: body)) ?? []
    }

    public func closed(peer: PeerInfo) {
        lock.lock()
        let leg = legs.removeValue(forKey: peer.connection)
        lock.unlock()
        leg?.close()
    }
}
