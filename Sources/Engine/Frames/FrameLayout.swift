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
        guard let header = FrameHeader(bytes) else {
            return [LayoutField(name: "Incomplete header", offset: 0, length: bytes.count, meaning: "\(bytes.count) of 9 octets")]
        }
        var walk = PayloadWalk(bytes: bytes, end: min(bytes.count, 9 + header.length), fields: headerFields(header))
        walk.payload(of: header)
        walk.finish(expected: 9 + header.length)
        return walk.fields
    }

    /// The nine octets every frame starts with (§4.1).
    static func headerFields(_ header: FrameHeader) -> [LayoutField] {
        let flagNames = header.type.flagNames(header.flags)
        return [
            LayoutField(name: "Length", offset: 0, length: 3, meaning: "\(header.length) octets of payload"),
            LayoutField(name: "Type", offset: 3, length: 1, meaning: header.type.name),
            LayoutField(name: "Flags", offset: 4, length: 1, meaning: flagNames.isEmpty ? "none" : flagNames.joined(separator: " | ")),
            LayoutField(name: "Reserved (R)", offset: 5, length: 4, bits: (0, 1), meaning: header.reservedBit ? "1 (must be 0)" : "0"),
            LayoutField(name: "Stream Identifier", offset: 5, length: 4, bits: (1, 31),
                        meaning: header.streamID == 0 ? "0 (the connection)" : "\(header.streamID)"),
        ]
    }

    static func preview(_ bytes: ArraySlice<UInt8>) -> String {
        guard !bytes.isEmpty else { return "" }
        let printable = bytes.prefix(24).map { $0 >= 32 && $0 < 127 ? Character(UnicodeScalar($0)) : "." }
        return ": \"" + String(printable) + (bytes.count > 24 ? "…" : "") + "\""
    }
}

/// A walk through one payload, field by field in the order of §6's figures: `take` adds the next
/// field, or marks it truncated and ends the walk when the payload runs short.
struct PayloadWalk {
    let bytes: [UInt8]
    /// Where the payload ends: its length, or fewer octets if fewer arrived.
    let end: Int
    var fields: [LayoutField]
    var cursor = 9
    /// Padding announced by Pad Length, kept off the field before it (§6.1, §6.2, §6.6).
    var padding = 0

    init(bytes: [UInt8], end: Int, fields: [LayoutField]) {
        self.bytes = bytes
        self.end = end
        self.fields = fields
    }

    static func word(_ s: ArraySlice<UInt8>) -> UInt32 { s.reduce(0) { $0 << 8 | UInt32($1) } }

    mutating func take(_ name: String, _ length: Int, bits: (Int, Int)? = nil, _ meaning: (ArraySlice<UInt8>) -> String) -> Bool {
        guard cursor + length <= end else {
            if cursor < end || length > 0 {
                fields.append(LayoutField(name: name + " (truncated)", offset: cursor, length: end - cursor, meaning: "needs \(length) octets"))
            }
            cursor = end
            return false
        }
        fields.append(LayoutField(name: name, offset: cursor, length: length, bits: bits, meaning: meaning(bytes[cursor..<(cursor + length)])))
        // A bit field narrower than its octets shares them with the next field.
        if bits == nil || bits.map({ $0.0 + $0.1 == length * 8 }) == true { cursor += length }
        return true
    }

    /// What is left before the padding, as one field.
    mutating func rest(_ name: String, _ describe: (ArraySlice<UInt8>) -> String) {
        let length = max(0, end - cursor - padding)
        if length > 0 || name == "Data" { _ = take(name, length, describe) }
    }

    /// A reserved bit and a 31-bit stream identifier in one word (PUSH_PROMISE, GOAWAY,
    /// WINDOW_UPDATE, PRIORITY_UPDATE).
    mutating func reservedAnd(_ name: String) -> Bool {
        _ = take("Reserved (R)", 4, bits: (0, 1)) { "\(Self.word($0) >> 31)" }
        return take(name, 4, bits: (1, 31)) { "\(Self.word($0) & 0x7fff_ffff)" }
    }

    /// RFC 7540's priority fields, kept in HEADERS (with the PRIORITY flag) and PRIORITY (§6.3).
    mutating func dependency() {
        _ = take("Exclusive (E)", 4, bits: (0, 1)) { Self.word($0) >> 31 == 1 ? "1 (exclusive)" : "0" }
        guard take("Stream Dependency", 4, bits: (1, 31), { "\(Self.word($0) & 0x7fff_ffff)" }) else { return }
        _ = take("Weight", 1) { "\($0.first ?? 0) (weight \(Int($0.first ?? 0) + 1))" }
    }

    /// The payload's fields by frame type (§6.1-§6.10, RFC 9218 §7.1; other types §5.5).
    mutating func payload(of header: FrameHeader) {
        let paddable: Set<FrameType> = [.data, .headers, .pushPromise]
        if paddable.contains(header.type) && header.flags.contains(.padded) {
            guard take("Pad Length", 1, { "\($0.first ?? 0) octets of padding" }) else { return }
            padding = Int(bytes[cursor - 1])
        }
        switch header.type {
        case .data:
            rest("Data") { "\($0.count) octets" + FrameLayout.preview($0) }
        case .headers:
            if header.flags.contains(.priority) { dependency() }
            rest("Field Block Fragment") { "\($0.count) octets of HPACK" }
        case .priority:
            dependency()
        case .rstStream:
            _ = take("Error Code", 4) { ErrorCode(Self.word($0)).name }
        case .settings:
            while cursor < end {
                guard take("Identifier", 2, { SettingID(UInt16(Self.word($0))).name }) else { break }
                guard take("Value", 4, { "\(Self.word($0))" }) else { break }
            }
        case .pushPromise:
            guard reservedAnd("Promised Stream ID") else { return }
            rest("Field Block Fragment") { "\($0.count) octets of HPACK" }
        case .ping:
            _ = take("Opaque Data", 8) { "0x" + Hex.encode($0) }
        case .goaway:
            guard reservedAnd("Last-Stream-ID"), take("Error Code", 4, { ErrorCode(Self.word($0)).name }) else { return }
            rest("Additional Debug Data") { "\"" + String(decoding: $0, as: UTF8.self) + "\"" }
        case .windowUpdate:
            _ = reservedAnd("Window Size Increment")
        case .continuation:
            rest("Field Block Fragment") { "\($0.count) octets of HPACK" }
        case .priorityUpdate:
            guard reservedAnd("Prioritized Stream ID") else { return }
            rest("Priority Field Value") { value in
                let text = String(decoding: value, as: UTF8.self)
                return "\"" + text + "\": " + (Priority(parsing: text)?.description ?? "not a dictionary: ignored") + " (RFC 9218)"
            }
        default:
            rest("Payload") { "\($0.count) octets (unknown type: ignored, §5.5)" }
        }
    }

    /// The padding, octets no field claims, and what never arrived of a payload `expected` long.
    mutating func finish(expected: Int) {
        if padding > 0 && cursor + padding <= end {
            _ = take("Padding", padding) { $0.allSatisfy { $0 == 0 } ? "\($0.count) zero octets" : "\($0.count) octets, not all zero" }
        }
        if cursor < end {
            fields.append(LayoutField(name: "Trailing octets", offset: cursor, length: end - cursor, meaning: "not part of any field"))
        }
        if bytes.count < expected {
            fields.append(LayoutField(name: "Missing", offset: bytes.count, length: 0,
                                      meaning: "\(expected - bytes.count) octets of payload not received"))
        }
    }
}
