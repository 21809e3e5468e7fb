import Engine

/// Stepping: delivering what waits on the wire (one frame, to a state change, to a breakpoint, or
/// as it comes), breakpoints, and `back`.
extension Session {
    mutating func stepping(_ command: Command, _ interrupted: @Sendable () -> Bool) throws -> [String] {
        switch command {
        case .step(let from, let count):
            var lines: [String] = []
            for _ in 0..<count {
                guard let delivery = deliver(from: from) else {
                    lines.append(from.map { "  nothing waits from the \($0)" } ?? "  the wire is empty")
                    break
                }
                lines += renderer.delivery(delivery)
            }
            return lines
        case .next:
            var lines: [String] = []
            while let delivery = deliver() {
                lines += renderer.delivery(delivery)
                if delivery.events.contains(where: { if case .streamStateChanged = $0 { return true } else { return false } }) { return lines }
                if interrupted() { return lines + ["  interrupted"] }
            }
            return lines + ["  the wire is empty"]
        case .continueRun:
            return runUntilBreak([], interrupted)
        case .auto(let on):
            autoDeliver = on
            guard on else { return ["  auto off: `step` delivers frames"] }
            if let peer = lab.state.realPeer(.client), remote?.isClosed == false {
                // A real peer: watch its frames flow as they come, until Ctrl-C or it hangs up.
                return runUntilBreak(["  auto on: frames flow as the client at \(peer.name) sends them; Ctrl-C stops watching"],
                                     interrupted, watch: true)
            }
            return runUntilBreak(["  auto on: frames are delivered as soon as they are sent"], interrupted)
        case .addBreak(let breakpoint):
            breakpoints.append((nextBreakpointNumber, breakpoint))
            nextBreakpointNumber += 1
            return ["  breakpoint \(nextBreakpointNumber - 1): \(breakpoint)"]
        case .listBreaks:
            if breakpoints.isEmpty { return ["  no breakpoints"] }
            return breakpoints.map { "  \($0.number)  \($0.breakpoint)" }
        case .deleteBreak(let n):
            guard let index = breakpoints.firstIndex(where: { $0.number == n }) else {
                let numbers = breakpoints.map { "\($0.number)" }.joined(separator: ", ")
                throw CommandError("no breakpoint \(n)", hint: breakpoints.isEmpty ? "there are none" : "breakpoints: \(numbers)")
            }
            let removed = breakpoints.remove(at: index)
            return ["  deleted breakpoint \(n): \(removed.breakpoint)"]
        case .back(let n):
            if let peer = lab.state.realPeer(.client) ?? lab.state.realPeer(.server) {
                throw CommandError("back is off while attached to a real \(peer.role) (\(peer.name)): it cannot be rewound")
            }
            let undone = lab.back(n)
            if undone == 0 { return ["  nothing to undo: no frame has been delivered"] }
            return ["  rewound \(undone) deliver\(undone == 1 ? "y" : "ies"): now after #\(lab.log.count)"] + renderer.wire(lab)
        default:
            throw CommandError("`\(command)` is not a command of this group")
        }
    }

    /// Delivers until a breakpoint, an interruption or an empty wire, after `lines`. With a real peer,
    /// an empty wire first gives it a moment to answer; with `watch`, the run waits for the peer
    /// until Ctrl-C or until it closes the connection. Deliveries go to the live output as they
    /// happen (the REPL prints them at once).
    mutating func runUntilBreak(_ lines: [String], _ interrupted: @Sendable () -> Bool, watch: Bool = false) -> [String] {
        var lines = lines
        var count = 0
        while true {
            flush(&lines)
            guard let delivery = deliver() else {
                if watch, !interrupted() {
                    lines += acceptNew()
                    if anyClientOpen {
                        // The current client, and any other connection's, may still send.
                        if remote?.isClosed == false { pullFromRemote(wait: true, milliseconds: 200) }
                        lines += serviceParked(wait: remote?.isClosed != false)
                        continue
                    }
                }
                if count == 0 { lines.append("  the wire is empty") }
                if watch && interrupted() { lines.append("  stopped watching after \(count) deliveries; auto stays on") }
                return lines + peerClosedNote()
            }
            lines += renderer.delivery(delivery)
            count += 1
            // Other connections are served between this one's deliveries too, not only when it pauses.
            if watch && count % 16 == 0 { lines += acceptNew() + serviceParked() }
            if let hit = breakpoints.first(where: { matches($0.breakpoint, delivery) }) {
                return lines + ["  " + renderer.palette.bold("breakpoint \(hit.number) (\(hit.breakpoint)) at #\(delivery.sequence)")]
            }
            if interrupted() { return lines + ["  interrupted after \(count) deliveries"] }
            if count >= deliveryLimit { return lines + ["  stopped after \(count) deliveries"] }
        }
    }

    func matches(_ breakpoint: Breakpoint, _ delivery: Delivery) -> Bool {
        let header = FrameHeader(delivery.item.bytes)
        switch breakpoint {
        case .frameType(let type): return header?.type == type && !delivery.item.isPreface
        case .flag(let name): return header.map { $0.type.flagNames($0.flags).contains(name) } ?? false
        case .stream(let id): return header?.streamID == id && !delivery.item.isPreface
        case .state(let state):
            return delivery.events.contains { if case .streamStateChanged(_, _, state, _) = $0 { return true } else { return false } }
        case .error:
            return delivery.events.contains { if case .protocolError = $0 { return true } else { return false } }
        case .goaway:
            return header?.type == .goaway || delivery.events.contains { if case .goawaySent = $0 { return true } else { return false } }
        case .windowZero:
            return delivery.events.contains { if case .windowChanged(_, _, _, let to) = $0 { return to <= 0 } else { return false } }
        }
    }

}
