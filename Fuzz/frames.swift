// libFuzzer target: the frame decoder (RFC 9113 §4, §6) on arbitrary octets, with and without the
// preface expected. Any input must give frames or a protocol error, never a crash or a hang.
import Engine

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFrames(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    for expectPreface in [false, true] {
        var decoder = FrameDecoder(expectPreface: expectPreface)
        decoder.maxFrameSize = 1 << 14
        // Fed in two pieces, as a socket might split it.
        let cut = bytes.isEmpty ? 0 : Int(bytes[0]) % (bytes.count + 1)
        decoder.append(bytes[..<cut])
        while decoder.next() != nil {}
        decoder.append(bytes[cut...])
        while decoder.next() != nil {}
    }
    return 0
}
