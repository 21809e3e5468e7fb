/// Serialises frames (RFC 9113 §4.1 and §6). It writes what it is given, valid or not, so that a
/// lesson can put a malformed frame on the wire on purpose.
public enum FrameEncoder {
    public static func encode(_ frame: Frame) -> [UInt8] {
        var out: [UInt8] = []
        encode(frame, into: &out)
        return out
    }

    public static func encode(_ frame: Frame, into out: inout [UInt8]) {
        let length = frame.payloadLength
        reserve(9 + length, in: &out)
        encodeHeader(length: length, type: frame.type.rawValue, flags: frame.wireFlags.rawValue,
                     stream: frame.streamID | (frame.reservedBit ? 0x8000_0000 : 0), into: &out)
        if let pad = frame.padLength { out.append(pad) }
        switch frame.payload {
        case .data(let bytes):
            out.append(contentsOf: bytes)
        case .headers(let block, let priority):
            if let priority { appendPriority(priority, to: &out) }
            out.append(contentsOf: block)
        case .priority(let priority):
            appendPriority(priority, to: &out)
        case .rstStream(let code):
            appendUInt32(code.rawValue, to: &out)
        case .settings(let list):
            for setting in list {
                out.append(UInt8(setting.id.rawValue >> 8))
                out.append(UInt8(truncatingIfNeeded: setting.id.rawValue))
                appendUInt32(setting.value, to: &out)
            }
        case .pushPromise(let promised, let block):
            appendUInt32(promised, to: &out)
            out.append(contentsOf: block)
        case .ping(let opaque):
            for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: opaque >> UInt64(shift))) }
        case .goaway(let last, let code, let debug):
            appendUInt32(last, to: &out)
            appendUInt32(code.rawValue, to: &out)
            out.append(contentsOf: debug)
        case .windowUpdate(let increment):
            appendUInt32(increment, to: &out)
        case .continuation(let block):
            out.append(contentsOf: block)
        case .priorityUpdate(let stream, let value):
            appendUInt32(stream & 0x7fff_ffff, to: &out)
            out.append(contentsOf: value)
        case .unknown(_, let payload):
            out.append(contentsOf: payload)
        }
        if let pad = frame.padLength { out.append(contentsOf: repeatElement(0, count: Int(pad))) }
    }

    /// Room for `count` more octets. A buffer that many frames are encoded into one after the
    /// other grows by doubling: asking for exactly what each frame needs would reallocate (and
    /// copy everything so far) for every frame.
    @inline(__always)
    static func reserve(_ count: Int, in out: inout [UInt8]) {
        let needed = out.count + count
        if needed > out.capacity { out.reserveCapacity(max(needed, 2 * out.capacity)) }
    }

    /// The nine octets of a frame header (§4.1), in one append, not nine. `stream` includes the
    /// reserved bit.
    @inline(__always)
    static func encodeHeader(length: Int, type: UInt8, flags: UInt8, stream: UInt32, into out: inout [UInt8]) {
        withUnsafeBytes(of: header(length: length, type: type, flags: flags, stream: stream)) {
            out.append(contentsOf: $0.assumingMemoryBound(to: UInt8.self))
        }
    }

    /// The nine octets of a frame header written over `out[at..<at + 9]` (a header whose length
    /// is known only once its payload is written after it).
    @inline(__always)
    static func writeHeader(length: Int, type: UInt8, flags: UInt8, stream: UInt32, at: Int, in out: inout [UInt8]) {
        withUnsafeBytes(of: header(length: length, type: type, flags: flags, stream: stream)) { octets in
            out.withUnsafeMutableBytes { all in
                UnsafeMutableRawBufferPointer(rebasing: all[at..<(at + FrameHeader.size)]).copyMemory(from: octets)
            }
        }
    }

    /// §4.1's layout: 24-bit length, type, flags, the stream id (with the reserved bit, if set).
    @inline(__always)
    private static func header(length: Int, type: UInt8, flags: UInt8, stream: UInt32)
        -> (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) {
        (UInt8(truncatingIfNeeded: length >> 16), UInt8(truncatingIfNeeded: length >> 8), UInt8(truncatingIfNeeded: length),
         type, flags,
         UInt8(truncatingIfNeeded: stream >> 24), UInt8(truncatingIfNeeded: stream >> 16),
         UInt8(truncatingIfNeeded: stream >> 8), UInt8(truncatingIfNeeded: stream))
    }

    private static func appendPriority(_ priority: PriorityFields, to out: inout [UInt8]) {
        appendUInt32(priority.dependency | (priority.exclusive ? 0x8000_0000 : 0), to: &out)
        out.append(priority.weight)
    }

    @inline(__always)
    static func appendUInt32(_ value: UInt32, to out: inout [UInt8]) {
        out.append(UInt8(truncatingIfNeeded: value >> 24))
        out.append(UInt8(truncatingIfNeeded: value >> 16))
        out.append(UInt8(truncatingIfNeeded: value >> 8))
        out.append(UInt8(truncatingIfNeeded: value))
    }
}
