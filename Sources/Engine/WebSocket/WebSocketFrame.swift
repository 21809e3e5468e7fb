/// One WebSocket frame (RFC 6455 §5.2), as carried in the DATA of an extended CONNECT stream
/// (RFC 8441 §5): FIN, an opcode, and the payload (unmasked here; masked on the wire from a client).
public struct WebSocketFrame: Hashable, Sendable {
    public enum Opcode: UInt8, Sendable {
        case continuation = 0x0, text = 0x1, binary = 0x2, close = 0x8, ping = 0x9, pong = 0xa
    }

    public var fin: Bool
    public var opcode: Opcode
    public var payload: [UInt8]

    public init(fin: Bool = true, opcode: Opcode, payload: [UInt8]) {
        self.fin = fin
        self.opcode = opcode
        self.payload = payload
    }

    /// Largest payload accepted (a bound for a frame's declared length; the echo needs no more).
    public static let maximumPayload = 1 << 20

    /// The frame's octets; with `mask` (a client's, §5.3) the payload is masked with those 4 octets.
    public func encoded(mask: [UInt8]? = nil) -> [UInt8] {
        var out: [UInt8] = [(fin ? 0x80 : 0) | opcode.rawValue]
        let maskBit: UInt8 = mask == nil ? 0 : 0x80
        if payload.count < 126 {
            out.append(maskBit | UInt8(payload.count))
        } else if payload.count <= 0xffff {
            out += [maskBit | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xff)]
        } else {
            out.append(maskBit | 127)
            out += (0..<8).map { UInt8(truncatingIfNeeded: UInt64(payload.count) >> UInt64(56 - 8 * $0)) }
        }
        guard let mask, mask.count == 4 else { return out + payload }
        out += mask
        out += payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
        return out
    }

    /// What decoding the front of a byte buffer gives.
    public enum Decoded: Hashable, Sendable {
        /// A whole frame, and how many octets it took.
        case frame(WebSocketFrame, masked: Bool, consumed: Int)
        /// More octets are needed.
        case incomplete
        /// Not a frame this endpoint accepts (§5.2: reserved bits, unknown opcode, oversized).
        case invalid(String)
    }

    /// Decodes the first frame in `bytes`, unmasking its payload.
    public static func decode(_ bytes: ArraySlice<UInt8>) -> Decoded {
        guard bytes.count >= 2 else { return .incomplete }
        let first = bytes[bytes.startIndex], second = bytes[bytes.startIndex + 1]
        if first & 0x70 != 0 { return .invalid("reserved bits set with no extension negotiated (RFC 6455 §5.2)") }
        guard let opcode = Opcode(rawValue: first & 0x0f) else { return .invalid("unknown opcode 0x\(String(first & 0x0f, radix: 16)) (RFC 6455 §5.2)") }
        var index = bytes.startIndex + 2
        var length = Int(second & 0x7f)
        if length == 126 || length == 127 {
            let size = length == 126 ? 2 : 8
            guard bytes.count >= 2 + size else { return .incomplete }
            length = 0
            for _ in 0..<size {
                guard length <= maximumPayload else { break }
                length = length << 8 | Int(bytes[index])
                index += 1
            }
        }
        guard length <= maximumPayload else { return .invalid("a frame of over \(maximumPayload) octets") }
        let masked = second & 0x80 != 0
        let header = index - bytes.startIndex + (masked ? 4 : 0)
        guard bytes.count >= header + length else { return .incomplete }
        var payload = Array(bytes[(bytes.startIndex + header)..<(bytes.startIndex + header + length)])
        if masked {
            let mask = Array(bytes[index..<(index + 4)])
            for i in payload.indices { payload[i] ^= mask[i % 4] }
        }
        return .frame(WebSocketFrame(fin: first & 0x80 != 0, opcode: opcode, payload: payload), masked: masked, consumed: header + length)
    }
}
