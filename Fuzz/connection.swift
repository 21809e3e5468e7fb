// libFuzzer target: a whole server connection (the engine and the demo site) fed arbitrary octets
// after a valid preface and SETTINGS, in pieces. It must answer with frames or an error, never
// crash, and keep its memory bounded.
import Engine

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConnection(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var connection = Connection(role: .server)
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
