/// JSON text for the few places that write it by hand (traces, `/.well-known/h2/state`, `check
/// --json`, the classroom's answers).
public enum JSONText {
    /// A JSON string literal (RFC 8259 §7): quotes, backslashes and control characters escaped.
    public static func quote(_ text: String) -> String {
        var out = ""
        quote(text, into: &out)
        return out
    }

    /// The same literal, appended to `out`. Runs that need no escape are copied whole: every
    /// octet that needs one is ASCII, so the runs between them end on character boundaries
    /// (escaping a scalar at a time was a measurable part of the classroom's answers).
    public static func quote(_ text: String, into out: inout String) {
        out += "\""
        let octets = text.utf8
        var run = octets.startIndex
        var index = run
        while index != octets.endIndex {
            let octet = octets[index]
            guard octet < 0x20 || octet == UInt8(ascii: "\"") || octet == UInt8(ascii: "\\") else {
                octets.formIndex(after: &index)
                continue
            }
            out += Substring(octets[run..<index])
            switch octet {
            case UInt8(ascii: "\""): out += "\\\""
            case UInt8(ascii: "\\"): out += "\\\\"
            case UInt8(ascii: "\n"): out += "\\n"
            case UInt8(ascii: "\r"): out += "\\r"
            case UInt8(ascii: "\t"): out += "\\t"
            default: out += "\\u00" + (octet < 0x10 ? "0" : "") + String(octet, radix: 16)
            }
            octets.formIndex(after: &index)
            run = index
        }
        out += Substring(octets[run..<index])
        out += "\""
    }
}
