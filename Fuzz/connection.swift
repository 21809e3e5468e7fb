// libFuzzer target: a whole server connection (the engine and the demo site) fed arbitrary octets
// after a valid preface and SETTINGS, in pieces. It must answer with frames or an error, never
// crash, and keep its memory bounded. The first input octet's low bit picks the configuration:
// the lab's (every header block and step reported) or `serve`'s (none: the §8 checks run while
// decoding, the encoder's unreported path, frames encoded as they are queued, the demo site's
// fixed pages); its next bit, how the frames are taken (as values, or onto a wire queue).
import Engine

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConnection(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var configuration = Connection.Configuration.server
    if let first = bytes.first, first & 1 == 1 {
        configuration.reportsHeaderBlocks = false
        configuration.reportsProgress = false
        configuration.encoderPolicy = .network
        // Frames encoded as they are queued, as `serve` does when nothing traces; the next bit
        // picks how they are taken: as octets (serve's way) or read back as values.
        configuration.encodesOutbox = true
    }
    let takesValues = (bytes.first ?? 0) & 2 == 2
    var connection = Connection(role: .server, configuration: configuration)
    connection.start()
    let site = DemoSite()
    var input = connectionPreface + FrameEncoder.encode(.settings([]))
    input += bytes
    var offset = 0
    var piece = 1
    while offset < input.count {
        let end = min(input.count, offset + piece)
        let events = connection.receive(bytes: input[offset..<end])
        _ = site.answer(events, on: &connection)
        if takesValues {
            _ = connection.takeOutbound()
        } else {
            var wire = WireQueue()
            connection.takeOutbound(into: &wire)
            wire.consume(wire.count)
        }
        offset = end
        piece = piece * 3 % 1_024 + 1
    }
    return 0
}
