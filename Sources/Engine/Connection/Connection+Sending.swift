/// Sending: the request/response API for drivers, and the flow-controlled DATA scheduler.
extension Connection {
    /// Opens a stream with a request. A body is sent as DATA, paced by flow control.
    @discardableResult
    public mutating func sendRequest(
        _ headers: [HeaderField], body: [UInt8] = [], endStream: Bool = true, policies: [EncoderPolicy?] = []
    ) throws(UsageError) -> (stream: UInt32, events: [Event]) {
        guard role == .client else { throw UsageError("only a client sends requests; a server answers them") }
        let id = try openLocalStream()
        var events: [Event] = []
        var stream = newStream(id)
        stream.requestHeaders = headers
        stream.isResponseToHead = headers.contains { $0.name == ":method" && $0.value == "HEAD" }
        stream.priority = Priority.of(request: headers)
        // :method wherever it stands among the pseudo-headers (§8.3 sets no order).
        let connect = headers.contains { $0.name == ":method" && $0.value == "CONNECT" }
        if connect, let proto = Self.extendedConnectProtocol(headers) {
            // RFC 8441 §4: only once the server has offered it.
            guard remoteSettings.enableConnectProtocol else {
                throw UsageError("the server has not sent SETTINGS_ENABLE_CONNECT_PROTOCOL=1: no extended CONNECT (RFC 8441 §4)")
            }
            stream.tunnelProtocol = proto
        }
        highestLocalStreamID = id
        transition(&stream, .headers(.sent), into: &events)
        streams[id] = stream
        emitHeaders(id, headers, kind: .request, endStream: body.isEmpty && endStream && !connect, policies: policies, into: &events)
        if !body.isEmpty && HTTPSemantics.expectsContinue(headers) {
            // RFC 9110 §10.1.1: the client waits for 100 (Continue), or a final status, before
            // sending the content; this client waits without a timer (a driver may send anyway).
            streams.update(id) { $0.awaitingContinue = true }
            events.append(.continueAwaited(stream: id, pending: body.count))
        }
        if !body.isEmpty { queueData(id, body, endStream: endStream, into: &events) }
        pruneClosedStreams()
        return (id, events)
    }

    func openLocalStream() throws(UsageError) -> UInt32 {
        if isClosed { throw UsageError("the connection is closed") }
        if let goaway = goawayReceived { throw UsageError("the peer sent GOAWAY (last stream \(goaway.lastStreamID)): no new streams") }
        if goawaySent != nil { throw UsageError("this endpoint sent GOAWAY: no new streams") }
        if let limit = remoteSettings.maxConcurrentStreams, activeStreams(openedByPeer: false) >= Int(limit) {
            throw UsageError("the peer allows \(limit) concurrent streams and all are in use (§5.1.2)")
        }
        let id = highestLocalStreamID == 0 ? (role == .client ? 1 : 2) : highestLocalStreamID + 2
        guard id <= 0x7fff_ffff else { throw UsageError("stream identifiers are exhausted (§5.1.1): open a new connection") }
        return id
    }

    /// Sends a response (or informational response, or trailers) on a stream the peer opened.
    @discardableResult
    public mutating func sendResponse(
        _ id: UInt32, _ headers: [HeaderField], body: [UInt8] = [], trailers: [HeaderField]? = nil,
        policies: [EncoderPolicy?] = []
    ) throws(UsageError) -> [Event] {
        // Only the state is read here: a copy of the record held across the writes below would
        // make each of them copy the record's header lists first.
        guard let current = streams.read(id, { $0.state }), current.canSend else {
            throw UsageError("stream \(id) is \(state(of: id)): no response can be sent on it")
        }
        var events: [Event] = []
        // A response's HEADERS, DATA and transitions in one allocation; without progress reports
        // (a server) there are seldom any events at all, and no allocation is made for none.
        if configuration.reportsProgress { events.reserveCapacity(8) }
        if current == .reservedLocal {
            withStream(id) { connection, reserved in connection.transition(&reserved, .headers(.sent), into: &events) }
        }
        let status = headers.first { $0.name == ":status" }?.value
        let informational = status.map(HTTPSemantics.isInformational(status:)) ?? false
        if let problem = Self.interimProblem(status: status, informational: informational, on: id, streams: streams) {
            throw UsageError(problem)
        }
        let endNow = body.isEmpty && trailers == nil && !informational
        if informational {
            streams.update(id) { $0.informationalHeaders.append(headers) }
        } else {
            streams.update(id) { $0.responseHeaders = headers }
        }
        emitHeaders(id, headers, kind: informational ? .informational : .response, endStream: endNow, policies: policies, into: &events)
        if !body.isEmpty || trailers != nil {
            if let trailers { streams.update(id) { $0.pendingTrailers = trailers } }
            queueData(id, body, endStream: true, into: &events)
        }
        return events
    }

    /// Why a response header section may not be sent now (§8.1, §8.6), nil if it may: after the
    /// final response only the trailer section may follow (a HEADERS with END_STREAM), and 101 has
    /// no meaning in HTTP/2.
    static func interimProblem(status: String?, informational: Bool, on id: UInt32, streams: StreamTable) -> String? {
        if status == "101" { return "HTTP/2 has no 101 (Switching Protocols) (§8.6)" }
        guard let final = streams.read(id, { $0.status }) ?? nil else { return nil }
        return "stream \(id) already has its final response (\(final)); "
            + (informational ? "an interim (1xx) response comes before it (§8.1)"
                             : "a HEADERS after it is the trailer section and must carry END_STREAM (§8.1): use --trailers")
    }

    /// Sends a response's HEADERS without END_STREAM, for a body that follows over time with
    /// `sendData` (a stream of server-sent events, say).
    @discardableResult
    public mutating func sendResponseHead(_ id: UInt32, _ headers: [HeaderField]) throws(UsageError) -> [Event] {
        guard streams.read(id, { $0.state == .open || $0.state == .halfClosedRemote }) == true else {
            throw UsageError("stream \(id) is \(state(of: id)): no response can be sent on it")
        }
        var events: [Event] = []
        streams.update(id) { $0.responseHeaders = headers }
        emitHeaders(id, headers, kind: .response, endStream: false, policies: [], into: &events)
        return events
    }

    /// Sends DATA on a stream, split by the peer's SETTINGS_MAX_FRAME_SIZE and paced by both windows.
    @discardableResult
    public mutating func sendData(_ id: UInt32, _ bytes: [UInt8], endStream: Bool) throws(UsageError) -> [Event] {
        guard let (canSend, endQueued) = streams.read(id, { ($0.state == .open || $0.state == .halfClosedRemote, $0.pendingEndStream) }),
              canSend else {
            throw UsageError("stream \(id) is \(state(of: id)): DATA cannot be sent on it")
        }
        if endQueued { throw UsageError("stream \(id) already has END_STREAM queued") }
        var events: [Event] = []
        queueData(id, bytes, endStream: endStream, into: &events)
        return events
    }

    /// Sends the content a request holds for 100 (Continue) without waiting any longer (RFC 9110
    /// §10.1.1: a client "MAY proceed to send the content" before a response arrives).
    @discardableResult
    public mutating func releaseContinue(_ id: UInt32) throws(UsageError) -> [Event] {
        guard streams.read(id, { $0.awaitingContinue }) == true else { throw UsageError("stream \(id) is not waiting for 100 (Continue)") }
        var events: [Event] = []
        streams.update(id) { $0.awaitingContinue = false }
        flushPendingData(into: &events)
        return events
    }

    /// Sends a HEADERS frame carrying trailers (or any header list) on an open stream.
    @discardableResult
    public mutating func sendTrailers(_ id: UInt32, _ headers: [HeaderField]) throws(UsageError) -> [Event] {
        guard let (canSend, waiting) = streams.read(id, { ($0.state == .open || $0.state == .halfClosedRemote,
                                                             $0.pendingSendCount > 0 || $0.pendingEndStream) }),
              canSend else {
            throw UsageError("stream \(id) is \(state(of: id)): trailers cannot be sent on it")
        }
        var events: [Event] = []
        if waiting {
            streams.update(id) {
                $0.pendingTrailers = headers
                $0.pendingEndStream = true
            }
            flushPendingData(into: &events)
        } else {
            emitHeaders(id, headers, kind: .trailers, endStream: true, policies: [], into: &events)
        }
        return events
    }

    /// Promises a pushed response on stream `associated` (§8.4); returns the promised stream.
    @discardableResult
    public mutating func push(on associated: UInt32, request: [HeaderField]) throws(UsageError) -> (stream: UInt32, events: [Event]) {
        guard role == .server else { throw UsageError("only a server pushes (§8.4)") }
        guard remoteSettings.enablePush else { throw UsageError("the client disabled push (SETTINGS_ENABLE_PUSH=0)") }
        let associatedState = state(of: associated)
        guard associatedState == .open || associatedState == .halfClosedRemote else {
            throw UsageError("stream \(associated) is \(associatedState): PUSH_PROMISE needs an open request stream (§6.6)")
        }
        let id = highestLocalStreamID == 0 ? 2 : highestLocalStreamID + 2
        var events: [Event] = []
        var stream = newStream(id)
        stream.requestHeaders = request
        highestLocalStreamID = id
        transition(&stream, .pushPromise(.sent), into: &events)
        streams[id] = stream
        let block = encoder.encode(request)
        events.append(.pushPromised(stream: associated, promised: id, direction: .sent))
        progress(.headersSent(stream: id, kind: .pushPromise, block: block), into: &events)
        emitHeaderFrames(associated, block.bytes, endStream: false, pushPromise: id)
        return (id, events)
    }

    /// Encodes a header list and queues HEADERS (+ CONTINUATION) frames, applying END_STREAM.
    mutating func emitHeaders(
        _ id: UInt32, _ headers: [HeaderField], kind: HeaderBlockKind, endStream: Bool,
        policies: [EncoderPolicy?], into events: inout [Event]
    ) {
        if configuration.reportsHeaderBlocks || !policies.isEmpty {
            let block = encoder.encode(headers, policies: policies)
            progress(.headersSent(stream: id, kind: kind, block: block), into: &events)
            emitHeaderFrames(id, block.bytes, endStream: endStream, pushPromise: nil)
        } else if encodesOutbox {
            // Encoded straight onto the outgoing octets, after the frame header (no block array).
            encodedOutbox.appendHeaders(stream: id, endStream: endStream, maxFrameSize: Int(remoteSettings.maxFrameSize)) { octets in
                encoder.encode(headers, into: &octets)
            }
        } else {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(64)  // a usual response's block in one allocation, not grown from empty
            encoder.encode(headers, into: &bytes)
            emitHeaderFrames(id, bytes, endStream: endStream, pushPromise: nil)
        }
        if endStream {
            withStream(id) { connection, stream in connection.transition(&stream, .endStream(.sent), into: &events) }
        }
    }

    /// Splits a header block into frames no larger than the peer's SETTINGS_MAX_FRAME_SIZE (§4.3).
    mutating func emitHeaderFrames(_ id: UInt32, _ block: [UInt8], endStream: Bool, pushPromise promised: UInt32?) {
        Frame.headerBlock(block, stream: id, endStream: endStream, promised: promised,
                          maxFrameSize: Int(remoteSettings.maxFrameSize)) { queue($0) }
    }

    mutating func queueData(_ id: UInt32, _ bytes: [UInt8], endStream: Bool, into events: inout [Event]) {
        let queued: Void? = streams.update(id) { stream in  // nil: no such stream
            if stream.pendingSendCount == 0 {
                // Nothing waits: the body is held as it is (shared, not copied).
                stream.pendingSend = bytes
                stream.pendingSendOffset = 0
            } else {
                stream.pendingSend.append(contentsOf: bytes)
            }
            stream.pendingEndStream = stream.pendingEndStream || endStream
        }
        guard queued != nil else { return }
        if !pendingSendIDs.contains(id) { pendingSendIDs.append(id) }
        if !dataFlushPaused { flushPendingData(into: &events) }
    }

    /// Whether this endpoint offered extended CONNECT (SETTINGS_ENABLE_CONNECT_PROTOCOL=1, RFC 8441 §3)
    /// in a SETTINGS frame it sent.
    var announcedConnectProtocol: Bool {
        (localSettings.enableConnectProtocol || unacknowledgedSettings.joined().contains { $0.id == .enableConnectProtocol })
            && !unacknowledgedSettings.joined().contains { $0.id == .enableConnectProtocol && $0.value == 0 }
    }

    /// Removes the first `count` octets a tunnel stream received (the responder has used them).
    public mutating func consumeTunnel(_ id: UInt32, _ count: Int) {
        let taken = streams.update(id) { stream -> Int in
            let taken = min(count, stream.receivedBody.count)
            stream.receivedBody.removeFirst(taken)
            return taken
        } ?? 0
        // No longer held: a tunnel that echoes 16 MiB must not then count as holding it (§10.5's
        // bound is on what is held, not on what passed through).
        heldBodyOctets -= taken
    }

    /// Holds queued DATA back until `resumeDataFlush`, so that the responses to a batch of requests
    /// are scheduled together, by priority (RFC 9218 §10), rather than each as it is queued.
    public mutating func pauseDataFlush() { dataFlushPaused = true }

    /// Sends the DATA held since `pauseDataFlush`, in priority order.
    @discardableResult
    public mutating func resumeDataFlush() -> [Event] {
        dataFlushPaused = false
        var events: [Event] = []
        flushPendingData(into: &events)
        return events
    }

    /// Sends PRIORITY_UPDATE (RFC 9218 §7.1): a client's new priority for one of its streams (or
    /// one still idle, to be opened next).
    @discardableResult
    public mutating func sendPriorityUpdate(_ id: UInt32, _ priority: Priority) throws(UsageError) -> [Event] {
        guard role == .client else { throw UsageError("servers MUST NOT send PRIORITY_UPDATE (RFC 9218 §7.1)") }
        guard id != 0 else { throw UsageError("PRIORITY_UPDATE names a stream, not 0 (RFC 9218 §7.1)") }
        streams.update(id) { $0.priority = priority }
        queue(Frame(streamID: 0, payload: .priorityUpdate(prioritizedStreamID: id, fieldValue: Array(priority.fieldValue.utf8))))
        return []
    }

    private mutating func removePendingSend(_ id: UInt32) {
        guard let i = pendingSendIDs.firstIndex(of: id) else { return }
        pendingSendIDs.swapAt(i, pendingSendIDs.count - 1)
        pendingSendIDs.removeLast()
    }

    /// Sends as much pending DATA as both windows allow, lowest stream first; reports what waits.
    mutating func flushPendingData(into events: inout [Event]) {
        // The ids to serve, in a buffer kept between calls (empty outside this function). The set
        // is not changed while it is iterated: that would copy it (the loop holds it).
        var waiting = sendOrderScratch
        sendOrderScratch = []
        defer {
            waiting.removeAll(keepingCapacity: true)
            sendOrderScratch = waiting
        }
        var stale = false
        for id in pendingSendIDs {
            // nil: gone or nothing to send; otherwise whether it may send now.
            let sendable = streams.read(id) { stream in
                stream.pendingSendCount > 0 || stream.pendingEndStream ? stream.state.canSend && !stream.awaitingContinue : nil
            }
            guard let canSend = sendable ?? nil else {
                stale = true
                continue
            }
            if canSend { waiting.append(id) }
        }
        if stale {
            pendingSendIDs = pendingSendIDs.filter { id in
                streams.read(id) { $0.pendingSendCount > 0 || $0.pendingEndStream } ?? false
            }
        }
        let maxFrame = Int(remoteSettings.maxFrameSize)
        // Without priority signals (the usual server case) streams go in ascending order, each as
        // far as the windows allow: what RFC 9218 §10 advises for the default priority.
        let prioritized = waiting.count > 1 && waiting.contains { (streams.read($0, { $0.priority }) ?? nil) != nil }
        guard prioritized else {
            waiting.sort()
            for id in waiting { flush(id, maxFrame: maxFrame, into: &events) }
            return
        }
        // RFC 9218 §10: higher urgency (a lower u) first; within an urgency, non-incremental
        // responses one after the other in stream order, then the incremental ones sharing the
        // connection a frame at a time (the order of the two kinds is this server's choice).
        let keyed = waiting.map { id in (id: id, priority: (streams.read(id, { $0.priority }) ?? nil) ?? .default) }
            .sorted { a, b in
                (a.priority.urgency, a.priority.incremental ? 1 : 0, a.id) < (b.priority.urgency, b.priority.incremental ? 1 : 0, b.id)
            }
        var i = 0
        while i < keyed.count {
            let priority = keyed[i].priority
            guard priority.incremental else {
                flush(keyed[i].id, maxFrame: maxFrame, into: &events)
                i += 1
                continue
            }
            var j = i
            while j < keyed.count && keyed[j].priority == priority { j += 1 }
            var round = keyed[i..<j].map(\.id)
            while !round.isEmpty {
                round = round.filter { flush($0, maxFrame: maxFrame, frames: 1, into: &events) }
            }
            i = j
        }
    }

    /// Sends what stream `id` has waiting, as far as both windows allow, at most `frames` DATA
    /// frames. Returns whether more waits that the windows would let through now.
    @discardableResult
    private mutating func flush(_ id: UInt32, maxFrame: Int, frames: Int = .max, into events: inout [Event]) -> Bool {
        guard let sent = withStream(id, { connection, stream in
            connection.sendPending(&stream, maxFrame: maxFrame, frames: frames, into: &events)
        }) else { return false }
        // The trailers go once the record is back: HEADERS with END_STREAM closes it (§8.1).
        if let trailers = sent.trailers { emitHeaders(id, trailers, kind: .trailers, endStream: true, policies: [], into: &events) }
        if sent.done { removePendingSend(id) }
        return sent.more
    }

    /// `flush` on the stream's record: DATA frames out, windows down, END_STREAM's transition.
    /// Returns whether more waits that the windows would let through now, whether nothing waits
    /// any longer, and the trailers to send after the last DATA.
    private mutating func sendPending(_ stream: inout StreamRecord, maxFrame: Int, frames: Int,
                                      into events: inout [Event]) -> (more: Bool, done: Bool, trailers: [HeaderField]?) {
        let id = stream.id
        var sent = 0
        var more = false
        var trailers: [HeaderField]?
        while true {
            if sent == frames {
                more = stream.pendingSendCount > 0 || stream.pendingEndStream
                break
            }
            let pending = stream.pendingSendCount
            let allowed = min(pending, connectionSendWindow.available, stream.sendWindow.available, maxFrame)
            if pending > 0 && allowed == 0 {
                events.append(.sendBlocked(stream: id, pending: pending, connectionWindow: connectionSendWindow.value,
                                           streamWindow: stream.sendWindow.value))
                break
            }
            if pending == 0 && !stream.pendingEndStream { break }
            let last = allowed == pending
            let endStream = last && stream.pendingEndStream && stream.pendingTrailers == nil
            let start = stream.pendingSendOffset
            stream.pendingSendOffset += allowed
            if allowed > 0 || endStream {
                sent += 1
                // All of what waits goes in one frame as it is; a part of it goes as a range of the
                // body, shared with the stream (no copy: OutboxEntry).
                if encodesOutbox {
                    encodedOutbox.appendData(stream: id, body: stream.pendingSend, start..<(start + allowed), endStream: endStream)
                } else if start == 0 && allowed == stream.pendingSend.count {
                    queue(.data(id, stream.pendingSend, endStream: endStream))
                } else {
                    outbox.append(.data(stream: id, body: stream.pendingSend, range: start..<(start + allowed), endStream: endStream))
                }
                stream.sentBodyLength += allowed
                progress(.dataSent(stream: id, length: allowed, endStream: endStream), into: &events)
            }
            if allowed > 0 {
                let connectionBefore = connectionSendWindow.value
                connectionSendWindow.consume(allowed)
                progress(.windowChanged(stream: 0, side: .send, from: connectionBefore, to: connectionSendWindow.value), into: &events)
                let streamBefore = stream.sendWindow.value
                stream.sendWindow.consume(allowed)
                progress(.windowChanged(stream: id, side: .send, from: streamBefore, to: stream.sendWindow.value), into: &events)
            }
            if last {
                stream.pendingSend = []
                stream.pendingSendOffset = 0
                if stream.pendingEndStream {
                    stream.pendingEndStream = false
                    if let pendingTrailers = stream.pendingTrailers {
                        stream.pendingTrailers = nil
                        trailers = pendingTrailers
                    } else {
                        transition(&stream, .endStream(.sent), into: &events)
                    }
                }
                break
            }
        }
        return (more, stream.pendingSendCount == 0 && !stream.pendingEndStream, trailers)
    }

    // MARK: Control frames

    /// Sends SETTINGS; they take effect when the peer acknowledges them (§6.5.3).
    public mutating func sendSettings(_ list: [Setting]) throws(UsageError) {
        for setting in list {
            if let (_, message) = setting.validate() { throw UsageError(message) }
        }
        unacknowledgedSettings.append(list)
        queue(.settings(list))
        enforceAnnouncedLimits(list)
    }

    public mutating func sendPing(_ opaque: UInt64) {
        queue(.ping(opaque))
    }

    /// Gives the peer more credit on a stream or (stream 0) the connection.
    @discardableResult
    public mutating func sendWindowUpdate(_ id: UInt32, increment: Int) throws(UsageError) -> [Event] {
        guard increment >= 1 && increment <= Int(FlowWindow.maximum) else {
            throw UsageError("a window increment must be 1...2147483647 (§6.9)")
        }
        var events: [Event] = []
        if id == 0 {
            let before = connectionReceiveWindow.value
            guard connectionReceiveWindow.increase(by: increment) else { throw UsageError("the connection window would exceed 2^31-1") }
            connectionUnacknowledged = max(0, connectionUnacknowledged - increment)
            progress(.windowChanged(stream: 0, side: .receive, from: before, to: connectionReceiveWindow.value), into: &events)
        } else {
            guard let window = streams.read(id, { $0.state != .idle && $0.state != .closed ? $0.receiveWindow : nil }) ?? nil else {
                throw UsageError("stream \(id) is \(state(of: id)): no WINDOW_UPDATE for it")
            }
            guard window.value + increment <= Int(FlowWindow.maximum) else { throw UsageError("stream \(id)'s window would exceed 2^31-1") }
            streams.update(id) { stream in
                _ = stream.receiveWindow.increase(by: increment)
                stream.unacknowledgedReceived = max(0, stream.unacknowledgedReceived - increment)
            }
            progress(.windowChanged(stream: id, side: .receive, from: window.value, to: window.value + increment), into: &events)
        }
        queue(.windowUpdate(id, increment: UInt32(increment)))
        return events
    }

    /// Resets a stream (§6.4).
    @discardableResult
    public mutating func sendReset(_ id: UInt32, _ code: ErrorCode) throws(UsageError) -> [Event] {
        guard id != 0 else { throw UsageError("RST_STREAM needs a stream, not 0") }
        guard state(of: id) != .idle else { throw UsageError("stream \(id) is idle: RST_STREAM on it is a PROTOCOL_ERROR (§6.4)") }
        var events: [Event] = []
        resetStream(id, code, into: &events)
        return events
    }

    /// Sends GOAWAY (§6.8): NO_ERROR starts a graceful shutdown, any other code ends the connection.
    @discardableResult
    public mutating func sendGoaway(_ code: ErrorCode, debug: String = "") -> [Event] {
        var events: [Event] = []
        sendGoaway(code, debug: debug, into: &events)
        if code != .noError {
            isClosed = true
            closeReason = "sent GOAWAY \(code.name)"
            events.append(.connectionClosed(reason: "sent GOAWAY \(code.name)"))
        }
        return events
    }

    public mutating func sendPriority(_ id: UInt32, _ fields: PriorityFields) {
        queue(Frame(streamID: id, payload: .priority(fields)))
    }

    /// Queues any frame as it is, bypassing every check, so that a lesson can send an invalid one.
    /// The sender's stream states still follow what it sent where §5.1 has an arrow for it: a
    /// crafted HEADERS that opens a new stream of this endpoint's own opens it (so that the peer's
    /// answer is understood rather than taken for a frame on an idle stream), HEADERS on a stream
    /// it reserved begins the pushed response, END_STREAM half-closes or closes (and drops DATA
    /// still queued), RST_STREAM closes, PUSH_PROMISE reserves the stream it promises.
    /// Windows are not charged (a crafted DATA is outside the sender's flow-control bookkeeping).
    /// Returns the transitions.
    @discardableResult
    public mutating func sendUnchecked(_ frame: Frame) -> [Event] {
        var events: [Event] = []
        let id = frame.streamID
        if case .headers = frame.payload, id != 0, !isPeerInitiated(id), id > highestLocalStreamID, !streams.contains(id) {
            var stream = newStream(id)
            highestLocalStreamID = id
            transition(&stream, .headers(.sent), into: &events)
            if frame.endStream { transition(&stream, .endStream(.sent), into: &events) }
            streams[id] = stream
        } else if id != 0, streams.contains(id) {
            withStream(id) { connection, stream in
                switch frame.payload {
                case .headers:
                    if stream.state == .reservedLocal { connection.transition(&stream, .headers(.sent), into: &events) }
                    if frame.endStream { connection.transition(&stream, .endStream(.sent), into: &events) }
                case .data:
                    if frame.endStream { connection.transition(&stream, .endStream(.sent), into: &events) }
                case .rstStream:
                    connection.transition(&stream, .rstStream(.sent), into: &events)
                default:
                    break
                }
                // Nothing more may follow what ended or reset the stream: queued DATA goes too.
                if frame.endStream || frame.type == .rstStream { stream.dropPendingSend() }
            }
        }
        // A crafted PUSH_PROMISE reserves the stream it promises, as a real one would (§5.1, §8.4).
        if case .pushPromise(let promised, _) = frame.payload, promised != 0, !isPeerInitiated(promised),
           promised > highestLocalStreamID, !streams.contains(promised) {
            var reserved = newStream(promised)
            highestLocalStreamID = promised
            transition(&reserved, .pushPromise(.sent), into: &events)
            streams[promised] = reserved
        }
        queue(frame)
        return events
    }

    /// Switches the policy for giving back flow-control credit.
    public mutating func setWindowUpdatePolicy(_ policy: WindowUpdatePolicy) {
        configuration.windowUpdatePolicy = policy
    }

    /// Switches the HPACK encoder's representation choices.
    public mutating func setEncoderPolicy(_ policy: EncoderPolicy) {
        encoder.policy = policy
    }

    /// Switches which fields the HPACK encoder never indexes by default (RFC 7541 §7.1.3).
    public mutating func setSensitiveFields(_ fields: SensitiveFields) {
        encoder.sensitive = fields
    }
}
