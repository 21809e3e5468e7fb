import Testing
@testable import Engine

/// The invariant fuzzer's checks (LabInvariants, driven by LabExplorer as Fuzz/lab.swift drives
/// it) over a fixed list of inputs, so that every test run repeats them; scripts/fuzz lab runs
/// millions more.
@Suite("Lab invariants hold after every step (the invariant fuzzer's checks, fixed seeds)")
struct LabInvariantTests {
    /// SplitMix64: a small generator with a fixed seed, so the inputs are the same on every run.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9e37_79b9_7f4a_7c15
            var z = state
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            return z ^ (z >> 31)
        }
    }

    static func inputs(seed: UInt64, count: Int) -> [[UInt8]] {
        var generator = SplitMix(state: seed)
        return (0..<count).map { _ in
            (0..<Int.random(in: 20...400, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        }
    }

    @Test("random step sequences from fixed seeds violate nothing", arguments: [1, 2, 3, 4] as [UInt64])
    func seeds(_ seed: UInt64) {
        var steps = 0
        for input in Self.inputs(seed: seed, count: 150) {
            var explorer = LabExplorer(input)
            while let violations = explorer.step() {
                #expect(violations.isEmpty, "\(explorer.steps.joined(separator: "\n"))\n\(violations)")
                if !violations.isEmpty { return }
            }
            steps += explorer.steps.count
        }
        #expect(steps > 5_000, "the inputs took only \(steps) steps")
    }

    /// The fuzzer runs each input without writing its steps out, and again with them only when a
    /// rule broke: both runs must take the same steps to the same lab.
    @Test("a run without step descriptions takes the same steps to the same lab as one with them")
    func quietRunRepeats() {
        for input in Self.inputs(seed: 5, count: 60) {
            var quiet = LabExplorer(input, describing: false), told = LabExplorer(input)
            #expect(quiet.run(maxSteps: 400) == nil && told.run(maxSteps: 400) == nil)
            #expect(quiet.steps.isEmpty && quiet.taken == told.steps.count && told.taken == told.steps.count)
            #expect(LabInvariants.sameState(quiet.lab.state, told.lab.state).isEmpty && quiet.lab.log.count == told.lab.log.count)
        }
    }

    /// §1 of issue 23, as the fuzzer first found it: a client's HEADERS depending on its own stream,
    /// its block inserting entries; the server refused it before decoding, and its decoder table fell
    /// out of step with the client's encoder.
    @Test("a crafted self-dependent HEADERS keeps both HPACK contexts in step (§4.3, §5.3.1)")
    func selfDependency() {
        // craft (17): client, new stream, shape 0x06 (self-dependent, END_STREAM), GET /json, no extra
        // field, one piece; deliver all (6); a request on the next stream (0); deliver all (6).
        let input: [UInt8] = [17, 0, 4, 6, 0, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 1, 6]
        #expect(LabExplorer.run(input) == nil)
        var explorer = LabExplorer(input)
        while explorer.step() != nil {}
        #expect(explorer.lab.state.server.streams[3]?.requestHeaders != nil && explorer.lab.state.server.closeReason == nil)
        #expect(explorer.steps.contains { $0.hasPrefix("client crafted HEADERS stream 1") })
    }

    /// The values a run of letters never reaches (the kind of `priority: u=@1`, which once trapped a
    /// structured-field parser): each sent as a request's `priority`, then delivered, breaks nothing.
    @Test("every edge value as a request's priority field: delivered, no invariant broken, the server still open")
    func edgeValues() throws {
        try #require(LabExplorer.edgeValues.count <= 56, "shape bytes 200-255 reach every edge value")
        for k in LabExplorer.edgeValues.indices {
            // request (0): GET, /json, one field: name 10 (priority), shape 200 + k; no body, END_STREAM; deliver all (6).
            let input: [UInt8] = [0, 0, 0, 1, 10, UInt8(200 + k), 0, 0, 1, 6]
            #expect(LabExplorer.run(input) == nil, "value \(LabExplorer.edgeValues[k].debugDescription)")
            var explorer = LabExplorer(input)
            while explorer.step() != nil {}
            #expect(explorer.steps.first?.contains("priority: \(LabExplorer.edgeValues[k])") == true, "\(explorer.steps)")
            #expect(explorer.lab.state.server.closeReason == nil, "value \(LabExplorer.edgeValues[k].debugDescription)")
            if LabExplorer.edgeValues[k].hasPrefix("u=") {
                // A priority reaches the server and is read there (RFC 9218 §4: a bad one is ignored).
                #expect(explorer.lab.state.server.streams[1]?.requestHeaders != nil, "value \(LabExplorer.edgeValues[k])")
            }
        }
    }

    @Test("each invariant can fail: tables out of step, windows that disagree, states that cannot pair, an error with no section")
    func invariantsCanFail() throws {
        var lab = Lab()
        while lab.deliver() != nil {}
        #expect(LabInvariants.violations(in: lab).isEmpty)
        // A block the server never sees: the client's encoder moves on alone.
        try lab.act(.client) { (c) throws(UsageError) in _ = try c.sendRequest([HeaderField(":method", "GET"), HeaderField(":scheme", "https"),
                                                                               HeaderField(":path", "/json"), HeaderField(":authority", "lab")]) }
        _ = lab.drop()
        let violations = LabInvariants.violations(in: lab)
        #expect(violations.contains { $0.hasPrefix("§4.3:") }, "\(violations)")
        #expect(violations.contains { $0.hasPrefix("§5.1: stream 1 is half-closed (local) at the client but idle at the server") }, "\(violations)")
        #expect(!LabInvariants.mirrored(.open, .halfClosedLocal) && LabInvariants.mirrored(.halfClosedLocal, .halfClosedRemote))
        #expect(LabInvariants.errorsNameSections([.protocolError(.stream(1, .protocolError, "", "no section"))]).count == 1)
        #expect(LabInvariants.errorsNameSections([.protocolError(.stream(1, .protocolError, "§8.1", "one"))]).isEmpty)
        // Windows: a DATA frame the client sends past the lab's bookkeeping.
        var other = Lab()
        while other.deliver() != nil {}
        other.sendRaw(FrameEncoder.encode(Frame(streamID: 0, payload: .windowUpdate(increment: 10))), from: .client)
        _ = other.deliver()
        #expect(LabInvariants.connectionWindowsAgree(other.state.client, other.state.server).count == 1)
        // back then the same step: the same state.
        var a = Lab()
        _ = a.deliver()
        var b = a
        b.back()
        _ = b.deliver()
        #expect(LabInvariants.sameState(a.state, b.state).isEmpty)
        #expect(!LabInvariants.sameState(a.state, Lab().state).isEmpty)
    }
}
