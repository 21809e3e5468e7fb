import Engine

/// `check`'s cases for RFC 9113 §5 (Streams and Multiplexing): stream states, identifiers, concurrency, dependencies,
/// error handling, extensions.
extension Cases {
    static func streams(_ list: inout CaseList) {
        streamStates(&list)
        streamIdentifiers(&list)
        compressionContext(&list)  // §4.3's audit, run here since it was written (Cases+CompressionContext)
        streamConcurrency(&list)
        streamDependencies(&list)
        connectionErrors(&list)
        extensions(&list)
    }

    /// §5.1 Stream states: frames an idle stream may not receive, then frames after a stream
    /// half-closed or closed.
    static func streamStates(_ list: inout CaseList) {
        idleStreams(&list)
        endedStreams(&list)
    }

    /// §5.1 idle: only HEADERS and PRIORITY may be received.
    static func idleStreams(_ list: inout CaseList) {
        list.add("5.1/1", "idle: sends DATA on an idle stream",
            "§5.1: in idle state, only HEADERS and PRIORITY may be received; anything else is a connection error PROTOCOL_ERROR") { p, s in
            p.send(rawFrame(DATA, flags: endStream, stream: 1, Array("test".utf8)))
            return p.expectConnectionError(.protocolError, since: s)
        }
        list.add("5.1/2", "idle: sends RST_STREAM on an idle stream",
            "§5.1, §6.4: RST_STREAM on an idle stream is a connection error PROTOCOL_ERROR") { p, s in
            p.send(rawFrame(RST, stream: 1, be32(8)))
            return p.expectConnectionError(.protocolError, since: s)
        }
        list.add("5.1/3", "idle: sends WINDOW_UPDATE on an idle stream",
            "§5.1: WINDOW_UPDATE on an idle stream is a connection error PROTOCOL_ERROR") { p, s in
            p.send(rawFrame(WINDOW, stream: 1, be32(100)))
            return p.expectConnectionError(.protocolError, since: s)
        }
        list.add("5.1/4", "idle: sends CONTINUATION on an idle stream",
            "§5.1, §6.10: CONTINUATION without a HEADERS before it is a connection error PROTOCOL_ERROR") { p, s in
            p.send(rawFrame(CONTINUATION, flags: endHeaders, stream: 1, p.headerBlock(p.requestFields())))
            return p.expectConnectionError(.protocolError, since: s)
        }
    }

    /// §5.1 half-closed (remote) and closed: what may no longer be received.
    static func endedStreams(_ list: inout CaseList) {
        list.add("5.1/5", "half-closed (remote): sends DATA after END_STREAM",
            "§5.1: a frame other than WINDOW_UPDATE, PRIORITY or RST_STREAM on a half-closed (remote) stream is a stream error STREAM_CLOSED") { p, s in
            p.send(p.request(1, method: "POST"))
            p.send(rawFrame(DATA, flags: endStream, stream: 1, Array("test".utf8)))
            return p.expectStreamError(1, .streamClosed, since: s)
        }
        list.add("5.1/6", "half-closed (remote): sends HEADERS after END_STREAM",
            "§5.1: HEADERS on a half-closed (remote) stream is a stream error STREAM_CLOSED") { p, s in
            p.send(p.request(1))
            p.send(p.request(1))
            return p.expectStreamError(1, .streamClosed, since: s)
        }
        list.add("5.1/7", "half-closed (remote): sends CONTINUATION after END_STREAM",
            "§5.1, §6.10: CONTINUATION not preceded by an unfinished HEADERS is an error (STREAM_CLOSED or PROTOCOL_ERROR)") { p, s in
            p.send(p.request(1))
            p.send(rawFrame(CONTINUATION, flags: endHeaders, stream: 1, p.headerBlock(p.requestFields())))
            return p.expectStreamError(1, .streamClosed, .protocolError, since: s)
        }
        list.add("5.1/8", "closed: sends DATA after sending RST_STREAM",
            "§5.1: DATA on a stream the client reset is a stream error STREAM_CLOSED") { p, s in
            p.send(p.request(1, flags: endHeaders, method: "POST"))
            p.send(rawFrame(RST, stream: 1, be32(8)))
            p.send(rawFrame(DATA, flags: endStream, stream: 1, Array("test".utf8)))
            return p.expectStreamError(1, .streamClosed, since: s)
        }
        list.add("5.1/9", "closed: sends HEADERS after sending RST_STREAM",
            "§5.1: HEADERS on a closed stream is a stream error STREAM_CLOSED (or a connection error)") { p, s in
            p.send(p.request(1, flags: endHeaders, method: "POST"))
            p.send(rawFrame(RST, stream: 1, be32(8)))
            p.send(p.request(1))
            return p.expectStreamError(1, .streamClosed, .protocolError, since: s)
        }
        list.add("5.1/10", "closed: sends DATA on a stream that ended normally",
            "§5.1: DATA on a stream closed by END_STREAM both ways is an error STREAM_CLOSED") { p, s in
            p.send(p.request(1))
            _ = p.next { ($0.type == .data || $0.type == .headers) && $0.stream == 1 && $0.flags & endStream != 0 }
            p.send(rawFrame(DATA, flags: endStream, stream: 1, Array("test".utf8)))
            return p.expectStreamError(1, .streamClosed, since: s)
        }
    }

    /// §5.1.1 Stream identifiers
    static func streamIdentifiers(_ list: inout CaseList) {
        list.add("5.1.1/1", "sends a request on an even-numbered stream",
            "§5.1.1: streams a client opens have odd identifiers; an even one is a connection error PROTOCOL_ERROR") { p, s in
            p.send(p.request(2))
            return p.expectConnectionError(.protocolError, since: s)
        }
        list.add("5.1.1/2", "opens stream 5, then stream 3",
            "§5.1.1: a new stream's identifier must exceed every one opened before; a smaller one is a connection error PROTOCOL_ERROR") { p, s in
            p.send(p.request(5))
            _ = p.next { $0.type == .headers && $0.stream == 5 }
            p.send(p.request(3))
            return p.expectConnectionError(.protocolError, since: s)
        }
    }

    /// §5.1.2 Stream concurrency
    static func streamConcurrency(_ list: inout CaseList) {
        list.add("5.1.2/1", "opens more streams than SETTINGS_MAX_CONCURRENT_STREAMS allows",
            "§5.1.2: a stream beyond the advertised limit is a stream error PROTOCOL_ERROR or REFUSED_STREAM", settings: holdOpen) { p, s in
            guard let limit = p.serverSettings.maxConcurrentStreams, limit <= 1_000 else { return .passed }
            var bytes: [UInt8] = []
            for i in 0...Int(limit) { bytes += p.request(UInt32(2 * i + 1), flags: endHeaders, method: "POST") }
            p.send(bytes, note: "HEADERS without END_STREAM on streams 1 to \(2 * Int(limit) + 1) (\(limit + 1) streams)")
            let outcome = p.expectStreamError(UInt32(2 * Int(limit) + 1), .protocolError, .refusedStream, since: s)
            // A server that answered and ended some of the streams itself (a 405 before the body, say)
            // never had more than the limit open: the case cannot judge it.
            let reset = (0..<Int(limit)).filter { p.serverReset(UInt32(2 * $0 + 1), since: s, before: nil) != nil }.count
            if outcome != .passed && reset > 0 {
                return .inconclusive(why: "the server reset \(reset) of the first \(limit) streams itself (closed, §5.1.2: they no longer "
                                          + "count) before the last one arrived, so no more than \(limit) were ever open", got: p.got(since: s))
            }
            return outcome
        }
    }

    /// §5.3.1 Stream dependencies
    static func streamDependencies(_ list: inout CaseList) {
        list.add("5.3.1/1", "sends HEADERS whose priority depends on its own stream",
            "§5.3.1: a stream cannot depend on itself; that is a stream error PROTOCOL_ERROR") { p, s in
            let block = p.headerBlock(p.requestFields())
            p.send(rawFrame(HEADERS, flags: endStream | endHeaders | priorityFlag, stream: 1, be32(1) + [15] + block))
            return p.expectStreamError(1, .protocolError, since: s)
        }
        list.add("5.3.1/2", "sends PRIORITY depending on its own stream",
            "§5.3.1: a PRIORITY frame making a stream depend on itself is a stream error PROTOCOL_ERROR") { p, s in
            p.send(rawFrame(PRIORITY, stream: 1, be32(1) + [15]))
            return p.expectStreamError(1, .protocolError, since: s)
        }
    }

    /// §5.4.1 Connection error handling
    static func connectionErrors(_ list: inout CaseList) {
        list.add("5.4.1/1", "causes a connection error: GOAWAY, then the connection closes",
            "§5.4.1: after a connection error the endpoint sends GOAWAY and then closes the TCP connection") { p, s in
            p.send(rawFrame(PING, stream: 1, be32(0) + be32(0)))
            let result = p.expectConnectionError(.protocolError, since: s)
            guard result == .passed else { return result }
            p.drain(p.timeout)
            return p.closed ? .passed : .failed(expected: "the connection closed after GOAWAY", got: p.got(since: s))
        }
    }

    /// §5.5 Extending HTTP/2
    static func extensions(_ list: inout CaseList) {
        list.add("5.5/1", "sends an unknown extension frame on a stream",
            "§5.5: unknown frame types are ignored, on any stream") { p, s in
            p.send(rawFrame(0xfa, stream: 1, Array("ext".utf8)))
            return p.expectIgnored(since: s)
        }
        list.add("5.5/2", "sends an unknown extension frame in the middle of a header block",
            "§5.5, §6.10: even an unknown frame may not interrupt a field block: connection error PROTOCOL_ERROR") { p, s in
            let block = p.headerBlock(p.requestFields())
            p.send(rawFrame(HEADERS, flags: endStream, stream: 1, block))
            p.send(rawFrame(0xfa, stream: 1, Array("ext".utf8)))
            return p.expectConnectionError(.protocolError, since: s)
        }
    }

    static func streamsSecondPass(_ list: inout CaseList) {
        // The second pass (cases written after the first, kept after it so that no id or line of `check`'s
        // output moves): what must be accepted, and the remaining malformed forms.
        list.add("5.1/11", "open: sends HEADERS, then DATA with END_STREAM",
            "§5.1: an open stream takes DATA; END_STREAM half-closes it and the request is answered") { p, s in
            p.send(p.request(1, flags: endHeaders, method: "POST"))
            p.send(rawFrame(DATA, flags: endStream, stream: 1, Array("test".utf8)))
            return p.expectResponse(1, since: s)
        }
        for (id, kind, frame) in [("5.1/12", "WINDOW_UPDATE", rawFrame(WINDOW, stream: 1, be32(100))),
                                  ("5.1/13", "PRIORITY", rawFrame(PRIORITY, stream: 1, be32(0) + [15])),
                                  ("5.1/14", "RST_STREAM", rawFrame(RST, stream: 1, be32(8)))] {
            list.add(id, "half-closed (remote): sends \(kind)",
                "§5.1: a half-closed (remote) stream still takes \(kind); it is no error") { p, s in
                p.send(p.request(1))
                p.send(frame)
                return p.expectIgnored(since: s, "\(kind) to be accepted")
            }
        }
        for (id, kind, frame) in [("5.1/15", "WINDOW_UPDATE", rawFrame(WINDOW, stream: 1, be32(100))),
                                  ("5.1/16", "RST_STREAM", rawFrame(RST, stream: 1, be32(8))),
                                  ("5.1/17", "PRIORITY", rawFrame(PRIORITY, stream: 1, be32(0) + [15]))] {
            list.add(id, "closed: sends \(kind) just after the stream ended",
                "§5.1: \(kind) arriving shortly after a stream closed must be ignored") { p, s in
                p.send(p.request(1))
                _ = p.next { ($0.type == .data || $0.type == .headers) && $0.stream == 1 && $0.flags & endStream != 0 }
                p.send(frame)
                return p.expectIgnored(since: s, "\(kind) to be ignored")
            }
        }
        list.add("5.1.1/3", "reuses stream 1 after it closed",
            "§5.1.1: a stream identifier cannot be reused; a new HEADERS on a closed stream is an error STREAM_CLOSED or PROTOCOL_ERROR") { p, s in
            p.send(p.request(1))
            _ = p.next { ($0.type == .data || $0.type == .headers) && $0.stream == 1 && $0.flags & endStream != 0 }
            p.send(p.request(1))
            return p.expectStreamError(1, .streamClosed, .protocolError, since: s)
        }
    }
}
