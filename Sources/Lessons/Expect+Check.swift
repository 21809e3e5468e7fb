import Engine

/// Checking an `Expectation` against the lab: the engine's values, read through the accessors the
/// views use; nothing is changed.
extension Expectation {

    /// Checks the expectation against the lab. Reads only; changes nothing. (`refused` runs a
    /// command, which only a session can: `Session.verdict(of:)` checks every form.)
    public func check(_ lab: Lab) -> Verdict {
        switch self {
        case .streamState, .streamClosed, .streamStatus, .streamBody, .streamHeader, .streamRequest, .streamTrailer:
            return checkStream(lab)
        case .activeStreams, .window, .hpack, .setting, .settingsPending, .connectionClosed, .goaway, .limit:
            return checkEndpoint(lab)
        case .lastFrame, .lastBlock, .lastStreams, .sent, .ignored, .wireCount:
            return checkFrames(lab)
        case .refused(_, let text):
            return Verdict(holds: false, message: "`expect refused \(text)` runs a command: only a session can check it")
        }
    }

    /// The forms about one stream: its state, its response, its fields and body.
    func checkStream(_ lab: Lab) -> Verdict {
        switch self {
        case .streamState(let role, let id, let state):
            let actual = lab.state.connection(role).state(of: id)
            return verdict(actual == state, "\(role) stream \(id)", "\(state)", "\(actual)")
        case .streamClosed(let role, let id, let reason):
            let c = lab.state.connection(role)
            let state = c.state(of: id)
            let actual = state == .closed ? "closed" + (c.closeReason(of: id).map { " (\($0.label))" } ?? "") : "\(state)"
            return verdict(state == .closed && c.closeReason(of: id) == reason, "\(role) stream \(id)", "closed (\(reason.label))", actual)
        case .streamStatus(let role, let id, let status):
            let record = lab.state.connection(role).streams[id]
            let actual = record?.responseHeaders?.first { $0.name == ":status" }?.value
            // Interim (1xx) responses count too: each is a status the stream carried (RFC 9113 §8.1).
            let interim = record?.informationalHeaders.compactMap { $0.first { $0.name == ":status" }?.value } ?? []
            let all = interim + (actual.map { [$0] } ?? [])
            let seen = all.isEmpty ? "no response yet" : all.joined(separator: " then ")
            guard let status else {
                return verdict(all.isEmpty, "\(role) stream \(id) status", "none (no response)", seen)
            }
            return verdict(all.contains(status), "\(role) stream \(id) status", status, seen)
        case .streamBody(let role, let id, let length):
            let actual = lab.state.connection(role).streams[id]?.receivedBodyLength ?? 0
            return verdict(actual == length, "\(role) stream \(id) body", "\(length) octets", "\(actual) octets")
        case .streamHeader(let role, let id, let field):
            let list = receivedHeaders(lab, role, id)
            let same = list.filter { $0.name == field.name }.map(\.value)
            let actual = same.isEmpty ? (list.isEmpty ? "no header list received" : "no \(field.name) field")
                                      : same.map { "\(field.name): \($0)" }.joined(separator: ", ")
            return verdict(same.contains(field.value), "\(role) stream \(id) header", "\(field.name): \(field.value)", actual)
        case .streamRequest(let role, let id, let method, let path):
            let list = lab.state.connection(role).streams[id]?.requestHeaders ?? []
            let actual = list.isEmpty ? "no request" : "\(value(list, ":method") ?? "?") \(value(list, ":path") ?? "?")"
            return verdict(actual == "\(method) \(path)", "\(role) stream \(id) request", "\(method) \(path)", actual)
        case .streamTrailer(let role, let id, let field):
            let trailers = lab.state.connection(role).streams[id]?.trailers
            let actual = trailers.map { $0.isEmpty ? "empty trailers" : $0.map { "\($0.name): \($0.value)" }.joined(separator: ", ") } ?? "no trailers"
            guard let field else { return verdict(trailers != nil, "\(role) stream \(id) trailers", "received", actual) }
            return verdict(trailers?.contains(field) == true, "\(role) stream \(id) trailers", "\(field.name): \(field.value)", actual)
        default:
            return Verdict(holds: false, message: "\(self) is not checked here")
        }
    }

    /// The forms about one endpoint as a whole: its streams, windows, tables, settings, limits and
    /// whether its connection still stands.
    func checkEndpoint(_ lab: Lab) -> Verdict {
        switch self {
        case .activeStreams(let role, let n):
            let actual = lab.state.connection(role).streams.values.filter { $0.state.isActive }.count
            return verdict(actual == n, "\(role) active-streams", "\(n)", "\(actual)")
        case .window(let role, let stream, let side, let value):
            return checkWindow(lab, role, stream, side, value)
        case .hpack(let role, let side, let property):
            return checkTable(lab, role, side, property)
        case .setting(let role, let peer, let id, let value):
            let c = lab.state.connection(role)
            let actual = Self.value(of: id, in: peer ? c.remoteSettings : c.localSettings)
            func text(_ v: UInt32?) -> String { v.map { "\($0)" } ?? "unlimited" }
            return verdict(actual == value, "\(role) \(peer ? "peer-setting" : "setting") \(id.name.replacingOccurrences(of: "SETTINGS_", with: ""))",
                           text(value), text(actual))
        case .settingsPending(let role, let n):
            let actual = lab.state.connection(role).unacknowledgedSettings.count
            return verdict(actual == n, "\(role) settings-pending", "\(n)", "\(actual)")
        case .limit(let role, let limit, let n):
            let actual = limit.value(in: lab.state.connection(role).configuration)
            return verdict(actual == n, "\(role) limit \(limit.rawValue)", "\(n)", "\(actual)")
        case .connectionClosed(let role, let closed):
            let actual = lab.state.connection(role).isClosed
            return verdict(actual == closed, "\(role) connection", closed ? "closed" : "open", actual ? "closed" : "open")
        case .goaway(let role, let direction, let code, let last):
            let c = lab.state.connection(role)
            let seen = direction == .sent ? c.goawaySent : c.goawayReceived
            var wanted = "GOAWAY"
            if let code { wanted += " " + code.name }
            if let last { wanted += " last-stream \(last)" }
            let actual = seen.map { "GOAWAY \($0.code.name) last-stream \($0.lastStreamID)" } ?? "none"
            let holds = seen.map { (code == nil || $0.code == code) && (last == nil || $0.lastStreamID == last) } ?? false
            return verdict(holds, "\(role) goaway \(direction.rawValue)", wanted, actual)
        default:
            return Verdict(holds: false, message: "\(self) is not checked here")
        }
    }

    func checkWindow(_ lab: Lab, _ role: Role, _ stream: UInt32, _ side: WindowSide, _ value: Int) -> Verdict {
        let c = lab.state.connection(role)
        let name = "\(role) window \(stream == 0 ? "conn" : "\(stream)") \(side == .send ? "send" : "recv")"
        let window: FlowWindow?
        if stream == 0 {
            window = side == .send ? c.connectionSendWindow : c.connectionReceiveWindow
        } else {
            window = c.streams[stream].map { side == .send ? $0.sendWindow : $0.receiveWindow }
        }
        guard let window else { return verdict(false, name, "\(value)", "no such stream at the \(role)") }
        return verdict(window.value == value, name, "\(value)", "\(window.value)")
    }

    func checkTable(_ lab: Lab, _ role: Role, _ side: HPACKSide, _ property: HPACKProperty) -> Verdict {
        let c = lab.state.connection(role)
        let table = side == .encoder ? c.encoder.table : c.decoder.table
        let name = "\(role) hpack \(side.rawValue)"
        switch property {
        case .size(let n): return verdict(table.size == n, name + " size", "\(n)", "\(table.size)")
        case .maxSize(let n): return verdict(table.maxSize == n, name + " max-size", "\(n)", "\(table.maxSize)")
        case .entries(let n): return verdict(table.count == n, name + " entries", "\(n)", "\(table.count)")
        case .entry(let index, let field):
            let position = index - StaticTable.count - 1
            guard position < table.count else {
                return verdict(false, name + " entry \(index)", "\(field.name): \(field.value)",
                               "absent (the table holds \(table.count) entr\(table.count == 1 ? "y" : "ies"))")
            }
            let actual = table[position].field
            return verdict(actual == field, name + " entry \(index)", "\(field.name): \(field.value)", "\(actual.name): \(actual.value)")
        }
    }

    /// The forms about frames: the last delivered, the last of a type, what a side sent or
    /// discarded, and what waits on the wire.
    func checkFrames(_ lab: Lab) -> Verdict {
        switch self {
        case .lastFrame(let pattern):
            guard let last = lab.log.last else { return verdict(false, "the last frame", pattern.description, "none: nothing has been delivered yet") }
            return verdict(Self.matches(pattern, last.item), "the last frame", pattern.description, Self.describe(last.item, like: pattern))
        case .lastBlock(let from, let property):
            return checkBlock(lab, from: from, property)
        case .lastStreams(let type, let streams):
            let frames = lab.log.compactMap { $0.dropped ? nil : $0.item.frame }.filter { $0.type == type }
            let actual = frames.suffix(streams.count).map(\.streamID)
            func list(_ ids: [UInt32]) -> String { (ids.count == 1 ? "stream " : "streams ") + ids.map(String.init).joined(separator: ", ") }
            let subject = streams.count == 1 ? "the last \(type.name) frame" : "the last \(streams.count) \(type.name) frames"
            if actual == streams { return Verdict(holds: true, message: "\(subject) were on \(list(streams))".replacingOccurrences(of: "frame were", with: "frame was")) }
            return Verdict(holds: false, message: "expected \(subject) on \(list(streams)), "
                           + (actual.isEmpty ? "no \(type.name) frame was delivered" : "\(actual.count == 1 ? "it was" : "they were") on \(list(actual))"))
        case .sent(let role, let pattern):
            let items = lab.log.map(\.item).filter { $0.from == role } + lab.state.queue(to: role.peer)
            if items.contains(where: { Self.matches(pattern, $0) }) {
                return Verdict(holds: true, message: "\(role) sent \(pattern)")
            }
            let same = items.filter { FrameHeader($0.bytes)?.type == pattern.type && !$0.isPreface }
            let actual = same.isEmpty ? "it sent no \(pattern.type.name)" : "its \(pattern.type.name) frames: "
                + same.suffix(3).map { Self.describe($0, like: pattern) }.joined(separator: "; ")
            return Verdict(holds: false, message: "expected the \(role) to have sent \(pattern), \(actual)")
        case .ignored(let role, let type, let stream):
            return checkIgnored(lab, role, type, stream)
        case .wireCount(let n):
            let items = lab.state.wireItems
            let actual = items.isEmpty ? "empty" : "\(items.count) (" + items.prefix(4).map { "\($0.from)→\($0.to) \($0.summary)" }
                .joined(separator: ", ") + (items.count > 4 ? ", …" : "") + ")"
            func holding(_ k: Int) -> String { k == 0 ? "is empty" : "holds \(k) frame\(k == 1 ? "" : "s")" }
            if items.count == n { return Verdict(holds: true, message: "the wire " + holding(n)) }
            return Verdict(holds: false, message: "expected the wire to \(n == 0 ? "be empty" : "hold \(n)"), "
                           + (items.isEmpty ? "it is empty" : "it holds \(actual)"))
        default:
            return Verdict(holds: false, message: "\(self) is not checked here")
        }
    }

    /// A frame of `type` delivered to `role` that it discarded: the engine's `frameIgnored` event,
    /// with its reason (RFC 9113 §5.5 for an unknown type).
    func checkIgnored(_ lab: Lab, _ role: Role, _ type: FrameType, _ stream: UInt32?) -> Verdict {
        var reasons: [String] = []
        var received = 0
        for delivery in lab.log where delivery.item.to == role && !delivery.dropped {
            guard let frame = delivery.item.frame, frame.type == type, stream == nil || frame.streamID == stream else { continue }
            received += 1
            for case .frameIgnored(let ignored, let reason) in delivery.events where ignored.type == type {
                reasons.append("#\(delivery.sequence): \(reason)")
            }
        }
        let what = type.name + (stream.map { " on stream \($0)" } ?? "")
        if let first = reasons.first { return Verdict(holds: true, message: "\(role) ignored \(what) (\(first))") }
        return Verdict(holds: false, message: "expected the \(role) to have ignored \(what), "
                       + (received == 0 ? "it received none" : "it acted on all \(received) it received"))
    }
    func verdict(_ holds: Bool, _ subject: String, _ expected: String, _ actual: String) -> Verdict {
        // A 4 000-octet value (an HPACK bomb's) is shown by its start and its length.
        func short(_ text: String) -> String { text.count > 72 ? "\(text.prefix(48))… (\(text.utf8.count) octets)" : text }
        return Verdict(holds: holds, message: holds ? "\(subject) is \(short(expected))"
                                                    : "expected \(subject) to be \(short(expected)), it is \(short(actual))")
    }

    func value(_ list: [HeaderField], _ name: String) -> String? { list.first { $0.name == name }?.value }

    /// The header list an endpoint received on a stream: a request (server), or a response or the
    /// promised request of a pushed stream (client).
    func receivedHeaders(_ lab: Lab, _ role: Role, _ id: UInt32) -> [HeaderField] {
        guard let record = lab.state.connection(role).streams[id] else { return [] }
        if role == .server { return record.requestHeaders ?? [] }
        // A client's own requests are on odd streams; an even stream's request was promised to it.
        return record.informationalHeaders.flatMap { $0 } + (record.responseHeaders ?? []) + (id % 2 == 0 ? record.requestHeaders ?? [] : [])
    }

    static func value(of id: SettingID, in values: SettingsValues) -> UInt32? {
        switch id {
        case .headerTableSize: return values.headerTableSize
        case .enablePush: return values.enablePush ? 1 : 0
        case .maxConcurrentStreams: return values.maxConcurrentStreams
        case .initialWindowSize: return values.initialWindowSize
        case .maxFrameSize: return values.maxFrameSize
        case .maxHeaderListSize: return values.maxHeaderListSize
        case .enableConnectProtocol: return values.enableConnectProtocol ? 1 : 0
        case .noRFC7540Priorities: return values.noRFC7540Priorities ? 1 : 0
        default: return nil
        }
    }

    static func matches(_ pattern: FramePattern, _ item: WireItem) -> Bool {
        guard !item.isPreface, let frame = item.frame, frame.type == pattern.type else { return false }
        if let from = pattern.from, item.from != from { return false }
        if let stream = pattern.stream, frame.streamID != stream { return false }
        let flags = frame.type.flagNames(frame.flags)
        if !pattern.flags.allSatisfy(flags.contains) { return false }
        switch frame.payload {
        case .rstStream(let code):
            return pattern.code == nil || pattern.code == code
        case .goaway(let last, let code, _):
            return (pattern.code == nil || pattern.code == code) && (pattern.lastStream == nil || pattern.lastStream == last)
        default:
            return pattern.code == nil && pattern.lastStream == nil
        }
    }

    /// A delivered item in the words of a pattern: "GOAWAY PROTOCOL_ERROR last-stream 3 from server".
    static func describe(_ item: WireItem, like pattern: FramePattern) -> String {
        if item.isPreface { return "the preface from the client" }
        guard let frame = item.frame else { return "\(item.summary) from the \(item.from)" }
        var words = [frame.type.name]
        switch frame.payload {
        case .rstStream(let code): words.append(code.name)
        case .goaway(let last, let code, _): words += [code.name, "last-stream \(last)"]
        default: break
        }
        words += frame.type.flagNames(frame.flags)
        if frame.streamID != 0 { words.append("stream \(frame.streamID)") }
        words.append("from \(item.from)")
        return words.joined(separator: " ")
    }
}


extension CloseReason {
    /// How `show streams` prints the cause: `closed (reset sent)`.
    public var label: String {
        switch self {
        case .endStream: return "END_STREAM"
        case .resetSent: return "reset sent"
        case .resetReceived: return "reset received"
        case .goaway: return "GOAWAY"
        }
    }

    static let all: [CloseReason] = [.endStream, .resetSent, .resetReceived, .goaway]
    static var labels: [String] { all.map(\.label) }

    /// A cause as `show streams` prints it or as the engine names it (`RST_STREAM sent`), any case.
    init?(label: String) {
        let key = label.lowercased().filter { $0.isLetter }
        guard let found = Self.all.first(where: { reason in
            [reason.label, reason.rawValue].contains { $0.lowercased().filter { $0.isLetter } == key }
        }) else { return nil }
        self = found
    }
}
