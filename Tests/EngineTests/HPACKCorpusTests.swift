import Foundation
import Testing
@testable import Engine

/// The hpack-test-case corpus: stories encoded by five other implementations.
@Suite("hpack-test-case corpus")
struct HPACKCorpusTests {
    static let implementations = ["go-hpack", "nghttp2", "python-hpack", "swift-nio-hpack-huffman"]

    static func stories(in directory: String) throws -> [URL] {
        let folder = corpusRoot.appendingPathComponent(directory)
        return try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "json" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    @Test("our decoder passes every story", arguments: implementations)
    func decodeEveryStory(implementation: String) throws {
        let files = try Self.stories(in: implementation)
        #expect(files.count >= 24)
        var cases = 0
        for file in files {
            let story = try HPACKStory.parse(Data(contentsOf: file))
            let result = story.checkDecoding()
            cases += result.cases
            #expect(result.failures.isEmpty, "\(implementation)/\(file.lastPathComponent): \(result.failures.prefix(3))")
        }
        #expect(cases > 400)
    }

    /// The octet path (each field handed out as octets, nothing allocated) gives every story's
    /// fields octet for octet, and leaves the table as the `String` path does, block by block.
    @Test("the octet path decodes every story as the String path does", arguments: implementations)
    func octetPath(implementation: String) throws {
        var blocks = 0
        for file in try Self.stories(in: implementation) {
            let story = try HPACKStory.parse(Data(contentsOf: file))
            var octets = HPACKDecoder(), strings = HPACKDecoder()
            for item in story.cases {
                let wire = try #require(Hex.decode(item.wire ?? ""))
                if let size = item.headerTableSize {
                    octets.setSettingsLimit(size)
                    strings.setSettingsLimit(size)
                }
                var got: [[UInt8]] = []
                try wire.withUnsafeBufferPointer { block in
                    try octets.decode(block) { name, value in
                        got.append(Array(name))
                        got.append(Array(value))
                    }
                }
                let want = item.headers.flatMap { [Array($0.name.utf8), Array($0.value.utf8)] }
                #expect(got == want, "\(implementation)/\(file.lastPathComponent) block \(blocks)")
                #expect(try strings.decode(wire) == item.headers)
                #expect(octets.table == strings.table && octets.table.entries == strings.table.entries)
                blocks += 1
            }
        }
        #expect(blocks > 400)
    }

    @Test("the corpus has only the implementations we test, plus raw-data")
    func everyImplementationCovered() throws {
        let folders = try FileManager.default.contentsOfDirectory(atPath: corpusRoot.path)
            .filter { !$0.hasSuffix(".md") && $0 != "LICENSE" }
        #expect(Set(folders) == Set(Self.implementations + ["raw-data"]))
    }

    /// Encodes every raw-data story with our encoder under several policies; our decoder and Python's
    /// `hpack` decoder (a real peer, run as a subprocess) must both give back the headers.
    @Test("our encoder's output decodes by our decoder and by Python hpack")
    func encodeRawData() throws {
        let policies: [(String, EncoderPolicy)] = [
            ("default", .standard),
            ("no-index-raw", EncoderPolicy(indexing: .withoutIndexing, huffman: .never)),
            ("never-indexed-huffman", EncoderPolicy(indexing: .neverIndexed, huffman: .always)),
            ("literals-only", EncoderPolicy(indexing: .incremental, huffman: .auto, useIndexedFields: false)),
        ]
        var lines: [String] = []
        for file in try Self.stories(in: "raw-data") {
            let story = try HPACKStory.parse(Data(contentsOf: file))
            for (name, policy) in policies {
                var encoder = HPACKEncoder(tableSize: 4096, policy: policy)
                var decoder = HPACKDecoder()
                var blocks: [String] = []
                for (i, item) in story.cases.enumerated() {
                    let block = encoder.encode(item.headers)
                    let decoded = try decoder.decode(block.bytes)
                    #expect(decoded == item.headers, "\(file.lastPathComponent) \(name) case \(i)")
                    blocks.append(Hex.encode(block.bytes))
                }
                // One line per story and policy: label, then the blocks, then the expected headers as JSON.
                let expected = story.cases.map { $0.headers.map { [$0.name, $0.value] } }
                let json = try JSONSerialization.data(withJSONObject: ["label": "\(file.lastPathComponent) \(name)", "blocks": blocks, "headers": expected])
                lines.append(String(decoding: json, as: UTF8.self))
            }
        }
        let script = """
        import json, sys
        from hpack import Decoder
        bad = 0; count = 0
        for line in sys.stdin:
            story = json.loads(line)
            d = Decoder()
            for block, headers in zip(story["blocks"], story["headers"]):
                count += 1
                got = [[n, v] for n, v in d.decode(bytes.fromhex(block))]
                if got != headers:
                    bad += 1
                    print("MISMATCH", story["label"], got[:3], headers[:3])
        print("decoded", count, "mismatched", bad)
        """
        let (status, out, err) = try run("python3", ["-c", script], input: Data(lines.joined(separator: "\n").utf8))
        #expect(status == 0, "python3 hpack failed (is the hpack package installed?): \(err)")
        #expect(out.contains("mismatched 0"), "\(out)")
        #expect(!out.contains("decoded 0 "))
    }
}
