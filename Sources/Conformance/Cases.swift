import Engine

/// One conformance case: what is sent, what RFC 9113 or RFC 7541 requires (in our words, with its
/// section), and the test, run on a fresh connection.
public struct CheckCase: Sendable {
    /// The RFC section, with `hpack/` before RFC 7541's and `rfc9218/` before RFC 9218's.
    public var section: String
    public var number: Int
    public var title: String
    public var requirement: String
    /// False for the few cases that begin before the handshake (the preface itself).
    public var handshake = true
    /// Our SETTINGS in the handshake.
    public var settings: [Setting] = []
    public var test: @Sendable (Probe, Int) -> Outcome

    public var id: String { "\(section)/\(number)" }
}

// Frame type numbers and flags, for frames built by hand (§6).
let DATA: UInt8 = 0, HEADERS: UInt8 = 1, PRIORITY: UInt8 = 2, RST: UInt8 = 3, SETTINGS: UInt8 = 4
let PING: UInt8 = 6, GOAWAY: UInt8 = 7, WINDOW: UInt8 = 8, CONTINUATION: UInt8 = 9
/// RFC 9218 §7.1.
let PRIORITY_UPDATE: UInt8 = 0x10
let endStream: UInt8 = 0x1, endHeaders: UInt8 = 0x4, padded: UInt8 = 0x8, priorityFlag: UInt8 = 0x20

func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
func setting(_ id: UInt16, _ value: UInt32) -> [UInt8] { [UInt8(id >> 8), UInt8(id & 0xFF)] + be32(value) }

extension Probe {
    /// A HEADERS frame for a request on `stream`.
    func request(_ stream: UInt32, flags: UInt8 = endStream | endHeaders, method: String = "GET", path: String = "/",
                 extra: [HeaderField] = []) -> [UInt8] {
        rawFrame(HEADERS, flags: flags, stream: stream, headerBlock(requestFields(method: method, path: path, extra: extra)))
    }

    /// A request whose header list is exactly `fields` (for malformed requests, §8).
    func request(_ stream: UInt32, fields: [HeaderField], flags: UInt8 = endStream | endHeaders) -> [UInt8] {
        rawFrame(HEADERS, flags: flags, stream: stream, headerBlock(fields))
    }
}

/// The cases as they are written: each with its id ("SECTION/N") in the source, so that adding a
/// case never renumbers another.
struct CaseList {
    private(set) var cases: [CheckCase] = []
    private var ids: Set<String> = []

    /// Adds a case; `id` is its section and its number within it, "6.9.1/2".
    mutating func add(_ id: String, _ title: String, _ requirement: String, handshake: Bool = true, settings: [Setting] = [],
                      _ test: @escaping @Sendable (Probe, Int) -> Outcome) {
        let parts = id.split(separator: "/")
        let number = parts.last.flatMap { Int($0) } ?? 0
        // The ids are written in this module's source, not read from input: a clash is a typo here.
        precondition(parts.count > 1 && number > 0 && ids.insert(id).inserted, "check case id \(id) is not SECTION/N, or not unique")
        cases.append(CheckCase(section: parts.dropLast().joined(separator: "/"), number: number, title: title, requirement: requirement,
                               handshake: handshake, settings: settings, test: test))
    }
}

/// The suite, by section of RFC 9113 (then RFC 7541, then RFC 9218), as h2spec arranges it: one file
/// per part of the RFC (Cases+Connection: §3–4, +Streams: §5, +FrameDefinitions: §6, +HTTPSemantics:
/// §8, +HPACK: RFC 7541, +CompressionContext: §4.3's audit, +Priority: RFC 9218).
public enum Cases {
    /// Every case, in the order `check` runs and prints them: the first pass through the RFC, then
    /// the second (written later, and kept after the first so that `check`'s output did not change),
    /// then RFC 9218's.
    public static let all: [CheckCase] = {
        var list = CaseList()
        connection(&list)
        streams(&list)
        frameDefinitions(&list)
        httpSemantics(&list)
        hpack(&list)
        connectionSecondPass(&list)
        streamsSecondPass(&list)
        frameDefinitionsSecondPass(&list)
        httpSemanticsSecondPass(&list)
        hpackSecondPass(&list)
        generic(&list)
        priority(&list)
        return list.cases
    }()

    /// What a connection-error case requires.
    static let connection = "§5.4.1: a connection error is answered with GOAWAY carrying the error code"
    /// Our SETTINGS for cases that need the server to keep a stream open until the violation
    /// arrives: an initial window of 0 (§6.9.2), so a server that answers at once (a 405 before
    /// the body, say) cannot finish its response, and the stream stays open on its side.
    static let holdOpen = [Setting(.initialWindowSize, 0)]
    /// What a malformed-request case requires.
    static let malformed = "makes the request malformed: stream error PROTOCOL_ERROR (§8.1.1)"
}
