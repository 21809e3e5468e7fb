/// Rules that hold between the two ends of a lab whatever was done to it, checked after every step
/// by the invariant fuzzer (Fuzz/lab.swift) and by a unit test over fixed seeds. Each returns the
/// violations it found as sentences (empty: all hold).
///
/// What a driver did on purpose to break a rule is said in `Taint`: a crafted DATA or
/// WINDOW_UPDATE changes one end's windows and not the other's, a crafted frame on a stream
/// changes one end's idea of that stream, so those checks are left out for what was crafted.
public enum LabInvariants {
    /// What crafted frames (sent as they are, past the engine's bookkeeping) have made unknowable.
    public struct Taint: Hashable, Sendable {
        /// A crafted frame changed a connection-level window.
        public var connectionWindows = false
        /// A crafted SETTINGS (or its ACK) changed initial window sizes: no window can be compared.
        public var windows = false
        /// A crafted GOAWAY made one end close streams the other still has open.
        public var allStreams = false
        /// Streams a crafted frame was sent on (their states and windows are the crafter's business).
        public var streams: Set<UInt32> = []
        /// A crafted field block that did not go through the sender's encoder.
        public var compression = false
        public init() {}
    }

    /// Every violation in the lab as it stands.
    public static func violations(in lab: Lab, taint: Taint = Taint()) -> [String] {
        var found: [String] = []
        for delivery in lab.log.suffix(1) { found += errorsNameSections(delivery.events) }
        let state = lab.state
        guard lab.wireIsEmpty, !state.isAttached else { return found }
        let client = state.client, server = state.server
        guard !client.isClosed, !server.isClosed else { return found }
        if !taint.compression {
            found += compressionInStep(encoder: client, decoder: server)
            found += compressionInStep(encoder: server, decoder: client)
        }
        if !taint.allStreams { found += streamsAgree(client, server, taint: taint) }
        if !taint.connectionWindows && !taint.windows { found += connectionWindowsAgree(client, server) }
        return found
    }

    /// RFC 9113 §4.3, RFC 7541 §2.2: once every block sent has been received, the receiver's decoder
    /// table holds what the sender's encoder table holds (unless a table size change is still to be
    /// announced at the start of the next block, §4.2, or a block is half received).
    public static func compressionInStep(encoder sender: Connection, decoder receiver: Connection) -> [String] {
        guard sender.encoder.pendingSizeUpdates.isEmpty, !receiver.isReceivingHeaderBlock else { return [] }
        let a = sender.encoder.table, b = receiver.decoder.table
        if a.count == b.count && a.size == b.size && (0..<a.count).allSatisfy({ i in
            a.withOctets(i) { an, av in b.withOctets(i) { bn, bv in DynamicTable.same(an, bn) && DynamicTable.same(av, bv) } }
        }) {
            return []
        }
        return ["§4.3: the \(sender.role)'s encoder table (\(a.count) entries, \(a.size) octets) differs from the \(receiver.role)'s "
                + "decoder table (\(b.count) entries, \(b.size) octets) with nothing on the wire"]
    }

    /// §6.9: with nothing in flight, what one end may still send on the connection is what the other
    /// end is prepared to receive.
    public static func connectionWindowsAgree(_ client: Connection, _ server: Connection) -> [String] {
        var found: [String] = []
        for (sender, receiver) in [(client, server), (server, client)]
        where sender.connectionSendWindow.value != receiver.connectionReceiveWindow.value {
            found.append("§6.9.1: the \(sender.role)'s connection send window \(sender.connectionSendWindow.value) differs from the "
                         + "\(receiver.role)'s receive window \(receiver.connectionReceiveWindow.value)")
        }
        return found
    }

    /// §5.1: with nothing in flight, both ends see each stream in mirrored states (open/open,
    /// half-closed (local)/half-closed (remote), reserved (local)/reserved (remote), closed/closed,
    /// idle/idle); and §6.9: on a stream open at both ends, each send window is the other end's
    /// receive window.
    public static func streamsAgree(_ client: Connection, _ server: Connection, taint: Taint) -> [String] {
        var found: [String] = []
        let ids = Set(client.streams.keys).union(server.streams.keys).subtracting(taint.streams)
        for id in ids.sorted() {
            let c = client.state(of: id), s = server.state(of: id)
            guard mirrored(c, s) else {
                found.append("§5.1: stream \(id) is \(c) at the client but \(s) at the server with nothing on the wire")
                continue
            }
            guard !taint.windows, c != .closed, c != .idle, let cs = client.streams[id], let ss = server.streams[id] else { continue }
            if cs.sendWindow.value != ss.receiveWindow.value {
                found.append("§6.9: stream \(id): the client's send window \(cs.sendWindow.value) differs from the server's receive window \(ss.receiveWindow.value)")
            }
            if ss.sendWindow.value != cs.receiveWindow.value {
                found.append("§6.9: stream \(id): the server's send window \(ss.sendWindow.value) differs from the client's receive window \(cs.receiveWindow.value)")
            }
        }
        return found
    }

    /// The pairs of states §5.1 allows for one stream at the two ends once every frame has arrived.
    public static func mirrored(_ a: StreamState, _ b: StreamState) -> Bool {
        switch (a, b) {
        case (.idle, .idle), (.open, .open), (.closed, .closed), (.halfClosedLocal, .halfClosedRemote),
             (.halfClosedRemote, .halfClosedLocal), (.reservedLocal, .reservedRemote), (.reservedRemote, .reservedLocal):
            return true
        default:
            return false
        }
    }

    /// RFC 9113 §5.4: every error the engine raises names the section that makes it one.
    public static func errorsNameSections(_ events: [Event]) -> [String] {
        events.compactMap { event in
            guard case .protocolError(let error) = event else { return nil }
            let section = error.section
            return section.hasPrefix("§") && section.count > 1 ? nil : "§5.4: an error names no RFC section: \(error)"
        }
    }

    /// Whether two lab states are the same (for `back` then the same step: the step must give
    /// the same state again).
    public static func sameState(_ a: LabState, _ b: LabState) -> [String] {
        var found: [String] = []
        if a.toServer != b.toServer || a.toClient != b.toClient { found.append("the wire differs") }
        if a.deliveries != b.deliveries || a.nextOrder != b.nextOrder { found.append("the delivery counts differ") }
        for (x, y) in [(a.client, b.client), (a.server, b.server)] {
            found += x.differences(from: y).map { "the \(x.role) differs in \($0)" }
        }
        return found
    }
}

extension Connection {
    /// The parts of the state in which two copies differ (empty: the same).
    func differences(from other: Connection) -> [String] {
        var found: [String] = []
        func note(_ same: Bool, _ what: String) { if !same { found.append(what) } }
        note(localSettings == other.localSettings && unacknowledgedSettings == other.unacknowledgedSettings
             && remoteSettings == other.remoteSettings, "settings")
        note(encoder == other.encoder, "its encoder")
        note(decoder == other.decoder, "its decoder")
        note(connectionSendWindow == other.connectionSendWindow && connectionReceiveWindow == other.connectionReceiveWindow
             && connectionUnacknowledged == other.connectionUnacknowledged, "connection windows")
        note(streams == other.streams && activePeerStreams == other.activePeerStreams && activeLocalStreams == other.activeLocalStreams
             && highestPeerStreamID == other.highestPeerStreamID && highestLocalStreamID == other.highestLocalStreamID, "streams")
        note(pendingHeaderBlock == other.pendingHeaderBlock, "the header block being received")
        note(goawaySent?.lastStreamID == other.goawaySent?.lastStreamID && goawaySent?.code == other.goawaySent?.code
             && goawayReceived?.lastStreamID == other.goawayReceived?.lastStreamID && goawayReceived?.code == other.goawayReceived?.code,
             "GOAWAY")
        note(isClosed == other.isClosed && closeReason == other.closeReason, "being closed")
        note(outbox == other.outbox, "its outbox")
        note(earlyResets == other.earlyResets && emptyFrames == other.emptyFrames, "its abuse counters")
        note(frameDecoder.bufferedCount == other.frameDecoder.bufferedCount, "its frame decoder")
        return found
    }
}
