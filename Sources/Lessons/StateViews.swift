import Engine

/// Views of the lab's state: streams, HPACK tables, windows, settings, the wire, one frame's bytes,
/// and the ladder diagram.
extension Renderer {
    public func streams(_ lab: Lab) -> [String] {
        if let relay = lab.state.relay { return relayStreams(relay) }
        // A priority column only once some stream carries an RFC 9218 signal.
        let prioritized = [lab.state.client, lab.state.server].contains { c in c.streams.values.contains { $0.priority != nil } }
        var lines = ["  " + "side".padding(7) + "stream".padding(8) + "state".padding(22) + "send win".leftPadding(10)
                     + "recv win".leftPadding(10) + (prioritized ? "  request".padding(20) + "status".padding(10) + "priority"
                                                                  : "  request".padding(24) + "status")]
        for role in [Role.client, .server] {
            let connection = lab.state.connection(role)
            for id in connection.streams.keys.sorted() {
                guard let s = connection.streams[id] else { continue }
                var state = s.state.rawValue
                if let reason = s.closeReason, s.state == .closed { state += " (\(reason.label))" }
                lines.append("  " + palette.role(role, role.rawValue.padding(7)) + "\(id)".padding(8) + palette.state(state.padding(22))
                             + "\(s.sendWindow.value)".leftPadding(10) + "\(s.receiveWindow.value)".leftPadding(10)
                             + "  " + (prioritized ? s.requestLine.padding(18) + (s.statusChain ?? "-").padding(10)
                                                     + (s.priority.map { "u=\($0.urgency)" + ($0.incremental ? ", i" : "") } ?? "-")
                                                   : s.requestLine.padding(22) + (s.statusChain ?? "-")))
            }
        }
        if lines.count == 1 { lines.append("  (no streams yet: try `request GET /html`)") }
        return lines
    }

    public func hpack(_ lab: Lab, role: Role?) -> [String] {
        if let relay = lab.state.relay { return relayHPACK(relay, role: role) }
        var lines: [String] = []
        for r in role.map({ [$0] }) ?? [.client, .server] {
            if let note = realPeer(lab, r, "its tables are its own, but the \(r.peer)'s decoder mirrors its encoder") {
                lines.append(note)
                continue
            }
            let c = lab.state.connection(r)
            lines += table("\(r) encoder (what it sends)", c.encoder.table)
            lines += table("\(r) decoder (what it receives)", c.decoder.table)
        }
        return lines
    }

    func table(_ title: String, _ table: DynamicTable) -> [String] {
        var lines = ["  " + palette.bold(title) + ": \(table.count) entries, \(table.size)/\(table.maxSize) bytes"]
        for (i, entry) in table.entries.enumerated() {
            let text = "\(entry.field.name): \(entry.field.value)"
            lines.append("    " + "\(62 + i)".leftPadding(4) + "  " + abbreviate(text).padding(60) + "(\(entry.size))".leftPadding(7))
        }
        return lines
    }

    /// The line a view prints instead of `role`'s state when `role` is a real peer (its state is
    /// not visible to the lab); nil when the role is one of the lab's endpoints.
    func realPeer(_ lab: Lab, _ role: Role, _ remark: String) -> String? {
        guard let peer = lab.state.remote, peer.role == role else { return nil }
        return "  " + palette.bold("\(role)") + ": a real peer (\(peer.name)); " + remark
    }

    public func windows(_ lab: Lab) -> [String] {
        if let relay = lab.state.relay { return relayWindows(relay) }
        let c = lab.state.client, s = lab.state.server
        // A real peer's own windows are not visible: its columns show "-" (read the other side's).
        func v(_ role: Role, _ x: FlowWindow?) -> String { lab.state.isRemote(role) ? "-" : x.map { "\($0.value)" } ?? "-" }
        var lines = ["  " + "".padding(12) + "client may send".leftPadding(17) + "server may send".leftPadding(17)
                     + "client recv".leftPadding(13) + "server recv".leftPadding(13)]
        lines.append("  " + "connection".padding(12) + v(.client, c.connectionSendWindow).leftPadding(17)
                     + v(.server, s.connectionSendWindow).leftPadding(17) + v(.client, c.connectionReceiveWindow).leftPadding(13)
                     + v(.server, s.connectionReceiveWindow).leftPadding(13))
        let ids = Set(c.streams.keys).union(s.streams.keys).sorted()
        for id in ids {
            lines.append("  " + "stream \(id)".padding(12) + v(.client, c.streams[id]?.sendWindow).leftPadding(17)
                         + v(.server, s.streams[id]?.sendWindow).leftPadding(17) + v(.client, c.streams[id]?.receiveWindow).leftPadding(13)
                         + v(.server, s.streams[id]?.receiveWindow).leftPadding(13))
        }
        if let peer = lab.state.remote {
            lines.append("  the \(peer.role) is a real peer (\(peer.name)): what it may send is what the \(peer.role.peer) may receive")
        }
        for role in [Role.client, .server] {
            let pending = lab.state.connection(role).streams.values.filter { $0.pendingSendCount > 0 }.sorted { $0.id < $1.id }
            for stream in pending {
                lines.append("  " + palette.error("\(role) stream \(stream.id): \(stream.pendingSendCount) octets wait for window"))
            }
        }
        return lines
    }

    public func settings(_ lab: Lab) -> [String] {
        if let relay = lab.state.relay { return relaySettings(relay) }
        var lines: [String] = []
        for role in [Role.client, .server] {
            if let note = realPeer(lab, role, "what it announced is the \(role.peer)'s `peer's` column") {
                lines.append(note)
                continue
            }
            let c = lab.state.connection(role)
            lines.append("  " + palette.bold("\(role)") + "   " + "in force (acked)".padding(20) + "peer's (remote)".padding(20) + "awaiting ACK")
            let pending = c.unacknowledgedSettings.flatMap { $0 }
            for ((name, local), (_, remote)) in zip(c.localSettings.listed, c.remoteSettings.listed) {
                let waiting = pending.filter { $0.id.name == "SETTINGS_" + name }.map { "\($0.value)" }.joined(separator: ", ")
                lines.append("    " + name.padding(24) + local.padding(20) + remote.padding(20) + waiting)
            }
        }
        return lines
    }

    public func wire(_ lab: Lab) -> [String] {
        let items = lab.state.wireItems
        if items.isEmpty { return ["  the wire is empty"] }
        return items.map {
            "  " + palette.role($0.from, "\($0.from)→\($0.to)".padding(15)) + $0.summary.padding(30) + "\($0.bytes.count) bytes"
                + ($0.edits.isEmpty ? "" : "  edited: " + $0.edits.map(\.description).joined(separator: "; "))
        }
    }

    /// An annotated dump of one delivered frame: each field's bytes in hex and binary, and its meaning.
    public func frameDump(_ delivery: Delivery) -> [String] {
        let bytes = delivery.item.bytes
        var lines = ["  #\(delivery.sequence) \(delivery.item.from)→\(delivery.item.to) \(delivery.item.summary), \(bytes.count) bytes"]
        if delivery.item.isPreface {
            lines.append("  the client connection preface (RFC 9113 §3.4), 24 octets:")
            lines.append("  " + Hex.encode(bytes, separator: " "))
            return lines
        }
        lines.append("  " + "offset".padding(7) + "hex".padding(15) + "binary".padding(37) + "field")
        for field in FrameLayout.describe(bytes) {
            let slice = bytes[min(field.offset, bytes.count)..<min(field.offset + field.length, bytes.count)]
            var hex = Hex.encode(slice.prefix(4), separator: " ")
            if slice.count > 4 { hex = Hex.encode(slice.prefix(3), separator: " ") + " …" }
            var binary: String
            if slice.count <= 4 {
                var bits = slice.map { String(String($0, radix: 2).leftPadding(8).map { $0 == " " ? "0" : $0 }) }.joined()
                if let (first, count) = field.bits {
                    bits = String(bits.enumerated().map { ($0.offset >= first && $0.offset < first + count) ? $0.element : "-" })
                }
                binary = stride(from: 0, to: bits.count, by: 8).map { i in
                    String(bits[bits.index(bits.startIndex, offsetBy: i)..<bits.index(bits.startIndex, offsetBy: min(i + 8, bits.count))])
                }.joined(separator: " ")
            } else {
                binary = "(\(slice.count) octets)"
            }
            lines.append("  " + "\(field.offset)".padding(7) + hex.padding(15) + binary.padding(37) + field.name + ": " + field.meaning)
        }
        lines.append("  all bytes:")
        for start in stride(from: 0, to: bytes.count, by: 16) {
            lines.append("    " + String(start, radix: 16).leftPadding(4).replacingSpaces("0") + "  "
                         + Hex.encode(bytes[start..<min(start + 16, bytes.count)], separator: " "))
        }
        for case .headersReceived(_, _, let block) in delivery.events {
            lines.append("  HPACK, field by field:")
            // The dynamic table size updates at the head of the block (RFC 7541 §4.2, §6.3).
            for update in sizeUpdates(delivery, before: block.fields.first?.offset) {
                lines.append("    " + Hex.encode(update.octets, separator: " ").padding(20)
                             + "(table max size → \(update.size))".padding(37) + palette.dim("size update \(update.size)"))
            }
            for field in block.fields {
                let octets = headerBytes(delivery, field)
                let raw = Hex.encode(octets.prefix(6), separator: " ") + (octets.count > 6 ? " …" : "")
                let text = "\(field.field.name): \(field.field.value)"
                lines.append("    " + raw.padding(20) + (text.count > 36 ? String(text.prefix(35)) + "…" : text).padding(37)
                             + palette.dim(field.representation.description))
            }
        }
        return lines
    }

    /// The dynamic table size updates (§6.3: `001` and a 5-bit prefix integer) that open the header
    /// block of a single-frame HEADERS/PUSH_PROMISE, up to its first field.
    func sizeUpdates(_ delivery: Delivery, before end: Int?) -> [(octets: ArraySlice<UInt8>, size: Int)] {
        guard let frame = delivery.item.frame else { return [] }
        let block: [UInt8]
        switch frame.payload {
        case .headers(let b, _), .pushPromise(_, let b): block = b
        default: return []
        }
        var updates: [(octets: ArraySlice<UInt8>, size: Int)] = []
        var offset = 0
        let end = min(end ?? block.count, block.count)
        while offset < end, block[offset] & 0xe0 == 0x20,
              let (size, length) = try? IntegerCoding.decode(Array(block[offset..<end]), prefixBits: 5) {
            updates.append((block[offset..<(offset + length)], size))
            offset += length
        }
        return updates
    }

    /// The octets of one field inside the header block of a single-frame HEADERS/PUSH_PROMISE.
    func headerBytes(_ delivery: Delivery, _ field: DecodedField) -> ArraySlice<UInt8> {
        guard let frame = delivery.item.frame else { return [] }
        let block: [UInt8]
        switch frame.payload {
        case .headers(let b, _), .pushPromise(_, let b), .continuation(let b): block = b
        default: return []
        }
        guard field.offset + field.length <= block.count else { return [] }
        return block[field.offset..<(field.offset + field.length)]
    }

    /// The deliveries so far as a ladder: client on the left, server on the right.
    public func ladder(_ log: some Collection<Delivery>) -> [String] {
        let span = 52
        var lines = ["        " + palette.role(.client, "client") + String(repeating: " ", count: span - 2) + palette.role(.server, "server")]
        for d in log {
            var label = " " + d.item.summary
            if !d.item.isPreface, let header = FrameHeader(d.item.bytes), header.type != .settings, header.type != .ping {
                let flags = header.type.flagNames(header.flags).map(abbreviateFlag)
                if !flags.isEmpty { label += " [" + flags.joined(separator: " ") + "]" }
            }
            // An interim response names its status: several HEADERS may come before the final one (§8.1).
            for case .headersReceived(_, .informational, let block) in d.events {
                label += " " + (block.headerFields.first { $0.name == ":status" }?.value ?? "1xx")
            }
            label += " "
            if d.events.contains(where: { if case .protocolError = $0 { return true } else { return false } }) { label += "✗ " }
            if d.dropped { label += "dropped " }
            let dashes = max(2, span - label.count)
            let left = dashes / 2, right = dashes - left
            let arrow = d.item.from == .client
                ? String(repeating: "─", count: left) + label + String(repeating: "─", count: right - 1) + (d.dropped ? "╳" : "▶")
                : (d.dropped ? "╳" : "◀") + String(repeating: "─", count: left - 1) + label + String(repeating: "─", count: right)
            lines.append("  " + "#\(d.sequence)".padding(5) + "  │" + palette.role(d.item.from, arrow) + "│")
        }
        if log.isEmpty { lines.append("  nothing delivered yet: `step` delivers the next frame") }
        return lines
    }

    func abbreviateFlag(_ name: String) -> String { Expectation.flagAbbreviations[name] ?? name }
}

extension String {
    func replacingSpaces(_ with: Character) -> String { String(map { $0 == " " ? with : $0 }) }
}
