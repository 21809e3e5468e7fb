/// A change to a header block waiting on the wire, made before it is forwarded (the REPL's `edit`).
public enum FieldEdit: Hashable, Sendable, CustomStringConvertible {
    /// Gives the field `name` this value: the first field of that name takes it and later ones go;
    /// with none, the field is added (a pseudo-header after the other pseudo-headers, §8.3).
    case set(name: String, value: String)
    /// Removes every field of that name.
    case remove(name: String)

    public var description: String {
        switch self {
        case .set(let name, let value): return "\(name): \(value)"
        case .remove(let name): return "remove \(name)"
        }
    }

    /// `fields` with the edits applied, in order.
    public static func apply(_ edits: [FieldEdit], to fields: [HeaderField]) -> [HeaderField] {
        var fields = fields
        for edit in edits {
            switch edit {
            case .remove(let name):
                fields.removeAll { $0.name == name }
            case .set(let name, let value):
                if let first = fields.firstIndex(where: { $0.name == name }) {
                    fields[first].value = value
                    fields = fields.enumerated().filter { $0.offset <= first || $0.element.name != name }.map(\.element)
                } else if name.hasPrefix(":") {
                    fields.insert(HeaderField(name, value), at: fields.firstIndex { !$0.isPseudo } ?? fields.count)
                } else {
                    fields.append(HeaderField(name, value))
                }
            }
        }
        return fields
    }
}

/// What H2Lab knows of one stream of a real peer, inferred from the frames it sent and was sent.
public struct RelayStream: Hashable, Sendable {
    public var state = StreamState.idle
    /// What the peer may still send on the stream, and what it has offered to receive.
    public var sendWindow: Int
    public var receiveWindow: Int
    /// "GET /html" (from the request's fields) and the response's :status.
    public var request = ""
    public var status: String?
    /// Header blocks the stream has carried (the first is a request or a response, later ones trailers).
    var blocks = 0
}

/// H2Lab in the middle between a real client and a real server (the REPL's `proxy`). Each frame one
/// peer sends waits on the wire; delivering it forwards it to the other peer, or `drop` discards it.
/// Frames pass one for one with their stream ids, so that what the receiver gets is what the sender
/// sent, except for header blocks: each leg has its own HPACK context (RFC 7541 §2.2), so a block is
/// decoded with the sender's context and encoded again with H2Lab's encoder toward the receiver (an
/// edited block carries the edited fields). Settings, windows and stream states of both peers are
/// followed from the frames each sent and was sent, for `show`. A value, like the rest of the lab.
public struct Relay: Sendable {
    /// What H2Lab knows of one real peer.
    public struct Peer: Sendable {
        public var role: Role
        public var name: String
        /// The settings it announced (what frames to it must keep to).
        public var announced = SettingsValues()
        /// Mirrors its encoder: decodes the header blocks it sends.
        public var decoder = HPACKDecoder()
        /// H2Lab's encoder for blocks forwarded to it; its decoder mirrors this one.
        public var encoder = HPACKEncoder()
        /// Its streams as it sees them.
        public var streams: [UInt32: RelayStream] = [:]
        public var connectionSendWindow = 65_535
        public var connectionReceiveWindow = 65_535
        /// The initial stream window for what it sends (announced by the other peer, once forwarded).
        var initialSendWindow = 65_535

        init(role: Role, name: String) {
            self.role = role
            self.name = name
        }
    }

    /// What happened to one item on delivery.
    public struct Outcome: Hashable, Sendable {
        /// The octets written to the receiver: the item as it came, or a header block encoded again;
        /// empty when it was dropped or is held.
        public var forwarded: [UInt8] = []
        /// The sender's side: its transitions, windows, and the block as decoded with its context.
        public var senderEvents: [Event] = []
        /// The receiver's side: the block as H2Lab encoded it, its transitions and windows.
        public var receiverEvents: [Event] = []
        /// A word on what H2Lab did ("held until END_HEADERS", "edited: …", "dropped").
        public var notes: [String] = []
    }

    public private(set) var client: Peer
    public private(set) var server: Peer
    /// How the server was reached ("http", "https").
    public var scheme: String
    /// A header block being gathered from HEADERS/PUSH_PROMISE and CONTINUATION, per sender.
    private var pending: [Role: PendingBlock] = [:]

    /// The most of one header block H2Lab holds while its CONTINUATION frames come.
    static let maxHeldBlock = 1 << 20

    struct PendingBlock: Sendable {
        var first: Frame
        var fragments: [UInt8]
        var edits: [FieldEdit]
        var dropped: Bool
    }

    public init(client: String, server: String, scheme: String = "http") {
        self.client = Peer(role: .client, name: client)
        self.server = Peer(role: .server, name: server)
        self.scheme = scheme
    }

    public func peer(_ role: Role) -> Peer { role == .client ? client : server }

    private mutating func withPeer<T>(_ role: Role, _ body: (inout Peer) -> T) -> T {
        role == .client ? body(&client) : body(&server)
    }

    /// Handles one item from `item.from`: followed on the sender's side always (it sent it), on the
    /// receiver's side only when forwarded.
    public mutating func deliver(_ item: WireItem, drop: Bool) -> Outcome {
        var outcome = Outcome()
        let sender = item.from, receiver = item.to
        guard !item.isPreface, let header = FrameHeader(item.bytes), header.length + FrameHeader.size == item.bytes.count,
              let frame = item.frame
        else {
            // The preface, or octets that are not one frame: passed as they are (the receiver judges them).
            if drop { outcome.notes.append("dropped: the \(receiver) never sees it") } else { outcome.forwarded = item.bytes }
            return outcome
        }
        let forward = !drop
        switch frame.payload {
        case .headers, .pushPromise:
            pending[sender] = PendingBlock(first: frame, fragments: [], edits: item.edits, dropped: drop)
            finishBlock(frame, sender: sender, outcome: &outcome)
            return outcome
        case .continuation:
            guard var block = pending[sender] else { break }  // a stray CONTINUATION: passed on for the receiver to reject
            if block.fragments.count + frame.payloadLength > Self.maxHeldBlock {
                // A block no server would take (a CONTINUATION flood): H2Lab stops holding it and
                // passes the rest on as it comes, for the receiver to answer.
                pending[sender] = nil
                outcome.notes.append("✗ the header block passed \(Self.maxHeldBlock) octets: H2Lab stops holding it; passed on as it came")
                if !drop { outcome.forwarded = item.bytes }
                return outcome
            }
            block.dropped = block.dropped || drop
            block.edits += item.edits
            pending[sender] = block
            finishBlock(frame, sender: sender, outcome: &outcome)
            return outcome
        case .data:
            let length = frame.payloadLength
            withPeer(sender) { peer in
                Self.consume(&peer, stream: frame.streamID, length: length, sending: true, into: &outcome.senderEvents)
                if frame.endStream { Self.transition(&peer, frame.streamID, .endStream(.sent), into: &outcome.senderEvents) }
            }
            if forward {
                withPeer(receiver) { peer in
                    Self.consume(&peer, stream: frame.streamID, length: length, sending: false, into: &outcome.receiverEvents)
                    if frame.endStream { Self.transition(&peer, frame.streamID, .endStream(.received), into: &outcome.receiverEvents) }
                }
            }
        case .windowUpdate(let increment):
            withPeer(sender) { Self.grow(&$0, stream: frame.streamID, by: Int(increment), sending: false, into: &outcome.senderEvents) }
            if forward {
                withPeer(receiver) { Self.grow(&$0, stream: frame.streamID, by: Int(increment), sending: true, into: &outcome.receiverEvents) }
            }
        case .settings(let list) where !frame.isAck:
            followSettings(list, from: sender, forwarded: forward)
        case .rstStream:
            withPeer(sender) { Self.transition(&$0, frame.streamID, .rstStream(.sent), into: &outcome.senderEvents) }
            if forward { withPeer(receiver) { Self.transition(&$0, frame.streamID, .rstStream(.received), into: &outcome.receiverEvents) } }
        default:
            break
        }
        if drop { outcome.notes.append("dropped: the \(receiver) never sees it") } else { outcome.forwarded = item.bytes }
        return outcome
    }

    /// A SETTINGS frame (not an ACK): the sender announced it, and it binds the receiver once
    /// forwarded.
    private mutating func followSettings(_ list: [Setting], from sender: Role, forwarded: Bool) {
        withPeer(sender) { peer in
            let before = peer.announced.initialWindowSize
            for setting in list { peer.announced.apply(setting) }
            // The peer's receive windows follow its own initial window size (§6.9.2).
            let delta = Int(peer.announced.initialWindowSize) - Int(before)
            for id in peer.streams.keys { peer.streams[id]?.receiveWindow += delta }
            peer.encoder.setPeerLimit(Int(peer.announced.headerTableSize))
        }
        guard forwarded else { return }
        let announced = peer(sender).announced
        withPeer(sender.peer) { peer in
            // What the sender announced binds the receiver once it has it: its send windows
            // (§6.9.2) and its encoder's table size, which our decoder for it must allow.
            let delta = Int(announced.initialWindowSize) - peer.initialSendWindow
            peer.initialSendWindow = Int(announced.initialWindowSize)
            for id in peer.streams.keys { peer.streams[id]?.sendWindow += delta }
            peer.decoder.setSettingsLimit(Int(announced.headerTableSize))
        }
    }

    /// Adds a header fragment; once END_HEADERS has come, decodes the block with the sender's
    /// context, applies the edits and encodes it for the receiver.
    private mutating func finishBlock(_ frame: Frame, sender: Role, outcome: inout Outcome) {
        guard var block = pending[sender] else { return }
        switch frame.payload {
        case .headers(let bytes, _), .pushPromise(_, let bytes), .continuation(let bytes): block.fragments += bytes
        default: break
        }
        guard frame.endHeaders else {
            pending[sender] = block
            outcome.notes.append("held: H2Lab forwards the header block once its END_HEADERS frame comes")
            return
        }
        pending[sender] = nil
        let receiver = sender.peer
        let first = block.first
        let id = first.streamID
        var promised: UInt32?
        var priority: PriorityFields?
        switch first.payload {
        case .pushPromise(let p, _): promised = p
        case .headers(_, let fields): priority = fields
        default: break
        }
        // A block as the octets of its frames to the receiver, within its frame size.
        let limit = frameSize(of: receiver)
        func framed(_ bytes: [UInt8]) -> [UInt8] {
            Frame.headerBlock(bytes, stream: id, endStream: first.endStream, priority: priority, promised: promised,
                              maxFrameSize: limit).flatMap(FrameEncoder.encode)
        }
        let decoded: DecodedHeaderBlock
        do {
            decoded = try decodeBlock(from: sender, block.fragments)
        } catch {
            // Its context is lost: pass the octets on and let the receiver judge them.
            outcome.notes.append("✗ the \(sender)'s header block cannot be decoded (\(error)); passed on as it came")
            if !block.dropped { outcome.forwarded = framed(block.fragments) }
            return
        }
        let fields = decoded.headerFields
        // The sender's side.
        let kind = follow(sender, first, promised: promised, fields: fields, direction: .sent, into: &outcome.senderEvents)
        outcome.senderEvents.insert(.headersReceived(stream: promised ?? id, kind: kind, block: decoded), at: 0)
        guard !block.dropped else {
            outcome.notes.append("dropped: the \(receiver) never sees it (H2Lab's decoder for the \(sender) took it, so later blocks still decode)")
            return
        }
        // The receiver's side: the block encoded again with H2Lab's encoder toward it.
        let edited = FieldEdit.apply(block.edits, to: fields)
        if !block.edits.isEmpty {
            outcome.notes.append("edited before forwarding: " + block.edits.map(\.description).joined(separator: "; "))
        }
        let policies = Self.keepingNeverIndexed(decoded, edited)
        let encoded = withPeer(receiver) { $0.encoder.encode(edited, policies: policies) }
        outcome.forwarded = framed(encoded.bytes)
        outcome.receiverEvents.append(.headersSent(stream: promised ?? id, kind: kind, block: encoded))
        _ = follow(receiver, first, promised: promised, fields: edited, direction: .received, into: &outcome.receiverEvents)
    }

    /// A header block on one side: a promised stream reserved (§8.4), or HEADERS on its stream.
    /// Returns what kind of block it was for that side.
    private mutating func follow(_ role: Role, _ first: Frame, promised: UInt32?, fields: [HeaderField],
                                 direction: Direction, into events: inout [Event]) -> HeaderBlockKind {
        withPeer(role) { peer in
            if let promised {
                Self.open(&peer, promised, .pushPromise(direction), fields: fields, into: &events)
                return .pushPromise
            }
            return Self.headers(&peer, first.streamID, fields: fields, direction: direction, endStream: first.endStream, into: &events)
        }
    }

    /// RFC 7541 §6.2.3: "Intermediaries MUST use the same representation for encoding this header
    /// field": a field the sender never indexed is forwarded never indexed.
    private static func keepingNeverIndexed(_ decoded: DecodedHeaderBlock, _ edited: [HeaderField]) -> [EncoderPolicy?] {
        let neverIndexed = Set(decoded.fields.filter {
            if case .literal(.neverIndexed, _, _, _) = $0.representation { return true } else { return false }
        }.map(\.field))
        return neverIndexed.isEmpty ? [] : edited.map { field in
            neverIndexed.contains(field) ? EncoderPolicy(indexing: .neverIndexed, useIndexedFields: false) : nil
        }
    }

    /// Decodes a block with the sender's context (H2Lab's mirror of its encoder).
    private mutating func decodeBlock(from sender: Role, _ bytes: [UInt8]) throws(HPACKError) -> DecodedHeaderBlock {
        sender == .client ? try client.decoder.decodeReporting(bytes) : try server.decoder.decodeReporting(bytes)
    }

    /// The receiver's frame size, within the range §6.5.2 allows whatever it announced.
    private func frameSize(of receiver: Role) -> Int {
        min(max(Int(peer(receiver).announced.maxFrameSize), 16_384), 16_777_215)
    }

    // MARK: Following a peer's state

    private static func stream(_ peer: Peer, _ id: UInt32) -> RelayStream {
        peer.streams[id] ?? RelayStream(sendWindow: peer.initialSendWindow, receiveWindow: Int(peer.announced.initialWindowSize))
    }

    private static func transition(_ peer: inout Peer, _ id: UInt32, _ input: StreamInput, into events: inout [Event]) {
        guard id != 0 else { return }
        var s = stream(peer, id)
        guard let next = s.state.next(on: input) else { return }
        events.append(.streamStateChanged(stream: id, from: s.state, to: next, cause: input))
        s.state = next
        peer.streams[id] = s
    }

    /// A promised stream: reserved, with the promised request's line.
    private static func open(_ peer: inout Peer, _ id: UInt32, _ input: StreamInput, fields: [HeaderField], into events: inout [Event]) {
        transition(&peer, id, input, into: &events)
        peer.streams[id]?.request = requestLine(fields)
        peer.streams[id]?.blocks = 1
    }

    /// A header block on a stream: opens it (a request, or a response on a promised stream), or
    /// carries a response or trailers; END_STREAM after. Returns what the block is.
    private static func headers(_ peer: inout Peer, _ id: UInt32, fields: [HeaderField], direction: Direction,
                                endStream: Bool, into events: inout [Event]) -> HeaderBlockKind {
        var s = stream(peer, id)
        let status = fields.first { $0.name == ":status" }?.value
        let kind: HeaderBlockKind
        if let status {
            kind = HTTPSemantics.isInformational(status: status) ? .informational : .response
            if kind == .response { s.status = status }
        } else {
            kind = s.blocks == 0 ? .request : .trailers
        }
        if kind == .request { s.request = requestLine(fields) }
        s.blocks += 1
        peer.streams[id] = s
        if s.state == .idle || s.state == .reservedLocal || s.state == .reservedRemote {
            transition(&peer, id, .headers(direction), into: &events)
        }
        if endStream { transition(&peer, id, .endStream(direction), into: &events) }
        return kind
    }

    static func requestLine(_ fields: [HeaderField]) -> String {
        let method = fields.first { $0.name == ":method" }?.value ?? "?"
        return method + " " + (fields.first { $0.name == ":path" }?.value ?? "")
    }

    /// DATA that the peer sent (`sending`) or received: its windows shrink by the flow-controlled length.
    private static func consume(_ peer: inout Peer, stream id: UInt32, length: Int, sending: Bool, into events: inout [Event]) {
        guard length > 0 else { return }
        let side: WindowSide = sending ? .send : .receive
        let before = sending ? peer.connectionSendWindow : peer.connectionReceiveWindow
        if sending { peer.connectionSendWindow -= length } else { peer.connectionReceiveWindow -= length }
        events.append(.windowChanged(stream: 0, side: side, from: before, to: before - length))
        var s = stream(peer, id)
        let was = sending ? s.sendWindow : s.receiveWindow
        if sending { s.sendWindow -= length } else { s.receiveWindow -= length }
        peer.streams[id] = s
        events.append(.windowChanged(stream: id, side: side, from: was, to: was - length))
    }

    /// A WINDOW_UPDATE the peer received (`sending`: its send window grows) or sent.
    private static func grow(_ peer: inout Peer, stream id: UInt32, by increment: Int, sending: Bool, into events: inout [Event]) {
        let side: WindowSide = sending ? .send : .receive
        if id == 0 {
            let before = sending ? peer.connectionSendWindow : peer.connectionReceiveWindow
            if sending { peer.connectionSendWindow += increment } else { peer.connectionReceiveWindow += increment }
            events.append(.windowChanged(stream: 0, side: side, from: before, to: before + increment))
            return
        }
        var s = stream(peer, id)
        let was = sending ? s.sendWindow : s.receiveWindow
        if sending { s.sendWindow += increment } else { s.receiveWindow += increment }
        peer.streams[id] = s
        events.append(.windowChanged(stream: id, side: side, from: was, to: was + increment))
    }
}
