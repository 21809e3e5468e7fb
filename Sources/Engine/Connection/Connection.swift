/// Which end of the connection an endpoint is.
public enum Role: String, Hashable, Sendable, CustomStringConvertible {
    case client, server
    public var peer: Role { self == .client ? .server : .client }
    public var description: String { rawValue }
}

/// When the receiver gives flow-control credit back with WINDOW_UPDATE (§6.9). Explicit, so that a
/// lesson can stall a stream on purpose.
public enum WindowUpdatePolicy: String, Hashable, Sendable, CaseIterable {
    /// After half of a window has been consumed (what most implementations do).
    case halfWindow = "half"
    /// After every DATA frame.
    case eager
    /// Never by itself: only when the driver calls `sendWindowUpdate`.
    case manual
}

/// What goes onto the wire: the client preface, or a frame.
public enum Outbound: Hashable, Sendable {
    case preface
    case frame(Frame)

    public var bytes: [UInt8] {
        switch self {
        case .preface: return connectionPreface
        case .frame(let frame): return FrameEncoder.encode(frame)
        }
    }
}

/// An entry of a connection's outbox: what goes onto the wire, or a DATA frame that carries a part
/// of a body held by its stream (`range` of `body`: the body is shared, not copied, until a driver
/// asks for frames as values).
enum OutboxEntry: Hashable, Sendable {
    case preface
    case frame(Frame)
    case data(stream: UInt32, body: [UInt8], range: Range<Int>, endStream: Bool)

    var outbound: Outbound {
        switch self {
        case .preface: return .preface
        case .frame(let frame): return .frame(frame)
        case .data(let id, let body, let range, let endStream): return .frame(.data(id, Array(body[range]), endStream: endStream))
        }
    }
}

/// A mistake in how a driver asked the engine to act (not a protocol error: nothing was sent).
public struct UsageError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// One endpoint of an HTTP/2 connection, client or server: sans-IO and a value.
///
/// Bytes (or frames) go in through `receive`, which returns events; frames to send collect in the
/// outbox, taken by `takeOutbound()`. The driver moves them. Copying a `Connection` is a snapshot of
/// everything: streams, windows, settings and both HPACK tables.
public struct Connection: Sendable {
    public struct Configuration: Hashable, Sendable {
        /// The SETTINGS this endpoint sends first.
        public var settings: [Setting]
        public var windowUpdatePolicy: WindowUpdatePolicy
        /// Keep received bodies in the stream records (the lab shows them; a server may stream).
        public var keepBodies: Bool
        /// Streams a client may reset before their response is complete, per connection, before the
        /// server ends the connection with ENHANCE_YOUR_CALM (rapid reset, CVE-2023-44487).
        public var rapidResetLimit = Configuration.defaultRapidResetLimit
        public static let defaultRapidResetLimit = 1_000
        /// Frames that carry nothing and end nothing (DATA of no octets without END_STREAM, header
        /// fragments of no octets without END_HEADERS) a peer may send per connection before it is
        /// ended with ENHANCE_YOUR_CALM (empty frames flood, CVE-2019-9518).
        public var emptyFrameLimit = Configuration.defaultEmptyFrameLimit
        public static let defaultEmptyFrameLimit = 1_000
        /// Report every header block field by field (`.headersReceived`, `.headersSent`: how each
        /// field was represented, what the table did). The lab and traces need it; a server whose
        /// events nobody reads decodes and encodes without the report, which is cheaper.
        public var reportsHeaderBlocks = true
        /// Report the play-by-play: every frame received (`.frameReceived`), stream state changes,
        /// window changes, DATA sent and received, header blocks sent. The lab, the REPL and every
        /// trace read them; a server whose events nobody reads leaves them out, and still reports
        /// what a responder acts on (messages complete, resets, errors, GOAWAY, settings).
        public var reportsProgress = true
        /// Encode each frame onto the wire as it is queued, with no `Frame` value made for it: a
        /// response's field block is encoded straight into the octets that will be written
        /// (`takeOutbound(into:)` then hands them over whole). For a driver that never asks for
        /// frames as values (a server that traces nothing); `takeOutbound()` still works, by
        /// decoding the octets again.
        public var encodesOutbox = false
        /// How the encoder chooses representations (`.network` for endpoints on sockets).
        public var encoderPolicy = EncoderPolicy.standard
        /// Octets of received bodies this endpoint holds at once over all its streams (nil: no
        /// bound). DATA that would pass it is a stream error ENHANCE_YOUR_CALM (§10.5): whatever the
        /// peer sends, a connection holds no more than this of bodies (with `releasesClosedBodies`).
        public var maxHeldBodyOctets: Int?
        /// Drop a stream's received body once the stream closes (a server whose responder read it
        /// when the request completed); the lab keeps them for `show` and `expect`.
        public var releasesClosedBodies = false

        public init(settings: [Setting] = [], windowUpdatePolicy: WindowUpdatePolicy = .halfWindow, keepBodies: Bool = true) {
            self.settings = settings
            self.windowUpdatePolicy = windowUpdatePolicy
            self.keepBodies = keepBodies
        }

        /// Push off, as browsers send it since Chrome 106 and Firefox 132 removed server push
        /// (SETTINGS_ENABLE_PUSH=0, RFC 9113 §6.5.2); a lesson turns it on with `settings ENABLE_PUSH=1`.
        public static let client = Configuration(settings: [Setting(.enablePush, 0), Setting(.maxConcurrentStreams, 100)])
        public static let server = Configuration(settings: [
            Setting(.maxConcurrentStreams, 100), Setting(.maxHeaderListSize, 65_536),
        ])
    }

    public let role: Role
    public var configuration: Configuration

    /// Our settings in force (acknowledged by the peer), and those sent but not yet acknowledged.
    public internal(set) var localSettings = SettingsValues()
    public internal(set) var unacknowledgedSettings: [[Setting]] = []
    /// The peer's settings, in force since we received them.
    public internal(set) var remoteSettings = SettingsValues()

    public internal(set) var encoder = HPACKEncoder()
    public internal(set) var decoder = HPACKDecoder()
    var frameDecoder: FrameDecoder

    public internal(set) var connectionSendWindow = FlowWindow()
    public internal(set) var connectionReceiveWindow = FlowWindow()
    var connectionUnacknowledged = 0
    /// Streams the peer reset while they were still open here (rapid reset, CVE-2023-44487).
    public internal(set) var earlyResets = 0
    /// Frames received that carried nothing and ended nothing (CVE-2019-9518).
    public internal(set) var emptyFrames = 0
    /// Octets of received bodies held in the stream records (`Configuration.maxHeldBodyOctets`).
    public internal(set) var heldBodyOctets = 0

    public internal(set) var streams = StreamTable()
    /// Active streams (§5.1.2) opened by the peer and by us, kept as states change so that
    /// MAX_CONCURRENT_STREAMS needs no scan of every stream record per new stream.
    var activePeerStreams = 0
    var activeLocalStreams = 0
    /// Streams that may have DATA (or END_STREAM) waiting to go: a superset, pruned as it is scanned;
    /// each once, in no order. A list, not a `Set`: it holds a few ids (at most the streams open at
    /// once), and hashing each id in and out cost a server more than looking through them.
    var pendingSendIDs: [UInt32] = []
    /// `flushPendingData`'s list of ids to serve, kept for its capacity; always empty between calls.
    var sendOrderScratch: [UInt32] = []
    /// Streams in `streams` that have closed, in the order they closed (the oldest are forgotten first).
    var closedOrder: [UInt32] = []
    /// Streams forgotten to bound memory, with why they closed, sorted by id (ids mostly close in
    /// increasing order, so a new one is almost always appended; a lookup is a binary search).
    var forgottenClosed: [(id: UInt32, reason: CloseReason)] = []
    public internal(set) var highestPeerStreamID: UInt32 = 0
    public internal(set) var highestLocalStreamID: UInt32 = 0

    /// A header block spread over HEADERS/PUSH_PROMISE and CONTINUATION frames (§4.3, §6.10).
    struct PendingHeaderBlock: Hashable, Sendable {
        var first: Frame
        var fragments: [UInt8]
        /// Whether a CONTINUATION (without END_HEADERS) came after `first`.
        var continued = false

        /// The section whose receiver MUST a frame other than this block's CONTINUATION breaks:
        /// the one of the frame that left the block open (§6.2 HEADERS, §6.6 PUSH_PROMISE, §6.10
        /// CONTINUATION: "A receiver MUST treat the receipt of any other type of frame or a frame
        /// on a different stream as a connection error (Section 5.4.1) of type PROTOCOL_ERROR").
        var rule: String {
            if continued { return "§6.10" }
            if case .pushPromise = first.payload { return "§6.6" }
            return "§6.2"
        }
    }
    var pendingHeaderBlock: PendingHeaderBlock? {
        didSet { isReceivingHeaderBlock = pendingHeaderBlock != nil }
    }
    /// RFC 9218 §7.1: priorities received for streams still idle, applied when they open (the
    /// latest for each stream).
    var idlePriorities: [UInt32: Priority] = [:]
    /// Whether queued DATA waits for `resumeDataFlush` (a batch of responses is scheduled together).
    var dataFlushPaused = false
    /// A header block has begun and awaits CONTINUATION (§6.10). Stored, kept by
    /// `pendingHeaderBlock`, not computed: a driver in another module asks it after every read,
    /// and a computed property of a connection held by a class is read from a copy of the whole
    /// connection (every reference in it retained, then released).
    public private(set) var isReceivingHeaderBlock = false

    public internal(set) var goawaySent: (lastStreamID: UInt32, code: ErrorCode)?
    public internal(set) var goawayReceived: (lastStreamID: UInt32, code: ErrorCode)?
    /// A graceful shutdown (§6.8) waiting for the PING that measures one round trip; its ACK sends
    /// the final GOAWAY (`Connection+Shutdown.swift`).
    public internal(set) var shutdownPingOutstanding = false
    public internal(set) var prefaceReceived = false
    public internal(set) var peerSettingsReceived = false
    /// Set after a connection error: nothing more is read.
    public internal(set) var isClosed = false
    public internal(set) var closeReason: String?

    /// What waits to go out, in order (`takeOutbound`).
    var outbox: [OutboxEntry] = []
    /// What waits to go out, encoded already, with `Configuration.encodesOutbox` (`queue(_:)`).
    var encodedOutbox = WireQueue()
    /// `Configuration.encodesOutbox` as it was when the connection was made: a driver that
    /// changes its configuration later (its settings, say) does not strand what one queue holds.
    let encodesOutbox: Bool
    /// How many requests took the short path for a HEADERS frame (`receivePlainHeaders`); tests
    /// read it to know the path they compare was taken.
    private(set) var plainHeadersTaken = 0

    public init(role: Role, configuration: Configuration? = nil) {
        self.role = role
        self.configuration = configuration ?? (role == .client ? .client : .server)
        self.frameDecoder = FrameDecoder(expectPreface: role == .server)
        encodesOutbox = self.configuration.encodesOutbox
        encoder.policy = self.configuration.encoderPolicy
    }

    // MARK: Starting

    /// Queues this endpoint's preface: for a client the magic string and SETTINGS, for a server
    /// SETTINGS (§3.4).
    public mutating func start() {
        if role == .client {
            if encodesOutbox { encodedOutbox.append(connectionPreface) } else { outbox.append(.preface) }
        }
        let settings = configuration.settings
        unacknowledgedSettings.append(settings)
        queue(.settings(settings))
        enforceAnnouncedLimits(settings)
    }

    /// SETTINGS_MAX_HEADER_LIST_SIZE is advisory (RFC 9113 §6.5.2): a receiver may refuse larger
    /// lists whenever it likes. A lower limit we announced is enforced at once, not only once the
    /// peer acknowledges it, so a peer that never acknowledges cannot send an HPACK bomb
    /// (CVE-2016-6581) or an endless CONTINUATION block (CVE-2024-27316) meanwhile.
    mutating func enforceAnnouncedLimits(_ list: [Setting]) {
        for setting in list where setting.id == .maxHeaderListSize {
            decoder.maxHeaderListSize = min(decoder.maxHeaderListSize ?? Int.max, Int(setting.value))
        }
    }

    /// Frames queued since the last call, in order (a DATA frame that carries a part of a body
    /// gets that part copied out: `takeOutbound(into:)` is the way without copies).
    public mutating func takeOutbound() -> [Outbound] {
        if encodesOutbox { return takeEncodedOutbound() }
        defer { outbox.removeAll(keepingCapacity: true) }
        return outbox.map(\.outbound)
    }

    /// `takeOutbound()` with `Configuration.encodesOutbox`: the frames read back from their
    /// octets, each on its own. A frame the parser refuses (a lesson's crafted one, `sendUnchecked`)
    /// comes back with its payload as it is (`.unknown`, its type kept), which encodes to the same
    /// octets: nothing queued is lost.
    private mutating func takeEncodedOutbound() -> [Outbound] {
        var octets: [UInt8] = []
        octets.reserveCapacity(encodedOutbox.count)
        encodedOutbox.withBuffers(limit: Int.max) { buffers in
            for buffer in buffers { octets.append(contentsOf: buffer.assumingMemoryBound(to: UInt8.self)) }
        }
        encodedOutbox.consume(encodedOutbox.count)
        var items: [Outbound] = []
        var at = 0
        if octets.starts(with: connectionPreface) {
            items.append(.preface)
            at = connectionPreface.count
        }
        while let header = FrameHeader(octets[at...]), octets.count - at - FrameHeader.size >= header.length {
            let payload = octets[(at + FrameHeader.size)..<(at + FrameHeader.size + header.length)]
            at += FrameHeader.size + header.length
            switch FrameParser.parse(header, payload) {
            case .success(let frame): items.append(.frame(frame))
            case .failure:
                var frame = Frame(streamID: header.streamID, flags: header.flags,
                                  payload: .unknown(type: header.type.rawValue, payload: Array(payload)))
                frame.reservedBit = header.reservedBit
                items.append(.frame(frame))
            }
        }
        return items
    }

    /// Queues a frame: as a value in the outbox, or encoded (`Configuration.encodesOutbox`).
    @inline(__always)
    mutating func queue(_ frame: Frame) {
        if encodesOutbox { encodedOutbox.append(frame: frame) } else { outbox.append(.frame(frame)) }
    }

    /// Frames queued since the last call, encoded onto `wire` in order; the bodies DATA frames
    /// carry are handed over as they lie, not copied (a server's hot path, when nothing traces).
    public mutating func takeOutbound(into wire: inout WireQueue) {
        if encodesOutbox { return wire.take(&encodedOutbox) }
        for entry in outbox {
            switch entry {
            case .preface: wire.append(connectionPreface)
            case .frame(let frame): wire.append(frame: frame)
            case .data(let id, let body, let range, let endStream): wire.appendData(stream: id, body: body, range, endStream: endStream)
            }
        }
        outbox.removeAll(keepingCapacity: true)
    }

    /// Lets go of buffers kept only for reuse (the octets already decoded, the outbox's room): the
    /// lab calls it after each delivery, so that the snapshots it keeps for `back` hold none of them.
    mutating func releaseSpareBuffers() {
        frameDecoder.releaseDecoded()
        if outbox.isEmpty { outbox = [] }
    }

    // MARK: Receiving

    /// Feeds received bytes (any chunking) and processes every complete frame.
    public mutating func receive(bytes: some Collection<UInt8>) -> [Event] {
        guard !isClosed else { return [] }
        frameDecoder.append(bytes)
        var events: [Event] = []
        // A read brings a few frames, each an event or two: room made once, not grown by doubling.
        events.reserveCapacity(16)
        while !isClosed {
            if takesPlainHeaders, let (header, range) = frameDecoder.nextPlainHeaders() {
                receivePlainHeaders(header, range, into: &events)
                continue
            }
            guard let item = frameDecoder.next() else { break }
            switch item {
            case .preface:
                prefaceReceived = true
                events.append(.prefaceReceived)
            case .frame(let frame):
                receive(frame, into: &events)
            case .malformed(let error, let header):
                receiveMalformed(error, header, into: &events)
            }
        }
        return events
    }

    /// Whether the next frame, if it is a request's HEADERS opening a new stream, may be taken
    /// without a `Frame` value (`receivePlainHeaders`): when nothing it leaves out can be seen
    /// (no play-by-play, no reports, no field block in progress, no GOAWAY sent, which a
    /// `.frameIgnored` event carrying the frame would answer).
    private var takesPlainHeaders: Bool {
        role == .server && !configuration.reportsProgress && !configuration.reportsHeaderBlocks && peerSettingsReceived
            && pendingHeaderBlock == nil && goawaySent == nil
    }

    /// A server's hot path: a request's HEADERS frame (END_HEADERS, no padding or priority
    /// fields: `FrameDecoder.nextPlainHeaders`) on a stream above any the client opened, its
    /// field block decoded where it lies in the read buffer. What `receive(_:into:)` would do with
    /// its `Frame`, with no `Frame` made: no copy of the block, no frame to free.
    private mutating func receivePlainHeaders(_ header: FrameHeader, _ range: Range<Int>, into events: inout [Event]) {
        let buffer = frameDecoder.lendBuffer()
        guard isPeerInitiated(header.streamID), header.streamID > highestPeerStreamID else {
            // Anything else takes the general path, with the frame `FrameParser` makes.
            let parsed = FrameParser.parse(header, buffer[range])
            frameDecoder.returnBuffer(buffer)
            switch parsed {
            case .success(let frame): return receive(frame, into: &events)
            case .failure(let error): return receiveMalformed(error, header, into: &events)
            }
        }
        plainHeadersTaken += 1
        let first = Frame(streamID: header.streamID, flags: header.flags, payload: .headers(block: [], priority: nil))
        buffer.withUnsafeBufferPointer { all in completeHeaderBlock(first, UnsafeBufferPointer(rebasing: all[range]), into: &events) }
        frameDecoder.returnBuffer(buffer)
    }

    /// Processes one received frame (already decoded).
    public mutating func receive(frame: Frame) -> [Event] {
        var events: [Event] = []
        if !isClosed { receive(frame, into: &events) }
        return events
    }

    mutating func receive(_ frame: Frame, into events: inout [Event]) {
        progress(.frameReceived(frame), into: &events)
        // §3.4: the first frame from the peer must be SETTINGS.
        if !peerSettingsReceived {
            guard frame.type == .settings, !frame.isAck else {
                return fail(.connection(.protocolError, "§3.4", "the peer's first frame is \(frame.type), not SETTINGS"), into: &events)
            }
        }
        // §4.3: a header block is contiguous: only CONTINUATION on its stream may follow.
        if let pending = pendingHeaderBlock {
            guard frame.type == .continuation, frame.streamID == pending.first.streamID else {
                return fail(.connection(.protocolError, pending.rule,
                    "\(frame.type) on stream \(frame.streamID) while a header block on stream \(pending.first.streamID) awaits CONTINUATION"),
                    into: &events)
            }
        }
        if frame.isEmptyAndUnending {
            emptyFrames += 1
            if emptyFrames > configuration.emptyFrameLimit {
                return fail(.connection(.enhanceYourCalm, "§10.5",
                    "\(emptyFrames) frames that carry nothing and end nothing (limit \(configuration.emptyFrameLimit))"), into: &events)
            }
        }
        switch frame.payload {
        case .data(let bytes): receiveData(frame, bytes, into: &events)
        case .headers(let block, _): beginHeaderBlock(frame, block, into: &events)
        case .pushPromise(_, let block): beginHeaderBlock(frame, block, into: &events)
        case .continuation(let block): receiveContinuation(frame, block, into: &events)
        case .priority(let fields): events.append(.priorityReceived(stream: frame.streamID, fields))
        case .rstStream(let code): receiveReset(frame.streamID, code, into: &events)
        case .settings(let list): receiveSettings(frame, list, into: &events)
        case .ping(let opaque):
            if frame.isAck {
                events.append(.pingAcknowledged(opaque))
                if shutdownPingOutstanding && opaque == Self.shutdownPing { finishGracefulShutdown(into: &events) }
            } else {
                events.append(.pingReceived(opaque))
                queue(.ping(opaque, ack: true))
            }
        case .goaway(let last, let code, let debug): receiveGoaway(last, code, debug, into: &events)
        case .windowUpdate(let increment): receiveWindowUpdate(frame.streamID, Int(increment), into: &events)
        case .priorityUpdate(let stream, let value): receivePriorityUpdate(stream, value, into: &events)
        case .unknown:
            events.append(.frameIgnored(frame, reason: "unknown frame type (§5.5)"))
        }
    }

    /// A frame the decoder refused. A stream error keeps the connection's own rules in front of it:
    /// the first frame must be SETTINGS (§3.4) and nothing may interrupt a field block (§6.10), so
    /// a malformed frame in either place is the connection error any other frame there would be.
    mutating func receiveMalformed(_ error: ProtocolError, _ header: FrameHeader?, into events: inout [Event]) {
        guard case .stream = error.scope, let header else { return fail(error, into: &events) }
        if !peerSettingsReceived {
            return fail(.connection(.protocolError, "§3.4", "the peer's first frame is \(header.type), not SETTINGS"), into: &events)
        }
        if let pending = pendingHeaderBlock, header.type != .continuation || header.streamID != pending.first.streamID {
            return fail(.connection(.protocolError, pending.rule,
                "\(header.type) on stream \(header.streamID) while a header block on stream \(pending.first.streamID) awaits CONTINUATION"),
                into: &events)
        }
        fail(error, into: &events)
    }

    // MARK: Errors (§5.4)

    /// Acts on a protocol error: a connection error sends GOAWAY and closes (§5.4.1); a stream
    /// error sends RST_STREAM and closes the stream (§5.4.2).
    mutating func fail(_ error: ProtocolError, into events: inout [Event]) {
        events.append(.protocolError(error))
        switch error.scope {
        case .connection:
            sendGoaway(error.code, debug: error.message, into: &events)
            isClosed = true
            closeReason = error.description
            events.append(.connectionClosed(reason: error.description))
        case .stream(let id):
            resetStream(id, error.code, into: &events)
        }
    }

    mutating func sendGoaway(_ code: ErrorCode, debug: String, into events: inout [Event]) {
        // §6.8: "Endpoints MUST NOT increase the value they send in the last stream identifier":
        // streams noted after an earlier GOAWAY (and ignored) do not raise it.
        let last = min(highestPeerStreamID, goawaySent?.lastStreamID ?? highestPeerStreamID)
        goawaySent = (last, code)
        queue(.goaway(lastStreamID: last, code, debug: debug))
        events.append(.goawaySent(lastStreamID: last, code: code, debug: debug))
    }

    mutating func resetStream(_ id: UInt32, _ code: ErrorCode, into events: inout [Event]) {
        queue(.rstStream(id, code))
        events.append(.streamReset(stream: id, code: code, direction: .sent))
        let known: Void? = withStream(id) { connection, stream in
            if stream.state != .closed {
                connection.transition(&stream, .rstStream(.sent), into: &events)
                stream.closeReason = .resetSent
            }
            stream.dropPendingSend()
        }
        if known == nil {
            var record = newStream(id)
            noteActivity(id, from: record.state, to: .closed)
            record.state = .closed
            record.closeReason = .resetSent
            streams[id] = record
            notePeerStream(id)
        }
    }

    // MARK: Streams

    func isPeerInitiated(_ id: UInt32) -> Bool {
        // Clients use odd identifiers, servers even (§5.1.1).
        (id % 2 == 1) == (role == .server)
    }

    func newStream(_ id: UInt32) -> StreamRecord {
        StreamRecord(id: id, sendWindow: Int(remoteSettings.initialWindowSize),
                     receiveWindow: Int(localSettings.initialWindowSize))
    }

    mutating func notePeerStream(_ id: UInt32) {
        if isPeerInitiated(id) { highestPeerStreamID = max(highestPeerStreamID, id) }
    }

    /// Appends a play-by-play event when they are reported (`Configuration.reportsProgress`).
    @inline(__always)
    func progress(_ event: @autoclosure () -> Event, into events: inout [Event]) {
        if configuration.reportsProgress { events.append(event()) }
    }

    /// The state of a stream, including idle streams never seen and closed ones forgotten.
    public func state(of id: UInt32) -> StreamState {
        if let state = streams.read(id, { $0.state }) { return state }
        if forgottenReason(id) != nil { return .closed }
        let highest = isPeerInitiated(id) ? highestPeerStreamID : highestLocalStreamID
        // §5.1.1: opening a stream implicitly closes idle streams with lower identifiers.
        return id <= highest ? .closed : .idle
    }

    /// Why a closed stream closed (also for a stream the connection no longer keeps a record of).
    public func closeReason(of id: UInt32) -> CloseReason? {
        (streams.read(id, { $0.closeReason }) ?? nil) ?? forgottenReason(id)
    }

    /// Why a forgotten stream closed; nil if it was not forgotten.
    func forgottenReason(_ id: UInt32) -> CloseReason? {
        let i = forgottenIndex(id)
        return i < forgottenClosed.count && forgottenClosed[i].id == id ? forgottenClosed[i].reason : nil
    }

    /// Where `id` is or would go in `forgottenClosed`.
    private func forgottenIndex(_ id: UInt32) -> Int {
        if let last = forgottenClosed.last, last.id < id { return forgottenClosed.count }
        var low = 0, high = forgottenClosed.count
        while low < high {
            let mid = (low + high) / 2
            if forgottenClosed[mid].id < id { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// Applies a §5.1 transition and reports it. Returns false if the diagram has no such arrow.
    @discardableResult
    mutating func transition(_ stream: inout StreamRecord, _ input: StreamInput, into events: inout [Event]) -> Bool {
        guard let next = stream.state.next(on: input) else { return false }
        progress(.streamStateChanged(stream: stream.id, from: stream.state, to: next, cause: input), into: &events)
        noteActivity(stream.id, from: stream.state, to: next)
        stream.state = next
        if next == .closed {
            closedOrder.append(stream.id)
            if configuration.releasesClosedBodies { releaseBody(of: &stream) }
        }
        if next == .closed && stream.closeReason == nil {
            switch input {
            case .rstStream(.sent): stream.closeReason = .resetSent
            case .rstStream(.received): stream.closeReason = .resetReceived
            default: stream.closeReason = .endStream
            }
        }
        return true
    }

    /// Lets go of stream `id`'s received body once its reader has it (a client connection kept for
    /// many requests, as the proxy's server leg: closed streams stay until pruned, their bodies
    /// need not).
    public mutating func releaseBody(_ id: UInt32) {
        withStream(id) { connection, stream in connection.releaseBody(of: &stream) }
    }

    /// Lets go of a stream's received body (and its count in `heldBodyOctets`).
    mutating func releaseBody(of stream: inout StreamRecord) {
        heldBodyOctets -= stream.receivedBody.count
        stream.receivedBody = []
    }

    /// The most streams the peer may have open at once by what we announced (§5.1.2): the
    /// smallest of the value in force and any sent but not yet acknowledged, so that a peer that
    /// never acknowledges our SETTINGS is still held to them. `pending` says the smallest is one
    /// the peer may not have seen yet.
    var peerStreamLimit: (limit: Int, pending: Bool)? {
        var best = localSettings.maxConcurrentStreams.map { (limit: Int($0), pending: false) }
        for list in unacknowledgedSettings {
            for setting in list where setting.id == .maxConcurrentStreams && Int(setting.value) < (best?.limit ?? Int.max) {
                best = (Int(setting.value), true)
            }
        }
        return best
    }

    /// Number of active streams opened by the peer (or by us) for MAX_CONCURRENT_STREAMS (§5.1.2).
    func activeStreams(openedByPeer: Bool) -> Int {
        openedByPeer ? activePeerStreams : activeLocalStreams
    }

    /// Keeps the active-stream counts in step with a state change.
    mutating func noteActivity(_ id: UInt32, from old: StreamState, to new: StreamState) {
        guard old.isActive != new.isActive else { return }
        let change = new.isActive ? 1 : -1
        if isPeerInitiated(id) { activePeerStreams += change } else { activeLocalStreams += change }
    }

    /// Forgets the oldest closed streams once there are many, keeping why they closed. This bounds
    /// what every snapshot copies (a lab stepping for hours, a server under h2load) and what the
    /// per-frame scans look at; `show streams` keeps the most recent closed ones.
    /// (The closed streams are known from `closedOrder`: no scan of every record.)
    public mutating func pruneClosedStreams() {
        guard streams.count > 256, closedOrder.count > 64 else { return }
        // In place: the ids kept (a closed stream still sending) are moved to the front, the ones
        // forgotten cut out after them; no new array per call (a server prunes on every request).
        let cut = closedOrder.count - 64
        var kept = 0
        for k in 0..<cut {
            let id = closedOrder[k]
            guard let (closed, pending, held) = streams.read(id, { ($0.closeReason, $0.pendingSendCount, $0.receivedBody.count) }),
                  let reason = closed else { continue }  // already gone
            if pending > 0 {
                closedOrder[kept] = id
                kept += 1
                continue
            }
            heldBodyOctets -= held
            streams.remove(id)
            let i = forgottenIndex(id)
            if i < forgottenClosed.count && forgottenClosed[i].id == id { continue }
            forgottenClosed.insert((id, reason), at: i)
        }
        closedOrder.removeSubrange(kept..<cut)
        if forgottenClosed.count > 4_096 { forgottenClosed.removeFirst(2_048) }
    }

    /// Forgets the record of stream `id`, which has just closed holding nothing anyone will read (a
    /// promise refused before its response began): a peer that makes such streams without end
    /// then leaves none behind, whatever reads the others' results and when.
    mutating func forgetJustClosed(_ id: UInt32) {
        guard let (closed, pending) = streams.read(id, { ($0.closeReason, $0.pendingSendCount) }), let reason = closed, pending == 0 else { return }
        if let held = streams.read(id, { $0.receivedBody.count }) { heldBodyOctets -= held }
        streams.remove(id)
        if closedOrder.last == id { closedOrder.removeLast() }
        let i = forgottenIndex(id)
        if i == forgottenClosed.count || forgottenClosed[i].id != id { forgottenClosed.insert((id, reason), at: i) }
        if forgottenClosed.count > 4_096 { forgottenClosed.removeFirst(2_048) }
    }
}
