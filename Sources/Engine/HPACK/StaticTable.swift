/// The HPACK static table, RFC 7541 Appendix A: indices 1 to 61.
public enum StaticTable {
    public static let count = 61

    /// Entry `i` (1-based) is `entries[i - 1]`.
    public static let entries: [HeaderField] = [
        HeaderField(":authority", ""),
        HeaderField(":method", "GET"),
        HeaderField(":method", "POST"),
        HeaderField(":path", "/"),
        HeaderField(":path", "/index.html"),
        HeaderField(":scheme", "http"),
        HeaderField(":scheme", "https"),
        HeaderField(":status", "200"),
        HeaderField(":status", "204"),
        HeaderField(":status", "206"),
        HeaderField(":status", "304"),
        HeaderField(":status", "400"),
        HeaderField(":status", "404"),
        HeaderField(":status", "500"),
        HeaderField("accept-charset", ""),
        HeaderField("accept-encoding", "gzip, deflate"),
        HeaderField("accept-language", ""),
        HeaderField("accept-ranges", ""),
        HeaderField("accept", ""),
        HeaderField("access-control-allow-origin", ""),
        HeaderField("age", ""),
        HeaderField("allow", ""),
        HeaderField("authorization", ""),
        HeaderField("cache-control", ""),
        HeaderField("content-disposition", ""),
        HeaderField("content-encoding", ""),
        HeaderField("content-language", ""),
        HeaderField("content-length", ""),
        HeaderField("content-location", ""),
        HeaderField("content-range", ""),
        HeaderField("content-type", ""),
        HeaderField("cookie", ""),
        HeaderField("date", ""),
        HeaderField("etag", ""),
        HeaderField("expect", ""),
        HeaderField("expires", ""),
        HeaderField("from", ""),
        HeaderField("host", ""),
        HeaderField("if-match", ""),
        HeaderField("if-modified-since", ""),
        HeaderField("if-none-match", ""),
        HeaderField("if-range", ""),
        HeaderField("if-unmodified-since", ""),
        HeaderField("last-modified", ""),
        HeaderField("link", ""),
        HeaderField("location", ""),
        HeaderField("max-forwards", ""),
        HeaderField("proxy-authenticate", ""),
        HeaderField("proxy-authorization", ""),
        HeaderField("range", ""),
        HeaderField("referer", ""),
        HeaderField("refresh", ""),
        HeaderField("retry-after", ""),
        HeaderField("server", ""),
        HeaderField("set-cookie", ""),
        HeaderField("strict-transport-security", ""),
        HeaderField("transfer-encoding", ""),
        HeaderField("user-agent", ""),
        HeaderField("vary", ""),
        HeaderField("via", ""),
        HeaderField("www-authenticate", ""),
    ]
}

/// The static table's names and values as octets in one block of memory, built once and never
/// freed, for the decoder: a field read from it costs no reference count and no copy.
struct StaticOctets: @unchecked Sendable {
    let octets: UnsafeMutablePointer<UInt8>
    /// By static index (1...61); index 0 is unused.
    let spans: UnsafeMutablePointer<FieldSpan>

    static let shared: StaticOctets = {
        let names = StaticTable.entries.map { Array($0.name.utf8) }
        let values = StaticTable.entries.map { Array($0.value.utf8) }
        let total = names.reduce(0) { $0 + $1.count } + values.reduce(0) { $0 + $1.count }
        let table = StaticOctets(octets: .allocate(capacity: total), spans: .allocate(capacity: StaticTable.count + 1))
        table.spans.initialize(repeating: FieldSpan(start: 0, nameLength: 0, valueLength: 0), count: StaticTable.count + 1)
        var at = 0
        for i in 0..<StaticTable.count {
            table.spans[i + 1] = FieldSpan(start: at, nameLength: names[i].count, valueLength: values[i].count)
            for octet in names[i] + values[i] {
                (table.octets + at).initialize(to: octet)
                at += 1
            }
        }
        return table
    }()

    /// The name of static entry `index` (1...61).
    @inline(__always) func name(_ index: Int) -> UnsafeBufferPointer<UInt8> { spans[index].name(in: octets) }

    /// The value of static entry `index` (1...61).
    @inline(__always) func value(_ index: Int) -> UnsafeBufferPointer<UInt8> { spans[index].value(in: octets) }
}
