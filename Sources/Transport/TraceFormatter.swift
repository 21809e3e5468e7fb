import Engine

/// One trace line per frame, note or event of a connection, as text or one JSON object per line:
/// what `serve --trace`, `get --trace` and the panel's server logs print.
public struct TraceFormatter: Sendable {
    /// With `events`, stream transitions, header blocks, windows and errors too; else frames and notes.
    public var events: Bool
    public var json: Bool

    public init(events: Bool, json: Bool) {
        self.events = events
        self.json = json
    }

    /// The line for one item, or nil when this level leaves it out.
    public func line(_ id: Int, _ item: TraceItem) -> String? {
        switch item {
        case .received(let frame, let bytes): return frameLine(id, "←", frame, bytes)
        case .sent(.preface): return json ? #"{"conn":\#(id),"dir":"out","frame":"preface"}"# : "c\(id) → preface"
        case .sent(.frame(let frame)): return frameLine(id, "→", frame, 9 + frame.payloadLength)
        case .note(let text): return json ? #"{"conn":\#(id),"note":\#(quote(text))}"# : "c\(id)   \(text)"
        case .event(let event): return events ? eventLine(id, event) : nil
        }
    }

    public func frameLine(_ id: Int, _ arrow: String, _ frame: Frame, _ bytes: Int) -> String {
        let flags = frame.type.flagNames(frame.wireFlags)
        if json {
            return #"{"conn":\#(id),"dir":"\#(arrow == "←" ? "in" : "out")","frame":"\#(frame.type.name)","stream":\#(frame.streamID),"#
                + #""flags":[\#(flags.map(quote).joined(separator: ","))],"length":\#(bytes - 9)\#(details(frame, json: true))}"#
        }
        return "c\(id) \(arrow) \(frame.type.name)" + (frame.streamID == 0 ? "" : " stream \(frame.streamID)")
            + (flags.isEmpty ? "" : " [" + flags.joined(separator: " ") + "]") + " \(bytes) bytes" + details(frame, json: false)
    }

    func details(_ frame: Frame, json: Bool) -> String {
        switch frame.payload {
        case .settings(let list) where !list.isEmpty:
            return json ? #","settings":{\#(list.map { "\(quote($0.id.name)):\($0.value)" }.joined(separator: ","))}"#
                : "  " + list.map(\.description).joined(separator: " ")
        case .windowUpdate(let increment): return json ? #","increment":\#(increment)"# : "  increment \(increment)"
        case .rstStream(let code): return json ? #","error":"\#(code.name)""# : "  \(code.name)"
        case .goaway(let last, let code, let debug):
            let text = String(decoding: debug, as: UTF8.self)
            return json ? #","last_stream":\#(last),"error":"\#(code.name)","debug":\#(quote(text))"# : "  last \(last) \(code.name) \(text)"
        case .ping(let opaque): return json ? #","opaque":\#(opaque)"# : "  opaque \(opaque)"
        default: return ""
        }
    }

    func eventLine(_ id: Int, _ event: Event) -> String? {
        switch event {
        case .streamStateChanged(let stream, let from, let to, _):
            return json ? #"{"conn":\#(id),"stream":\#(stream),"from":"\#(from)","to":"\#(to)"}"# : "c\(id)   stream \(stream): \(from) → \(to)"
        case .headersReceived(let stream, let kind, let block):
            if json {
                return #"{"conn":\#(id),"stream":\#(stream),"headers":"\#(kind.rawValue)","fields":[\#(block.fields.map { "[\(quote($0.field.name)),\(quote($0.field.value)),\(quote($0.representation.description))]" }.joined(separator: ","))],"table":\#(block.tableSizeAfter)}"#
            }
            return (["c\(id)   \(kind.rawValue) on stream \(stream), decoder table \(block.tableSizeBefore) → \(block.tableSizeAfter) bytes"]
                + block.fields.map { "c\(id)     \($0.field.name): \($0.field.value)   (\($0.representation))" }).joined(separator: "\n")
        case .windowChanged(let stream, let side, let from, let to):
            return json ? #"{"conn":\#(id),"stream":\#(stream),"window":"\#(side.rawValue)","from":\#(from),"to":\#(to)}"#
                : "c\(id)   \(stream == 0 ? "connection" : "stream \(stream)") \(side.rawValue) window \(from) → \(to)"
        case .remoteSettingsApplied(let list):
            return json ? #"{"conn":\#(id),"settings_applied":[\#(list.map { quote($0.description) }.joined(separator: ","))]}"#
                : "c\(id)   peer settings applied: " + list.map(\.description).joined(separator: " ")
        case .protocolError(let error):
            return json ? #"{"conn":\#(id),"error":"\#(error.code.name)","scope":"\#(error.isConnectionError ? "connection" : "stream")","section":"\#(error.section)","message":\#(quote(error.message))}"#
                : "c\(id)   ✗ \(error)"
        default:
            return nil
        }
    }

    func quote(_ text: String) -> String { JSONText.quote(text) }
}
