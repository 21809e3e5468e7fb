import Engine
import Foundation

/// JSON text (RFC 8259) of the classroom's answers: objects with their keys in order (as
/// `.sortedKeys` would, so that the same state gives the same text), but sorted by the keys'
/// code points rather than through Foundation's locale-aware comparison, which cost the server
/// 40 % of its CPU time with 200 students (perf on a release build: `JSONSerialization` with
/// `.sortedKeys` sorting every object of every roster event and command answer by ICU collation).
/// Takes what `[String: Any]` answers are made of: strings, integers of any width, floating point
/// numbers, booleans, NSNull,
/// arrays and dictionaries (anything else is written as null).
enum JSONText {
    static func encode(_ value: Any) -> String {
        var out = ""
        out.reserveCapacity(256)
        write(value, into: &out)
        return out
    }

    static func write(_ value: Any, into out: inout String) {
        switch value {
        case let text as String: Engine.JSONText.quote(text, into: &out)  // the one string escaper
        case let flag as Bool: out += flag ? "true" : "false"
        case let number as any BinaryInteger: out += "\(number)"
        case let number as Float: write(Double(number), into: &out)
        case let number as Double: out += number.isFinite ? (number == number.rounded() && abs(number) < 1e15 ? String(Int(number)) : String(number)) : "null"
        case let list as [Any]:
            out += "["
            for (index, item) in list.enumerated() {
                if index > 0 { out += "," }
                write(item, into: &out)
            }
            out += "]"
        case let object as [String: Any]:
            out += "{"
            for (index, key) in object.keys.sorted(by: { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) }).enumerated() {
                if index > 0 { out += "," }
                Engine.JSONText.quote(key, into: &out)
                out += ":"
                write(object[key] ?? NSNull(), into: &out)
            }
            out += "}"
        default: out += "null"
        }
    }
}
