/// Runs a sequence of lab steps decoded from arbitrary octets (a fuzzer's input, or a seed) and
/// checks `LabInvariants` after every one: requests, responses, bodies, resets, settings, window
/// updates, GOAWAY, pushes, policy changes, deliveries one at a time or all, `back`, and crafted
/// frames: field blocks encoded with the sender's own encoder but framed as no valid sender would
/// (a stream depending on itself, on a stream it may not use, split over CONTINUATION, padded),
/// and frames of any type with octets of the input's choosing.
///
/// A step that the engine refuses to take (a `UsageError`) is skipped: it sent nothing.
public struct LabExplorer: Sendable {
    public private(set) var lab = Lab()
    public private(set) var taint = LabInvariants.Taint()
    /// One line per step taken, for a report of how a violation was reached (when `describing`).
    public private(set) var steps: [String] = []
    /// Steps taken so far.
    public private(set) var taken = 0
    /// Whether each step is written out in `steps`. The fuzzer runs without (the lines cost more
    /// than the steps they describe) and runs an input again with them when it broke a rule: the
    /// lab is deterministic, so the second run takes the same steps.
    let describing: Bool
    var input: [UInt8]
    var offset = 0

    public init(_ input: [UInt8], describing: Bool = true) {
        self.input = input
        self.describing = describing
    }

    /// Runs the whole input; the first violation found (with the steps that led to it), or nil.
    public static func run(_ input: [UInt8], maxSteps: Int = 400) -> String? {
        guard violations(input, maxSteps: maxSteps, describing: false) != nil else { return nil }
        var explorer = LabExplorer(input)
        guard let violations = explorer.run(maxSteps: maxSteps) else { return "the input broke a rule once and not when run again" }
        return (["steps:"] + explorer.steps.map { "  " + $0 } + ["violated:"] + violations.map { "  " + $0 }).joined(separator: "\n")
    }

    static func violations(_ input: [UInt8], maxSteps: Int, describing: Bool) -> [String]? {
        var explorer = LabExplorer(input, describing: describing)
        return explorer.run(maxSteps: maxSteps)
    }

    /// Takes steps until the input is used up or `maxSteps`; the first violations found, or nil.
    mutating func run(maxSteps: Int) -> [String]? {
        while offset < input.count, taken < maxSteps {
            if let violations = step(), !violations.isEmpty { return violations }
        }
        return nil
    }

    /// Counts a step and, when describing, writes it out.
    mutating func note(_ line: @autoclosure () -> String) {
        taken += 1
        if describing { steps.append(line()) }
    }

    mutating func byte() -> UInt8 {
        guard offset < input.count else { return 0 }
        defer { offset += 1 }
        return input[offset]
    }

    mutating func word() -> Int { Int(byte()) << 8 | Int(byte()) }

    mutating func role() -> Role { byte() & 1 == 0 ? .client : .server }

    /// A stream id near those in use: one of the last few of either side, or a new one.
    mutating func stream(for role: Role) -> UInt32 {
        let b = byte()
        let highest = max(lab.state.client.highestLocalStreamID, lab.state.server.highestLocalStreamID,
                          lab.state.client.highestPeerStreamID, lab.state.server.highestPeerStreamID)
        switch b % 8 {
        case 0: return 0
        case 1, 2, 3:
            let back = UInt32(b >> 3 & 7)
            return highest > back ? highest - back : 1
        case 4: return min(highest + 1, 0x7fff_ffff)
        case 5: return min(highest + 2, 0x7fff_ffff)
        default: return UInt32(b >> 3) + 1
        }
    }

    static let paths = ["/json", "/html", "/echo", "/upload", "/styles.css", "/nothing", "/events", "/"]
    static let names = ["x-a", "x-b", "accept", "user-agent", "cookie", "X-Upper", "connection", "te", ":path", "content-length",
                        "priority", "authorization", "expect"]
    /// Values no run of letters reaches: RFC 9218 priorities and RFC 8941/9651 items of every
    /// type, well formed or not (a Date or Display String item once trapped a structured-field
    /// parser: `u=@1`), numbers at the edges, and octets §8.2.1 forbids or allows at the ends.
    static let edgeValues = [
        "u=0", "u=7", "u=8", "u=-1", "u=@1", "u=%\"x\"", "u=:AQ==:", "u=\"3\"", "u=1.5", "u=?1", "i", "i=?0", "u=3, i",
        "u=1;a=b", "u=(1 2)", "u=99999999999999999999", "u=", "=1", "u=1,,", ", u=2", "u=1 i", "100-continue", "trailers",
        "gzip, trailers", "", " x", "x ", "a\u{7f}b", "é", "a\tb", "a\u{0}b", "a\r\nb", "Bearer abc", "0", "-1", "18446744073709551616",
    ]

    mutating func fields(request: Bool) -> [HeaderField] {
        var list: [HeaderField] = []
        if request {
            let method = ["GET", "POST", "HEAD", "PUT"][Int(byte() % 4)]
            list = [HeaderField(":method", method), HeaderField(":scheme", "https"),
                    HeaderField(":path", Self.paths[Int(byte()) % Self.paths.count]), HeaderField(":authority", "lab")]
        }
        for _ in 0..<Int(byte() % 4) {
            let name = Self.names[Int(byte()) % Self.names.count]
            let shape = byte()
            let value = shape >= 200 ? Self.edgeValues[Int(shape - 200) % Self.edgeValues.count]
                : String(repeating: String(UnicodeScalar(UInt8(97 + shape % 26))), count: Int(byte() % 40))
            list.append(HeaderField(name, name == "content-length" && shape < 200 ? "\(byte() % 8)" : value))
        }
        return list
    }

    /// Takes one step and checks the invariants; nil when the input is used up.
    public mutating func step() -> [String]? {
        guard offset < input.count else { return nil }
        let op = byte() % 20
        switch op {
        case 0, 1:
            request()
        case 2, 3, 4:
            return deliver(from: nil)
        case 5:
            return deliver(from: role())
        case 6:
            var count = 0
            while !lab.wireIsEmpty && count < 64 {
                if let violations = deliver(from: nil), !violations.isEmpty { return violations }
                count += 1
            }
        case 7:
            let r = role(), id = stream(for: r), code = ErrorCode(UInt32(byte() % 14))
            act(r, "\(r) reset \(id) \(code.name)") { (c) throws(UsageError) in _ = try c.sendReset(id, code) }
        case 8:
            changeSetting()
        case 9:
            let r = role(), id = stream(for: r), increment = word() * Int(byte() % 8) + 1
            act(r, "\(r) window \(id) +\(increment)") { (c) throws(UsageError) in _ = try c.sendWindowUpdate(id, increment: increment) }
        case 10:
            let r = role(), policy = WindowUpdatePolicy.allCases[Int(byte()) % WindowUpdatePolicy.allCases.count]
            act(r, "\(r) flow \(policy.rawValue)") { (c) throws(UsageError) in c.setWindowUpdatePolicy(policy) }
        case 11:
            let r = role()
            act(r, "\(r) goaway NO_ERROR") { (c) throws(UsageError) in _ = c.sendGoaway(.noError) }
        case 12:
            respond()
        case 13:
            let id = stream(for: .client), body = [UInt8](repeating: 0x64, count: Int(byte()) * Int(byte() % 4) + 1), end = byte() & 1 == 1
            let r = role()
            act(r, "\(r) data \(id) \(body.count) end \(end)") { (c) throws(UsageError) in _ = try c.sendData(id, body, endStream: end) }
        case 14:
            let id = stream(for: .server), list = fields(request: true)
            act(.server, "server push on \(id)") { (c) throws(UsageError) in _ = try c.push(on: id, request: list) }
        case 15:
            changeEncoderPolicy()
        case 16:
            let count = Int(byte() % 3) + 1
            let undone = lab.back(count)
            note("back \(count) (undid \(undone))")
        case 17:
            craftHeaderBlock()
        case 18:
            craftFrame()
        default:
            let r = role(), opaque = UInt64(word())
            act(r, "\(r) ping \(opaque)") { (c) throws(UsageError) in c.sendPing(opaque) }
        }
        return LabInvariants.violations(in: lab, taint: taint)
    }

    /// The client sends a request: fields, a body of 0-765 octets, END_STREAM three times in four.
    private mutating func request() {
        let list = fields(request: true)
        let body = [UInt8](repeating: 0x62, count: Int(byte()) * Int(byte() % 4))
        let end = byte() % 4 != 0
        act(.client, "request \(list.map(\.description).joined(separator: " ")) body \(body.count) end \(end)") { (c) throws(UsageError) in
            _ = try c.sendRequest(list, body: body, endStream: end)
        }
    }

    /// The server responds on one of its streams: a final or interim status, fields, a body.
    private mutating func respond() {
        let id = stream(for: .server), list = [HeaderField(":status", ["200", "404", "103", "204"][Int(byte() % 4)])] + fields(request: false)
        let body = [UInt8](repeating: 0x72, count: Int(byte()) * Int(byte() % 3))
        act(.server, "server respond \(id) \(list.map(\.description).joined(separator: " ")) body \(body.count)") { (c) throws(UsageError) in
            _ = try c.sendResponse(id, list, body: body)
        }
    }

    /// Either side sends one setting, in or out of §6.5.2's ranges (the engine refuses the latter).
    private mutating func changeSetting() {
        let r = role()
        let setting: Setting
        switch byte() % 5 {
        case 0: setting = Setting(.initialWindowSize, UInt32(word()) * UInt32(byte() % 3))
        case 1: setting = Setting(.headerTableSize, UInt32(word() % 5_000))
        case 2: setting = Setting(.maxConcurrentStreams, UInt32(byte() % 5))
        case 3: setting = Setting(.maxFrameSize, 16_384 + UInt32(word()))
        default: setting = Setting(.maxHeaderListSize, UInt32(word()))
        }
        act(r, "\(r) settings \(setting)") { (c) throws(UsageError) in try c.sendSettings([setting]) }
    }

    /// Either side's encoder changes how it represents fields (RFC 7541 §6).
    private mutating func changeEncoderPolicy() {
        let r = role()
        var policy = EncoderPolicy()
        policy.indexing = [nil, .incremental, .withoutIndexing, .neverIndexed][Int(byte() % 4)]
        policy.huffman = byte() & 1 == 0 ? .auto : .never
        act(r, "\(r) hpack policy \(policy.indexing?.rawValue ?? "auto")") { (c) throws(UsageError) in c.setEncoderPolicy(policy) }
    }

    /// Delivers the next item; then `back` and the same delivery again must give the same state.
    mutating func deliver(from role: Role?) -> [String]? {
        guard let item = lab.nextItem(from: role) else { return [] }
        guard lab.deliver(from: role) != nil else { return [] }
        note("deliver \(item.from)→\(item.to) \(item.summary)")
        var again = lab
        again.back()
        _ = again.deliver(from: role)
        let differences = LabInvariants.sameState(lab.state, again.state)
        if !differences.isEmpty { return ["back then the same step gave another state: " + differences.joined(separator: ", ")] }
        return LabInvariants.violations(in: lab, taint: taint)
    }

    mutating func act(_ role: Role, _ what: @autoclosure () -> String, _ body: (inout Connection) throws(UsageError) -> Void) {
        do {
            try lab.act(role, body)
            note(what())
        } catch {
            note("\(what()): refused (\(error))")
        }
    }

    /// A field block from the sender's own encoder (so both tables stay comparable), framed as the
    /// input says: any stream, priority (perhaps on itself), padding, END_STREAM, split over
    /// CONTINUATION frames, or as a PUSH_PROMISE.
    mutating func craftHeaderBlock() {
        let r = role(), id = stream(for: r), shape = byte()
        let list = fields(request: shape & 1 == 0 || r == .client)
        let pieces = Int(byte() % 3) + 1
        let dependency: UInt32 = shape & 2 != 0 ? id : UInt32(byte() % 4)
        let promise = r == .server && shape & 32 != 0
        let promised = promise ? lab.state.server.highestLocalStreamID + 2 : 0
        let padding: UInt8? = shape & 8 != 0 ? byte() % 8 : nil
        taint.streams.insert(id)
        if promise { taint.streams.insert(promised) }
        do {
            try lab.act(r) { (c) throws(UsageError) in
                var encoded: [UInt8] = []
                c.encodeForCrafting(list, into: &encoded)
                let size = max(1, encoded.count / pieces + 1)
                var chunks = stride(from: 0, to: max(encoded.count, 1), by: size).map { Array(encoded[$0..<min(encoded.count, $0 + size)]) }
                if chunks.isEmpty { chunks = [[]] }
                for (i, chunk) in chunks.enumerated() {
                    var flags: FrameFlags = i == chunks.count - 1 ? .endHeaders : []
                    let frame: Frame
                    if i == 0 {
                        if shape & 4 != 0 && !promise { flags.insert(.endStream) }
                        if shape & 2 != 0 || shape & 16 != 0 { flags.insert(.priority) }
                        var first = promise
                            ? Frame(streamID: id, flags: flags, payload: .pushPromise(promisedStreamID: promised, block: chunk))
                            : Frame(streamID: id, flags: flags, payload: .headers(block: chunk,
                                priority: flags.contains(.priority) ? PriorityFields(dependency: dependency) : nil))
                        if let padding { first.flags.insert(.padded); first.padLength = padding }
                        frame = first
                    } else {
                        frame = Frame(streamID: id, flags: flags, payload: .continuation(block: chunk))
                    }
                    _ = c.sendUnchecked(frame)
                }
            }
            note("\(r) crafted \(promise ? "PUSH_PROMISE" : "HEADERS") stream \(id) shape 0x\(String(shape, radix: 16)) in \(pieces) pieces")
        } catch {
            note("\(r) crafted block: refused (\(error))")
        }
    }

    /// A frame of any type but a field block's, its flags, stream and payload from the input.
    mutating func craftFrame() {
        let r = role()
        let types: [UInt8] = [0, 2, 3, 4, 6, 7, 8, 0x0a, 0xfa]
        let type = types[Int(byte()) % types.count], flags = byte(), id = stream(for: r)
        let payload = (0..<Int(byte() % 12)).map { _ in byte() }
        switch type {
        case 0, 8: taint.connectionWindows = true
        case 4: taint.windows = true
        case 7: taint.allStreams = true
        default: break
        }
        taint.streams.insert(id)
        let length = payload.count
        let bytes = [UInt8(length >> 16 & 0xff), UInt8(length >> 8 & 0xff), UInt8(length & 0xff), type, flags,
                     UInt8(id >> 24 & 0x7f), UInt8(id >> 16 & 0xff), UInt8(id >> 8 & 0xff), UInt8(id & 0xff)] + payload
        lab.sendRaw(bytes, from: r)
        note("\(r) crafted frame type 0x\(String(type, radix: 16)) flags 0x\(String(flags, radix: 16)) stream \(id) \(Hex.encode(payload))")
    }
}

extension Connection {
    /// Encodes a field block with this endpoint's own encoder, for a frame crafted around it (the
    /// peer's decoder follows the encoder, however the frames carrying the block are wrong).
    mutating func encodeForCrafting(_ fields: [HeaderField], into bytes: inout [UInt8]) {
        encoder.encode(fields, into: &bytes)
    }
}
