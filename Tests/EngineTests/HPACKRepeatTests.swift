import Testing
@testable import Engine

/// The encoder's one trick (`HPACKEncoder`, `RepeatedBlock`): the same list, in the same storage,
/// sent again on an unchanged table is written from the octets kept for it. Each block must be
/// the one an encoder without the trick writes (a twin given a fresh copy of every list, which it
/// can never recognise), and the tables must stay alike.
@Suite("HPACK: a header list sent again")
struct HPACKRepeatTests {
    /// A static file's response fields, as `serve` sends them (content-length a literal the
    /// table never takes, §6.2.2).
    static let file = fields([(":status", "200"), ("content-type", "text/css"), ("content-length", "95"),
                              ("last-modified", "Sat, 05 Dec 2026 10:00:00 GMT"), ("cache-control", "max-age=3600"),
                              ("server", "h2lab"), ("date", "Sun, 06 Dec 2026 05:00:00 GMT")])
    static let other = fields([(":status", "404"), ("content-type", "text/plain"), ("x-note", "another list")])

    /// Encodes `list` with `encoder` and a fresh copy of it with `twin`; both blocks must be the
    /// same, decode to the list, and leave the tables alike.
    static func step(_ encoder: inout HPACKEncoder, _ twin: inout HPACKEncoder, _ decoder: inout HPACKDecoder,
                     _ list: [HeaderField], _ note: Comment) throws -> [UInt8] {
        var ours: [UInt8] = [0xee]  // appended after what is already there
        encoder.encode(list, into: &ours)
        var theirs: [UInt8] = [0xee]
        twin.encode(list.map { HeaderField($0.name, $0.value) }, into: &theirs)
        #expect(ours == theirs, note)
        #expect(encoder == twin, note)
        #expect(try decoder.decode(Array(ours.dropFirst())) == list, note)
        return Array(ours.dropFirst())
    }

    @Test("the third sending of a list is written again, the very octets a fresh encoding writes; a table change, a size update, a new policy or sensitive name, or another list in between forgets it")
    func repeated() throws {
        var encoder = HPACKEncoder(policy: .network), twin = HPACKEncoder(policy: .network), decoder = HPACKDecoder()
        let list = Self.file
        // First: the fields go into the table. Second: all indexed but content-length, the table
        // untouched, the octets kept. Third and after: written again.
        let first = try Self.step(&encoder, &twin, &decoder, list, "first")
        let second = try Self.step(&encoder, &twin, &decoder, list, "second")
        #expect(first.count > second.count)
        #expect(encoder.blocksRepeated == 0)
        #expect(try Self.step(&encoder, &twin, &decoder, list, "third") == second)
        #expect(try Self.step(&encoder, &twin, &decoder, list, "fourth") == second)
        #expect(encoder.blocksRepeated == 2)

        // Another list in between, which changes the table: the first list's next block is made
        // again (its fields may have moved in the table), kept, and then written again.
        _ = try Self.step(&encoder, &twin, &decoder, Self.other, "other")
        _ = try Self.step(&encoder, &twin, &decoder, list, "after other")
        _ = try Self.step(&encoder, &twin, &decoder, list, "after other, kept")
        #expect(encoder.blocksRepeated == 2)
        _ = try Self.step(&encoder, &twin, &decoder, list, "after other, again")
        #expect(encoder.blocksRepeated == 3)

        // A size update pending (the peer's SETTINGS_HEADER_TABLE_SIZE): the block starts with it.
        encoder.setPeerLimit(1024)
        twin.setPeerLimit(1024)
        let resized = try Self.step(&encoder, &twin, &decoder, list, "size update")
        #expect(resized.first.map { $0 & 0xe0 } == 0x20)
        #expect(encoder.blocksRepeated == 3)

        // The table changed by a block encoded with a report (the lab's way), the list held
        // all along: its octets are not written again.
        for _ in 0..<2 { _ = try Self.step(&encoder, &twin, &decoder, list, "before report") }
        #expect(encoder.blocksRepeated == 4)
        let fresh = fields([("x-fresh", "a field the table has not seen")])
        let reported = encoder.encode(fresh), twinReported = twin.encode(fresh)
        #expect(reported == twinReported && reported.operations.count == 1)
        #expect(try decoder.decode(reported.bytes) == fresh)
        _ = try Self.step(&encoder, &twin, &decoder, list, "after report")
        #expect(encoder.blocksRepeated == 4)

        // A policy changed: indexed fields not used. Not written from the octets kept.
        for _ in 0..<3 { _ = try Self.step(&encoder, &twin, &decoder, list, "before policy") }
        let before = encoder.blocksRepeated
        #expect(before == 7)
        encoder.policy.useIndexedFields = false
        twin.policy.useIndexedFields = false
        _ = try Self.step(&encoder, &twin, &decoder, list, "policy")
        #expect(encoder.blocksRepeated == before)

        // A name made sensitive: its literal sent never-indexed from then on (content-length, the
        // one field of the list the table does not hold).
        encoder.policy.useIndexedFields = true
        twin.policy.useIndexedFields = true
        for _ in 0..<3 { _ = try Self.step(&encoder, &twin, &decoder, list, "before sensitive") }
        let beforeSensitive = encoder.blocksRepeated
        #expect(beforeSensitive > before)
        #expect(encoder.sensitive.add("content-length") && twin.sensitive.add("content-length"))
        let protected = try Self.step(&encoder, &twin, &decoder, list, "sensitive")
        #expect(encoder.blocksRepeated == beforeSensitive)
        #expect(protected != second)
    }

    @Test("a list changed in place after it was sent is a new list (copy on write), and is encoded as it now is")
    func changedInPlace() throws {
        var encoder = HPACKEncoder(policy: .network), twin = HPACKEncoder(policy: .network), decoder = HPACKDecoder()
        var list = Self.file
        for k in 0..<3 { _ = try Self.step(&encoder, &twin, &decoder, list, "sent \(k)") }
        #expect(encoder.blocksRepeated == 1)
        list[2].value = "96"
        _ = try Self.step(&encoder, &twin, &decoder, list, "changed")
        list.removeLast()
        _ = try Self.step(&encoder, &twin, &decoder, list, "shorter")
        #expect(encoder.blocksRepeated == 1)
        // An equal list in other storage is not recognised (only the same storage is): still right.
        let copy = list.map { HeaderField($0.name, $0.value) }
        _ = try Self.step(&encoder, &twin, &decoder, copy, "copy")
        _ = try Self.step(&encoder, &twin, &decoder, list, "back")
        #expect(encoder.blocksRepeated == 1)
    }

    @Test("random lists, some sent again, through a small table that evicts: every block is a fresh encoding's", arguments: 0..<4)
    func randomized(seed: UInt64) throws {
        var random = SplitMix(seed: seed)
        var encoder = HPACKEncoder(tableSize: 256, policy: .network), twin = HPACKEncoder(tableSize: 256, policy: .network)
        var decoder = HPACKDecoder(tableSize: 256)
        let names = ["content-type", "x-a", "x-b", "server", "content-length", "etag", "cache-control"]
        var lists: [[HeaderField]] = []
        for _ in 0..<6 {
            lists.append((0..<Int.random(in: 1...5, using: &random)).map { _ in
                HeaderField(names.randomElement(using: &random) ?? "x-a", "v\(Int.random(in: 0..<4, using: &random))")
            })
        }
        for k in 0..<400 {
            // Mostly the same list again (runs of a few), now and then another.
            let list = lists[Int.random(in: 0..<(k % 7 == 0 ? lists.count : 2), using: &random)]
            _ = try Self.step(&encoder, &twin, &decoder, list, "step \(k)")
        }
        #expect(encoder.blocksRepeated > 20)
    }
}

/// The encoder's hot path (`encode(_:into:)`, no report) stages the fields' octets before it
/// encodes them (`HPACKEncoder.stage`): its blocks must be the reporting path's, byte for byte,
/// whatever the lengths (a field longer than the staging buffer, lists longer than it, fields of
/// 0 to 20 octets around the copy's word sizes, values longer than the output buffer).
@Suite("HPACK: the hot path's blocks")
struct HPACKHotPathTests {
    @Test("random lists through both paths: the same octets, the same table", arguments: 0..<6)
    func samePaths(seed: UInt64) throws {
        var random = SplitMix(seed: seed)
        var hot = HPACKEncoder(policy: .network), reporting = HPACKEncoder(policy: .network), decoder = HPACKDecoder()
        let lengths = Array(0...20) + [31, 200, 1_019, 1_020, 1_021, 3_000]
        func text(_ count: Int) -> String {
            String((0..<count).map { _ in "abcdefghij-0123 ".randomElement(using: &random) ?? "a" })
        }
        for step in 0..<300 {
            let list = (0..<Int.random(in: 0...40, using: &random)).map { _ in
                HeaderField("x-" + text(lengths.randomElement(using: &random) ?? 1).lowercased().replacingOccurrences(of: " ", with: "-"),
                            Bool.random(using: &random) ? "v" : text(lengths.randomElement(using: &random) ?? 1))
            }
            var octets: [UInt8] = []
            hot.encode(list, into: &octets)
            let reported = reporting.encode(list)
            #expect(octets == reported.bytes, "step \(step)")
            #expect(hot == reporting, "step \(step)")
            #expect(try decoder.decode(octets) == list, "step \(step)")
        }
    }
}
