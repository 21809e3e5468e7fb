// libFuzzer target: the HPACK decoder (RFC 7541) on arbitrary header blocks, two blocks in a row so
// that the dynamic table carries state, with a header list limit; and whatever decodes must
// re-encode and decode to the same fields.
import Engine

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHPACK(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var decoder = HPACKDecoder(tableSize: 4096, maxHeaderListSize: 65_536)
    let half = bytes.count / 2
    for block in [Array(bytes[..<half]), Array(bytes[half...])] {
        guard let fields = try? decoder.decode(block) else { continue }
        var encoder = HPACKEncoder()
        let encoded = encoder.encode(fields).bytes
        var check = HPACKDecoder(tableSize: 4096)
        guard let again = try? check.decode(encoded), again == fields else {
            fatalError("re-encoding changed the fields")  // a real bug: let libFuzzer report it
        }
    }
    return 0
}
