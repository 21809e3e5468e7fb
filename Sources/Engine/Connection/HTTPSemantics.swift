/// The rules of RFC 9113 §8 that make a message well-formed. A malformed request or response is a
/// stream error of type PROTOCOL_ERROR (§8.1.1).
public enum HTTPSemantics {
    /// §8.2.2: fields that are specific to one HTTP/1.1 connection and must not appear in HTTP/2.
    public static let connectionSpecific: Set<String> = [
        "connection", "proxy-connection", "keep-alive", "transfer-encoding", "upgrade",
    ]

    static let requestPseudo: Set<String> = [":method", ":scheme", ":authority", ":path", ":protocol"]

    /// Checks a header list; returns the problem, or nil if it is well-formed.
    public static func problem(in fields: [HeaderField], kind: HeaderBlockKind) -> String? {
        var seenRegular = false
        var pseudo: [String: String] = [:]
        for field in fields {
            let name = field.name
            if name.isEmpty { return "empty field name" }
            // §8.2.1: names must be lowercase and free of separators and controls.
            if name.utf8.contains(where: { ($0 >= 0x41 && $0 <= 0x5a) }) {
                return "field name \"\(name)\" has uppercase characters (§8.2.1)"
            }
            if name.utf8.dropFirst(name.hasPrefix(":") ? 1 : 0).contains(where: { $0 <= 0x20 || $0 == 0x3a || $0 >= 0x7f }) {
                return "field name \"\(name)\" has a character not allowed in a name (§8.2.1)"
            }
            if field.value.utf8.contains(where: { $0 == 0 || $0 == 0x0a || $0 == 0x0d }) {
                return "value of \"\(name)\" contains NUL, CR or LF (§8.2.1)"
            }
            if let first = field.value.utf8.first, let last = field.value.utf8.last,
               first == 0x20 || first == 0x09 || last == 0x20 || last == 0x09 {
                return "value of \"\(name)\" starts or ends with whitespace (§8.2.1)"
            }
            if name.hasPrefix(":") {
                if seenRegular { return "pseudo-header \(name) after a regular field (§8.3)" }
                if kind == .trailers { return "pseudo-header \(name) in trailers (§8.1)" }
                let allowed = (kind == .request || kind == .pushPromise) ? requestPseudo : [":status"]
                if !allowed.contains(name) { return "pseudo-header \(name) is not allowed in a \(kind.rawValue) (§8.3)" }
                if pseudo[name] != nil { return "pseudo-header \(name) appears twice (§8.3)" }
                pseudo[name] = field.value
            } else {
                seenRegular = true
                if connectionSpecific.contains(name) { return "connection-specific field \"\(name)\" (§8.2.2)" }
                if name == "te" && field.value.lowercased() != "trailers" {
                    return "te may only be \"trailers\" (§8.2.2)"
                }
            }
        }
        switch kind {
        case .request, .pushPromise:
            guard let method = pseudo[":method"] else { return "request without :method (§8.3.1)" }
            if method == "CONNECT" && pseudo[":protocol"] == nil {
                if pseudo[":scheme"] != nil || pseudo[":path"] != nil { return "CONNECT with :scheme or :path (§8.5)" }
                if pseudo[":authority"] == nil { return "CONNECT without :authority (§8.5)" }
            } else {
                if pseudo[":scheme"] == nil { return "request without :scheme (§8.3.1)" }
                guard let path = pseudo[":path"] else { return "request without :path (§8.3.1)" }
                if path.isEmpty { return "empty :path (§8.3.1)" }
            }
            if kind == .pushPromise && !["GET", "HEAD"].contains(method) {
                return "pushed request must be safe and cacheable, not \(method) (§8.4)"
            }
        case .response, .informational:
            guard let status = pseudo[":status"] else { return "response without :status (§8.3.2)" }
            guard status.utf8.count == 3, let code = Int(status), code >= 100 else { return "invalid :status \"\(status)\"" }
        case .trailers:
            break
        }
        return nil
    }

    /// content-length as a number; nil if absent; a problem string if present but invalid or repeated
    /// with different values.
    static func contentLength(_ fields: [HeaderField]) -> Result<Int?, ProtocolError.Message> {
        var result: Int?
        for field in fields where field.name == "content-length" {
            guard let n = Int(field.value.filter { $0 != " " && $0 != "\t" }), n >= 0 else {
                return .failure(.init(text: "content-length \"\(field.value)\" is not a number (§8.1.1)"))
            }
            if let previous = result, previous != n {
                return .failure(.init(text: "two different content-length values (§8.1.1)"))
            }
            result = n
        }
        return .success(result)
    }
}

extension ProtocolError {
    /// A bare problem text, for results that become errors once the stream is known.
    struct Message: Error { var text: String }
}
