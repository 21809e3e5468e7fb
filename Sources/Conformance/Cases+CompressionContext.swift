import Engine

/// RFC 9113 §4.3: the compression context belongs to the connection, so a receiver decodes every
/// field block whatever becomes of its stream ("A receiver MUST terminate the connection with a
/// connection error (Section 5.4.1) of type COMPRESSION_ERROR if it does not decompress a field
/// block"). Each case sends a block the server must refuse in some way (a stream error, a reset
/// stream, a refused stream) whose fields went into our encoder's dynamic table, then a request
/// whose block refers to those entries: it must be served. A server that answers the refusal with a
/// connection error (other than COMPRESSION_ERROR) instead passes too: §5.4.1 allows that, and it
/// keeps no context to lose.
extension Cases {
    /// A field our encoder adds to its dynamic table (RFC 7541 §6.2.1), for the next block to refer to.
    static let contextToken = HeaderField("x-h2lab-token", "inserted-by-a-refused-block")

    static func compressionContext(_ list: inout CaseList) {
        let rule = "§4.3: every field block is decoded whatever happens to its stream; a request using the dynamic-table entries "
            + "its block inserted is then served"
        list.add("4.3/4", "sends HEADERS depending on itself (§5.3.1), then a request using its block's table entries",
            rule + " (§5.3.1: the self-dependency is a stream error)") { p, s in
            let block = p.headerBlock(p.requestFields(path: "/", extra: [contextToken]))
            p.send(rawFrame(HEADERS, flags: endStream | endHeaders | priorityFlag, stream: 1, be32(1) + [15] + block))
            return p.expectServedAfterRefusal(1, then: 3, since: s)
        }
        list.add("4.3/5", "sends HEADERS depending on itself split over CONTINUATION, then a request using its entries",
            rule + " (§6.10: the block spans HEADERS and CONTINUATION)") { p, s in
            let block = p.headerBlock(p.requestFields(path: "/", extra: [contextToken]))
            p.send(rawFrame(HEADERS, flags: endStream | priorityFlag, stream: 1, be32(1) + [15] + Array(block.prefix(2)))
                   + rawFrame(CONTINUATION, flags: endHeaders, stream: 1, Array(block.dropFirst(2))))
            return p.expectServedAfterRefusal(1, then: 3, since: s)
        }
        list.add("4.3/6", "sends a malformed request (uppercase field name), then a request using its block's table entries",
            rule + " (§8.2.1: an uppercase field name makes the request malformed, a stream error)") { p, s in
            p.send(p.request(1, extra: [contextToken, HeaderField("X-Upper", "1")]))
            return p.expectServedAfterRefusal(1, then: 3, since: s)
        }
        list.add("4.3/7", "sends trailers without END_STREAM, then a request using the trailers' table entries",
            rule + " (§8.1: trailers must end the stream; without END_STREAM they are a stream error)") { p, s in
            p.send(p.request(1, flags: endHeaders, method: "POST"))
            p.send(rawFrame(HEADERS, flags: endHeaders, stream: 1, p.headerBlock([contextToken])))
            return p.expectServedAfterRefusal(1, then: 3, since: s)
        }
        list.add("4.3/8", "sends HEADERS on a stream the server reset, then a request using that block's table entries",
            rule + " (§5.1: frames on a stream the endpoint reset are ignored, their field blocks still decoded)") { p, s in
            p.send(p.request(1, flags: endHeaders, method: "POST", extra: [HeaderField("X-Upper", "1")]))
            // Waits for the reset, so that the second block surely arrives on a stream reset by the server.
            _ = p.next { ($0.type == .rstStream && $0.stream == 1) || $0.type == .goaway }
            p.send(rawFrame(HEADERS, flags: endStream | endHeaders, stream: 1, p.headerBlock([contextToken])))
            return p.expectServedAfterRefusal(1, then: 3, since: s, resetRequired: false)
        }
        list.add("4.3/9", "opens one stream beyond SETTINGS_MAX_CONCURRENT_STREAMS, then a request using its block's table entries",
            rule + " (§5.1.2: a stream beyond the limit is refused with a stream error)") { p, s in
            guard let limit = p.serverSettings.maxConcurrentStreams, limit <= 1_000 else { return .passed }
            var bytes: [UInt8] = []
            for i in 0..<Int(limit) { bytes += p.request(UInt32(2 * i + 1), flags: endHeaders, method: "POST") }
            let refused = UInt32(2 * Int(limit) + 1)
            bytes += p.request(refused, flags: endHeaders, method: "POST", extra: [contextToken])
            // Stream 1 is cancelled, so that a place is free for the next request whatever the server did.
            bytes += rawFrame(RST, stream: 1, be32(ErrorCode.cancel.rawValue))
            p.send(bytes, note: "HEADERS without END_STREAM on streams 1 to \(refused) (\(limit + 1) streams), RST_STREAM CANCEL on 1")
            return p.expectServedAfterRefusal(refused, then: refused + 2, since: s, resetRequired: false)
        }
    }
}

extension Probe {
    /// After a refused block on `refused`: sends GET / on `next` with `Cases.contextToken` (which
    /// our encoder has indexed by now, so the block refers to it) and expects a response. A
    /// COMPRESSION_ERROR is the failure this looks for; another connection error sent before the
    /// request arrived (GOAWAY's last stream below `next`) answered the refusal, which §5.4.1 allows.
    func expectServedAfterRefusal(_ refused: UInt32, then next: UInt32, since start: Int, resetRequired: Bool = true) -> Outcome {
        send(request(next, extra: [Cases.contextToken]))
        let answer = self.next(from: start) { ($0.type == .headers && $0.stream == next) || $0.type == .goaway
            || ($0.type == .rstStream && $0.stream == next) }
        if case .goaway(let last, let code, _)? = answer?.frame?.payload, code != .compressionError, last < next {
            return .passed
        }
        guard answer?.type == .headers else {
            return .failed(expected: "a response on stream \(next) (its block refers to entries the refused block on stream \(refused) inserted)",
                           got: got(since: start))
        }
        if resetRequired && !received.dropFirst(start).contains(where: { $0.type == .rstStream && $0.stream == refused }) {
            return .failed(expected: "RST_STREAM on stream \(refused)", got: got(since: start))
        }
        return .passed
    }
}
