/// h2c Upgrade (RFC 7540 §3.2; removed from RFC 9113 but still worth teaching): an HTTP/1.1 request
/// with `Upgrade: h2c` and `HTTP2-Settings` becomes stream 1, half-closed (remote), after a 101.
extension Connection {
    /// Applies the client's HTTP2-Settings and opens stream 1 with the upgraded request.
    public mutating func acceptUpgrade(request: [HeaderField], body: [UInt8], http2Settings: String) throws(UsageError) -> [Event] {
        guard role == .server, highestPeerStreamID == 0 else { throw UsageError("only a fresh server connection accepts an upgrade") }
        guard let payload = Base64URL.decode(http2Settings), payload.count % 6 == 0 else {
            throw UsageError("HTTP2-Settings is not base64url-encoded SETTINGS parameters")
        }
        var events: [Event] = []
        var list: [Setting] = []
        for i in stride(from: 0, to: payload.count, by: 6) {
            let id = SettingID(UInt16(payload[i]) << 8 | UInt16(payload[i + 1]))
            let value = payload[(i + 2)..<(i + 6)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            let setting = Setting(id, value)
            if let (_, message) = setting.validate() { throw UsageError("HTTP2-Settings: \(message)") }
            list.append(setting)
        }
        for setting in list {
            remoteSettings.apply(setting)
            if setting.id == .headerTableSize { encoder.setPeerLimit(Int(setting.value)) }
        }
        events.append(.remoteSettingsApplied(list))
        var stream = newStream(1)
        stream.requestHeaders = request
        stream.receivedBody = body
        stream.receivedBodyLength = body.count
        heldBodyOctets += body.count
        notePeerStream(1)
        transition(&stream, .headers(.received), into: &events)
        transition(&stream, .endStream(.received), into: &events)
        streams[1] = stream
        events.append(.messageComplete(stream: 1, kind: .request))
        return events
    }
}

/// Base64url without padding (RFC 4648 §5), as HTTP2-Settings uses.
public enum Base64URL {
    public static func decode(_ text: String) -> [UInt8]? {
        var bits: UInt32 = 0
        var count = 0
        var out: [UInt8] = []
        for c in text.utf8 {
            let v: UInt8
            switch c {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): v = c - UInt8(ascii: "A")
            case UInt8(ascii: "a")...UInt8(ascii: "z"): v = c - UInt8(ascii: "a") + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = c - UInt8(ascii: "0") + 52
            case UInt8(ascii: "-"), UInt8(ascii: "+"): v = 62
            case UInt8(ascii: "_"), UInt8(ascii: "/"): v = 63
            case UInt8(ascii: "="): continue
            default: return nil
            }
            bits = bits << 6 | UInt32(v)
            count += 6
            if count >= 8 {
                count -= 8
                out.append(UInt8(truncatingIfNeeded: bits >> UInt32(count)))
            }
        }
        return out
    }

    public static func encode(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        var out: [UInt8] = []
        var bits: UInt32 = 0
        var count = 0
        for b in bytes {
            bits = bits << 8 | UInt32(b)
            count += 8
            while count >= 6 {
                count -= 6
                out.append(alphabet[Int((bits >> UInt32(count)) & 63)])
            }
        }
        if count > 0 { out.append(alphabet[Int((bits << UInt32(6 - count)) & 63)]) }
        return String(decoding: out, as: UTF8.self)
    }
}

extension Connection {
    /// The client's side of h2c Upgrade: after the server's 101, the HTTP/1.1 request is stream 1,
    /// half-closed (local); the response arrives on it as HTTP/2 (RFC 7540 §3.2).
    public mutating func startUpgraded(request: [HeaderField]) throws(UsageError) -> [Event] {
        guard role == .client, highestLocalStreamID == 0 else { throw UsageError("only a fresh client connection can be upgraded") }
        var events: [Event] = []
        var stream = newStream(1)
        stream.requestHeaders = request
        stream.isResponseToHead = request.contains { $0.name == ":method" && $0.value == "HEAD" }
        highestLocalStreamID = 1
        transition(&stream, .headers(.sent), into: &events)
        transition(&stream, .endStream(.sent), into: &events)
        streams[1] = stream
        return events
    }

    /// The SETTINGS payload of this endpoint's configuration, base64url-encoded for HTTP2-Settings.
    public var http2SettingsHeader: String {
        var payload: [UInt8] = []
        for setting in configuration.settings {
            payload += [UInt8(setting.id.rawValue >> 8), UInt8(truncatingIfNeeded: setting.id.rawValue)]
            payload += [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: setting.value >> UInt32($0)) }
        }
        return Base64URL.encode(payload)
    }
}
