/// Receiving frames: one method per frame type, each applying the rules of its section.
extension Connection {
    /// What to do with DATA or HEADERS on a stream that cannot receive them (§5.1).
    enum Misdirected {
        case ignore(String)
        case error(ProtocolError)
    }

    func misdirected(_ id: UInt32, _ type: FrameType) -> Misdirected {
        // §6.8: after our GOAWAY, frames on the peer's streams above its last stream id are
        // discarded (a DATA frame has already been counted toward the connection window).
        if let goaway = goawaySent, isPeerInitiated(id), id > goaway.lastStreamID, !streams.contains(id) {
            return .ignore("stream \(id) is beyond our GOAWAY's last stream \(goaway.lastStreamID) (§6.8)")
        }
        switch state(of: id) {
        case .idle:
            return .error(.connection(.protocolError, "§5.1", "\(type) on idle stream \(id)"))
        case .reservedLocal, .reservedRemote:
            return .error(.connection(.protocolError, "§5.1", "\(type) on reserved stream \(id)"))
        case .halfClosedRemote:
            return .error(.stream(id, .streamClosed, "§5.1", "\(type) on stream \(id) after the peer's END_STREAM (half-closed (remote))"))
        case .closed:
            switch closeReason(of: id) {
            case .resetSent:
                return .ignore("stream \(id) was reset by this endpoint; late frames are ignored (§5.1)")
            case .goaway:
                return .ignore("stream \(id) is beyond the peer's GOAWAY; late frames are ignored (§6.8)")
            case .resetReceived:
                return .error(.stream(id, .streamClosed, "§5.1", "\(type) on stream \(id) after the peer's RST_STREAM"))
            case .endStream:
                return .error(.connection(.streamClosed, "§5.1", "\(type) on closed stream \(id)"))
            case nil:
                // Never opened, yet below an identifier already used: implicitly closed (§5.1.1).
                return .error(.connection(.protocolError, "§5.1.1",
                    "\(type) on stream \(id), which was never opened and is below a stream already used"))
            }
        case .open, .halfClosedLocal:
            return .ignore("")  // not reached: these states can receive
        }
    }

    mutating func handle(_ disposition: Misdirected, _ frame: Frame, into events: inout [Event]) {
        switch disposition {
        case .ignore(let reason): events.append(.frameIgnored(frame, reason: reason))
        case .error(let error): fail(error, into: &events)
        }
    }

    // MARK: DATA (§6.1)

    mutating func receiveData(_ frame: Frame, _ bytes: [UInt8], into events: inout [Event]) {
        let id = frame.streamID
        let length = frame.payloadLength
        // §6.9.1: the whole payload, padding included, counts against the connection window first,
        // whatever the stream's state.
        guard length <= connectionReceiveWindow.value else {
            return fail(.connection(.flowControlError, "§6.9.1",
                "DATA of \(length) octets exceeds the connection window \(connectionReceiveWindow.value)"), into: &events)
        }
        let before = connectionReceiveWindow.value
        connectionReceiveWindow.consume(length)
        connectionUnacknowledged += length
        if length > 0 { progress(.windowChanged(stream: 0, side: .receive, from: before, to: connectionReceiveWindow.value), into: &events) }

        guard streams.read(id, { $0.state == .open || $0.state == .halfClosedLocal }) == true else {
            handle(misdirected(id, .data), frame, into: &events)
            replenish(nil, into: &events)
            return
        }
        let refused = withStream(id) { connection, stream in connection.takeData(frame, bytes, into: &stream, events: &events) } ?? nil
        if let refused {
            fail(refused.error, into: &events)
            if refused.replenish { replenish(nil, into: &events) }
            return
        }
        if frame.endStream { finishMessage(id, into: &events) }
        replenish(id, into: &events)
    }

    /// DATA on a stream that may receive it: its window, its body and, with END_STREAM, its
    /// half-close. Returns why the stream must be reset instead (acted on by the caller once the
    /// record is back), and whether the connection's credit is given back then.
    private mutating func takeData(_ frame: Frame, _ bytes: [UInt8], into stream: inout StreamRecord,
                                   events: inout [Event]) -> (error: ProtocolError, replenish: Bool)? {
        let id = stream.id, length = frame.payloadLength
        guard length <= stream.receiveWindow.value else {
            return (.stream(id, .flowControlError, "§6.9.1", "DATA of \(length) octets exceeds stream \(id)'s window \(stream.receiveWindow.value)"), true)
        }
        // A response to HEAD, and a 204 or 304, have no content (RFC 9110 §6.4.1): DATA that carries
        // octets is an extraneous frame, which makes the response malformed (§8.1.1).
        if role == .client && stream.isResponseToHead && !bytes.isEmpty {
            return (.stream(id, .protocolError, "§8.1.1",
                "\(bytes.count) octets of DATA in a response that has no content (a response to HEAD, 204 or 304)"), true)
        }
        let streamBefore = stream.receiveWindow.value
        stream.receiveWindow.consume(length)
        stream.unacknowledgedReceived += length
        if length > 0 { progress(.windowChanged(stream: id, side: .receive, from: streamBefore, to: stream.receiveWindow.value), into: &events) }
        stream.receivedBodyLength += bytes.count
        if configuration.keepBodies, let limit = configuration.maxHeldBodyOctets, heldBodyOctets + bytes.count > limit {
            return (.stream(id, .enhanceYourCalm, "§10.5",
                "\(bytes.count) more octets of DATA on stream \(id) would pass the \(limit) octets of bodies this endpoint holds per connection"), true)
        }
        if configuration.keepBodies {
            heldBodyOctets += bytes.count
            stream.receivedBody.append(contentsOf: bytes)
        }
        progress(.dataReceived(stream: id, length: bytes.count, endStream: frame.endStream), into: &events)
        if stream.tunnelProtocol != nil && !bytes.isEmpty { events.append(.tunnelData(stream: id)) }
        if let expected = stream.expectedContentLength, stream.receivedBodyLength > expected {
            return (.stream(id, .protocolError, "§8.1.1", "\(stream.receivedBodyLength) octets of DATA exceed content-length \(expected)"), false)
        }
        if frame.endStream { transition(&stream, .endStream(.received), into: &events) }
        return nil
    }

    /// Gives flow-control credit back according to the policy (§6.9).
    mutating func replenish(_ id: UInt32?, into events: inout [Event]) {
        let policy = configuration.windowUpdatePolicy
        guard policy != .manual else { return }
        let connectionThreshold = policy == .eager ? 1 : FlowWindow.initial / 2
        if connectionUnacknowledged >= connectionThreshold {
            let increment = connectionUnacknowledged
            connectionUnacknowledged = 0
            let before = connectionReceiveWindow.value
            _ = connectionReceiveWindow.increase(by: increment)
            queue(.windowUpdate(0, increment: UInt32(increment)))
            progress(.windowChanged(stream: 0, side: .receive, from: before, to: connectionReceiveWindow.value), into: &events)
        }
        guard let id else { return }
        let threshold = policy == .eager ? 1 : max(1, Int(localSettings.initialWindowSize) / 2)
        let given = streams.update(id) { stream -> (increment: Int, before: Int, after: Int)? in
            guard stream.state.canReceive, stream.unacknowledgedReceived >= threshold else { return nil }
            let increment = stream.unacknowledgedReceived
            stream.unacknowledgedReceived = 0
            let before = stream.receiveWindow.value
            _ = stream.receiveWindow.increase(by: increment)
            return (increment, before, stream.receiveWindow.value)
        } ?? nil
        guard let given else { return }
        queue(.windowUpdate(id, increment: UInt32(given.increment)))
        progress(.windowChanged(stream: id, side: .receive, from: given.before, to: given.after), into: &events)
    }

    /// END_STREAM arrived: check the body against content-length (§8.1.1) and report the message.
    mutating func finishMessage(_ id: UInt32, into events: inout [Event]) {
        guard let (expected, received) = streams.read(id, { stream in
            (stream.isResponseToHead ? nil : stream.expectedContentLength, stream.receivedBodyLength)
        }) else { return }
        if let expected, expected != received {
            return fail(.stream(id, .protocolError, "§8.1.1",
                "content-length is \(expected) but \(received) octets of DATA arrived"), into: &events)
        }
        let kind: HeaderBlockKind = (role == .server) ? .request : .response
        events.append(.messageComplete(stream: id, kind: kind))
        // The request's content waited for a 100 (Continue) that never came: the whole response is
        // here, so the client ends its side of the stream without sending it (RFC 9110 §10.1.1).
        if role == .client, streams.read(id, { $0.awaitingContinue }) == true, state(of: id) != .closed {
            resetStream(id, .cancel, into: &events)
        }
    }

    // MARK: HEADERS, PUSH_PROMISE, CONTINUATION (§6.2, §6.6, §6.10)

    mutating func beginHeaderBlock(_ frame: Frame, _ block: [UInt8], into events: inout [Event]) {
        if frame.endHeaders {
            block.withUnsafeBufferPointer { completeHeaderBlock(frame, $0, into: &events) }
        } else {
            pendingHeaderBlock = PendingHeaderBlock(first: frame, fragments: block)
        }
    }

    /// Octets a field block may exceed SETTINGS_MAX_HEADER_LIST_SIZE by (size updates, framing).
    public static let headerBlockMargin = 1_024
    /// The longest field block accepted when no SETTINGS_MAX_HEADER_LIST_SIZE was advertised.
    public static let unlimitedHeaderBlock = 262_144

    mutating func receiveContinuation(_ frame: Frame, _ block: [UInt8], into events: inout [Event]) {
        guard var pending = pendingHeaderBlock else {
            return fail(.connection(.protocolError, "§6.10", "CONTINUATION on stream \(frame.streamID) without a header block to continue"), into: &events)
        }
        pending.fragments.append(contentsOf: block)
        pending.continued = true
        // §10.5.1: a header block beyond what we accept is refused before it exhausts memory. A
        // well-formed block is never larger than the header list it decodes to (every field costs 32
        // octets in the list, at most a few octets of framing in the block), so the advertised
        // SETTINGS_MAX_HEADER_LIST_SIZE plus a small margin bounds it (CVE-2024-27316).
        // The decoder's limit is the smallest we announced or have in force (`enforceAnnouncedLimits`).
        let limit = decoder.maxHeaderListSize.map { $0 + Self.headerBlockMargin } ?? Self.unlimitedHeaderBlock
        if pending.fragments.count > limit {
            pendingHeaderBlock = nil
            return fail(.connection(.enhanceYourCalm, "§10.5.1", "header block of over \(limit) octets in CONTINUATION frames"), into: &events)
        }
        if frame.endHeaders {
            pendingHeaderBlock = nil
            pending.fragments.withUnsafeBufferPointer { completeHeaderBlock(pending.first, $0, into: &events) }
        } else {
            pendingHeaderBlock = pending
        }
    }

    /// A complete field block (`block`, valid during the call) whose first frame is `first`.
    mutating func completeHeaderBlock(_ first: Frame, _ block: UnsafeBufferPointer<UInt8>, into events: inout [Event]) {
        // The block is always decoded, even for a stream that will be refused: the HPACK context is
        // shared by the whole connection (§4.3).
        let id = first.streamID
        let current = state(of: id)
        // A server knows what a HEADERS block is before it decodes it (a request on an idle
        // stream, else trailers), so it checks the fields (§8) on their octets as they are decoded
        // (with a report, the report's fields are checked instead).
        var checker: HTTPSemantics.FieldChecker?
        if role == .server, !configuration.reportsHeaderBlocks, case .headers = first.payload {
            checker = HTTPSemantics.FieldChecker(kind: current == .idle ? .request : .trailers)
        }
        let decoded: DecodedHeaderBlock
        do {
            decoded = try decodeBlock(block, checking: &checker)
        } catch {
            return fail(.connection(.compressionError, "§4.3", "\(error) (\(error.section))"), into: &events)
        }
        if case .pushPromise(let promised, _) = first.payload {
            return receivePushPromise(id, promised, decoded, into: &events)
        }
        // §5.3.1: "A stream cannot depend on itself. An endpoint MUST treat this as a stream error
        // (Section 5.4.2) of type PROTOCOL_ERROR." Judged now that the block is decoded (§4.3).
        var selfDependent = false
        if case .headers(_, let priority?) = first.payload, priority.dependency == id { selfDependent = true }
        if current == .idle {
            return openPeerStream(first, decoded, checked: checker, selfDependent: selfDependent, into: &events)
        }
        if selfDependent && (current == .reservedRemote || current == .open || current == .halfClosedLocal) {
            return fail(.stream(id, .protocolError, "§5.3.1", "stream \(id) depends on itself"), into: &events)
        }
        if current == .reservedRemote,
           withStream(id, { connection, stream in connection.transition(&stream, .headers(.received), into: &events) }) != nil {
            return acceptHeaders(id, first, decoded, kind: .response, into: &events)
        }
        guard let awaitsResponse = streams.read(id, { $0.responseHeaders == nil }), current == .open || current == .halfClosedLocal else {
            return handle(misdirected(id, .headers), first, into: &events)
        }
        let kind: HeaderBlockKind = role == .client && awaitsResponse ? .response : .trailers
        acceptHeaders(id, first, decoded, kind: kind, checked: checker, into: &events)
    }

    /// Decodes a complete field block: with a report of each field's representation when events
    /// are reported, else straight to the fields, handing each field's octets to `checker` (§8).
    private mutating func decodeBlock(_ block: UnsafeBufferPointer<UInt8>, checking checker: inout HTTPSemantics.FieldChecker?)
        throws(HPACKError) -> DecodedHeaderBlock {
        if configuration.reportsHeaderBlocks { return try decoder.decodeReporting(block) }
        return DecodedHeaderBlock(unreported: try decoder.decode(block) { name, value, origin in
            checker?.add(name: name, value: value, origin: origin) ?? 0
        })
    }

    /// A decoded HEADERS block on an idle stream: the peer opens it (§5.1), unless the id is ours
    /// to open (§5.1.1), it depends on itself (§5.3.1), it is beyond our GOAWAY (§6.8) or over the
    /// limit on concurrent streams (§5.1.2).
    private mutating func openPeerStream(_ first: Frame, _ decoded: DecodedHeaderBlock, checked checker: HTTPSemantics.FieldChecker?,
                                         selfDependent: Bool, into events: inout [Event]) {
        let id = first.streamID
        guard isPeerInitiated(id) else {
            return fail(.connection(.protocolError, "§5.1.1",
                "HEADERS opening stream \(id), which only this endpoint (the \(role)) may open"), into: &events)
        }
        if selfDependent {
            notePeerStream(id)
            return fail(.stream(id, .protocolError, "§5.3.1", "stream \(id) depends on itself"), into: &events)
        }
        if let goaway = goawaySent, id > goaway.lastStreamID {
            notePeerStream(id)
            // Decoded all the same (§6.8, §4.3): the report shows what the table did with it.
            if decoded.isReported { events.append(.headersReceived(stream: id, kind: .request, block: decoded)) }
            return events.append(.frameIgnored(first, reason: "stream \(id) is beyond our GOAWAY's last stream \(goaway.lastStreamID) (§6.8)"))
        }
        var stream = newStream(id)
        // §5.1.2: a stream beyond our limit is refused with REFUSED_STREAM (nothing was
        // processed: the peer may retry it, §8.7), also beyond a limit we sent that the peer has
        // not acknowledged, which it may not have seen yet: a peer that never acknowledges our
        // SETTINGS must not open streams without bound meanwhile.
        let limit = peerStreamLimit
        let refused = limit.map { activeStreams(openedByPeer: true) >= $0.limit } ?? false
        notePeerStream(id)
        transition(&stream, .headers(.received), into: &events)
        streams[id] = consume stream
        if refused, let limit {
            return fail(.stream(id, .refusedStream, "§5.1.2",
                "stream \(id) would exceed SETTINGS_MAX_CONCURRENT_STREAMS \(limit.limit)\(limit.pending ? " (sent, not yet acknowledged)" : "")"),
                into: &events)
        }
        acceptHeaders(id, first, decoded, kind: role == .server ? .request : .response, checked: checker, into: &events)
        pruneClosedStreams()
    }

    /// What `recordHeaders` found, acted on once the stream's record is back in the table.
    private enum HeadersOutcome {
        /// Recorded (and half-closed with END_STREAM).
        case recorded
        /// A 100 (Continue) released the request's content, to be sent now (RFC 9110 §10.1.1).
        case continueReleased
        case malformed(ProtocolError)
    }

    /// A header block for an open stream: check it (§8), record it, apply END_STREAM.
    /// `checked`: the fields already checked as they were decoded, for a kind of block (the
    /// check is made again here if it turns out to be another).
    mutating func acceptHeaders(_ id: UInt32, _ frame: Frame, _ decoded: DecodedHeaderBlock, kind: HeaderBlockKind,
                                checked: HTTPSemantics.FieldChecker? = nil, into events: inout [Event]) {
        let outcome = withStream(id) { connection, stream in
            connection.recordHeaders(frame, decoded, kind: kind, checked: checked, on: &stream, into: &events)
        }
        switch outcome {
        case nil:
            return
        case .malformed(let error):
            fail(error, into: &events)
        case .continueReleased:
            if !pendingSendIDs.contains(id) { pendingSendIDs.append(id) }
            flushPendingData(into: &events)
            if frame.endStream {
                fail(.stream(id, .protocolError, "§8.1", "an informational (1xx) response with END_STREAM"), into: &events)
            }
        case .recorded:
            if frame.endStream { finishMessage(id, into: &events) }
        }
    }

    private mutating func recordHeaders(_ frame: Frame, _ decoded: DecodedHeaderBlock, kind: HeaderBlockKind,
                                        checked: HTTPSemantics.FieldChecker?, on stream: inout StreamRecord,
                                        into events: inout [Event]) -> HeadersOutcome {
        let id = stream.id
        var kind = kind
        let fields = decoded.headerFields
        if kind == .response, let status = fields.first(where: { $0.name == ":status" })?.value,
           HTTPSemantics.isInformational(status: status) {
            kind = .informational
        }
        if decoded.isReported { events.append(.headersReceived(stream: id, kind: kind, block: decoded)) }
        let check = checked.flatMap { $0.kind == kind ? $0.finish() : nil } ?? HTTPSemantics.check(fields, kind: kind)
        if let problem = check.problem {
            return .malformed(.stream(id, .protocolError, "§8.1.1", "malformed \(kind.rawValue): \(problem)"))
        }
        // RFC 8441 §4: CONNECT with :protocol opens a tunnel, only where this server offered it.
        let tunnel = kind == .request && check.isConnect ? Self.extendedConnectProtocol(fields) : nil
        if let tunnel, !(role == .server && announcedConnectProtocol) {
            return .malformed(.stream(id, .protocolError, "RFC 8441 §4",
                "extended CONNECT (:protocol \(tunnel)) without SETTINGS_ENABLE_CONNECT_PROTOCOL=1 from this server"))
        }
        if store(fields, kind: kind, check: check, tunnel: tunnel, endStream: frame.endStream, on: &stream, into: &events) {
            return .continueReleased
        }
        if kind == .trailers && !frame.endStream {
            return .malformed(.stream(id, .protocolError, "§8.1", "trailers without END_STREAM"))
        }
        if kind == .informational && frame.endStream {
            return .malformed(.stream(id, .protocolError, "§8.1", "an informational (1xx) response with END_STREAM"))
        }
        if kind == .request || kind == .response {
            switch check.contentLength {
            case .success(let length): stream.expectedContentLength = length
            case .failure(let problem): return .malformed(.stream(id, .protocolError, "§8.1.1", problem.text))
            }
        }
        if frame.endStream { transition(&stream, .endStream(.received), into: &events) }
        return .recorded
    }

    /// Keeps a checked header section on its stream by kind (§8.1): the request with its
    /// priority (RFC 9218) and what it asks for (100-continue, a tunnel), the response, interim
    /// responses, trailers. True when a 100 (Continue) released content held for it.
    private mutating func store(_ fields: [HeaderField], kind: HeaderBlockKind, check: HTTPSemantics.Check, tunnel: String?,
                                endStream: Bool, on stream: inout StreamRecord, into events: inout [Event]) -> Bool {
        let id = stream.id
        switch kind {
        case .request:
            stream.requestHeaders = fields
            // RFC 9218 §5 and §7.1: the `priority` field, or a PRIORITY_UPDATE that came first.
            stream.priority = (idlePriorities.isEmpty ? nil : idlePriorities.removeValue(forKey: id))
                ?? (check.hasPriority ? Priority.of(request: fields) : nil)
            // RFC 9110 §10.1.1: the client waits for 100 (Continue) before the content; the
            // responder decides (an immediate 100, or a final status).
            if !endStream && check.hasExpect && HTTPSemantics.expectsContinue(fields) { events.append(.continueRequested(stream: id)) }
            if let tunnel {
                stream.tunnelProtocol = tunnel
                events.append(.tunnelRequested(stream: id, protocol: tunnel))
            }
        case .response:
            stream.responseHeaders = fields
            let status = fields.first { $0.name == ":status" }?.value ?? ""
            if status == "204" || status == "304" { stream.isResponseToHead = true }
            // A final status instead of 100 (Continue): the held content is not sent (RFC 9110
            // §10.1.1); once the response is complete the client resets its side (this client's choice).
            if stream.awaitingContinue { stream.dropPendingSend() }
        case .informational:
            stream.informationalHeaders.append(fields)
            if stream.awaitingContinue && fields.contains(where: { $0.name == ":status" && $0.value == "100" }) {
                stream.awaitingContinue = false
                return true
            }
        case .trailers:
            stream.trailers = fields
        case .pushPromise:
            break
        }
        return false
    }

    /// The `:protocol` of a CONNECT request, which makes it an extended CONNECT (RFC 8441 §4); nil if it has none.
    static func extendedConnectProtocol(_ fields: [HeaderField]) -> String? {
        // Asked only of a CONNECT (`Check.isConnect`), whatever the order of its pseudo-headers
        // (§8.3 sets none).
        fields.first { $0.name == ":protocol" }?.value
    }

    mutating func receivePushPromise(_ associated: UInt32, _ promised: UInt32, _ decoded: DecodedHeaderBlock, into events: inout [Event]) {
        guard role == .client else {
            return fail(.connection(.protocolError, "§8.4", "a client sent PUSH_PROMISE"), into: &events)
        }
        guard localSettings.enablePush else {
            // §6.5.2, §6.6: only once our ENABLE_PUSH=0 is acknowledged (`localSettings` holds what
            // is in force); before that the server could not yet have known.
            return fail(.connection(.protocolError, "§6.5.2", "PUSH_PROMISE after our SETTINGS_ENABLE_PUSH=0 was acknowledged"), into: &events)
        }
        let associatedState = state(of: associated)
        guard associatedState == .open || associatedState == .halfClosedLocal else {
            return fail(.connection(.protocolError, "§6.6", "PUSH_PROMISE on stream \(associated), which is \(associatedState)"), into: &events)
        }
        guard promised % 2 == 0, promised != 0, state(of: promised) == .idle else {
            return fail(.connection(.protocolError, "§5.1.1", "PUSH_PROMISE promises stream \(promised), which is not a new even stream"), into: &events)
        }
        // Counted before this promise reserves its stream.
        let reserved = reservedPushes
        var stream = newStream(promised)
        notePeerStream(promised)
        transition(&stream, .pushPromise(.received), into: &events)
        stream.requestHeaders = decoded.headerFields
        streams[promised] = stream
        events.append(.pushPromised(stream: associated, promised: promised, direction: .received))
        if decoded.isReported { events.append(.headersReceived(stream: promised, kind: .pushPromise, block: decoded)) }
        if let problem = HTTPSemantics.problem(in: decoded.headerFields, kind: .pushPromise) {
            fail(.stream(promised, .protocolError, "§8.4", "malformed promised request: \(problem)"), into: &events)
        } else if pushDisablingSent {
            // §8.4.2: a client that does not want a pushed response resets it with CANCEL or
            // REFUSED_STREAM. Our ENABLE_PUSH=0 is on its way, not yet acknowledged: the promise
            // is not an error yet (§6.5.2), and this client refuses it (its choice, as nghttp2's),
            // so that a server that never acknowledges cannot make it hold promises without bound.
            fail(.stream(promised, .cancel, "§8.4.2",
                "push refused: this client sent SETTINGS_ENABLE_PUSH=0, not yet acknowledged (our choice)"), into: &events)
        } else if reserved >= Self.maxReservedPushes {
            // Reserved streams do not count toward MAX_CONCURRENT_STREAMS (§5.1.2), so nothing in
            // the RFC bounds how many promises a server makes: this client holds at most
            // `maxReservedPushes` waiting at once and refuses the rest (its choice).
            fail(.stream(promised, .refusedStream, "§8.4.2",
                "push refused: \(reserved) promised responses are already waiting, the most this client holds (our choice)"),
                into: &events)
        }
        // A refused promise holds nothing to read: its record goes now (the peer may make them
        // without end), the others' stay until whoever reads their results has done so.
        if state(of: promised) == .closed && streams.read(promised, { $0.responseHeaders == nil }) == true { forgetJustClosed(promised) }
    }

    /// The most pushed responses a client keeps promised and not yet begun (`reserved (remote)`).
    static let maxReservedPushes = 100

    /// Streams the peer has promised and not yet begun (§5.1 `reserved (remote)`).
    var reservedPushes: Int {
        streams.values.reduce(0) { $0 + ($1.state == .reservedRemote ? 1 : 0) }
    }

    /// Whether the newest SETTINGS_ENABLE_PUSH this endpoint sent and the peer has not yet
    /// acknowledged is 0 (§6.5.2: it takes effect only once acknowledged).
    var pushDisablingSent: Bool {
        for list in unacknowledgedSettings.reversed() {
            if let setting = list.last(where: { $0.id == .enablePush }) { return setting.value == 0 }
        }
        return false
    }

    // MARK: PRIORITY_UPDATE (RFC 9218 §7.1)

    mutating func receivePriorityUpdate(_ id: UInt32, _ value: [UInt8], into events: inout [Event]) {
        guard role == .server else {
            return fail(.connection(.protocolError, "RFC 9218 §7.1", "a server sent PRIORITY_UPDATE"), into: &events)
        }
        // §7.1: a value that is not a Dictionary is ignored as a whole; the defaults are not applied.
        guard let priority = Priority(parsing: String(decoding: value, as: UTF8.self)) else {
            return events.append(.frameIgnored(Frame(streamID: 0, payload: .priorityUpdate(prioritizedStreamID: id, fieldValue: value)),
                                               reason: "the priority field value is not a Structured Fields Dictionary (RFC 9218 §4)"))
        }
        switch state(of: id) {
        case .idle:
            if !isPeerInitiated(id) {
                return fail(.connection(.protocolError, "RFC 9218 §7.1", "PRIORITY_UPDATE for push stream \(id), which is idle"), into: &events)
            }
            // Prioritized idle streams count with the active ones against MAX_CONCURRENT_STREAMS.
            let limit = localSettings.maxConcurrentStreams.map(Int.init) ?? Int.max
            if idlePriorities[id] == nil && activeStreams(openedByPeer: true) + idlePriorities.count + 1 > limit {
                return fail(.connection(.protocolError, "RFC 9218 §7.1",
                    "PRIORITY_UPDATE for idle stream \(id) exceeds SETTINGS_MAX_CONCURRENT_STREAMS \(limit) with the active and prioritized streams"),
                    into: &events)
            }
            idlePriorities[id] = priority
            events.append(.priorityUpdated(stream: id, priority, applied: true))
        case .open, .halfClosedRemote, .reservedLocal:
            streams.update(id) { $0.priority = priority }
            events.append(.priorityUpdated(stream: id, priority, applied: true))
        case .halfClosedLocal, .closed, .reservedRemote:
            // §7.1: "Servers can discard frames where the prioritized stream ID refers to a stream
            // in the "half-closed (local)" or "closed" state".
            events.append(.priorityUpdated(stream: id, priority, applied: false))
        }
    }

    // MARK: RST_STREAM (§6.4), SETTINGS (§6.5), GOAWAY (§6.8), WINDOW_UPDATE (§6.9)

    mutating func receiveReset(_ id: UInt32, _ code: ErrorCode, into events: inout [Event]) {
        let current = state(of: id)
        if current == .idle {
            return fail(.connection(.protocolError, "§6.4", "RST_STREAM on idle stream \(id)"), into: &events)
        }
        events.append(.streamReset(stream: id, code: code, direction: .received))
        guard current != .closed else { return }
        let known: Void? = withStream(id) { connection, stream in
            connection.transition(&stream, .rstStream(.received), into: &events)
            stream.closeReason = .resetReceived
            stream.dropPendingSend()
        }
        guard known != nil else { return }
        // Rapid reset (CVE-2023-44487): a client that opens streams and resets them before their
        // response is complete makes the server work for nothing. Past a bounded number, the
        // connection ends with ENHANCE_YOUR_CALM (§5.4.1, §10.5).
        if role == .server && isPeerInitiated(id) {
            earlyResets += 1
            if earlyResets > configuration.rapidResetLimit {
                fail(.connection(.enhanceYourCalm, "§10.5",
                                 "\(earlyResets) streams reset by the client before their response (limit \(configuration.rapidResetLimit))"),
                     into: &events)
            }
        }
    }

    mutating func receiveSettings(_ frame: Frame, _ list: [Setting], into events: inout [Event]) {
        if frame.isAck {
            guard !unacknowledgedSettings.isEmpty else {
                return events.append(.frameIgnored(frame, reason: "SETTINGS ACK with no SETTINGS awaiting acknowledgement"))
            }
            let acknowledged = unacknowledgedSettings.removeFirst()
            applyLocal(acknowledged, into: &events)
            return events.append(.localSettingsAcknowledged(acknowledged))
        }
        peerSettingsReceived = true
        for setting in list {
            if setting.id == .enablePush && role == .client && setting.value == 1 {
                return fail(.connection(.protocolError, "§6.5.2", "a server set SETTINGS_ENABLE_PUSH to 1"), into: &events)
            }
            let old = remoteSettings.initialWindowSize
            remoteSettings.apply(setting)
            switch setting.id {
            case .initialWindowSize:
                // §6.9.2: every stream's send window moves by the difference; it may go negative.
                if let id = adjustStreamWindows(.send, by: Int(setting.value) - Int(old), into: &events) {
                    return fail(.connection(.flowControlError, "§6.9.2",
                        "SETTINGS_INITIAL_WINDOW_SIZE change makes stream \(id)'s window exceed 2^31-1"), into: &events)
                }
            case .headerTableSize:
                encoder.setPeerLimit(Int(setting.value))
            default:
                break
            }
        }
        queue(.settingsAck)
        events.append(.remoteSettingsApplied(list))
        flushPendingData(into: &events)
    }

    /// §6.9.2: a SETTINGS_INITIAL_WINDOW_SIZE change moves one side of every open stream's window by
    /// the difference (it may go negative). Returns the first stream whose window would pass 2^31−1.
    mutating func adjustStreamWindows(_ side: WindowSide, by delta: Int, into events: inout [Event]) -> UInt32? {
        guard delta != 0 else { return nil }
        for id in streams.keys.sorted() where streams.read(id, { $0.state != .closed }) == true {
            let moved = streams.update(id) { stream -> (before: Int, after: Int)? in
                let before = side == .send ? stream.sendWindow.value : stream.receiveWindow.value
                let fits = side == .send ? stream.sendWindow.adjust(by: delta) : stream.receiveWindow.adjust(by: delta)
                return fits ? (before, side == .send ? stream.sendWindow.value : stream.receiveWindow.value) : nil
            }
            guard let change = moved ?? nil else { return id }
            progress(.windowChanged(stream: id, side: side, from: change.before, to: change.after), into: &events)
        }
        return nil
    }

    /// Our settings take effect once acknowledged (§6.5.3).
    mutating func applyLocal(_ list: [Setting], into events: inout [Event]) {
        for setting in list {
            let old = localSettings.initialWindowSize
            localSettings.apply(setting)
            switch setting.id {
            case .headerTableSize: decoder.setSettingsLimit(Int(setting.value))
            case .maxFrameSize: frameDecoder.maxFrameSize = Int(setting.value)
            case .maxHeaderListSize: decoder.maxHeaderListSize = Int(setting.value)
            case .initialWindowSize:
                _ = adjustStreamWindows(.receive, by: Int(setting.value) - Int(old), into: &events)
            default: break
            }
        }
    }

    mutating func receiveGoaway(_ last: UInt32, _ code: ErrorCode, _ debug: [UInt8], into events: inout [Event]) {
        goawayReceived = (last, code)
        events.append(.goawayReceived(lastStreamID: last, code: code, debug: String(decoding: debug, as: UTF8.self)))
        // §6.8: streams we opened above the last stream ID were not processed; they may be retried.
        for id in streams.keys.sorted() where !isPeerInitiated(id) && id > last {
            withStream(id) { connection, stream in
                guard stream.state != .closed else { return }
                connection.noteActivity(id, from: stream.state, to: .closed)
                stream.state = .closed
                stream.closeReason = .goaway
                stream.dropPendingSend()
            }
        }
        if code != .noError {
            isClosed = true
            closeReason = "peer sent GOAWAY \(code.name)"
            events.append(.connectionClosed(reason: "peer sent GOAWAY \(code.name)"))
        }
    }

    mutating func receiveWindowUpdate(_ id: UInt32, _ increment: Int, into events: inout [Event]) {
        if id == 0 {
            let before = connectionSendWindow.value
            guard connectionSendWindow.increase(by: increment) else {
                return fail(.connection(.flowControlError, "§6.9.1", "WINDOW_UPDATE makes the connection window exceed 2^31-1"), into: &events)
            }
            progress(.windowChanged(stream: 0, side: .send, from: before, to: connectionSendWindow.value), into: &events)
        } else {
            let current = state(of: id)
            if current == .idle {
                return fail(.connection(.protocolError, "§5.1", "WINDOW_UPDATE on idle stream \(id)"), into: &events)
            }
            guard current != .closed, let moved = streams.update(id, { stream -> (before: Int, after: Int)? in
                let before = stream.sendWindow.value
                guard stream.sendWindow.increase(by: increment) else { return nil }
                return (before, stream.sendWindow.value)
            }) else { return }
            guard let moved else {
                return fail(.stream(id, .flowControlError, "§6.9.1", "WINDOW_UPDATE makes stream \(id)'s window exceed 2^31-1"), into: &events)
            }
            progress(.windowChanged(stream: id, side: .send, from: moved.before, to: moved.after), into: &events)
        }
        flushPendingData(into: &events)
    }
}
