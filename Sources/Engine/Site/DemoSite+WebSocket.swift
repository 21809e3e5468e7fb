/// The demo site's WebSocket echo at /ws, over HTTP/2 extended CONNECT (RFC 8441): the request
/// is answered with 200 and the stream stays open as a tunnel; each WebSocket frame the client
/// sends (RFC 6455, masked) comes back unmasked: text and binary echoed, ping answered with pong,
/// close answered with close and END_STREAM.
extension DemoSite {
    public static let webSocketPath = "/ws"

    /// Answers an extended CONNECT: 200 for a WebSocket at /ws (RFC 8441 §5: no
    /// Sec-WebSocket-Key/Accept), 404 for another path, 501 for another protocol.
    func openTunnel(_ id: UInt32, protocol proto: String, on connection: inout Connection) -> [Event] {
        let path = connection.streams.read(id) { $0.requestHeaders?.first { $0.name == ":path" }?.value } ?? nil
        if proto.lowercased() == "websocket" && path.map(Self.withoutQuery) == Self.webSocketPath {
            return (try? connection.sendResponseHead(id, [HeaderField(":status", "200")])) ?? []
        }
        let status = proto.lowercased() == "websocket" ? 404 : 501
        let body = Array("no \(proto) tunnel here\n".utf8)
        return (try? connection.sendResponse(id, [HeaderField(":status", "\(status)"), HeaderField("content-length", "\(body.count)")],
                                             body: body)) ?? []
    }

    /// Echoes every whole WebSocket frame the stream has received; a partial one waits.
    func echoWebSocket(_ id: UInt32, on connection: inout Connection) -> [Event] {
        var events: [Event] = []
        guard let received = connection.streams.read(id, { $0.receivedBody }), !received.isEmpty else { return events }
        var offset = 0
        loop: while offset < received.count {
            switch WebSocketFrame.decode(received[offset...]) {
            case .incomplete:
                break loop
            case .invalid(let why):
                // RFC 6455 §7.4.1: 1002, a protocol error; the stream ends.
                offset = received.count
                events += close(id, code: 1002, reason: why, on: &connection)
            case .frame(let frame, let masked, let consumed):
                offset += consumed
                guard masked else {
                    // RFC 6455 §5.1: "The server MUST close the connection upon receiving a frame that is not masked".
                    events += close(id, code: 1002, reason: "unmasked frame from a client", on: &connection)
                    break loop
                }
                switch frame.opcode {
                case .text, .binary, .continuation:
                    events += (try? connection.sendData(id, frame.encoded(), endStream: false)) ?? []
                case .ping:
                    events += (try? connection.sendData(id, WebSocketFrame(opcode: .pong, payload: frame.payload).encoded(), endStream: false)) ?? []
                case .pong:
                    break
                case .close:
                    events += (try? connection.sendData(id, WebSocketFrame(opcode: .close, payload: frame.payload).encoded(), endStream: true)) ?? []
                    break loop
                }
            }
        }
        connection.consumeTunnel(id, offset)
        return events
    }

    private func close(_ id: UInt32, code: UInt16, reason: String, on connection: inout Connection) -> [Event] {
        let payload = [UInt8(code >> 8), UInt8(code & 0xff)] + Array(reason.utf8.prefix(120))
        return (try? connection.sendData(id, WebSocketFrame(opcode: .close, payload: payload).encoded(), endStream: true)) ?? []
    }
}
