/// The state of one connection as JSON, in the format of draft-benfield-http2-debug-state-01, which
/// servers such as h2o and Apache's mod_http2 answer at `/.well-known/h2/state`: the settings both
/// ways, the connection's flow-control windows, every stream's state and windows, and both HPACK
/// tables. Nothing time- or address-dependent is in it, so the same exchange gives the same text.
extension Connection {
    /// The well-known path the demo site answers with `debugState()` (draft-benfield-http2-debug-state §3).
    public static let debugStatePath = "/.well-known/h2/state"

    public func debugState() -> String {
        // What this endpoint announced most recently (in force once acknowledged).
        var announced = localSettings
        for batch in unacknowledgedSettings { for setting in batch { announced.apply(setting) } }
        var out = "{\n"
        out += "  \"version\": \"draft-01\",\n"
        out += "  \"settings\": \(Self.settingsJSON(announced)),\n"
        out += "  \"peerSettings\": \(Self.settingsJSON(remoteSettings)),\n"
        out += "  \"connFlowIn\": \(connectionReceiveWindow.value),\n"
        out += "  \"connFlowOut\": \(connectionSendWindow.value),\n"
        out += "  \"streams\": {"
        let ids = streams.keys.sorted()
        for (n, id) in ids.enumerated() {
            guard let stream = streams[id] else { continue }
            out += n == 0 ? "\n" : ",\n"
            out += "    \"\(id)\": {\"state\": \"\(Self.draftName(stream.state))\", "
            out += "\"flowIn\": \(stream.receiveWindow.value), \"flowOut\": \(stream.sendWindow.value), "
            out += "\"dataIn\": \(stream.receivedBodyLength), \"dataOut\": \(stream.sentBodyLength)}"
        }
        out += ids.isEmpty ? "},\n" : "\n  },\n"
        out += "  \"hpack\": {\n"
        out += "    \"inboundTableSize\": \(decoder.table.size),\n"
        out += "    \"outboundTableSize\": \(encoder.table.size),\n"
        out += "    \"inboundDynamicHeaderTable\": \(Self.tableJSON(decoder.table)),\n"
        out += "    \"outboundDynamicHeaderTable\": \(Self.tableJSON(encoder.table))\n"
        out += "  },\n"
        out += "  \"sentGoAway\": \(goawaySent != nil),\n"
        out += "  \"additionalInfo\": {\"implementation\": \"h2lab\", \"role\": \"\(role)\", "
        out += "\"settingsAcknowledged\": \(unacknowledgedSettings.isEmpty)}\n"
        out += "}\n"
        return out
    }

    /// The draft's names for the stream states of RFC 9113 §5.1.
    static func draftName(_ state: StreamState) -> String {
        switch state {
        case .idle: "IDLE"
        case .reservedLocal: "RESERVED_LOCAL"
        case .reservedRemote: "RESERVED_REMOTE"
        case .open: "OPEN"
        case .halfClosedLocal: "HALF_CLOSED_LOCAL"
        case .halfClosedRemote: "HALF_CLOSED_REMOTE"
        case .closed: "CLOSED"
        }
    }

    static func settingsJSON(_ values: SettingsValues) -> String {
        var fields = [
            "\"SETTINGS_HEADER_TABLE_SIZE\": \(values.headerTableSize)",
            "\"SETTINGS_ENABLE_PUSH\": \(values.enablePush ? 1 : 0)",
        ]
        if let limit = values.maxConcurrentStreams { fields.append("\"SETTINGS_MAX_CONCURRENT_STREAMS\": \(limit)") }
        fields.append("\"SETTINGS_INITIAL_WINDOW_SIZE\": \(values.initialWindowSize)")
        fields.append("\"SETTINGS_MAX_FRAME_SIZE\": \(values.maxFrameSize)")
        if let limit = values.maxHeaderListSize { fields.append("\"SETTINGS_MAX_HEADER_LIST_SIZE\": \(limit)") }
        if values.enableConnectProtocol { fields.append("\"SETTINGS_ENABLE_CONNECT_PROTOCOL\": 1") }
        return "{" + fields.joined(separator: ", ") + "}"
    }

    /// Entries newest first, as [name, value] pairs (RFC 7541 §2.3.2's order).
    static func tableJSON(_ table: DynamicTable) -> String {
        let entries = table.entries.map { "[\(JSONText.quote($0.field.name)), \(JSONText.quote($0.field.value))]" }
        return "[" + entries.joined(separator: ", ") + "]"
    }
}
