import Engine

/// Text views of deliveries and lab state. Deterministic: the same session prints the same bytes.
/// Lines fit 100 columns.
public struct Renderer: Sendable {
    public var palette: Palette
    /// The connection the deliveries belong to, when a `listen` or `proxy` has more than one: each
    /// delivery's first line then says it (`#4 c2 client→server …`).
    public var connection: Int?
    public init(palette: Palette = .plain) { self.palette = palette }

    static let width = 100

    // MARK: One delivery

    public func delivery(_ d: Delivery) -> [String] {
        if let relayed = d.relayed { return relayedDelivery(d, relayed) }
        var lines = itemLines(d, details: d.events)
        if d.dropped { lines.append("     " + palette.error("dropped: the \(d.item.to) never sees it")) }
        lines += events(d.events, endpoint: d.item.to)
        if !d.queued.isEmpty {
            lines.append("     " + palette.dim("\(d.item.to) queued: " + d.queued.map(\.summary).joined(separator: ", ")))
        }
        return lines.flatMap(wrap)
    }

    /// The delivery's first line (what crossed, which way) and the frame's fields; header blocks
    /// as decoded in `details`.
    func itemLines(_ d: Delivery, details: [Event]) -> [String] {
        let item = d.item
        let arrow = palette.role(item.from, "\(item.from)→\(item.to)")
        let head = "  #\(d.sequence) " + (connection.map { "c\($0) " } ?? "") + "\(arrow) "
        if item.isPreface {
            return [head + "preface \"PRI * HTTP/2.0\\r\\n\\r\\nSM\\r\\n\\r\\n\" \(item.bytes.count) bytes"]
        }
        guard let header = FrameHeader(item.bytes) else {
            return [head + "\(item.bytes.count) raw bytes: " + Hex.encode(item.bytes.prefix(32), separator: " ")]
        }
        let flags = header.type.flagNames(header.flags)
        let stream = header.streamID == 0 ? "" : " stream \(header.streamID)"
        return [head + palette.bold(header.type.name) + stream + (flags.isEmpty ? "" : " [" + flags.joined(separator: " ") + "]")
                + " \(item.bytes.count) bytes"] + (item.frame.map { frameDetails($0, events: details) } ?? [])
    }

    func frameDetails(_ frame: Frame, events: [Event]) -> [String] {
        let pad = "     "
        switch frame.payload {
        case .settings(let list):
            if frame.isAck { return [] }
            return list.isEmpty ? [pad + "(no parameters: all defaults)"] : list.map { pad + $0.description }
        case .data(let bytes):
            guard !bytes.isEmpty else { return [] }
            // On a tunnel (extended CONNECT, RFC 8441) the octets are WebSocket frames (RFC 6455).
            if events.contains(where: { if case .tunnelData(frame.streamID) = $0 { true } else { false } }) { return [pad + "\(bytes.count) octets"] + webSocketFrames(bytes) }
            return [pad + "\(bytes.count) octets" + preview(bytes)]
        case .headers, .pushPromise, .continuation:
            for case .headersReceived(let stream, let kind, let block) in events {
                return headerBlock(block, stream: stream, kind: kind)
            }
            if case .pushPromise(let promised, _) = frame.payload { return [pad + "promised stream \(promised)"] }
            return []
        case .ping(let opaque):
            return [pad + "opaque data 0x" + hex64(opaque)]
        case .goaway(let last, let code, let debug):
            var line = pad + "last stream \(last), \(palette.error(code.name))"
            if !debug.isEmpty { line += ", debug \"" + String(decoding: debug, as: UTF8.self) + "\"" }
            return [line]
        case .rstStream(let code):
            return [pad + palette.error(code.name)]
        case .windowUpdate(let increment):
            return [pad + "increment \(increment)"]
        case .priority(let fields):
            return [pad + "depends on \(fields.dependency)\(fields.exclusive ? " (exclusive)" : ""), weight \(Int(fields.weight) + 1)"]
        case .priorityUpdate(let stream, let value):
            let text = String(decoding: value, as: UTF8.self)
            let meaning = Priority(parsing: text)?.description ?? "not a dictionary: ignored"
            var lines = [pad + "stream \(stream) priority \"\(text)\": \(meaning) (RFC 9218 §7.1)"]
            for case .priorityUpdated(let id, _, let applied) in events where !applied {
                lines.append(pad + palette.dim("discarded: stream \(id) sends nothing more (RFC 9218 §7.1)"))
            }
            return lines
        case .unknown(let type, let payload):
            // Whether it was ignored (§5.5) or broke a rule is the receiver's event, shown after.
            return [pad + "type 0x\(String(type, radix: 16)), \(payload.count) octets"]
        }
    }

    /// The WebSocket frames in a tunnel's DATA, one line each.
    func webSocketFrames(_ bytes: [UInt8]) -> [String] {
        var lines: [String] = []
        var offset = 0
        while offset < bytes.count {
            switch WebSocketFrame.decode(bytes[offset...]) {
            case .frame(let frame, let masked, let consumed):
                offset += consumed
                let text = frame.opcode == .close && frame.payload.count >= 2
                    ? "code \(Int(frame.payload[0]) << 8 | Int(frame.payload[1]))" : "\"" + String(decoding: frame.payload, as: UTF8.self) + "\""
                lines.append("       WebSocket \(frame.opcode) \(text)" + (masked ? ", masked" : "") + (frame.fin ? "" : ", not final"))
            case .incomplete:
                lines.append("       WebSocket: \(bytes.count - offset) octets of a frame still to come")
                offset = bytes.count
            case .invalid(let why):
                lines.append("       WebSocket: not a frame: \(why)")
                offset = bytes.count
            }
        }
        return lines
    }

    func headerBlock(_ block: DecodedHeaderBlock, stream: UInt32, kind: HeaderBlockKind) -> [String] {
        let pad = "     "
        var lines: [String] = []
        // Size updates come first in the block (RFC 7541 §4.2), so they are shown first, in the
        // representation column as `expect last block size-update N` names them.
        for case .resized(let from, let to) in block.operations {
            lines.append(pad + "(table max size \(from) → \(to))".padding(46) + " " + palette.dim("size update \(to)"))
        }
        for field in block.fields {
            let text = "\(field.field.name): \(field.field.value)"
            let shown = text.count > 46 ? String(text.prefix(45)) + "…" : text
            lines.append(pad + shown.padding(46) + " " + palette.dim(field.representation.description))
        }
        for op in block.operations {
            switch op {
            case .inserted(let field, let size): lines.append(pad + palette.dim("table: insert 62 \(field.name): \(abbreviate(field.value)) (\(size))"))
            case .evicted(let field, let size): lines.append(pad + palette.dim("table: evict \(field.name): \(abbreviate(field.value)) (\(size))"))
            case .resized: break  // shown above
            }
        }
        if !block.operations.isEmpty {
            lines.append(pad + palette.dim("table: \(block.tableSizeBefore) → \(block.tableSizeAfter) bytes"))
        }
        return lines
    }

    /// What the receiver did: transitions (merged per stream), windows, settings, errors.
    public func events(_ events: [Event], endpoint: Role) -> [String] {
        let pad = "     "
        var lines: [String] = []
        // Consecutive transitions of one stream print as one chain: idle → open → half-closed (remote).
        var chain: (stream: UInt32, states: [StreamState], line: Int)?
        for event in events {
            if case .streamStateChanged(let stream, let from, let to, _) = event {
                if let c = chain, c.stream == stream, c.states.last == from, c.line == lines.count - 1 {
                    chain?.states.append(to)
                } else {
                    lines.append("")
                    chain = (stream, [from, to], lines.count - 1)
                }
                if let c = chain {
                    lines[c.line] = pad + "\(endpoint) stream \(stream): " + c.states.map { palette.state($0.rawValue) }.joined(separator: " → ")
                }
                continue
            }
            switch event {
            case .windowChanged(let stream, let side, let from, let to):
                let name = stream == 0 ? "connection" : "stream \(stream)"
                lines.append(pad + palette.dim("\(endpoint) \(name) \(side.rawValue) window \(from) → \(to)"))
            case .remoteSettingsApplied(let list) where !list.isEmpty:
                lines.append(pad + "\(endpoint) applies peer settings: " + Self.settingsText(list))
            case .localSettingsAcknowledged(let list):
                lines.append(pad + "\(endpoint)'s settings now in force" + (list.isEmpty ? "" : ": " + Self.settingsText(list)))
            case .protocolError(let error):
                lines.append(pad + palette.error("✗ " + error.description))
            case .frameIgnored(_, let reason):
                lines.append(pad + palette.dim("ignored: \(reason)"))
            case .sendBlocked(let stream, let pending, let connection, let streamWindow):
                lines.append(pad + palette.error("\(endpoint) stream \(stream) blocked: \(pending) octets wait (connection window \(connection), stream window \(streamWindow))"))
            case .goawayReceived(let last, let code, _):
                lines.append(pad + "\(endpoint) stops opening streams above \(last) (\(code.name))")
            case .connectionClosed(let reason):
                lines.append(pad + palette.error("\(endpoint) connection closed: \(reason)"))
            case .headersReceived(let stream, .informational, let block):
                let status = block.headerFields.first { $0.name == ":status" }?.value ?? "1xx"
                lines.append(pad + "\(endpoint) stream \(stream): interim response \(status); the final response is still to come (§8.1)")
            case .continueAwaited(let stream, let pending):
                lines.append(pad + "\(endpoint) stream \(stream): \(pending) octets of content wait for 100 (Continue) (RFC 9110 §10.1.1)")
            case .continueRequested(let stream):
                lines.append(pad + "\(endpoint) stream \(stream): the client waits for 100 (Continue) before its content")
            case .messageComplete(let stream, let kind):
                lines.append(pad + palette.good("\(endpoint) has the whole \(kind.rawValue) on stream \(stream)"))
            default:
                break
            }
        }
        return lines
    }

    /// Lines for what an action queued (the sender's side of the story).
    public func queued(_ items: [WireItem], events: [Event], by role: Role) -> [String] {
        var lines: [String] = []
        for item in items {
            var line = "  queued   " + palette.role(role, "\(role)→\(role.peer)") + "  " + item.summary
            if let header = FrameHeader(item.bytes) {
                let flags = header.type.flagNames(header.flags)
                if !flags.isEmpty { line += "  " + flags.joined(separator: "|") }
                line += "  \(item.bytes.count) bytes"
            }
            lines.append(line)
        }
        for case .headersSent(let stream, let kind, let block) in events {
            lines.append("     \(role) encodes the \(kind == .informational ? "interim response" : kind.rawValue) on stream \(stream): \(block.fields.count) fields in \(block.bytes.count) octets")
        }
        lines += self.events(events.filter {
            if case .streamStateChanged = $0 { return true }
            if case .sendBlocked = $0 { return true }
            if case .continueAwaited = $0 { return true }
            return false
        }, endpoint: role)
        return lines
    }

    // MARK: Helpers

    func preview(_ bytes: [UInt8]) -> String {
        let shown = bytes.prefix(40).map { $0 >= 32 && $0 < 127 ? Character(UnicodeScalar($0)) : "." }
        return ": \"" + String(shown) + (bytes.count > 40 ? "…" : "") + "\""
    }

    func abbreviate(_ text: String) -> String { text.count > 40 ? String(text.prefix(39)) + "…" : text }

    func hex64(_ v: UInt64) -> String {
        Hex.encode((0..<8).map { UInt8(truncatingIfNeeded: v >> UInt64(56 - 8 * $0)) })
    }

    /// Splits a line longer than the width at a space, indenting the continuation. Colour escapes
    /// take no columns; a colour open at a cut is closed there and reopened on the next line.
    func wrap(_ line: String) -> [String] {
        if line.utf8.count <= Self.width { return [line] }  // octets ≥ columns: surely fits
        if Self.fitsWithoutEscapes(line) { return [line] }
        var lines: [String] = []
        var rest = Self.units(of: line)
        let indent = Self.units(of: String(repeating: " ", count: 7))
        while true {
            // The unit just past the width, counting only what takes a column.
            var visible = 0
            guard let over = rest.firstIndex(where: { visible += $0.width; return visible > Self.width }) else { break }
            let space = rest[..<over].lastIndex { $0.text == " " }
            let minimum = lines.isEmpty ? 0 : indent.count  // never cut inside a continuation's indent
            let cut = space.flatMap { $0 > minimum ? $0 : nil } ?? over
            let open = rest[..<cut].last { $0.width == 0 }.flatMap { $0.text == Self.reset ? nil : $0 }
            lines.append(rest[..<cut].map(\.text).joined() + (open == nil ? "" : Self.reset))
            rest = indent + (open.map { [$0] } ?? []) + rest[cut...].drop { $0.text == " " }
        }
        lines.append(rest.map(\.text).joined())
        return lines
    }

    static let reset = "\u{1b}[0m"

    /// Whether a line without colour escapes takes at most `width` columns, counted cheaply: a
    /// character is one or more Unicode scalars, so a line of at most `width` scalars surely fits.
    /// (Counting characters costs a grapheme break check per scalar: it was most of `wrap`'s cost
    /// on the classroom's server, for lines of box drawing and arrows just over `width` octets.)
    static func fitsWithoutEscapes(_ line: String) -> Bool {
        var scalars = 0
        for octet in line.utf8 {
            if octet == 0x1b { return false }
            if octet & 0xC0 != 0x80 { scalars += 1 }  // not a continuation octet: a scalar begins
        }
        return scalars <= width || (scalars <= 4 * width && line.count <= width)
    }

    /// Settings as `NAME=value`, an unknown one marked as what it is to the endpoint: ignored (§6.5.2).
    static func settingsText(_ list: [Setting]) -> String {
        list.map { $0.id.isKnown ? $0.description : "\($0.description) (unknown: ignored, §6.5.2)" }.joined(separator: ", ")
    }

    /// A line as characters and whole ANSI escape sequences (which take no column).
    static func units(of line: String) -> [(text: String, width: Int)] {
        var units: [(text: String, width: Int)] = []
        var escape: String?
        for character in line {
            if var sequence = escape {
                sequence.append(character)
                if character.isLetter {
                    units.append((sequence, 0))
                    escape = nil
                } else {
                    escape = sequence
                }
            } else if character == "\u{1b}" {
                escape = String(character)
            } else {
                units.append((String(character), 1))
            }
        }
        if let escape { units.append((escape, 0)) }
        return units
    }
}

extension String {
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
    func leftPadding(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
