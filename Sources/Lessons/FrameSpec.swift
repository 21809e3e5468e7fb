import Engine

/// `send TYPE key=value ...`: a frame described field by field, valid or not.
enum FrameSpec {
    /// Why a weight is 1-256: the PRIORITY frame's octet holds the weight minus one (RFC 9113 §6.3).
    static let weightRule = "the Weight octet holds weight − 1, RFC 9113 §6.3"
    /// `N*HH`: N octets of the hex octet HH (floods and big blocks without a page of hex); also
    /// `HEX+N*HH`, a prefix then the run.
    static func repeatedHex(_ text: String) -> [UInt8]? {
        guard let star = text.firstIndex(of: "*") else { return nil }
        var head = String(text[..<star])
        var prefix: [UInt8] = []
        if let plus = head.lastIndex(of: "+") {
            guard let p = Hex.decode(String(head[..<plus])) else { return nil }
            prefix = p
            head = String(head[head.index(after: plus)...])
        }
        guard let count = Int(head), count >= 0, count <= 1 << 24,
              let octet = Hex.decode(String(text[text.index(after: star)...])), octet.count == 1 else { return nil }
        return prefix + [UInt8](repeating: octet[0], count: count)
    }

    /// The fields `send TYPE` takes beside `stream` and `flags` (SETTINGS takes NAME=VALUE pairs),
    /// for the parser and for completion.
    static func fields(of type: FrameType) -> [String] {
        switch type {
        case .data: return ["data", "pad"]
        case .headers: return ["block", "pad", "depends", "weight", "exclusive"]
        case .priority: return ["depends", "weight", "exclusive"]
        case .rstStream: return ["code"]
        case .settings: return []
        case .pushPromise: return ["promised", "block", "pad"]
        case .ping: return ["data"]
        case .goaway: return ["last", "code", "debug"]
        case .windowUpdate: return ["increment"]
        case .continuation: return ["block"]
        case .priorityUpdate: return ["prioritized", "value"]
        default: return ["payload"]
        }
    }

    static func parse(_ args: [String]) throws -> Frame {
        guard let typeWord = args.first, let type = FrameType(parsing: typeWord) else {
            throw CommandError("unknown frame type '\(args.first ?? "")'", hint: CommandParser.hintFor(args.first ?? "", FrameType.allNames))
        }
        var values = Values()
        var written: [String] = []  // the keys in the order written: an error names the first wrong one
        var settings: [Setting] = []
        for arg in args.dropFirst() {
            let (key, value) = CommandParser.split(arg)
            let k = key.lowercased().replacingOccurrences(of: "-", with: "_")
            if type == .settings, k != "stream", k != "flags", let setting = try? CommandParser.parseSetting(arg) {
                settings.append(setting)
            } else {
                values.text[k] = value
                written.append(k)
            }
        }
        let allowed = ["stream", "flags"] + fields(of: type)
        for key in written where !allowed.contains(key) {
            throw CommandError("\(type.name) has no field '\(key)'", hint: "fields: " + allowed.joined(separator: ", "))
        }
        let defaultStream: UInt32 = [.settings, .ping, .goaway, .windowUpdate, .priorityUpdate].contains(type) ? 0 : 1
        let stream = try values.word("stream", defaultStream)
        let pad: UInt8? = try values.text["pad"].map { UInt8(try CommandParser.number($0, "pad", in: 0...255, "the Pad Length is one octet, §6.1")) }
        return Frame(streamID: stream, flags: try flags(values.text["flags"], of: type),
                     payload: try payload(type, values, settings), padLength: pad)
    }

    /// `flags=A|B`: names the type defines (`END_STREAM`, `end-stream`) or `0xNN` for any bits.
    static func flags(_ text: String?, of type: FrameType) throws -> FrameFlags {
        var flags = FrameFlags()
        guard let text else { return flags }
        for name in text.split(separator: "|").map({ $0.uppercased().replacingOccurrences(of: "-", with: "_") }) {
            if let found = type.definedFlags.first(where: { $0.1 == name }) {
                flags.insert(found.0)
            } else if let n = UInt8(name.trimmingPrefix("0X"), radix: 16) {
                flags.insert(FrameFlags(rawValue: n))
            } else {
                throw CommandError("\(type.name) has no flag \(name)",
                                   hint: "flags: " + (type.definedFlags.map(\.1) + ["0xNN"]).joined(separator: ", "))
            }
        }
        return flags
    }

    /// The payload of a frame of `type` from its fields (RFC 9113 §6, one case per frame type).
    static func payload(_ type: FrameType, _ values: Values, _ settings: [Setting]) throws -> FramePayload {
        switch type {
        case .data: return .data(Array((values.text["data"] ?? "").utf8))
        case .headers: return .headers(block: try values.bytes("block"), priority: try values.priority())
        case .priority: return .priority(try values.priority() ?? PriorityFields())
        case .rstStream: return .rstStream(try values.code())
        case .settings: return .settings(settings)
        case .pushPromise: return .pushPromise(promisedStreamID: try values.word("promised", 2), block: try values.bytes("block"))
        case .ping: return .ping(UInt64(try values.int("data", 0)))
        case .goaway: return .goaway(lastStreamID: try values.word("last", 0), errorCode: try values.code(),
                                     debugData: Array((values.text["debug"] ?? "").utf8))
        case .windowUpdate: return .windowUpdate(increment: try values.word("increment", 0))
        case .continuation: return .continuation(block: try values.bytes("block"))
        case .priorityUpdate:
            return .priorityUpdate(prioritizedStreamID: try values.word("prioritized", 1),
                                   fieldValue: Array((values.text["value"] ?? "").utf8))
        default: return .unknown(type: type.rawValue, payload: try values.bytes("payload"))
        }
    }

    /// The `key=value` words of a `send` line, read as the field each key names.
    struct Values {
        var text: [String: String] = [:]

        func int(_ key: String, _ fallback: Int) throws -> Int {
            guard let value = text[key] else { return fallback }
            return try CommandParser.number(value, key)
        }

        /// A 32-bit field (a stream identifier with its reserved bit, §4.1; an increment with its
        /// reserved bit, §6.9): a crafted frame may set the top bit, but no more than 32 bits fit.
        func word(_ key: String, _ fallback: UInt32) throws -> UInt32 {
            guard let value = text[key] else { return fallback }
            return UInt32(try CommandParser.number(value, key, in: 0...Int(UInt32.max), "32 bits on the wire, the top one reserved"))
        }

        func bytes(_ key: String) throws -> [UInt8] {
            guard let value = text[key] else { return [] }
            guard let decoded = repeatedHex(value) ?? Hex.decode(value) else {
                throw CommandError("\(key) must be hex, or N*HH for N octets of HH, not '\(value)'", hint: "example: \(key)=828784 or \(key)=200*00")
            }
            return decoded
        }

        func code() throws -> ErrorCode {
            guard let value = text["code"] else { return .noError }
            return try CommandParser.errorCode(value)
        }

        func priority() throws -> PriorityFields? {
            guard text["depends"] != nil || text["weight"] != nil || text["exclusive"] != nil else { return nil }
            let weight = try text["weight"].map { try CommandParser.number($0, "weight", in: 1...256, FrameSpec.weightRule) } ?? 16
            return PriorityFields(exclusive: text["exclusive"] != nil, dependency: try word("depends", 0), weight: UInt8(weight - 1))
        }
    }
}
