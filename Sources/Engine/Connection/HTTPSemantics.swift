/// The rules of RFC 9113 §8 that make a message well-formed. A malformed request or response is a
/// stream error of type PROTOCOL_ERROR (§8.1.1).
public enum HTTPSemantics {
    /// §8.2.2: whether a field is specific to one HTTP/1.1 connection and must not appear in HTTP/2
    /// (a switch, not a set: it runs for every field of every request a server receives).
    public static func isConnectionSpecific(_ name: String) -> Bool {
        switch name {
        case "connection", "proxy-connection", "keep-alive", "transfer-encoding", "upgrade": return true
        default: return false
        }
    }

    /// Whether a :status value is informational (1xx, §8.1): its first octet is the digit 1.
    public static func isInformational(status: String) -> Bool { status.utf8.first == 0x31 }

    /// Checks a header list; returns the problem, or nil if it is well-formed. One pass over each
    /// field's octets, and the pseudo-headers kept in locals, not a dictionary: this runs for every
    /// request a server receives.
    public static func problem(in fields: [HeaderField], kind: HeaderBlockKind) -> String? {
        var seenRegular = false
        var seen = PseudoHeaders()
        let requestLike = kind == .request || kind == .pushPromise
        for field in fields {
            let name = field.name
            if name.isEmpty { return "empty field name" }
            // §8.2.1: names must be lowercase and free of separators and controls.
            let (uppercase, forbidden) = scanName(name)
            if uppercase { return "field name \"\(name)\" has uppercase characters (§8.2.1)" }
            if forbidden { return "field name \"\(name)\" has a character not allowed in a name (§8.2.1)" }
            switch scanValue(field.value) {
            case .controls: return "value of \"\(name)\" contains NUL, CR or LF (§8.2.1)"
            case .edgeWhitespace: return "value of \"\(name)\" starts or ends with whitespace (§8.2.1)"
            case .fine: break
            }
            if name.utf8.first == 0x3a {
                if seenRegular { return "pseudo-header \(name) after a regular field (§8.3)" }
                if kind == .trailers { return "pseudo-header \(name) in trailers (§8.1)" }
                // Each pseudo-header once, and only those of its kind of message.
                func put(_ slot: inout String?, allowed: Bool) -> String? {
                    guard allowed else { return "pseudo-header \(name) is not allowed in a \(kind.rawValue) (§8.3)" }
                    if slot != nil { return "pseudo-header \(name) appears twice (§8.3)" }
                    slot = field.value
                    return nil
                }
                let problem: String?
                switch name {
                case ":method": problem = put(&seen.method, allowed: requestLike)
                case ":scheme": problem = put(&seen.scheme, allowed: requestLike)
                case ":path": problem = put(&seen.path, allowed: requestLike)
                case ":authority": problem = put(&seen.authority, allowed: requestLike)
                case ":protocol": problem = put(&seen.proto, allowed: requestLike)
                case ":status": problem = put(&seen.status, allowed: !requestLike)
                default: problem = "pseudo-header \(name) is not allowed in a \(kind.rawValue) (§8.3)"
                }
                if let problem { return problem }
            } else {
                seenRegular = true
                if isConnectionSpecific(name) { return "connection-specific field \"\(name)\" (§8.2.2)" }
                if name == "te" && field.value.lowercased() != "trailers" { return "te may only be \"trailers\" (§8.2.2)" }
            }
        }
        switch kind {
        case .request, .pushPromise:
            guard let method = seen.method else { return "request without :method (§8.3.1)" }
            if method == "CONNECT" && seen.proto == nil {
                if seen.scheme != nil || seen.path != nil { return "CONNECT with :scheme or :path (§8.5)" }
                if seen.authority == nil { return "CONNECT without :authority (§8.5)" }
            } else {
                if seen.scheme == nil { return "request without :scheme (§8.3.1)" }
                guard let path = seen.path else { return "request without :path (§8.3.1)" }
                if path.isEmpty { return "empty :path (§8.3.1)" }
            }
            if kind == .pushPromise && method != "GET" && method != "HEAD" {
                return "pushed request must be safe and cacheable, not \(method) (§8.4)"
            }
        case .response, .informational:
            guard let status = seen.status else { return "response without :status (§8.3.2)" }
            guard status.utf8.count == 3, let code = Int(status), code >= 100 else { return "invalid :status \"\(status)\"" }
        case .trailers:
            break
        }
        return nil
    }

    /// The pseudo-headers of one block (§8.3), as `problem` collects them.
    private struct PseudoHeaders {
        var method, scheme, path, authority, proto, status: String?
    }

    /// Whether a name has an uppercase letter, and whether it has an octet §8.2.1 forbids in a name
    /// (controls, space, DEL and above, or a colon anywhere but a pseudo-header's first octet).
    private static func scanName(_ name: String) -> (uppercase: Bool, forbidden: Bool) {
        func scan<C: Collection<UInt8>>(_ octets: C) -> (Bool, Bool) {
            var uppercase = false, forbidden = false, first = true
            for octet in octets {
                if octet >= 0x41 && octet <= 0x5a { uppercase = true }
                if octet <= 0x20 || octet >= 0x7f || (octet == 0x3a && !first) { forbidden = true }
                first = false
            }
            return (uppercase, forbidden)
        }
        return name.utf8.withContiguousStorageIfAvailable(scan) ?? scan(name.utf8)
    }

    private enum ValueProblem { case fine, controls, edgeWhitespace }

    /// §8.2.1: a value may not hold NUL, CR or LF, nor start or end with space or tab.
    private static func scanValue(_ value: String) -> ValueProblem {
        func scan<C: Collection<UInt8>>(_ octets: C) -> ValueProblem {
            var last: UInt8 = 0, first: UInt8?
            for octet in octets {
                if octet == 0 || octet == 0x0a || octet == 0x0d { return .controls }
                if first == nil { first = octet }
                last = octet
            }
            guard let first else { return .fine }
            return first == 0x20 || first == 0x09 || last == 0x20 || last == 0x09 ? .edgeWhitespace : .fine
        }
        return value.utf8.withContiguousStorageIfAvailable(scan) ?? scan(value.utf8)
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
