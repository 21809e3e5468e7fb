// libFuzzer target: the HPACK decoder (RFC 7541) on arbitrary header blocks, two blocks in a row so
// that the dynamic table carries state, with a header list limit; and whatever decodes must
// re-encode and decode to the same fields. The three ways to decode (fields as Strings, fields
// handed out as octets, the lab's report) must agree on every block: the same fields, the same
// error or none, the same table after it.
import Engine

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHPACK(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var decoder = HPACKDecoder(tableSize: 4096, maxHeaderListSize: 65_536)
    var octets = decoder, reporting = decoder
    let half = bytes.count / 2
    for block in [Array(bytes[..<half]), Array(bytes[half...])] {
        let fields = try? decoder.decode(block)
        var handedOut: [HeaderField] = []
        let octetsDecoded = block.withUnsafeBufferPointer { buffer in
            (try? octets.decode(buffer) { name, value in
                handedOut.append(HeaderField(String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self)))
            }) != nil
        }
        let report = try? reporting.decodeReporting(block)
        guard octetsDecoded == (fields != nil), report?.headerFields == fields,
              fields.map({ $0 == handedOut }) ?? true,
              octets.table == decoder.table, reporting.table == decoder.table else {
            fatalError("the decoding paths disagree")  // a real bug: let libFuzzer report it
        }
        guard let fields else { continue }
        var encoder = HPACKEncoder()
        let encoded = encoder.encode(fields).bytes
        var check = HPACKDecoder(tableSize: 4096)
        guard let again = try? check.decode(encoded), again == fields else {
            fatalError("re-encoding changed the fields")  // a real bug: let libFuzzer report it
        }
    }
    return 0
}
