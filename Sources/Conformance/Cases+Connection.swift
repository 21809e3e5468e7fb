import Engine

/// `check`'s cases for RFC 9113 §3 (Starting HTTP/2: the connection preface) and §4 (HTTP Frames: format, size, field
/// section compression).
extension Cases {
    static func connection(_ list: inout CaseList) {
        preface(&list)
        frameFormat(&list)
        frameSize(&list)
        fieldCompression(&list)
    }

    /// §3.4 The connection preface
    static func preface(_ list: inout CaseList) {
        list.add("3.4/1", "sends an invalid connection preface",
            "§3.4: a client connection preface that is not exactly the 24 octets PRI * HTTP/2.0… is a connection error PROTOCOL_ERROR",
            handshake: false) { p, s in
            p.send(Array("PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n".utf8) + rawFrame(SETTINGS, stream: 0))
            return p.expectConnectionError(.protocolError, since: s)
        }
    }

    /// §4.1 Frame format
    static func frameFormat(_ list: inout CaseList) {
        list.add("4.1/1", "sends a frame of an unknown type",
            "§4.1, §5.5: frames of unknown types must be ignored and discarded") { p, s in
            p.send(rawFrame(0x16, stream: 0, Array(repeating: 0, count: 8)))
            return p.expectIgnored(since: s)
        }
        list.add("4.1/2", "sends a PING with undefined flags set",
            "§4.1: flags a frame type does not define must be ignored; the PING is answered") { p, s in
            p.send(rawFrame(PING, flags: 0x16 & ~0x1, stream: 0, be32(0x6832) + be32(7)))
            let answer = p.next { $0.type == .ping || $0.type == .goaway }
            return answer?.type == .ping && answer?.flags ?? 0 & 1 == 1 ? .passed
                : .failed(expected: "PING ACK", got: p.got(since: s))
        }
        list.add("4.1/3", "sends a PING with the reserved bit of the stream identifier set",
            "§4.1: the reserved bit must be ignored when received; the PING (stream 0) is answered") { p, s in
            var frame = rawFrame(PING, stream: 0, be32(1) + be32(2))
            frame[5] |= 0x80
            p.send(frame)
            let answer = p.next { $0.type == .ping || $0.type == .goaway }
            return answer?.type == .ping ? .passed : .failed(expected: "PING ACK", got: p.got(since: s))
        }
    }

    /// §4.2 Frame size
    static func frameSize(_ list: inout CaseList) {
        list.add("4.2/1", "sends a DATA frame larger than SETTINGS_MAX_FRAME_SIZE on an open stream",
            "§4.2: a frame over SETTINGS_MAX_FRAME_SIZE is a FRAME_SIZE_ERROR (a stream error may be a connection error)") { p, s in
            let limit = Int(p.serverSettings.maxFrameSize)
            p.send(p.request(1, flags: endHeaders, method: "POST"))
            p.send(rawFrame(DATA, stream: 1, Array(repeating: 0x61, count: limit + 1)))
            return p.expectStreamError(1, .frameSizeError, since: s)
        }
        list.add("4.2/2", "sends a HEADERS frame larger than SETTINGS_MAX_FRAME_SIZE",
            "§4.2: an oversized frame that could change connection state (HEADERS) is a connection error FRAME_SIZE_ERROR") { p, s in
            let limit = Int(p.serverSettings.maxFrameSize)
            let big = HeaderField("x-big", String(repeating: "a", count: limit))
            var policy = EncoderPolicy()
            policy.huffman = .never
            p.encoder.policy = policy
            p.send(p.request(1, extra: [big]))
            return p.expectConnectionError(.frameSizeError, since: s)
        }
    }

    /// §4.3 Field section compression and decompression
    static func fieldCompression(_ list: inout CaseList) {
        list.add("4.3/1", "sends a header block that cannot be decoded",
            "§4.3: a field block that fails to decompress is a connection error COMPRESSION_ERROR") { p, s in
            p.send(rawFrame(HEADERS, flags: endStream | endHeaders, stream: 1, [0x82, 0x84, 0x86, 0xff, 0xff, 0xff, 0xff, 0xff]))
            return p.expectConnectionError(.compressionError, since: s)
        }
        list.add("4.3/2", "sends a PRIORITY frame between HEADERS and its CONTINUATION",
            "§4.3, §6.10: a field block is contiguous; any other frame before it ends is a connection error PROTOCOL_ERROR") { p, s in
            let block = p.headerBlock(p.requestFields())
            p.send(rawFrame(HEADERS, flags: endStream, stream: 1, Array(block.prefix(2))))
            p.send(rawFrame(PRIORITY, stream: 1, be32(0) + [15]))
            p.send(rawFrame(CONTINUATION, flags: endHeaders, stream: 1, Array(block.dropFirst(2))))
            return p.expectConnectionError(.protocolError, since: s)
        }
        list.add("4.3/3", "sends HEADERS on another stream while a header block is unfinished",
            "§4.3: a field block must be contiguous on its stream; interleaving is a connection error PROTOCOL_ERROR") { p, s in
            let block = p.headerBlock(p.requestFields())
            p.send(rawFrame(HEADERS, flags: endStream, stream: 1, block))
            p.send(p.request(3))
            return p.expectConnectionError(.protocolError, since: s)
        }
    }

    static func connectionSecondPass(_ list: inout CaseList) {
        // The second pass (cases written after the first, kept after it so that no id or line of `check`'s
        // output moves): what must be accepted, and the remaining malformed forms.
        list.add("3.4/2", "sends the preface, then PING instead of SETTINGS",
            "§3.4: the client preface must be followed by a SETTINGS frame; anything else first is a connection error PROTOCOL_ERROR",
            handshake: false) { p, s in
            p.send(connectionPreface, note: "connection preface")
            p.send(rawFrame(PING, stream: 0, Array("h2lab!!!".utf8)))
            return p.expectConnectionError(.protocolError, since: s)
        }
        list.add("4.2/3", "sends a SETTINGS frame larger than SETTINGS_MAX_FRAME_SIZE",
            "§4.2: an oversized SETTINGS (it changes connection state) is a connection error FRAME_SIZE_ERROR") { p, s in
            let count = Int(p.serverSettings.maxFrameSize) / 6 + 1
            p.send(rawFrame(SETTINGS, stream: 0, (0..<count).flatMap { _ in setting(3, 100) }))
            return p.expectConnectionError(.frameSizeError, since: s)
        }
    }
}
