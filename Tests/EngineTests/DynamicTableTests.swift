import Testing
@testable import Engine

/// The dynamic table keeps octets (RFC 7541 §2.3.2, §4): checked against a plain array of fields.
@Suite("HPACK dynamic table of octets")
struct DynamicTableTests {
    /// The table as §4 describes it: a list, newest first, evicted from the end.
    struct Model {
        var entries: [HeaderField] = []
        var maxSize: Int
        var size: Int { entries.reduce(0) { $0 + $1.size } }

        mutating func insert(_ field: HeaderField) -> (added: Bool, evicted: [HeaderField]) {
            var evicted: [HeaderField] = []
            while !entries.isEmpty && size + field.size > maxSize { evicted.append(entries.removeLast()) }
            guard field.size <= maxSize else { return (false, evicted) }
            entries.insert(field, at: 0)
            return (true, evicted)
        }

        mutating func resize(_ newMax: Int) -> [HeaderField] {
            maxSize = newMax
            var evicted: [HeaderField] = []
            while size > maxSize { evicted.append(entries.removeLast()) }
            return evicted
        }
    }

    static func insert(_ field: HeaderField, into table: inout DynamicTable) -> (added: Bool, evicted: [HeaderField]) {
        var evicted: [HeaderField] = []
        let added = table.insert(field) { evicted.append($0().field) }
        return (added, evicted)
    }

    @Test("inserts, names taken from entries, evictions and resizes agree with a list, through compaction and growth",
          arguments: [64, 300, 4096])
    func againstAList(maxSize: Int) {
        var table = DynamicTable(maxSize: maxSize)
        var model = Model(maxSize: maxSize)
        var random = SplitMix(seed: UInt64(maxSize))
        for step in 0..<20_000 {
            let roll = random.next() % 100
            if roll < 2 {
                // Resize, now and then to nothing, within 2x of the starting size.
                let newMax = roll == 0 ? 0 : Int(random.next() % UInt64(2 * maxSize + 1))
                var evicted: [HeaderField] = []
                table.setMaxSize(newMax) { evicted.append($0().field) }
                #expect(evicted == model.resize(newMax), "step \(step)")
            } else if roll < 40, !model.entries.isEmpty {
                // A literal with an indexed name (§6.2.1), whose entry may be evicted by this insertion.
                let i = Int(random.next() % UInt64(model.entries.count))
                let value = String(repeating: "v", count: Int(random.next() % 40))
                let field = HeaderField(model.entries[i].name, value)
                var evicted: [HeaderField] = []
                let added = value.utf8.withContiguousStorageIfAvailable { octets in
                    table.insert(nameOf: i, value: octets) { evicted.append($0().field) }
                } ?? false
                let expected = model.insert(field)
                #expect(added == expected.added && evicted == expected.evicted, "step \(step)")
            } else {
                let name = String(repeating: "n", count: Int(random.next() % 12)) + "\(random.next() % 50)"
                let value = String(repeating: "x", count: Int(random.next() % UInt64(maxSize / 2)))
                let field = HeaderField(name, step % 97 == 0 ? "" : value)
                let got = Self.insert(field, into: &table)
                let expected = model.insert(field)
                #expect(got.added == expected.added && got.evicted == expected.evicted, "step \(step)")
            }
            #expect(table.count == model.entries.count && table.size == model.size && table.maxSize == model.maxSize)
            if step % 50 == 0 || table.count <= 2 {
                #expect(table.entries.map(\.field) == model.entries, "step \(step)")
            }
        }
    }

    @Test("a name taken from the entry this insertion evicts is kept (§4.4), also when the octets move")
    func nameOfEvictedEntry() {
        // Room for one entry of 40 octets of name and value: the new one evicts the one it names.
        var table = DynamicTable(maxSize: 72)
        table.insert(HeaderField("x-first", "0123456789012345678901234567890"))  // 38 octets
        let value = Array("abcdefghijklmnopqrstuvwxyz012".utf8)  // 7 + 29 = 36 octets
        let added = value.withUnsafeBufferPointer { table.insert(nameOf: 0, value: $0) }
        #expect(added && table.count == 1 && table[0].field == HeaderField("x-first", "abcdefghijklmnopqrstuvwxyz012"))
        // Many more such insertions walk the octets to the buffer's end and back to its start.
        for i in 0..<1_000 {
            let value = Array(String(repeating: "\(i % 10)", count: 20 + i % 9).utf8)
            #expect(value.withUnsafeBufferPointer { table.insert(nameOf: 0, value: $0) })
            #expect(table[0].field == HeaderField("x-first", String(decoding: value, as: UTF8.self)), "insertion \(i)")
        }
        #expect(table.count == 1 && table.size == 32 + 7 + 20 + 999 % 9)
    }

    @Test("octets that are not UTF-8 stay octets: handed out as they came and counted as such (§4.1)")
    func notUTF8() throws {
        // A literal with incremental indexing, new name "a", value the two octets ff fe (raw, not
        // Huffman), then the same field by its new index 62.
        let block: [UInt8] = [0x40, 0x01, 0x61, 0x02, 0xff, 0xfe, 0xbe]
        var decoder = HPACKDecoder()
        var got: [[UInt8]] = []
        try block.withUnsafeBufferPointer { buffer in
            try decoder.decode(buffer) { name, value in got.append(Array(name) + [0] + Array(value)) }
        }
        #expect(got == [[0x61, 0, 0xff, 0xfe], [0x61, 0, 0xff, 0xfe]])
        #expect(decoder.table.size == 32 + 1 + 2)
        // The String path shows the replacement character, as any view does.
        var strings = HPACKDecoder()
        let fields = try strings.decode(block)
        #expect(fields.map(\.value) == ["\u{fffd}\u{fffd}", "\u{fffd}\u{fffd}"])
        #expect(strings.table == decoder.table)
    }

    @Test("an emptied table gives back a buffer far bigger than its new size")
    func shrinks() {
        var table = DynamicTable(maxSize: 65_536)
        for i in 0..<100 { table.insert(HeaderField("n\(i)", String(repeating: "v", count: 500))) }
        table.setMaxSize(0)
        #expect(table.count == 0 && table.size == 0)
        table.setMaxSize(4096)
        table.insert(HeaderField("a", "b"))
        #expect(table.entries.map(\.field) == [HeaderField("a", "b")])
    }
}
