import Foundation

/// A story file of the hpack-test-case corpus: header blocks that share one compression context.
/// Parsing only: callers read the file.
public struct HPACKStory: Decodable, Sendable {
    public struct Case: Decodable, Sendable {
        public var seqno: Int?
        public var headerTableSize: Int?
        public var wire: String?
        public var headers: [HeaderField]

        enum CodingKeys: String, CodingKey {
            case seqno, wire, headers
            case headerTableSize = "header_table_size"
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            seqno = try container.decodeIfPresent(Int.self, forKey: .seqno)
            headerTableSize = try container.decodeIfPresent(Int.self, forKey: .headerTableSize)
            wire = try container.decodeIfPresent(String.self, forKey: .wire)
            // Each header is a one-entry object: [{"name": "value"}, ...].
            let objects = try container.decode([[String: String]].self, forKey: .headers)
            headers = objects.flatMap { $0.map { HeaderField($0.key, $0.value) } }
        }
    }

    public var description: String?
    public var cases: [Case]

    public static func parse(_ data: Data) throws -> HPACKStory {
        try JSONDecoder().decode(HPACKStory.self, from: data)
    }

    /// A case whose decoding did not give the story's headers.
    public struct Failure: Sendable, CustomStringConvertible {
        public var seqno: Int
        public var problem: String
        public var description: String { "seqno \(seqno): \(problem)" }
    }

    /// Decodes every case in order with one decoder, as the corpus README prescribes; returns the
    /// number of cases checked and the failures. Decoding stops at the first HPACK error, since the
    /// context is lost after it; the remaining cases count as failed.
    public func checkDecoding() -> (cases: Int, failures: [Failure]) {
        var decoder = HPACKDecoder()
        var failures: [Failure] = []
        for (i, story) in cases.enumerated() {
            let seqno = story.seqno ?? i
            guard let hex = story.wire, let bytes = Hex.decode(hex) else {
                failures.append(Failure(seqno: seqno, problem: "no valid hex in \"wire\""))
                continue
            }
            if let size = story.headerTableSize { decoder.setSettingsLimit(size) }
            do {
                let fields = try decoder.decode(bytes)
                if fields != story.headers {
                    failures.append(Failure(seqno: seqno, problem: Self.difference(fields, story.headers)))
                }
            } catch {
                failures.append(Failure(seqno: seqno, problem: "\(error) (\(error.section))"))
                let rest = cases[(i + 1)...].enumerated().map {
                    Failure(seqno: $0.element.seqno ?? (i + 1 + $0.offset), problem: "not decoded: context lost")
                }
                return (cases.count, failures + rest)
            }
        }
        return (cases.count, failures)
    }

    static func difference(_ got: [HeaderField], _ expected: [HeaderField]) -> String {
        for i in 0..<max(got.count, expected.count) {
            let g = i < got.count ? got[i].description : "(nothing)"
            let e = i < expected.count ? expected[i].description : "(nothing)"
            if g != e { return "field \(i + 1): got \"\(g)\", expected \"\(e)\"" }
        }
        return "fields differ"
    }
}
