/// The fields an encoder sends as never-indexed literals (RFC 7541 §6.2.3) when no policy picks a
/// representation for them: the one rule every encoder of H2Lab follows (the lab's endpoints,
/// `get`, `serve` and the proxy's legs).
///
/// RFC 7541 §7.1.3: "An encoder might also choose not to index values for header fields that are
/// considered to be highly valuable or sensitive to recovery, such as the Cookie or Authorization
/// header fields", and "short or low-entropy values are more readily recovered by an adversary.
/// Therefore, an encoder might choose not to index values with low entropy." HPACK does not stop
/// an attacker who can make a client send guesses from confirming a whole value (§7.1.1): a guess
/// that matches an entry compresses to one octet. A never-indexed literal keeps the value out of
/// every table on every hop, since an intermediary MUST encode it the same way again (§6.2.3).
///
/// Which names, and the 20-octet threshold, are this implementation's choice (the RFC names no
/// list), close to nghttp2's (authorization always, cookie under 20 octets) with
/// proxy-authorization and set-cookie added: credentials always, cookies when short (a long
/// random cookie is hard to guess and is worth indexing, a short one is not).
public struct SensitiveFields: Hashable, Sendable {
    /// How a name is protected by default.
    public enum Rule: UInt8, Sendable {
        case none
        /// Never indexed, whatever the value's length: credentials.
        case always
        /// Never indexed when the value is shorter than `shortValueLimit` octets.
        case shortValues
    }

    /// Credentials (RFC 9110 §11.6.2, §11.7.2): never indexed at any length.
    public static let credentials = ["authorization", "proxy-authorization"]
    /// Cookies (RFC 6265): never indexed when their value is shorter than `shortValueLimit`.
    public static let cookies = ["cookie", "set-cookie"]
    /// Values shorter than this many octets are easy to guess whole (nghttp2's threshold).
    public static let shortValueLimit = 20

    /// Names added to the built-in ones (`hpack never NAME` in the lab), never indexed at any
    /// length; lowercase, in the order they were added.
    public private(set) var added: [String] = []

    public init(added: [String] = []) {
        for name in added { add(name) }
    }

    /// The built-in rule for a name.
    public static func builtInRule(_ name: String) -> Rule {
        if credentials.contains(name) { return .always }
        if cookies.contains(name) { return .shortValues }
        return .none
    }

    /// Adds a name (lowercased, as HTTP/2 carries names: RFC 9113 §8.2.1). Returns false if it
    /// was already never indexed at any length.
    @discardableResult
    public mutating func add(_ name: String) -> Bool {
        let name = name.lowercased()
        guard Self.builtInRule(name) != .always, !added.contains(name) else { return false }
        added.append(name)
        return true
    }

    /// Removes an added name; returns false if it was not added (built-in names stay).
    @discardableResult
    public mutating func remove(_ name: String) -> Bool {
        let name = name.lowercased()
        guard let i = added.firstIndex(of: name) else { return false }
        added.remove(at: i)
        return true
    }

    /// Whether a field is sent never-indexed by default. `staticName` is the name's first static
    /// index, if any: every built-in name is in the static table (Appendix A), so they cost one
    /// table lookup (in `statics`, which the encoder keeps at hand); added names are compared only
    /// when there are some.
    @inline(__always)
    func neverIndexes(name: UnsafeBufferPointer<UInt8>, staticName: Int?, valueLength: Int,
                      statics: StaticFieldIndex.Tables) -> Bool {
        if let staticName {
            switch statics.sensitive[staticName] {
            case .always: return true
            case .shortValues where valueLength < Self.shortValueLimit: return true
            default: break
            }
        }
        return !added.isEmpty && added.contains { $0.utf8.elementsEqual(name) }
    }

    /// The same, for a field given as strings (views and tests).
    public func neverIndexes(_ field: HeaderField) -> Bool {
        switch Self.builtInRule(field.name) {
        case .always: return true
        case .shortValues where field.value.utf8.count < Self.shortValueLimit: return true
        default: return added.contains(field.name)
        }
    }
}
