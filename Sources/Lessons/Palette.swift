import Engine

/// How text is coloured: ANSI for a terminal, nothing for transcripts, pipes and NO_COLOR.
public struct Palette: Sendable {
    public var enabled: Bool
    public init(enabled: Bool) { self.enabled = enabled }
    public static let plain = Palette(enabled: false)

    func paint(_ text: String, _ code: String) -> String { enabled ? "\u{1b}[\(code)m\(text)\u{1b}[0m" : text }

    public func role(_ role: Role, _ text: String) -> String { paint(text, role == .client ? "36" : "35") }
    public func state(_ text: String) -> String { paint(text, "33") }
    public func error(_ text: String) -> String { paint(text, "1;31") }
    public func dim(_ text: String) -> String { paint(text, "2") }
    public func bold(_ text: String) -> String { paint(text, "1") }
    public func good(_ text: String) -> String { paint(text, "32") }

    /// `text` without the colour escapes `paint` adds (for files: a saved transcript has none).
    public static func plainText(_ text: String) -> String {
        guard text.contains("\u{1b}[") else { return text }
        var out = ""
        var rest = Substring(text)
        while let start = rest.range(of: "\u{1b}[") {
            out += rest[..<start.lowerBound]
            rest = rest[start.upperBound...]
            if let end = rest.firstIndex(of: "m") { rest = rest[rest.index(after: end)...] } else { rest = "" }
        }
        return out + rest
    }
}
