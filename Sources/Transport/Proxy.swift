import Engine
import Foundation

/// A proxy between HTTP/2 clients and one HTTP/2 server: each client connection (the client leg)
/// is served by our server engine; its requests go to the server over a connection of our own (the
/// server leg: its own HPACK tables, windows and settings, as with any real proxy), and the
/// responses come back. A request is forwarded once it is complete and its response once that is
/// complete (bodies of any size, trailers, resets, pushed responses to clients that allow push); a
/// failed server leg gives 502.
///
/// PRIORITY_UPDATE (RFC 9218 §7.1) is hop-by-hop: "Frames transmit priority parameters on a single
/// hop only. Intermediaries can consume and produce priority signals in a PRIORITY_UPDATE frame"
/// (RFC 9218 §4). The proxy consumes the client's and produces its own for the server, naming the
/// stream the server leg opened for that request (the stream ids of the two legs differ). A client's
/// PRIORITY_UPDATE that arrives before its request is forwarded (for an idle stream, or in the
/// same read as the request) goes to the server just before that request; one for a stream whose
/// response the proxy has already sent is dropped, with the reason in the trace: nothing is left to
/// reprioritize, and §7.1 lets a server discard a PRIORITY_UPDATE for a stream in the
/// "half-closed (local)" or "closed" state (the proxy is the client's server). The `priority`
/// header field, end-to-end, goes on unchanged either way.
public final class ProxyResponder: Responder, @unchecked Sendable {
    let open: @Sendable () throws -> ByteStream
    let tracer: Tracer?
    let upstreamScheme: String
    let lock = NSLock()
    var legs: [Int: ClientConnection] = [:]
    /// RFC 9218 priorities a client sent for its streams whose requests are not forwarded yet, by
    /// client connection and client-leg stream id (bounded: the engine takes PRIORITY_UPDATEs for
    /// idle streams only up to SETTINGS_MAX_CONCURRENT_STREAMS).
    var priorities: [Int: [UInt32: Priority]] = [:]

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
        notePriorities(events, forwarding: Set(requests.map(\.stream)), on: connection, peer: peer)
        guard !requests.isEmpty else { return [] }
        var sent: [Event] = []
        guard let leg = leg(for: peer.connection) else {
            for (id, _) in requests { sent += Self.badGateway(id, "cannot reach the server", &connection) }
            return sent
        }
        forwardPriorities(for: requests.map(\.stream), on: leg, peer: peer)
        let results = leg.exchange(requests.map(\.request))
        for (index, item) in requests.enumerated() {
            guard index < results.count else { break }
            let result = results[index]
            // Promises first, while the stream they ride on is still open (§8.4).
            if connection.remoteSettings.enablePush {
                // Only whole pushed responses: one cut short (reset) is not passed on as if it were.
                for pushed in leg.pushed where pushed.promisedOn == result.stream && pushed.status != nil && pushed.error == nil {
                    guard let request = pushed.promisedRequest,
                          let (promised, events) = try? connection.push(on: item.stream, request: request) else { continue }
                    sent += events
                    sent += (try? connection.sendResponse(promised, pushed.headers, body: pushed.body, trailers: pushed.trailers)) ?? []
                }
            }
            if result.error == nil, result.status != nil {
                // A whole response, then any reset that followed it (NO_ERROR: stop sending the
                // request's body, §8.1), as the server sent them.
                sent += (try? connection.sendResponse(item.stream, result.headers, body: result.body, trailers: result.trailers)) ?? []
                if let code = result.resetCode { sent += (try? connection.sendReset(item.stream, code)) ?? [] }
            } else if let code = result.resetCode {
                sent += (try? connection.sendReset(item.stream, code)) ?? []
            } else {
                sent += Self.badGateway(item.stream, result.error ?? "no response", &connection)
            }
        }
        return sent
    }

    /// Keeps the priorities a client's PRIORITY_UPDATEs gave streams whose requests are still to be
    /// forwarded (`forwarding` go now); drops, with the reason in the trace, those for streams
    /// already answered.
    func notePriorities(_ events: [Event], forwarding: Set<UInt32>, on connection: Connection, peer: PeerInfo) {
        for case .priorityUpdated(let id, let priority, let applied) in events {
            let state = connection.state(of: id)
            if applied && (forwarding.contains(id) || state == .idle || state == .open) {
                lock.withLock { priorities[peer.connection, default: [:]][id] = priority }
            } else {
                tracer?(peer.connection, .note("PRIORITY_UPDATE for stream \(id) (\(priority.fieldValue)) not forwarded: its response is "
                    + "already sent, nothing is left to reprioritize (RFC 9218 §7.1: a server may discard it for a stream "
                    + "half-closed (local) or closed)"))
            }
        }
    }

    /// Sends the server, ahead of the requests, a PRIORITY_UPDATE for each stream the server leg
    /// is about to open for a request whose client sent one: the same priority, the server leg's
    /// stream id (the leg's streams open in the order of `streams`).
    func forwardPriorities(for streams: [UInt32], on leg: ClientConnection, peer: PeerInfo) {
        let pending = lock.withLock { priorities[peer.connection] ?? [:] }
        guard !pending.isEmpty else { return }
        leg.start()  // the preface and SETTINGS first: a PRIORITY_UPDATE may not come before them (RFC 9113 §3.4)
        let highest = leg.connection.highestLocalStreamID
        var next = highest == 0 ? 1 : highest + 2
        for id in streams {
            if let priority = pending[id] {
                leg.queuePriorityUpdate(next, priority)
                tracer?(peer.connection, .note("PRIORITY_UPDATE for client stream \(id) (\(priority.fieldValue)) forwarded for "
                    + "stream \(next), the stream the proxy opens for that request (RFC 9218 §4: priority frames are hop-by-hop)"))
                lock.withLock { _ = priorities[peer.connection]?.removeValue(forKey: id) }
            }
            next += 2
        }
    }

    static func badGateway(_ id: UInt32, _ why: String, _ connection: inout Connection) -> [Event] {
        let body = Array("h2lab proxy: \(why)\n".utf8)
        return (try? connection.sendResponse(id, [HeaderField(":status", "502"), HeaderField("content-type", "text/plain"),
                                                  HeaderField("content-length", "\(body.count)")], body: body)) ?? []
    }

    public func closed(peer: PeerInfo) {
        lock.lock()
        let leg = legs.removeValue(forKey: peer.connection)
        priorities[peer.connection] = nil
        lock.unlock()
        leg?.close()
    }
}
