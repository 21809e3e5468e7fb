/// A flow-control window, RFC 9113 §5.2 and §6.9. It may go negative after a SETTINGS change
/// (§6.9.2) but may never exceed 2^31−1: arithmetic that would is refused, never wrapped.
public struct FlowWindow: Hashable, Sendable, CustomStringConvertible {
    public static let maximum: UInt32 = 0x7fff_ffff
    public static let initial = 65_535

    public private(set) var value: Int

    public init(_ value: Int = FlowWindow.initial) { self.value = value }

    /// Adds a WINDOW_UPDATE increment; false (and unchanged) if the result would pass 2^31−1.
    public mutating func increase(by increment: Int) -> Bool {
        guard value + increment <= Int(Self.maximum) else { return false }
        value += increment
        return true
    }

    /// Applies the difference between a new and an old SETTINGS_INITIAL_WINDOW_SIZE (§6.9.2).
    public mutating func adjust(by delta: Int) -> Bool {
        guard value + delta <= Int(Self.maximum) else { return false }
        value += delta
        return true
    }

    /// Takes `count` octets of flow-controlled payload out of the window.
    public mutating func consume(_ count: Int) { value -= count }

    /// What may be sent now (never negative).
    public var available: Int { max(0, value) }

    public var description: String { "\(value)" }
}
