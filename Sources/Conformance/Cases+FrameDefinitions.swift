import Engine

/// `check`'s cases for RFC 9113 §6 (Frame Definitions): DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PING, GOAWAY,
/// WINDOW_UPDATE, CONTINUATION, each frame's rules.
extension Cases {
    static func frameDefinitions(_ list: inout CaseList) {
        dataFrames(&list)
        headersFrames(&list)
        priorityFrames(&list)
        resetFrames(&list)
        settingsFrames(&list)
        pingFrames(&list)
        goawayFrames(&list)
        windowUpdateFrames(&list)
        continuationFrames(&list)
    }

    /// §6.1 DATA
    static func dataFrames(_ list: inout CaseList) {
        list.add("6.1/1", "sends DATA on stream 0",
            "§6.1: DATA must be on a stream; on stream 0 it is a connection error PROTOCOL_ERROR") { p, s in
            p.send(rawFrame(DATA, flags: endStream, stream: 0, Array("test".utf8)))
            return p.expectConnectionError(.protocolError, since: s)
        }
        list.add("6.1/2", "sends DATA whose pad length is not less than its payload",
            "§6.1: padding as long as the payload or longer is a connection error PROTOCOL_ERROR") { p, s in
            p.send(p.request(1, flags: endHeaders, method: "POST"))
            p.send(rawFrame(DATA, flags: endStream | padded, stream: 1, [6] + Array("test".utf8)))
            return p.expectConnectionError(.protocolError, since: s)
        }
        list.add("6.1/3", "sends DATA on a half-closed (remote) stream",
            "§6.1: DATA on a stream that is not open or half-closed (local) is a stream error STREAM_CLOSED") { p, s in
            p.send(p.request(1))
            p.send(rawFrame(DATA, stream: 1, Array("x".utf8)))
            return p.expectStreamError(1, .streamClosed, since: s)
        }
    }

    /// §6.2 HEADERS
    static func headersFrames(_ list: inout CaseList) {
        list.add("6.2/1", "sends HEADERS without END_HEADERS, then DATA on the stream",
            "§6.2: a HEADERS without END_HEADERS must be followed by CONTINUATION; anything else is a connection error PROTOCOL_ERROR") { p, s in
            p.send(rawFrame(HEADERS, stream: 1, p.headerBlock(p.requestFields(method: "POST"))))
            p.send(rawFrame(DATA, flags: endStream, stream: 1, Array("test".utf8)))
            return p.expectConnectionError(.protocolError, since: s)
        }
        list.add("6.2/2", "sends HEADERS on stream 0",
            "§6.2: HEADERS on stream 0 is a connection error PROTOCOL_ERROR") { p, s in
            p.send(p.request(0))
            return p.expectConnectionError(.protocolError, since: s)
        }
        list.add("6.2/3", "sends HEADERS whose pad length is not less than its payload",
            "§6.2: padding that fills the payload or more is a connection error PROTOCOL_ERROR") { p, s in
            let block = p.headerBlock(p.requestFields())
            p.send(rawFrame(HEADERS, flags: endStream | endHeaders | padded, stream: 1, [UInt8(block.count + 1)] + block))
            return p.expectConnectionError(.protocolError, since: s)
        }
    }

    /// §6.3 PRIORITY
    static func priorityFrames(_ list: inout CaseList) {
        list.add("6.3/1", "sends PRIORITY on stream 0",
            "§6.3: PRIORITY on stream 0 is a connection error PROTOCOL_ERROR") { p, s in
            p.send(rawFrame(PRIORITY, stream: 0, be32(1) + [15]))
            return p.expectConnectionError(.protocolError, since: s)
        }
        list.add("6.3/2", "sends PRIORITY with 4 octets instead of 5",
            "§6.3: a PRIORITY frame of any length but 5 is a stream error FRAME_SIZE_ERROR") { p, s in
            p.send(rawFrame(PRIORITY, stream: 1, be32(3)))
            return p.expectStreamError(1, .frameSizeError, since: s)
        }
        list.add("6.3/3", "sends PRIORITY on an idle stream",
            "§6.3, §5.1: PRIORITY may be sent on a stream in any state, idle included; it changes no state") { p, s in
            p.send(rawFrame(PRIORITY, stream: 9, be32(0) + [15]))
            return p.expectIgnored(since: s, "PRIORITY to be accepted")
        }
    }

    /// §6.4 RST_STREAM
    static func resetFrames(_ list: inout CaseList) {
        list.add("6.4/1", "sends RST_STREAM on stream 0",
            "§6.4: RST_STREAM on stream 0 is a connection error PROTOCOL_ERROR") { p, s in
            p.send(rawFrame(RST, stream: 0, be32(8)))
            return p.expectConnectionError(.protocolError, since: s)
        }
        list.add("6.4/2", "sends RST_STREAM with 3 octets instead of 4",
            "§6.4: an RST_STREAM of any length but 4 is a connection error FRAME_SIZE_ERROR") { p, s in
            p.send(p.request(1, flags: endHeaders, method: "POST"))
            p.send(rawFrame(RST, stream: 1, [0, 0, 8]))
            return p.expectConnectionError(.frameSizeError, since: s)
        }
    }

    /// §6.5 SETTINGS
    static func settingsFrames(_ list: inout CaseList) {
        list.add("6.5/1", "sends SETTINGS with ACK and a payload",
            "§6.5: a SETTINGS ACK with a payload is a connection error FRAME_SIZE_ERROR") { p, s in
            p.send(rawFrame(SETTINGS, flags: 0x1, stream: 0, setting(3, 100)))
            return p.expectConnectionError(.frameSizeError, since: s)
        }
        list.add("6.5/2", "sends SETTINGS on stream 1",
            "§6.5: SETTINGS apply to the connection; on a stream it is a connection error PROTOCOL_ERROR") { p, s in
            p.send(rawFrame(SETTINGS, stream: 1, setting(3, 100)))
            return p.expectConnectionError(.protocolError, since: s)
        }
        list.add("6.5/3", "sends SETTINGS of 3 octets",
            "§6.5: a SETTINGS payload that is not a multiple of 6 octets is a connection error FRAME_SIZE_ERROR") { p, s in
            p.send(rawFrame(SETTINGS, stream: 0, [0, 3, 0]))
            return p.expectConnectionError(.frameSizeError, since: s)
        }
        list.add("6.5.2/1", "sends SETTINGS_ENABLE_PUSH of 2",
            "§6.5.2: SETTINGS_ENABLE_PUSH other than 0 or 1 is a connection error PROTOCOL_ERROR") { p, s in
            p.send(rawFrame(SETTINGS, stream: 0, setting(2, 2)))
            return p.expectConnectionError(.protocolError, since: s)
        }
        list.add("6.5.2/2", "sends SETTINGS_INITIAL_WINDOW_SIZE of 2^31",
            "§6.5.2: an initial window size above 2^31-1 is a connection error FLOW_CONTROL_ERROR") { p, s in
            p.send(rawFrame(SETTINGS, stream: 0, setting(4, 0x8000_0000)))
            return p.expectConnectionError(.flowControlError, since: s)
        }
        list.add("6.5.2/3", "sends SETTINGS_MAX_FRAME_SIZE of 16 383",
            "§6.5.2: a maximum frame size below 2^14 is a connection error PROTOCOL_ERROR") { p, s in
            p.send(rawFrame(SETTINGS, stream: 0, setting(5, 16_383)))
            return p.expectConnectionError(.protocolError, since: s)
        }
        list.add("6.5.2/4", "sends SETTINGS_MAX_FRAME_SIZE of 2^24",
            "§6.5.2: a maximum frame size above 2^24-1 is a connection error PROTOCOL_ERROR") { p, s in
            p.send(rawFrame(SETTINGS, stream: 0, setting(5, 1 << 24)))
            return p.expectConnectionError(.protocolError, since: s)
        }
        list.add("6.5.2/5", "sends a SETTINGS parameter of an unknown identifier",
            "§6.5.2: unknown settings must be ignored; the SETTINGS is acknowledged") { p, s in
            p.send(rawFrame(SETTINGS, stream: 0, setting(0xff, 1)))
            let answer = p.next { ($0.type == .settings && $0.flags & 1 != 0) || $0.type == .goaway }
            return answer?.type == .settings ? .passed : .failed(expected: "SETTINGS ACK", got: p.got(since: s))
        }
        list.add("6.5.3/1", "sends SETTINGS and waits for the acknowledgement",
            "§6.5.3: a SETTINGS frame is applied and acknowledged with SETTINGS ACK as soon as possible") { p, s in
            p.send(rawFrame(SETTINGS, stream: 0, setting(3, 100) + setting(4, 65_535)))
            let answer = p.next { ($0.type == .settings && $0.flags & 1 != 0) || $0.type == .goaway }
            return answer?.type == .settings ? .passed : .failed(expected: "SETTINGS ACK", got: p.got(since: s))
        }
    }

    /// §6.7 PING
    static func pingFrames(_ list: inout CaseList) {
        list.add("6.7/1", "sends PING",
            "§6.7: a PING without ACK is answered by a PING with ACK and the same 8 octets") { p, s in
            p.send(rawFrame(PING, stream: 0, Array("h2lab!!!".utf8)))
            let answer = p.next { $0.type == .ping || $0.type == .goaway }
            return answer?.type == .ping && answer?.payload == Array("h2lab!!!".utf8) && (answer?.flags ?? 0) & 1 == 1 ? .passed
                : .failed(expected: "PING ACK carrying \"h2lab!!!\"", got: p.got(since: s))
        }
        list.add("6.7/2", "sends a PING with ACK, then a PING",
            "§6.7: a PING ACK must not be answered; only the second PING is") { p, s in
            p.send(rawFrame(PING, flags: 0x1, stream: 0, Array("unasked!".utf8)))
            p.send(rawFrame(PING, stream: 0, Array("answered".utf8)))
            let answer = p.next { $0.type == .ping || $0.type == .goaway }
            return answer?.payload == Array("answered".utf8) ? .passed
                : .failed(expected: "only a PING ACK carrying \"answered\"", got: p.got(since: s))
        }
        list.add("6.7/3", "sends PING on stream 1",
            "§6.7: PING belongs to the connection; on a stream it is a connection error PROTOCOL_ERROR") { p, s in
            p.send(rawFrame(PING, stream: 1, Array("h2lab!!!".utf8)))
            return p.expectConnectionError(.protocolError, since: s)
        }
        list.add("6.7/4", "sends PING of 6 octets",
            "§6.7: a PING of any length but 8 is a connection error FRAME_SIZE_ERROR") { p, s in
            p.send(rawFrame(PING, stream: 0, Array("h2lab!".utf8)))
            return p.expectConnectionError(.frameSizeError, since: s)
        }
    }

    /// §6.8 GOAWAY
    static func goawayFrames(_ list: inout CaseList) {
        list.add("6.8/1", "sends GOAWAY on stream 1",
            "§6.8: GOAWAY belongs to the connection; on a stream it is a connection error PROTOCOL_ERROR") { p, s in
            p.send(rawFrame(GOAWAY, stream: 1, be32(0) + be32(0)))
            return p.expectConnectionError(.protocolError, since: s)
        }
    }

    /// §6.9 WINDOW_UPDATE
    static func windowUpdateFrames(_ list: inout CaseList) {
        list.add("6.9/1", "sends WINDOW_UPDATE of 0 on the connection",
            "§6.9: an increment of 0 for the connection is a connection error PROTOCOL_ERROR") { p, s in
            p.send(rawFrame(WINDOW, stream: 0, be32(0)))
            return p.expectConnectionError(.protocolError, since: s)
        }
        list.add("6.9/2", "sends WINDOW_UPDATE of 0 on an open stream",
            "§6.9: an increment of 0 for a stream is a stream error PROTOCOL_ERROR", settings: holdOpen) { p, s in
            p.send(p.request(1, flags: endHeaders, method: "POST"))
            p.send(rawFrame(WINDOW, stream: 1, be32(0)))
            return p.expectStreamError(1, .protocolError, since: s)
        }
        list.add("6.9/3", "sends WINDOW_UPDATE of 3 octets",
            "§6.9: a WINDOW_UPDATE of any length but 4 is a connection error FRAME_SIZE_ERROR") { p, s in
            p.send(rawFrame(WINDOW, stream: 0, [0, 0, 1]))
            return p.expectConnectionError(.frameSizeError, since: s)
        }
        list.add("6.9.1/1", "grows the connection window past 2^31-1",
            "§6.9.1: a window beyond 2^31-1 octets is a connection error FLOW_CONTROL_ERROR (for the connection)") { p, s in
            p.send(rawFrame(WINDOW, stream: 0, be32(0x7fff_ffff)) + rawFrame(WINDOW, stream: 0, be32(0x7fff_ffff)))
            return p.expectConnectionError(.flowControlError, since: s)
        }
        list.add("6.9.1/2", "grows a stream's window past 2^31-1",
            "§6.9.1: a stream window beyond 2^31-1 is a stream error FLOW_CONTROL_ERROR") { p, s in
            p.send(p.request(1, flags: endHeaders, method: "POST"))
            p.send(rawFrame(WINDOW, stream: 1, be32(0x7fff_ffff)) + rawFrame(WINDOW, stream: 1, be32(0x7fff_ffff)))
            return p.expectStreamError(1, .flowControlError, since: s)
        }
        list.add("6.9.2/1", "raises SETTINGS_INITIAL_WINDOW_SIZE past what an open stream's window can hold",
            "§6.9.2: a change of SETTINGS_INITIAL_WINDOW_SIZE that takes a window past 2^31-1 is a connection error FLOW_CONTROL_ERROR",
            settings: holdOpen) { p, s in
            // From an initial window of 0, the stream's window is raised to 2^31-1 - 65 536, then the
            // initial window to 2^31-1: past the limit by far more than any response the server may
            // have sent on it meanwhile (a window it spent would otherwise keep it under).
            p.send(p.request(1, flags: endHeaders, method: "POST"))
            p.send(rawFrame(WINDOW, stream: 1, be32(0x7fff_ffff - 65_536)))
            p.send(rawFrame(SETTINGS, stream: 0, setting(4, 0x7fff_ffff)))
            let outcome = p.expectConnectionError(.flowControlError, since: s)
            if outcome != .passed, let reset = p.serverReset(1, since: s, before: nil) {
                return .inconclusive(why: "the server \(reset) before the SETTINGS arrived: a closed stream has no window to overflow",
                                     got: p.got(since: s))
            }
            return outcome
        }
        list.add("6.9.2/2", "sets SETTINGS_INITIAL_WINDOW_SIZE to 1, then requests",
            "§6.9.2: the initial window applies to new streams: the response comes in DATA frames of at most 1 octet",
            settings: [Setting(.initialWindowSize, 1)]) { p, s in
            p.send(p.request(1, path: "/"))
            let data = p.next { ($0.type == .data && $0.stream == 1 && !$0.payload.isEmpty) || $0.type == .goaway || $0.type == .rstStream }
            guard let data, data.type == .data else {
                return .failed(expected: "DATA of 1 octet on stream 1", got: p.got(since: s))
            }
            let length = data.payload.count - (data.flags & padded != 0 ? 1 + Int(data.payload.first ?? 0) : 0)
            return length <= 1 ? .passed : .failed(expected: "DATA of at most 1 octet", got: "DATA of \(length) octets")
        }
    }

    /// §6.10 CONTINUATION
    static func continuationFrames(_ list: inout CaseList) {
        list.add("6.10/1", "sends HEADERS and one CONTINUATION",
            "§6.10: a field block may continue in CONTINUATION frames; the request is answered") { p, s in
            let block = p.headerBlock(p.requestFields())
            p.send(rawFrame(HEADERS, flags: endStream, stream: 1, Array(block.prefix(3))))
            p.send(rawFrame(CONTINUATION, flags: endHeaders, stream: 1, Array(block.dropFirst(3))))
            return p.expectResponse(1, since: s)
        }
        list.add("6.10/2", "sends HEADERS and two CONTINUATIONs",
            "§6.10: any number of CONTINUATION frames may follow; the request is answered") { p, s in
            let block = p.headerBlock(p.requestFields())
            p.send(rawFrame(HEADERS, flags: endStream, stream: 1, Array(block.prefix(2))))
            p.send(rawFrame(CONTINUATION, stream: 1, Array(block.dropFirst(2).prefix(2))))
            p.send(rawFrame(CONTINUATION, flags: endHeaders, stream: 1, Array(block.dropFirst(4))))
            return p.expectResponse(1, since: s)
        }
        list.add("6.10/3", "sends CONTINUATION after a HEADERS that had END_HEADERS",
            "§6.10: CONTINUATION must follow a frame without END_HEADERS; otherwise it is a connection error PROTOCOL_ERROR") { p, s in
            p.send(p.request(1, flags: endHeaders, method: "POST"))
            p.send(rawFrame(CONTINUATION, flags: endHeaders, stream: 1, p.headerBlock([HeaderField("x-more", "1")])))
            return p.expectConnectionError(.protocolError, since: s)
        }
        list.add("6.10/4", "sends CONTINUATION on stream 0",
            "§6.10: CONTINUATION on stream 0 is a connection error PROTOCOL_ERROR") { p, s in
            let block = p.headerBlock(p.requestFields())
            p.send(rawFrame(HEADERS, flags: endStream, stream: 1, Array(block.prefix(2))))
            p.send(rawFrame(CONTINUATION, flags: endHeaders, stream: 0, Array(block.dropFirst(2))))
            return p.expectConnectionError(.protocolError, since: s)
        }
        list.add("6.10/5", "sends CONTINUATION on a different stream",
            "§6.10: CONTINUATION must be on the stream of the block it continues; otherwise a connection error PROTOCOL_ERROR") { p, s in
            let block = p.headerBlock(p.requestFields())
            p.send(rawFrame(HEADERS, flags: endStream, stream: 1, Array(block.prefix(2))))
            p.send(rawFrame(CONTINUATION, flags: endHeaders, stream: 3, Array(block.dropFirst(2))))
            return p.expectConnectionError(.protocolError, since: s)
        }
    }

    static func frameDefinitionsSecondPass(_ list: inout CaseList) {
        // The second pass (cases written after the first, kept after it so that no id or line of `check`'s
        // output moves): what must be accepted, and the remaining malformed forms.
        streamFramesSecondPass(&list)
        settingsAndPingSecondPass(&list)
        flowControlAndContinuationSecondPass(&list)
    }

    /// §6.1-§6.4, second pass: padded DATA and HEADERS, priorities and resets that must be accepted, and their malformed forms.
    static func streamFramesSecondPass(_ list: inout CaseList) {
        list.add("6.1/4", "sends padded DATA",
            "§6.1: DATA may be padded; the padding is discarded and the request answered") { p, s in
            p.send(p.request(1, flags: endHeaders, method: "POST"))
            p.send(rawFrame(DATA, flags: endStream | padded, stream: 1, [4] + Array("test".utf8) + [0, 0, 0, 0]))
            return p.expectResponse(1, since: s)
        }
        list.add("6.2/4", "sends padded HEADERS",
            "§6.2: HEADERS may be padded; the request is answered") { p, s in
            let block = p.headerBlock(p.requestFields())
            p.send(rawFrame(HEADERS, flags: endStream | endHeaders | padded, stream: 1, [3] + block + [0, 0, 0]))
            return p.expectResponse(1, since: s)
        }
        list.add("6.2/5", "sends HEADERS with priority fields",
            "§6.2: the PRIORITY flag adds 5 octets of priority before the block; the request is answered") { p, s in
            let block = p.headerBlock(p.requestFields())
            p.send(rawFrame(HEADERS, flags: endStream | endHeaders | priorityFlag, stream: 1, be32(0) + [15] + block))
            return p.expectResponse(1, since: s)
        }
        list.add("6.3/4", "sends PRIORITY on an open stream",
            "§6.3: PRIORITY on an open stream changes nothing the server must answer") { p, s in
            p.send(p.request(1, flags: endHeaders, method: "POST"))
            p.send(rawFrame(PRIORITY, stream: 1, be32(0) + [200]))
            return p.expectIgnored(since: s, "PRIORITY to be accepted")
        }
        list.add("6.3/5", "sends PRIORITY making one request depend on another",
            "§6.3: a dependency on another stream is accepted (RFC 9113 deprecates the scheme, not the frame)") { p, s in
            p.send(p.request(1, flags: endHeaders, method: "POST"))
            p.send(p.request(3, flags: endHeaders, method: "POST"))
            p.send(rawFrame(PRIORITY, stream: 3, be32(1) + [15]))
            return p.expectIgnored(since: s, "PRIORITY to be accepted")
        }
        list.add("6.4/3", "sends RST_STREAM with 5 octets",
            "§6.4: an RST_STREAM of any length but 4 is a connection error FRAME_SIZE_ERROR") { p, s in
            p.send(p.request(1, flags: endHeaders, method: "POST"))
            p.send(rawFrame(RST, stream: 1, [0, 0, 0, 8, 0]))
            return p.expectConnectionError(.frameSizeError, since: s)
        }
        list.add("6.4/4", "sends RST_STREAM on an open stream",
            "§6.4: RST_STREAM closes the stream at once; the server sends nothing more on it, and no error") { p, s in
            p.send(p.request(1, flags: endHeaders, method: "POST"))
            p.send(rawFrame(RST, stream: 1, be32(8)))
            return p.expectIgnored(since: s, "the reset to be accepted")
        }
    }

    /// §6.5-§6.7, second pass: settings in range applied and acknowledged, malformed SETTINGS and PING.
    static func settingsAndPingSecondPass(_ list: inout CaseList) {
        list.add("6.5/4", "sends SETTINGS of 7 octets",
            "§6.5: a SETTINGS payload that is not a multiple of 6 is a connection error FRAME_SIZE_ERROR") { p, s in
            p.send(rawFrame(SETTINGS, stream: 0, setting(3, 100) + [0]))
            return p.expectConnectionError(.frameSizeError, since: s)
        }
        list.add("6.5/5", "sends SETTINGS with no parameters",
            "§6.5: an empty SETTINGS is valid and acknowledged") { p, s in
            p.send(rawFrame(SETTINGS, stream: 0))
            let answer = p.next { ($0.type == .settings && $0.flags & 1 != 0) || $0.type == .goaway }
            return answer?.type == .settings ? .passed : .failed(expected: "SETTINGS ACK", got: p.got(since: s))
        }
        let accepted: [(String, String, UInt16, UInt32)] = [
            ("6.5.2/6", "SETTINGS_ENABLE_PUSH of 1", 2, 1), ("6.5.2/7", "SETTINGS_MAX_CONCURRENT_STREAMS of 0", 3, 0),
            ("6.5.2/8", "SETTINGS_INITIAL_WINDOW_SIZE of 2^31-1", 4, 0x7fff_ffff),
            ("6.5.2/9", "SETTINGS_MAX_FRAME_SIZE of 2^24-1", 5, 0xff_ffff),
            ("6.5.2/10", "SETTINGS_MAX_HEADER_LIST_SIZE of 1 000", 6, 1_000), ("6.5.2/11", "SETTINGS_HEADER_TABLE_SIZE of 0", 1, 0),
        ]
        for (caseID, what, id, value) in accepted {
            list.add(caseID, "sends \(what)",
                "§6.5.2: \(what) is within the setting's range: applied and acknowledged") { p, s in
                p.send(rawFrame(SETTINGS, stream: 0, setting(id, value)))
                let answer = p.next { ($0.type == .settings && $0.flags & 1 != 0) || $0.type == .goaway }
                return answer?.type == .settings ? .passed : .failed(expected: "SETTINGS ACK", got: p.got(since: s))
            }
        }
        list.add("6.5.2/12", "sets SETTINGS_HEADER_TABLE_SIZE to 0, then requests",
            "§6.5.2, RFC 7541 §4.2: the server's encoder must keep to a table of 0 octets; the response decodes without it",
            settings: [Setting(.headerTableSize, 0)]) { p, s in
            p.send(p.request(1))
            guard let answer = p.next(where: { ($0.type == .headers && $0.stream == 1) || $0.type == .goaway }),
                  case .headers(let block, _)? = answer.frame?.payload else {
                return .failed(expected: "a response on stream 1", got: p.got(since: s))
            }
            var strict = HPACKDecoder(tableSize: 0)
            do {
                _ = try strict.decode(block)
                return .passed
            } catch {
                return .failed(expected: "a response that decodes with a 0-octet table", got: "\(error)")
            }
        }
        list.add("6.7/5", "sends PING of 9 octets",
            "§6.7: a PING of any length but 8 is a connection error FRAME_SIZE_ERROR") { p, s in
            p.send(rawFrame(PING, stream: 0, Array("h2lab!!!!".utf8)))
            return p.expectConnectionError(.frameSizeError, since: s)
        }
    }

    /// §6.9-§6.10, second pass: WINDOW_UPDATE and the windows, CONTINUATION.
    static func flowControlAndContinuationSecondPass(_ list: inout CaseList) {
        list.add("6.9/4", "sends WINDOW_UPDATE of 5 octets",
            "§6.9: a WINDOW_UPDATE of any length but 4 is a connection error FRAME_SIZE_ERROR") { p, s in
            p.send(rawFrame(WINDOW, stream: 0, [0, 0, 0, 1, 0]))
            return p.expectConnectionError(.frameSizeError, since: s)
        }
        list.add("6.9/5", "sends WINDOW_UPDATE on a half-closed (remote) stream",
            "§6.9: WINDOW_UPDATE may arrive on a half-closed (remote) stream; it is no error") { p, s in
            p.send(p.request(1))
            p.send(rawFrame(WINDOW, stream: 1, be32(1_000)))
            return p.expectIgnored(since: s, "WINDOW_UPDATE to be accepted")
        }
        list.add("6.9/6", "sends WINDOW_UPDATE with the reserved bit set",
            "§6.9: the reserved bit of the increment is ignored; an increment of 1 is valid") { p, s in
            p.send(rawFrame(WINDOW, stream: 0, be32(0x8000_0001)))
            return p.expectIgnored(since: s, "WINDOW_UPDATE to be accepted")
        }
        list.add("6.9.1/3", "sets SETTINGS_INITIAL_WINDOW_SIZE to 0, requests, then opens the window",
            "§6.9.1: a sender must not exceed the window: no DATA until WINDOW_UPDATE, then the response body",
            settings: [Setting(.initialWindowSize, 0)]) { p, s in
            p.send(p.request(1))
            _ = p.next(within: 0.3) { $0.type == .data && $0.stream == 1 && !$0.payload.isEmpty }
            if p.received.dropFirst(s).contains(where: { $0.type == .data && $0.stream == 1 && !$0.payload.isEmpty }) {
                return .failed(expected: "no DATA while the stream window is 0", got: p.got(since: s))
            }
            p.send(rawFrame(WINDOW, stream: 1, be32(100_000)))
            let data = p.next { ($0.type == .data && $0.stream == 1) || $0.type == .goaway }
            return data?.type == .data ? .passed : .failed(expected: "DATA once the window opened", got: p.got(since: s))
        }
        list.add("6.10/6", "sends a CONTINUATION of 0 octets that ends the block",
            "§6.10: a CONTINUATION may be empty; END_HEADERS ends the block and the request is answered") { p, s in
            p.send(rawFrame(HEADERS, flags: endStream, stream: 1, p.headerBlock(p.requestFields())))
            p.send(rawFrame(CONTINUATION, flags: endHeaders, stream: 1))
            return p.expectResponse(1, since: s)
        }
        list.add("6.10/7", "sends HEADERS without END_HEADERS, then HEADERS on the same stream",
            "§6.10: only CONTINUATION may follow an unfinished field block: connection error PROTOCOL_ERROR") { p, s in
            p.send(rawFrame(HEADERS, flags: endStream, stream: 1, p.headerBlock(p.requestFields())))
            p.send(p.request(1))
            return p.expectConnectionError(.protocolError, since: s)
        }
    }
}
