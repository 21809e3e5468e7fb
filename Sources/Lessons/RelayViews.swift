import Engine

/// Views of a lab between two real peers (`proxy`): each delivery on both legs, and what H2Lab
/// follows of each peer's streams, tables, windows and settings.
extension Renderer {
    /// One relayed item: the frame as the sender sent it (its header block decoded with the
    /// sender's context), the sender's transitions, then what H2Lab forwarded and what it did to
    /// the receiver's state.
    func relayedDelivery(_ d: Delivery, _ relayed: Relay.Outcome) -> [String] {
        let pad = "     "
        let from = d.item.from, to = d.item.to
        var lines = itemLines(d, details: relayed.senderEvents)
        lines += events(relayed.senderEvents, endpoint: from)
        for note in relayed.notes {
            lines.append(pad + (note.hasPrefix("dropped") || note.hasPrefix("✗") ? palette.error(note) : palette.dim(note)))
        }
        for case .headersSent(_, _, let block) in relayed.receiverEvents {
            let frames = FrameDecoder.decodeAll(relayed.forwarded, expectPreface: false).items.count
            lines.append(pad + "H2Lab → \(to): \(relayed.forwarded.count) bytes in \(frames) frame\(frames == 1 ? "" : "s"), "
                         + "the block encoded again with H2Lab's table for the \(to) (\(block.bytes.count) octets):")
            let encoded = DecodedHeaderBlock(fields: block.fields, operations: block.operations,
                                             tableSizeBefore: block.tableSizeBefore, tableSizeAfter: block.tableSizeAfter)
            lines += headerBlock(encoded, stream: 0, kind: .request)
        }
        lines += events(relayed.receiverEvents, endpoint: to)
        return lines.flatMap(wrap)
    }

    /// Both peers' streams as H2Lab follows them: each side's state and windows.
    func relayStreams(_ relay: Relay) -> [String] {
        var lines = ["  " + "side".padding(7) + "stream".padding(8) + "state".padding(22) + "send win".leftPadding(11)
                     + "recv win".leftPadding(11) + "  request".padding(24) + "status"]
        for role in [Role.client, .server] {
            let peer = relay.peer(role)
            for id in peer.streams.keys.sorted() {
                guard let s = peer.streams[id] else { continue }
                lines.append("  " + palette.role(role, role.rawValue.padding(7)) + "\(id)".padding(8) + palette.state(s.state.rawValue.padding(22))
                             + "\(s.sendWindow)".leftPadding(11) + "\(s.receiveWindow)".leftPadding(11)
                             + "  " + s.request.padding(22) + (s.status ?? "-"))
            }
        }
        if lines.count == 1 { lines.append("  (no streams yet: `step` the client's frames to the server)") }
        lines.append("  " + palette.dim("as H2Lab follows them from the frames each side sent and was forwarded"))
        return lines
    }

    /// Each leg's two HPACK contexts: the peer's encoder (mirrored by H2Lab's decoder) and its
    /// decoder (mirroring H2Lab's encoder toward it).
    func relayHPACK(_ relay: Relay, role: Role?) -> [String] {
        var lines: [String] = []
        for r in role.map({ [$0] }) ?? [.client, .server] {
            let peer = relay.peer(r)
            lines += table("\(r) (\(peer.name)) encoder, as H2Lab decodes it", peer.decoder.table)
            lines += table("\(r) (\(peer.name)) decoder, mirroring H2Lab's encoder toward it", peer.encoder.table)
        }
        return lines
    }

    func relayWindows(_ relay: Relay) -> [String] {
        let c = relay.client, s = relay.server
        var lines = ["  " + "".padding(12) + "client may send".leftPadding(17) + "server may send".leftPadding(17)
                     + "client recv".leftPadding(13) + "server recv".leftPadding(13)]
        func v(_ x: Int?) -> String { x.map { "\($0)" } ?? "-" }
        lines.append("  " + "connection".padding(12) + v(c.connectionSendWindow).leftPadding(17) + v(s.connectionSendWindow).leftPadding(17)
                     + v(c.connectionReceiveWindow).leftPadding(13) + v(s.connectionReceiveWindow).leftPadding(13))
        for id in Set(c.streams.keys).union(s.streams.keys).sorted() {
            lines.append("  " + "stream \(id)".padding(12) + v(c.streams[id]?.sendWindow).leftPadding(17)
                         + v(s.streams[id]?.sendWindow).leftPadding(17) + v(c.streams[id]?.receiveWindow).leftPadding(13)
                         + v(s.streams[id]?.receiveWindow).leftPadding(13))
        }
        lines.append("  " + palette.dim("each leg carries the same frames unless one was dropped: then the legs disagree"))
        return lines
    }

    func relaySettings(_ relay: Relay) -> [String] {
        var lines = ["  " + "".padding(28) + "client announced".padding(20) + "server announced"]
        for ((name, client), (_, server)) in zip(relay.client.announced.listed, relay.server.announced.listed) {
            lines.append("    " + name.padding(24) + client.padding(20) + server)
        }
        return lines
    }
}
