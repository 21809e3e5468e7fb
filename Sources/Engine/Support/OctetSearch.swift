/// Finding a run of octets in octets: the one search HTTP/1.1 parsing, the command
/// help and the classroom's redaction share (octet for octet: no Unicode equivalence).
public enum OctetSearch {
    /// The offset from `haystack`'s start of the first `needle` in it (0 for an empty needle), or
    /// nil. Each position is compared only when its first octet matches.
    @inlinable
    public static func firstOffset<Haystack: RandomAccessCollection>(of needle: [UInt8], in haystack: Haystack) -> Int?
    where Haystack.Element == UInt8 {
        guard let first = needle.first else { return 0 }
        guard haystack.count >= needle.count else { return nil }
        var start = haystack.startIndex
        for offset in 0...(haystack.count - needle.count) {
            defer { haystack.formIndex(after: &start) }
            guard haystack[start] == first else { continue }
            var at = haystack.index(after: start), matched = 1
            while matched < needle.count, haystack[at] == needle[matched] {
                haystack.formIndex(after: &at)
                matched += 1
            }
            if matched == needle.count { return offset }
        }
        return nil
    }

    /// Whether `text`'s UTF-8 octets hold `needle`.
    @inlinable
    public static func contains(_ needle: [UInt8], in text: String) -> Bool {
        text.utf8.withContiguousStorageIfAvailable { firstOffset(of: needle, in: $0) != nil }
            ?? (firstOffset(of: needle, in: Array(text.utf8)) != nil)
    }
}
