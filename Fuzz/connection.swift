// libFuzzer target: a whole server connection (the engine and the demo site) fed arbitrary octets
// after a valid preface and SETTINGS, in pieces. It must answer with frames or an error, never
// crash, and keep its memory bounded. The first input octet's low bit picks the configuration:
// the lab's (every header block and step reported) or `serve`'s (none: the §8 checks run while
// decoding, the encoder's unreported path, the demo site's fixed pages).
import Engine

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConnection(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var configuration = Connection.Configuration.server
    if let first = bytes.first, first & 1 == 1 {
        configuration.reportsHeaderBlocks = false
        configuration.reportsProgress = false
        configuration.encoderPolicy = .network
    }
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
        _ = connection.takeOutbound()
        offset = end
        piece = piece * 3 % 1_024 + 1
    }
    return 0
}
