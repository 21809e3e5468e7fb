import Engine

/// One JSON object per line: each delivery, then each event it caused.
public enum JSONView {
    public static func lines(_ log: some Collection<Delivery>) -> [String] {
        var lines: [String] = []
        for d in log {
            var frame: [(String, String)] = [("seq", "\(d.sequence)"), ("kind", q("delivery")), ("from", q(d.item.from.rawValue)),
                                              ("to", q(d.item.to.rawValue)), ("bytes", "\(d.item.bytes.count)")]
            if d.item.isPreface {
                frame.append(("frame", q("preface")))
            } else if let h = FrameHeader(d.item.bytes) {
                frame += [("frame", q(h.type.name)), ("stream", "\(h.streamID)"),
                          ("flags", "[" + h.type.flagNames(h.flags).map(q).joined(separator: ",") + "]"), ("hex", q(Hex.encode(d.item.bytes)))]
            }
            lines.append(object(frame))
            for event in d.events {
                lines.append(object([("seq", "\(d.sequence)"), ("kind", q("event")), ("endpoint", q(d.item.to.rawValue))] + fields(event)))
            }
        }
        return lines
    }

    static func fields(_ event: Event) -> [(String, String)] {
        switch event {
        case .streamStateChanged(let s, let from, let to, let cause):
            return [("event", q("state")), ("stream", "\(s)"), ("from", q(from.rawValue)), ("to", q(to.rawValue)), ("cause", q(cause.description))]
        case .headersReceived(let s, let kind, let block):
            return [("event", q("headers")), ("stream", "\(s)"), ("message", q(kind.rawValue)),
                    ("fields", "[" + block.fields.map { "[\(q($0.field.name)),\(q($0.field.value)),\(q($0.representation.description))]" }.joined(separator: ",") + "]"),
                    ("table_before", "\(block.tableSizeBefore)"), ("table_after", "\(block.tableSizeAfter)")]
        case .windowChanged(let s, let side, let from, let to):
            return [("event", q("window")), ("stream", "\(s)"), ("side", q(side.rawValue)), ("from", "\(from)"), ("to", "\(to)")]
        case .protocolError(let e):
            return [("event", q("error")), ("code", q(e.code.name)), ("scope", q(e.isConnectionError ? "connection" : "stream")),
                    ("section", q(e.section)), ("message", q(e.message))]
        case .dataReceived(let s, let n, let end):
            return [("event", q("data")), ("stream", "\(s)"), ("length", "\(n)"), ("end_stream", "\(end)")]
        case .remoteSettingsApplied(let list):
            return [("event", q("settings")), ("values", "{" + list.map { "\(q($0.id.name)):\($0.value)" }.joined(separator: ",") + "}")]
        case .messageComplete(let s, let kind):
            return [("event", q("complete")), ("stream", "\(s)"), ("message", q(kind.rawValue))]
        default:
            let name = "\(event)".prefix { $0 != "(" }
            return [("event", q(String(name)))]
        }
    }

    static func object(_ pairs: [(String, String)]) -> String {
        "{" + pairs.map { "\(q($0.0)):\($0.1)" }.joined(separator: ",") + "}"
    }

    /// A JSON string literal.
    public static func q(_ text: String) -> String { JSONText.quote(text) }
}
