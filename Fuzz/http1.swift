// libFuzzer target: the HTTP/1.1 request parser and the mapping to HTTP/2 fields (RFC 9113 §8.3,
// h2c upgrade), on arbitrary octets.
import Engine

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTP1(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if case .request(let request, _) = HTTP1Mapping.parseRequest(bytes) {
        let (fields, _) = HTTP1Mapping.headers(for: request, scheme: "http")
        _ = HTTP1Mapping.http1Request(from: fields, body: request.body)
    }
    _ = FrameDecoder.isHTTP1RequestStart(bytes[...])
    return 0
}
