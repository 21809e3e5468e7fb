import Engine

/// `send TYPE key=value ...`: a frame described field by field, valid or not.
enum FrameSpec {
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
            throw CommandError("unknown frame type '\(args.first ?? "")'", hint: CommandParser.hintFor(args.first ?? "", FrameType.names))
        }
        var values: [String: String] = [:]
        var written: [String] = []  // the keys in the order written: an error names the first wrong one
        var settings: [Setting] = []
        for arg in args.dropFirst() {
            let (key, value) = CommandParser.split(arg)
            let k = key.lowercased().replacingOccurrences(of: "-", with: "_")
            if type == .settings, k != "stream", k != "flags", let setting = try? CommandParser.parseSetting(arg) {
                settings.append(setting)
            } else {
                values[k] = value
                written.append(k)
            }
        }
        let allowed = fields(of: type)
        for key in written where !(["stream", "flags"] + allowed).contains(key) {
            throw CommandError("\(type.name) has no field '\(key)'",
                               hint: "fields: " + (["stream", "flags"] + allowed).joined(separator: ", "))
        }
        func int(_ key: String, _ fallback: Int) throws -> Int {
            guard let text = values[key] else { return fallback }
            return try CommandParser.number(text, key)
        }
        func bytes(_ key: String) throws -> [UInt8] {
            guard let text = values[key] else { return [] }
            guard let decoded = repeatedHex(text) ?? Hex.decode(text) else {
                throw CommandError("\(key) must be hex, or N*HH for N octets of HH, not '\(text)'", hint: "example: \(key)=828784 or \(key)=200*00")
            }
            return decoded
        }
        func code() throws -> ErrorCode {
            guard let text = values["code"] else { return .noError }
            return try CommandParser.errorCode(text)
        }
        let defaultStream = [.settings, .ping, .goaway, .windowUpdate, .priorityUpdate].contains(type) ? 0 : 1
        let stream = UInt32(truncatingIfNeeded: try int("stream", defaultStream))
        var flags = FrameFlags()
        if let text = values["flags"] {
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
        }
        let pad: UInt8? = try values["pad"].map { UInt8(clamping: try CommandParser.number($0, "pad")) }
        func priority() throws -> PriorityFields? {
            guard values["depends"] != nil || values["weight"] != nil || values["exclusive"] != nil else { return nil }
            return PriorityFields(exclusive: values["exclusive"] != nil, dependency: UInt32(truncatingIfNeeded: try int("depends", 0)),
                                  weight: UInt8(clamping: max(0, try int("weight", 16) - 1)))
        }
        let payload: FramePayload
        switch type {
        case .data: payload = .data(Array((values["data"] ?? "").utf8))
        case .headers: payload = .headers(block: try bytes("block"), priority: try priority())
        case .priority: payload = .priority(try priority() ?? PriorityFields())
        case .rstStream: payload = .rstStream(try code())
        case .settings: payload = .settings(settings)
        case .pushPromise: payload = .pushPromise(promisedStreamID: UInt32(truncatingIfNeeded: try int("promised", 2)), block: try bytes("block"))
        case .ping: payload = .ping(UInt64(try int("data", 0)))
        case .goaway: payload = .goaway(lastStreamID: UInt32(truncatingIfNeeded: try int("last", 0)), errorCode: try code(),
                                        debugData: Array((values["debug"] ?? "").utf8))
        case .windowUpdate: payload = .windowUpdate(increment: UInt32(truncatingIfNeeded: try int("increment", 0)))
        case .continuation: payload = .continuation(block: try bytes("block"))
        case .priorityUpdate:
            payload = .priorityUpdate(prioritizedStreamID: UInt32(truncatingIfNeeded: try int("prioritized", 1)),
                                      fieldValue: Array((values["value"] ?? "").utf8))
        default: payload = .unknown(type: type.rawValue, payload: try bytes("payload"))
        }
        return Frame(streamID: stream, flags: flags, payload: payload, padLength: pad)
    }
}
