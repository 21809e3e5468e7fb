import Foundation
import Testing
@testable import Engine

@Suite("RFC 7541 §5.1 integers")
struct IntegerCodingTests {
    @Test("C.1.1: 10 with a 5-bit prefix is one byte")
    func smallValue() throws {
        var out: [UInt8] = []
        IntegerCoding.encode(10, prefixBits: 5, into: &out)
        #expect(out == [0x0a])
        #expect(try IntegerCoding.decode(out, prefixBits: 5).value == 10)
    }

    @Test("C.1.2: 1337 with a 5-bit prefix is 1f 9a 0a")
    func multiByte() throws {
        var out: [UInt8] = []
        IntegerCoding.encode(1337, prefixBits: 5, flags: 0xe0, into: &out)
        #expect(out == [0xff, 0x9a, 0x0a])
        #expect(try IntegerCoding.decode(out, prefixBits: 5) == (1337, 3))
    }

    @Test("C.1.3: 42 at an octet boundary")
    func fullPrefix() throws {
        var out: [UInt8] = []
        IntegerCoding.encode(42, prefixBits: 8, into: &out)
        #expect(out == [42])
    }

    @Test("every prefix round-trips values around its boundary", arguments: 1...8)
    func roundTrip(prefix: Int) throws {
        for value in [0, 1, (1 << prefix) - 2, (1 << prefix) - 1, 1 << prefix, 127, 128, 16_383, 1 << 20, Int(UInt32.max)] {
            var out: [UInt8] = []
            IntegerCoding.encode(value, prefixBits: prefix, into: &out)
            let decoded = try IntegerCoding.decode(out, prefixBits: prefix)
            #expect(decoded.value == value && decoded.length == out.count)
        }
    }

    @Test("a truncated integer and an overlong one are errors")
    func errors() {
        #expect(throws: HPACKError.truncated(offset: 0)) { try IntegerCoding.decode([0x1f, 0x9a], prefixBits: 5) }
        #expect(throws: HPACKError.integerOverflow(offset: 0)) {
            try IntegerCoding.decode([0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f], prefixBits: 5)
        }
    }
}

@Suite("RFC 7541 §5.2 Huffman code")
struct HuffmanTests {
    func decode(_ bytes: [UInt8]) throws(HPACKError) -> [UInt8] {
        try HuffmanCoding.decode(bytes)
    }

    @Test("www.example.com encodes as in C.4.1")
    func example() throws {
        var out: [UInt8] = []
        HuffmanCoding.encode(Array("www.example.com".utf8), into: &out)
        #expect(out == hex("f1e3c2e5f23a6ba0ab90f4ff"))
        #expect(HuffmanCoding.encodedLength(Array("www.example.com".utf8)) == 12)
        #expect(try decode(out) == Array("www.example.com".utf8))
    }

    @Test("all 256 octets round-trip, alone and together")
    func everyOctet() throws {
        for byte in 0...255 {
            var out: [UInt8] = []
            HuffmanCoding.encode([UInt8(byte)], into: &out)
            #expect(try decode(out) == [UInt8(byte)])
        }
        let all = (0...255).map(UInt8.init) + (0...255).reversed().map(UInt8.init)
        var out: [UInt8] = []
        HuffmanCoding.encode(all, into: &out)
        #expect(try decode(out) == all)
    }

    @Test("random strings round-trip")
    func random() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let input = (0..<Int.random(in: 0...64, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            var out: [UInt8] = []
            HuffmanCoding.encode(input, into: &out)
            #expect(out.count == HuffmanCoding.encodedLength(input))
            #expect(try decode(out) == input)
        }
    }

    @Test("padding of 8 or more bits is an error (§5.2)")
    func longPadding() {
        // 'a' is 00011 (5 bits); then 3 bits of 1s is valid padding, a further all-1s byte is not.
        #expect((try? decode([0x1f])) == Array("a".utf8))
        #expect(throws: HPACKError.invalidHuffmanPadding(offset: 0)) { try decode([0x1f, 0xff]) }
    }

    @Test("padding that is not all 1s is an error (§5.2)")
    func zeroPadding() {
        #expect(throws: HPACKError.invalidHuffmanPadding(offset: 0)) { try decode([0x18]) }
    }

    @Test("a string containing EOS is an error (§5.2)")
    func eos() {
        #expect(throws: HPACKError.huffmanEOS(offset: 0)) { try decode([0xff, 0xff, 0xff, 0xff]) }
    }

    @Test("EOS followed by valid codes is still an error, and the output stays in bounds")
    func eosThenMore() {
        // 30 bits of EOS, then '0' (00000) repeatedly: the decoder reads on past EOS (it reports
        // it after the loop) and must neither accept the string nor write past its buffer.
        var bits: [Bool] = Array(repeating: true, count: 30) + Array(repeating: false, count: 50)
        while bits.count % 8 != 0 { bits.append(true) }
        let bytes = stride(from: 0, to: bits.count, by: 8).map { start in
            bits[start..<start + 8].reduce(UInt8(0)) { $0 << 1 | ($1 ? 1 : 0) }
        }
        #expect(throws: HPACKError.huffmanEOS(offset: 7)) {
            try HuffmanCoding.decode(bytes, offset: 7)
        }
    }

    @Test("a string whose code is longer than itself round-trips when Huffman is forced")
    func forcedLonger() throws {
        // Control octets have 23- to 30-bit codes: the code is longer than the octets, so the
        // encoder's room for it (the octets themselves) has to grow.
        let field = HeaderField("x-control", "\u{1}\u{2}\u{3}ab")
        var encoder = HPACKEncoder(policy: EncoderPolicy(huffman: .always))
        let block = encoder.encode([field])
        #expect(block.fields.first?.representation == .literal(indexing: .incremental, nameIndex: nil, nameHuffman: true, valueHuffman: true))
        var decoder = HPACKDecoder()
        #expect(try decoder.decode(block.bytes) == [field])
    }
}

@Suite("RFC 7541 Appendix C, both directions")
struct AppendixCTests {
    @Test("C.2.1 literal with indexing")
    func c21() throws {
        var decoder = HPACKDecoder()
        let block = try decoder.decodeReporting(hex("400a637573746f6d2d6b65790d637573746f6d2d686561646572"))
        #expect(block.headerFields == fields([("custom-key", "custom-header")]))
        #expect(block.fields[0].representation == .literal(indexing: .incremental, nameIndex: nil, nameHuffman: false, valueHuffman: false))
        #expect(decoder.table.size == 55)
        #expect(block.operations == [.inserted(HeaderField("custom-key", "custom-header"), size: 55)])
    }

    @Test("C.2.2 literal without indexing leaves the table empty")
    func c22() throws {
        var decoder = HPACKDecoder()
        let block = try decoder.decodeReporting(hex("040c2f73616d706c652f70617468"))
        #expect(block.headerFields == fields([(":path", "/sample/path")]))
        #expect(block.fields[0].representation == .literal(indexing: .withoutIndexing, nameIndex: 4, nameHuffman: false, valueHuffman: false))
        #expect(decoder.table.count == 0)
    }

    @Test("C.2.3 literal never indexed")
    func c23() throws {
        var decoder = HPACKDecoder()
        let block = try decoder.decodeReporting(hex("100870617373776f726406736563726574"))
        #expect(block.headerFields == fields([("password", "secret")]))
        #expect(block.fields[0].representation == .literal(indexing: .neverIndexed, nameIndex: nil, nameHuffman: false, valueHuffman: false))
        var encoder = HPACKEncoder()
        let encoded = encoder.encode(fields([("password", "secret")]), policies: [EncoderPolicy(indexing: .neverIndexed, huffman: .never)])
        #expect(encoded.bytes == hex("100870617373776f726406736563726574"))
    }

    @Test("C.2.4 indexed field")
    func c24() throws {
        var decoder = HPACKDecoder()
        #expect(try decoder.decode([0x82]) == fields([(":method", "GET")]))
    }

    static let requests: [[(String, String)]] = [
        [(":method", "GET"), (":scheme", "http"), (":path", "/"), (":authority", "www.example.com")],
        [(":method", "GET"), (":scheme", "http"), (":path", "/"), (":authority", "www.example.com"), ("cache-control", "no-cache")],
        [(":method", "GET"), (":scheme", "https"), (":path", "/index.html"), (":authority", "www.example.com"), ("custom-key", "custom-value")],
    ]
    static let responses: [[(String, String)]] = [
        [(":status", "302"), ("cache-control", "private"), ("date", "Mon, 21 Oct 2013 20:13:21 GMT"), ("location", "https://www.example.com")],
        [(":status", "307"), ("cache-control", "private"), ("date", "Mon, 21 Oct 2013 20:13:21 GMT"), ("location", "https://www.example.com")],
        [(":status", "200"), ("cache-control", "private"), ("date", "Mon, 21 Oct 2013 20:13:22 GMT"), ("location", "https://www.example.com"), ("content-encoding", "gzip"), ("set-cookie", "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1")],
    ]

    /// Decodes each block with one decoder and encodes each header list with one encoder, checking
    /// the bytes, the fields and the table size after every step.
    func check(_ lists: [[(String, String)]], _ wires: [String], sizes: [Int], tableSize: Int, huffman: HuffmanChoice) throws {
        var decoder = HPACKDecoder(tableSize: tableSize)
        var encoder = HPACKEncoder(tableSize: tableSize, policy: EncoderPolicy(indexing: .incremental, huffman: huffman))
        for (i, wire) in wires.enumerated() {
            #expect(try decoder.decode(hex(wire)) == fields(lists[i]))
            #expect(decoder.table.size == sizes[i])
            let encoded = encoder.encode(fields(lists[i]))
            #expect(Hex.encode(encoded.bytes) == wire)
            #expect(encoder.table == decoder.table)
        }
    }

    @Test("C.3 requests without Huffman")
    func c3() throws {
        try check(Self.requests, [
            "828684410f7777772e6578616d706c652e636f6d",
            "828684be58086e6f2d6361636865",
            "828785bf400a637573746f6d2d6b65790c637573746f6d2d76616c7565",
        ], sizes: [57, 110, 164], tableSize: 4096, huffman: .never)
    }

    @Test("C.4 requests with Huffman")
    func c4() throws {
        try check(Self.requests, [
            "828684418cf1e3c2e5f23a6ba0ab90f4ff",
            "828684be5886a8eb10649cbf",
            "828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf",
        ], sizes: [57, 110, 164], tableSize: 4096, huffman: .always)
    }

    @Test("C.5 responses without Huffman, 256-octet table with evictions")
    func c5() throws {
        try check(Self.responses, [
            "4803333032580770726976617465611d4d6f6e2c203231204f637420323031332032303a31333a323120474d546e1768747470733a2f2f7777772e6578616d706c652e636f6d",
            "4803333037c1c0bf",
            "88c1611d4d6f6e2c203231204f637420323031332032303a31333a323220474d54c05a04677a69707738666f6f3d4153444a4b48514b425a584f5157454f50495541585157454f49553b206d61782d6167653d333630303b2076657273696f6e3d31",
        ], sizes: [222, 222, 215], tableSize: 256, huffman: .never)
    }

    @Test("C.6 responses with Huffman, 256-octet table with evictions")
    func c6() throws {
        try check(Self.responses, [
            "488264025885aec3771a4b6196d07abe941054d444a8200595040b8166e082a62d1bff6e919d29ad171863c78f0b97c8e9ae82ae43d3",
            "4883640effc1c0bf",
            "88c16196d07abe941054d444a8200595040b8166e084a62d1bffc05a839bd9ab77ad94e7821dd7f2e6c7b335dfdfcd5b3960d5af27087f3672c1ab270fb5291f9587316065c003ed4ee5b1063d5007",
        ], sizes: [222, 222, 215], tableSize: 256, huffman: .always)
    }

    @Test("C.5.2 reports the eviction of :status 302")
    func evictionReport() throws {
        var decoder = HPACKDecoder(tableSize: 256)
        _ = try decoder.decode(hex("4803333032580770726976617465611d4d6f6e2c203231204f637420323031332032303a31333a323120474d546e1768747470733a2f2f7777772e6578616d706c652e636f6d"))
        let block = try decoder.decodeReporting(hex("4803333037c1c0bf"))
        #expect(block.operations == [
            .evicted(HeaderField(":status", "302"), size: 42),
            .inserted(HeaderField(":status", "307"), size: 42),
        ])
        #expect(block.fields.map(\.representation) == [
            .literal(indexing: .incremental, nameIndex: 8, nameHuffman: false, valueHuffman: false),
            .indexed(index: 65), .indexed(index: 64), .indexed(index: 63),
        ])
    }
}

@Suite("RFC 7541 §4 and §6.3 dynamic table sizes")
struct TableSizeTests {
    @Test("a size update above the SETTINGS limit is an error")
    func tooLarge() {
        var decoder = HPACKDecoder(tableSize: 4096)
        #expect(throws: HPACKError.sizeUpdateTooLarge(requested: 8192, limit: 4096, offset: 0)) {
            try decoder.decode([0x3f, 0xe1, 0x3f])
        }
    }

    @Test("a size update after a field is an error (§4.2)")
    func notAtStart() {
        var decoder = HPACKDecoder()
        #expect(throws: HPACKError.sizeUpdateNotAtStart(offset: 1)) { try decoder.decode([0x82, 0x20]) }
    }

    @Test("after the limit drops, the next block must open with a size update")
    func requiredUpdate() throws {
        var decoder = HPACKDecoder()
        decoder.setSettingsLimit(100)
        #expect(throws: HPACKError.missingSizeUpdate(limit: 100)) { try decoder.decode([0x82]) }
        var fresh = HPACKDecoder()
        _ = try fresh.decode(hex("400a637573746f6d2d6b65790d637573746f6d2d686561646572"))
        fresh.setSettingsLimit(0)
        let block = try fresh.decodeReporting([0x20, 0x82])
        #expect(block.operations == [.resized(from: 4096, to: 0), .evicted(HeaderField("custom-key", "custom-header"), size: 55)])
        #expect(fresh.table.count == 0)
    }

    @Test("the encoder announces a smaller peer limit, then the larger one (min then final)")
    func encoderUpdates() throws {
        var encoder = HPACKEncoder()
        encoder.setPeerLimit(0)
        encoder.setPeerLimit(2048)
        let block = encoder.encode(fields([(":method", "GET")]))
        #expect(block.bytes == [0x20, 0x3f, 0xe1, 0x0f, 0x82])
        var decoder = HPACKDecoder()
        #expect(try decoder.decode(block.bytes) == fields([(":method", "GET")]))
        #expect(decoder.table.maxSize == 2048)
    }

    @Test("an entry larger than the table empties it (§4.4)")
    func oversizedEntry() throws {
        var table = DynamicTable(maxSize: 64)
        table.insert(HeaderField("a", "b"))
        var evicted: [HeaderField] = []
        let added = table.insert(HeaderField("long", String(repeating: "x", count: 100))) { evicted.append($0().field) }
        #expect(!added && table.count == 0 && table.size == 0 && evicted == [HeaderField("a", "b")])
    }

    @Test("the ring buffer keeps order across growth and wrap-around")
    func ringOrder() {
        var table = DynamicTable(maxSize: 34 * 40)
        for i in 0..<100 { table.insert(HeaderField("n", String(format: "%02d", i % 100))) }
        #expect(table.count == 38)
        #expect(table[0].field.value == "99" && table[37].field.value == "62")
    }
}

@Suite("HPACK encoder lookups")
struct HPACKEncoderLookupTests {
    /// What the encoder should reuse, found by scanning the tables: the static exact index, else the
    /// newest dynamic exact index; failing both, the first static name index, else the newest dynamic one.
    static func expected(_ field: HeaderField, in table: DynamicTable) -> (exact: Int?, name: Int?) {
        let staticExact = StaticTable.entries.firstIndex { $0 == field && !$0.value.isEmpty }.map { $0 + 1 }
        let staticName = StaticTable.entries.firstIndex { $0.name == field.name }.map { $0 + 1 }
        let dynamic = table.find(field)
        return (staticExact ?? dynamic.exact.map { $0 + 62 }, staticName ?? dynamic.name.map { $0 + 62 })
    }

    @Test("every field is reused as a scan of the tables would, through evictions, growth and resizes",
          arguments: [256, 4096, 65536])
    func lookupsMatchAScan(tableSize: Int) throws {
        var encoder = HPACKEncoder(tableSize: tableSize)
        var decoder = HPACKDecoder(tableSize: tableSize)
        var random = SplitMix(seed: UInt64(tableSize))
        let names = [":path", "x-a", "x-b", "cookie", "user-agent", "accept", "x-custom-name-longer-than-eight"]
        for round in 0..<200 {
            if round == 120 { encoder.setPeerLimit(tableSize / 2) }
            var fields: [HeaderField] = []
            for _ in 0..<Int(random.next() % 12 + 1) {
                let name = names[Int(random.next() % UInt64(names.count))]
                fields.append(HeaderField(name, "v\(random.next() % 40)"))
            }
            var table = encoder.table
            if round == 120 { table.setMaxSize(tableSize / 2) }  // the block opens with the size update
            let block = encoder.encode(fields)
            for (field, decoded) in zip(fields, block.fields) {
                let want = Self.expected(field, in: table)
                switch decoded.representation {
                case .indexed(let index):
                    #expect(index == want.exact, "round \(round): \(field) indexed \(index), a scan finds \(String(describing: want))")
                case .literal(let indexing, let nameIndex, _, _):
                    #expect(want.exact == nil, "round \(round): \(field) sent as a literal though \(String(describing: want.exact)) holds it")
                    #expect(nameIndex == want.name, "round \(round): \(field) name index \(String(describing: nameIndex)), a scan finds \(String(describing: want.name))")
                    if indexing == .incremental { table.insert(field) }
                }
            }
            #expect(try decoder.decode(block.bytes) == fields)
        }
    }
}

/// A small deterministic generator, so a failing case is the same every run.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

@Suite("HPACK limits and malformed blocks")
struct HPACKLimitTests {
    @Test("index 0 and indices past the tables are errors")
    func badIndices() {
        var decoder = HPACKDecoder()
        #expect(throws: HPACKError.zeroIndex(offset: 0)) { try decoder.decode([0x80]) }
        #expect(throws: HPACKError.indexOutOfRange(index: 62, tableEntries: 0, offset: 0)) { try decoder.decode([0xbe]) }
    }

    @Test("a string longer than the block is truncated")
    func truncatedString() {
        var decoder = HPACKDecoder()
        #expect(throws: HPACKError.truncated(offset: 1)) { try decoder.decode([0x40, 0x05, 0x61]) }
    }

    @Test("the header list size limit stops an HPACK bomb")
    func bomb() throws {
        var encoder = HPACKEncoder()
        let big = HeaderField("x-bomb", String(repeating: "a", count: 3000))
        let block = encoder.encode(Array(repeating: big, count: 100))
        #expect(block.bytes.count < 3200)  // one literal, then 99 one-byte indices
        var decoder = HPACKDecoder(maxHeaderListSize: 16_384)
        #expect(throws: HPACKError.headerListTooLarge(size: 3038 * 6, limit: 16_384)) {
            try decoder.decode(block.bytes)
        }
    }

    @Test("the string length limit")
    func longString() {
        var decoder = HPACKDecoder(maxStringLength: 4)
        #expect(throws: HPACKError.stringTooLong(length: 5, limit: 4, offset: 3)) {
            try decoder.decode([0x40, 0x01, 0x61, 0x05] + Array("hello".utf8))
        }
    }

    @Test("never-indexed is the default for short credentials, and per-field policies win")
    func policies() throws {
        var encoder = HPACKEncoder()
        let block = encoder.encode(
            fields([("authorization", "Basic abc"), ("x-a", "1"), ("x-requested-with", "2")]),
            policies: [nil, EncoderPolicy(indexing: .withoutIndexing, huffman: .never), nil])
        #expect(block.fields.map(\.representation) == [
            .literal(indexing: .neverIndexed, nameIndex: 23, nameHuffman: false, valueHuffman: true),
            .literal(indexing: .withoutIndexing, nameIndex: nil, nameHuffman: false, valueHuffman: false),
            .literal(indexing: .incremental, nameIndex: nil, nameHuffman: true, valueHuffman: false),
        ])
        #expect(encoder.table.count == 1)
    }

    /// RFC 7541 §7.1.3: "An encoder might also choose not to index values for header fields that
    /// are considered to be highly valuable or sensitive to recovery, such as the Cookie or
    /// Authorization header fields." Our encoder does so for credentials at any length.
    @Test("§7.1.3: authorization and proxy-authorization are never indexed at any length (0x1f 0x08: §6.2.3 with name index 23)")
    func credentialsNeverIndexed() throws {
        for network in [false, true] {
            var encoder = HPACKEncoder(policy: network ? .network : .standard)
            let token = "Bearer " + String(repeating: "a1b2c3d4", count: 8)
            let block = encoder.encode(fields([("authorization", token), ("proxy-authorization", "Basic " + String(repeating: "Zm9v", count: 10))]))
            #expect(block.fields.map(\.representation) == [
                .literal(indexing: .neverIndexed, nameIndex: 23, nameHuffman: false, valueHuffman: true),
                .literal(indexing: .neverIndexed, nameIndex: 49, nameHuffman: false, valueHuffman: true),
            ])
            #expect(Array(block.bytes.prefix(2)) == [0x1f, 0x08])  // 0001 1111, then 23 - 15
            #expect(encoder.table.count == 0)
            // The server's hot path (no report) encodes alike.
            var fast = HPACKEncoder(policy: network ? .network : .standard)
            var bytes: [UInt8] = []
            fast.encode(fields([("authorization", token), ("proxy-authorization", "Basic " + String(repeating: "Zm9v", count: 10))]), into: &bytes)
            #expect(bytes == block.bytes)
        }
    }

    @Test("§7.1.3: a cookie shorter than 20 octets is never indexed; a longer one is indexed")
    func shortCookies() throws {
        var encoder = HPACKEncoder()
        let block = encoder.encode(fields([("cookie", "sid=1234567890abcde"), ("cookie", "sid=1234567890abcdef0123")]))
        #expect("sid=1234567890abcde".utf8.count == 19)
        #expect(block.fields.map(\.representation) == [
            .literal(indexing: .neverIndexed, nameIndex: 32, nameHuffman: false, valueHuffman: true),
            .literal(indexing: .incremental, nameIndex: 32, nameHuffman: false, valueHuffman: true),
        ])
        #expect(encoder.table.count == 1)
        #expect(encoder.table[0].field.value == "sid=1234567890abcdef0123")
    }

    @Test("names added to the encoder's sensitive fields are never indexed, in the table or not; removed, they are indexed again")
    func addedNames() throws {
        var encoder = HPACKEncoder()
        let added = [encoder.sensitive.add("X-API-Key"), encoder.sensitive.add("user-agent"), encoder.sensitive.add("authorization")]
        #expect(added == [true, true, false])  // authorization is built in already
        let block = encoder.encode(fields([("x-api-key", "k-0123456789012345678901234"), ("user-agent", "h2lab"), ("x-api-keys", "v")]))
        #expect(block.fields.map(\.representation) == [
            .literal(indexing: .neverIndexed, nameIndex: nil, nameHuffman: true, valueHuffman: true),
            .literal(indexing: .neverIndexed, nameIndex: 58, nameHuffman: false, valueHuffman: true),
            .literal(indexing: .incremental, nameIndex: nil, nameHuffman: true, valueHuffman: false),
        ])
        var bytes: [UInt8] = []
        var fast = HPACKEncoder()
        fast.sensitive = encoder.sensitive
        fast.encode(fields([("x-api-key", "k-0123456789012345678901234"), ("user-agent", "h2lab"), ("x-api-keys", "v")]), into: &bytes)
        #expect(bytes == block.bytes)
        let removed = [encoder.sensitive.remove("x-api-key"), encoder.sensitive.remove("authorization")]
        #expect(removed == [true, false])  // built-in names stay
        let again = encoder.encode(fields([("x-api-key", "k-0123456789012345678901234")]))
        #expect(again.fields.map(\.representation) == [.literal(indexing: .incremental, nameIndex: nil, nameHuffman: true, valueHuffman: true)])
    }

    @Test("a policy that picks an indexing wins over the sensitive fields (the lab can show what indexing a secret costs)")
    func explicitPolicyWins() throws {
        var encoder = HPACKEncoder(policy: EncoderPolicy(indexing: .incremental))
        let block = encoder.encode(fields([("authorization", "Bearer " + String(repeating: "x", count: 30))]))
        #expect(block.fields.map(\.representation) == [.literal(indexing: .incremental, nameIndex: 23, nameHuffman: false, valueHuffman: true)])
    }
}
