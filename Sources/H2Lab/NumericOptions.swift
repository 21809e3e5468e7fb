import ArgumentParser

/// One kind of numeric option: the range it accepts, what it counts, and the one parser every
/// subcommand's option of that kind goes through. A value out of range, not finite (`inf`, `nan`)
/// or not a number is refused with a message naming the range, exit status 64 (EX_USAGE), before
/// anything runs: no later conversion (to milliseconds, to a `timeval`) can trap on it.
struct NumberKind<Value: Comparable & Sendable>: Sendable {
    let range: ClosedRange<Value>
    /// What the number counts ("seconds", "connections").
    let unit: String
    let read: @Sendable (String) -> Value?

    /// `text` as a value of this kind, or a usage error naming the range.
    func parse(_ text: String) throws -> Value {
        guard let value = read(text), range.contains(value) else {
            throw ValidationError("expected \(unit) from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }
}

extension NumberKind where Value == Double {
    /// A finite decimal number ("1.5", "2e3"); never inf, nan or hexadecimal floats.
    init(_ range: ClosedRange<Double>, _ unit: String) {
        self.init(range: range, unit: unit) { text in
            guard text.utf8.allSatisfy({ "0123456789.eE+-".utf8.contains($0) }), let value = Double(text), value.isFinite else { return nil }
            return value
        }
    }
}

extension NumberKind where Value == Int {
    /// A whole decimal number (no sign, no exponent, no separators).
    init(_ range: ClosedRange<Int>, _ unit: String) {
        self.init(range: range, unit: unit) { text in
            guard !text.isEmpty, text.count <= 19, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
            return Int(text)
        }
    }
}

/// The kinds of numeric option `h2lab` takes, each defined once.
enum Numbers {
    /// Timeouts and measuring times: a millisecond to a day.
    static let seconds = NumberKind<Double>(0.001...86_400, "seconds")
    /// A panel session's idle time: up to a week (fractions of a minute for tests).
    static let minutes = NumberKind<Double>(0.001...10_080, "minutes")
    /// A TCP port (0 picks a free one).
    static let port = NumberKind<Int>(0...65_535, "a port")
    /// Connections a server holds at once (the descriptor limit's ceiling, ConnectionBudget).
    static let connections = NumberKind<Int>(1...1_048_576, "connections")
    /// A per-connection count before GOAWAY ENHANCE_YOUR_CALM (resets, empty frames).
    static let perConnection = NumberKind<Int>(1...100_000_000, "frames")
    /// Requests on one HTTP/1.1 connection.
    static let requests = NumberKind<Int>(1...100_000_000, "requests")
    /// Event loops, one thread each.
    static let loops = NumberKind<Int>(1...256, "loops")
    /// SETTINGS_MAX_FRAME_SIZE's range (RFC 9113 §6.5.2).
    static let frameSize = NumberKind<Int>(16_384...16_777_215, "octets (RFC 9113 §6.5.2)")
    /// A stream identifier (31 bits, not 0: RFC 9113 §5.1.1).
    static let streamID = NumberKind<Int>(1...2_147_483_647, "a stream identifier (RFC 9113 §5.1.1)")
    /// Repetitions of a measurement.
    static let repetitions = NumberKind<Int>(1...100_000_000, "repetitions")
}
