/// One field of a frame as it sits on the wire: where it is, which bits, and what it means.
public struct LayoutField: Hashable, Sendable {
    public var name: String
    /// Offset of the field's first octet from the start of the frame.
    public var offset: Int
    /// Octets the field spans (for a bit field, the octets that hold it).
    public var length: Int
    /// For a field narrower than its octets: the first bit (0 = most significant) and the bit count.
    public var bits: (first: Int, count: Int)?
    public var meaning: String

    public static func == (a: LayoutField, b: LayoutField) -> Bool {
        a.name == b.name && a.offset == b.offset && a.length == b.length && a.meaning == b.meaning
            && a.bits?.first == b.bits?.first && a.bits?.count == b.bits?.count
    }
    public func hash(into hasher: inout Hasher) {
        hasher.combine(name); hasher.combine(offset); hasher.combine(length)
    }
}

/// Describes the bytes of one frame field by field (RFC 9113 §4.1 and the figures of §6), so that
/// a view can print an annotated hex and binary dump. It works from the raw bytes, valid or not, and
/// marks where they run short.
public enum FrameLayout {
    public static func describe(_ bytes: [UInt8]) -> [LayoutField] {
        var fields: [LayoutField] = []
        guard let header = FrameHeader(bytes) else {
            return [LayoutField(name: "Incomplete header", offset: 0, length: bytes.count, meaning: "\(bytes.count) of 9 octets")]
        }
        let type = header.type
        fields.append(LayoutField(name: "Length", offset: 0, length: 3, meaning: "\(header.length) octets of payload"))
        fields.append(LayoutField(name: "Type", offset: 3, length: 1, meaning: type.name))
        let flagNames = type.flagNames(header.flags)
        fields.append(LayoutField(name: "Flags", offset: 4, length: 1, meaning: flagNames.isEmpty ? "none" : flagNames.joined(separator: " | ")))
        fields.append(LayoutField(name: "Reserved (R)", offset: 5, length: 4, bits: (0, 1), meaning: header.reservedBit ? "1 (must be 0)" : "0"))
        fields.append(LayoutField(name: "Stream Identifier", offset: 5, length: 4, bits: (1, 31),
                                  meaning: header.streamID == 0 ? "0 (the connection)" : "\(header.streamID)"))

        var cursor = 9
        let end = min(bytes.count, 9 + header.length)
        var padding = 0
        func take(_ name: String, _ length: Int, bits: (Int, Int)? = nil, _ meaning: (ArraySlice<UInt8>) -> String) -> Bool {
            guard cursor + length <= end else {
                if cursor < end || length > 0 {
                    fields.append(LayoutField(name: name + " (truncated)", offset: cursor, length: end - cursor, meaning: "needs \(length) octets"))
                }
                cursor = end
                return false
            }
            fields.append(LayoutField(name: name, offset: cursor, length: length, bits: bits,
                                      meaning: meaning(bytes[cursor..<(cursor + length)])))
            if bits == nil || bits.map({ $0.0 + $0.1 == length * 8 }) == true { cursor += length }
            return true
        }
        func word(_ s: ArraySlice<UInt8>) -> UInt32 { s.reduce(0) { $0 << 8 | UInt32($1) } }
        func rest(_ name: String, _ describe: (ArraySlice<UInt8>) -> String) {
            let length = max(0, end - cursor - padding)
            if length > 0 || name == "Data" { _ = take(name, length, describe) }
        }

        let paddable: Set<FrameType> = [.data, .headers, .pushPromise]
        if paddable.contains(type) && header.flags.contains(.padded) {
            guard take("Pad Length", 1, { "\($0.first ?? 0) octets of padding" }) else { return fields }
            padding = Int(bytes[cursor - 1])
        }
        switch type {
        case .data:
            rest("Data") { "\($0.count) octets" + preview($0) }
        case .headers:
            if header.flags.contains(.priority) {
                _ = take("Exclusive (E)", 4, bits: (0, 1)) { word($0) >> 31 == 1 ? "1 (exclusive)" : "0" }
                guard take("Stream Dependency", 4, bits: (1, 31), { "\(word($0) & 0x7fff_ffff)" }) else { break }
                _ = take("Weight", 1) { "\($0.first ?? 0) (weight \(Int($0.first ?? 0) + 1))" }
            }
            rest("Field Block Fragment") { "\($0.count) octets of HPACK" }
        case .priority:
            _ = take("Exclusive (E)", 4, bits: (0, 1)) { word($0) >> 31 == 1 ? "1 (exclusive)" : "0" }
            guard take("Stream Dependency", 4, bits: (1, 31), { "\(word($0) & 0x7fff_ffff)" }) else { break }
            _ = take("Weight", 1) { "\($0.first ?? 0) (weight \(Int($0.first ?? 0) + 1))" }
        case .rstStream:
            _ = take("Error Code", 4) { ErrorCode(word($0)).name }
        case .settings:
            while cursor < end {
                guard take("Identifier", 2, { SettingID(UInt16(word($0))).name }) else { break }
                guard take("Value", 4, { "\(word($0))" }) else { break }
            }
        case .pushPromise:
            _ = take("Reserved (R)", 4, bits: (0, 1)) { "\(word($0) >> 31)" }
            guard take("Promised Stream ID", 4, bits: (1, 31), { "\(word($0) & 0x7fff_ffff)" }) else { break }
            rest("Field Block Fragment") { "\($0.count) octets of HPACK" }
        case .ping:
            _ = take("Opaque Data", 8) { "0x" + Hex.encode($0) }
        case .goaway:
            _ = take("Reserved (R)", 4, bits: (0, 1)) { "\(word($0) >> 31)" }
            guard take("Last-Stream-ID", 4, bits: (1, 31), { "\(word($0) & 0x7fff_ffff)" }) else { break }
            guard take("Error Code", 4, { ErrorCode(word($0)).name }) else { break }
            rest("Additional Debug Data") { "\"" + String(decoding: $0, as: UTF8.self) + "\"" }
        case .windowUpdate:
            _ = take("Reserved (R)", 4, bits: (0, 1)) { "\(word($0) >> 31)" }
            _ = take("Window Size Increment", 4, bits: (1, 31)) { "\(word($0) & 0x7fff_ffff)" }
        case .continuation:
            rest("Field Block Fragment") { "\($0.count) octets of HPACK" }
        case .priorityUpdate:
            _ = take("Reserved (R)", 4, bits: (0, 1)) { "\(word($0) >> 31)" }
            guard take("Prioritized Stream ID", 4, bits: (1, 31), { "\(word($0) & 0x7fff_ffff)" }) else { break }
            rest("Priority Field Value") { value in
                let text = String(decoding: value, as: UTF8.self)
                return "\"" + text + "\": " + (Priority(parsing: text)?.description ?? "not a dictionary: ignored") + " (RFC 9218)"
            }
        default:
            rest("Payload") { "\($0.count) octets (unknown type: ignored, §5.5)" }
        }
        if padding > 0 && cursor + padding <= end {
            _ = take("Padding", padding) { $0.allSatisfy { $0 == 0 } ? "\($0.count) zero octets" : "\($0.count) octets, not all zero" }
        }
        if cursor < end {
            fields.append(LayoutField(name: "Trailing octets", offset: cursor, length: end - cursor, meaning: "not part of any field"))
        }
        if bytes.count < 9 + header.length {
            fields.append(LayoutField(name: "Missing", offset: bytes.count, length: 0,
                                      meaning: "\(9 + header.length - bytes.count) octets of payload not received"))
        }
        return fields
    }

    static func preview(_ bytes: ArraySlice<UInt8>) -> String {
        guard !bytes.isEmpty else { return "" }
        let printable = bytes.prefix(24).map { $0 >= 32 && $0 < 127 ? Character(UnicodeScalar($0)) : "." }
        return ": \"" + String(printable) + (bytes.count > 24 ? "…" : "") + "\""
    }
}
