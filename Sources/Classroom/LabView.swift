import Engine
import Foundation
import Lessons

/// The lab's views as JSON for the page's pictures, from the same values the terminal's views read
/// (`Renderer`, `FrameLayout`): streams with their states (RFC 9113 §5.1), both endpoints' HPACK
/// tables (RFC 7541 §2.3.2), the flow-control windows (§5.2, §6.9), settings (§6.5.2), the frames
/// delivered (each with the terminal's lines, its fields by offset and its octets) and those still
/// on the wire.
enum LabView {
    /// Frames the view carries (the newest); older ones are counted, not sent.
    static let frameLimit = 200

    static func object(_ lab: Lab, renderer: Renderer = Renderer(palette: .plain)) -> [String: Any] {
        var endpoints: [String: Any] = [:]
        for role in [Role.client, .server] {
            let c = lab.state.connection(role)
            let streams: [[String: Any]] = c.streams.keys.sorted().compactMap { id in
                guard let s = c.streams[id] else { return nil }
                return ["id": Int(id), "state": s.state.rawValue, "closeReason": s.closeReason?.rawValue ?? NSNull(),
                        "sendWindow": s.sendWindow.value, "receiveWindow": s.receiveWindow.value,
                        "request": s.requestLine, "status": s.status ?? NSNull(), "waiting": s.pendingSendCount]
            }
            func table(_ t: DynamicTable) -> [String: Any] {
                ["size": t.size, "maxSize": t.maxSize,
                 "entries": t.entries.enumerated().map { ["index": 62 + $0.offset, "name": $0.element.field.name,
                                                          "value": $0.element.field.value, "size": $0.element.size] }]
            }
            func settings(_ s: SettingsValues) -> [[String]] { s.listed.map { [$0.0, $0.1] } }
            endpoints[role.rawValue] = [
                "streams": streams,
                "encoder": table(c.encoder.table), "decoder": table(c.decoder.table),
                "connectionSendWindow": c.connectionSendWindow.value, "connectionReceiveWindow": c.connectionReceiveWindow.value,
                "localSettings": settings(c.localSettings), "remoteSettings": settings(c.remoteSettings),
            ]
        }
        let log = lab.log.suffix(frameLimit)
        let frames: [[String: Any]] = log.map { d in frame(d.item, sequence: d.sequence, renderer: renderer, delivery: d) }
        // The next `frameLimit` to be delivered, as many as the page draws of the log: a lab with
        // thousands waiting must not make every poll of the page megabytes long.
        let waiting = lab.state.toServer.count + lab.state.toClient.count
        let wire = (Array(lab.state.toServer.prefix(frameLimit)) + Array(lab.state.toClient.prefix(frameLimit))).sorted { $0.order < $1.order }
            .prefix(frameLimit).map { frame($0, sequence: nil, renderer: renderer, delivery: nil) }
        return ["endpoints": endpoints, "frames": frames, "framesOmitted": lab.log.count - log.count, "wire": Array(wire),
                "wireOmitted": waiting - wire.count, "canGoBack": lab.canGoBack]
    }

    static func frame(_ item: WireItem, sequence: Int?, renderer: Renderer, delivery: Delivery?) -> [String: Any] {
        var object: [String: Any] = ["from": item.from.rawValue, "to": item.to.rawValue, "summary": item.summary,
                                     "length": item.bytes.count, "hex": Hex.encode(item.bytes.prefix(4096))]
        if let sequence { object["seq"] = sequence }
        if item.isPreface {
            object["type"] = "preface"
        } else if let header = FrameHeader(item.bytes) {
            object["type"] = header.type.name
            object["stream"] = Int(header.streamID)
            object["flags"] = header.type.flagNames(header.flags)
            object["fields"] = FrameLayout.describe(item.bytes).map {
                ["offset": $0.offset, "length": $0.length, "name": $0.name, "meaning": $0.meaning]
            }
        }
        if let delivery {
            object["lines"] = renderer.delivery(delivery)
            object["dropped"] = delivery.dropped
            object["error"] = delivery.events.contains { if case .protocolError = $0 { return true } else { return false } }
        }
        return object
    }

    static func text(_ lab: Lab) -> String {
        JSONText.encode(object(lab))
    }
}
