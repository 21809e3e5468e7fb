import Foundation
import Testing
@testable import Engine

@Suite("Engine's support: the one octet search and the one JSON string escaper")
struct SupportTests {
    @Test("firstOffset: from the haystack's own start (an ArraySlice too), nil when absent, 0 for an empty needle")
    func octetSearch() {
        let octets: [UInt8] = Array("ab\r\n\r\nxy\r\n\r\n".utf8)
        #expect(OctetSearch.firstOffset(of: [13, 10, 13, 10], in: octets) == 2)
        #expect(OctetSearch.firstOffset(of: [13, 10, 13, 10], in: octets[3...]) == 5, "counted from the slice's start")
        #expect(OctetSearch.firstOffset(of: [13, 10, 13, 10], in: octets[..<5]) == nil)
        #expect(OctetSearch.firstOffset(of: [], in: octets) == 0 && OctetSearch.firstOffset(of: [1], in: [UInt8]()) == nil)
        #expect(OctetSearch.contains(Array("é/x".utf8), in: "/srv/é/x") && !OctetSearch.contains(Array("e/x".utf8), in: "/srv/é/x"))
    }

    @Test("quote: every control character, quote and backslash escaped; the rest copied; JSONSerialization reads it back")
    func quote() throws {
        let text = String((0..<0x20).map { Character(UnicodeScalar(UInt8($0))) }) + "\"\\ é→😀 \u{7f}"
        let quoted = JSONText.quote(text)
        #expect(quoted.hasPrefix("\"\\u0000\\u0001") && quoted.contains("\\t\\n\\u000b\\u000c\\r") && quoted.contains("\\u001f\\\"\\\\ é→😀"))
        let back = try JSONSerialization.jsonObject(with: Data("[\(quoted)]".utf8)) as? [String]
        #expect(back == [text])
    }
}
