import RawStructuredFieldValues

/// An RFC 9218 priority: the urgency (`u`, 0 most urgent … 7, default 3, §4.1) and whether the
/// response is used incrementally (`i`, default false, §4.2). It travels as the `priority` request
/// field (§5) and in PRIORITY_UPDATE frames (§7.1), in both as a Structured Fields Dictionary
/// (RFC 8941 §3.2). RFC 9113 §5.3.2 deprecates the RFC 7540 tree in favour of schemes like this.
public struct Priority: Hashable, Sendable, CustomStringConvertible {
    public var urgency: UInt8
    public var incremental: Bool

    public static let defaultUrgency: UInt8 = 3
    /// §4: a request without the parameters is served as if their defaults were sent.
    public static let `default` = Priority()

    public init(urgency: UInt8 = Priority.defaultUrgency, incremental: Bool = false) {
        self.urgency = urgency
        self.incremental = incremental
    }

    /// "u=5, i" (the defaults left out: "u=3" is written as nothing, as §4 allows).
    public var fieldValue: String {
        var members: [String] = []
        if urgency != Self.defaultUrgency { members.append("u=\(urgency)") }
        if incremental { members.append("i") }
        return members.joined(separator: ", ")
    }

    public var description: String { "urgency \(urgency)" + (incremental ? ", incremental" : "") }

    /// Parses a field value. §4: unknown parameters, out-of-range values and values of the wrong
    /// type are ignored (the default stays); a value that is not a Dictionary at all (RFC 8941
    /// §4.2: parsing fails) is ignored as a whole: nil. The Dictionary is parsed by Apple's
    /// swift-http-structured-headers (RawStructuredFieldValues), which implements RFC 8941 whole;
    /// a later duplicate key replaces an earlier one there, as §4.2.2 says.
    public init?(parsing text: String) {
        self.init()
        var parser = StructuredFieldValueParser(Array(text.utf8))
        guard let members = try? parser.parseDictionaryFieldValue() else { return nil }
        for (key, value) in members {
            guard case .item(let item) = value else { continue }  // an inner list: the wrong type
            // The RFC 9651 item, never the library's deprecated RFC 8941 `bareItem`, which traps
            // on a Date or Display String (`u=@1` from any client): those are the wrong type here.
            switch (key, item.rfc9651BareItem) {
            case ("u", .integer(let n)) where (0...7).contains(n): urgency = UInt8(n)
            case ("i", .bool(let b)): incremental = b
            default: break
            }
        }
    }

    /// The priority a request asks for in its `priority` field, nil if it has none (RFC 9218 §5).
    public static func of(request fields: [HeaderField]) -> Priority? {
        // Told apart by length first: one comparison of strings at most per field of 8 octets.
        guard let value = fields.first(where: { $0.name.utf8.count == 8 && $0.name == "priority" })?.value else { return nil }
        return Priority(parsing: value) ?? .default
    }
}
