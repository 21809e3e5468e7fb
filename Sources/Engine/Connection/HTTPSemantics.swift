/// The rules of RFC 9113 §8 that make a message well-formed. A malformed request or response is a
/// stream error of type PROTOCOL_ERROR (§8.1.1).
public enum HTTPSemantics {
    /// §8.2.2: whether a field is specific to one HTTP/1.1 connection and must not appear in HTTP/2
    /// (the names `NameScan.kind` tells apart, the one list of them).
    public static func isConnectionSpecific(_ name: String) -> Bool {
        var name = name
        return name.withUTF8 { NameScan.kind(of: $0, pseudo: false) == .connectionSpecific }
    }

    /// Whether a :status value is informational (1xx, §8.1): its first octet is the digit 1.
    public static func isInformational(status: String) -> Bool { status.utf8.first == 0x31 }

    /// Whether a request asks to wait for 100 (Continue) before its content: an `expect` field
    /// whose value is the token 100-continue, compared without regard to case (RFC 9110 §10.1.1).
    public static func expectsContinue(_ fields: [HeaderField]) -> Bool {
        fields.contains { $0.name == "expect" && $0.value.lowercased() == "100-continue" }
    }

    /// Checks a header list; returns the problem, or nil if it is well-formed.
    public static func problem(in fields: [HeaderField], kind: HeaderBlockKind) -> String? {
        check(fields, kind: kind).problem
    }

    /// What a check of a header list found: the first problem of §8 (nil if well-formed) and
    /// content-length (§8.1.1), which a receiver checks only after the other rules.
    public struct Check: Sendable {
        public var problem: String?
        /// content-length as a number, nil if absent; a failure if invalid or repeated with a
        /// different value.
        var contentLength: Result<Int?, ProtocolError.Message> = .success(nil)
        /// Whether the fields hold a `priority` field (RFC 9218 §5), an `expect` field (RFC 9110
        /// §10.1.1), and :method CONNECT (§8.5): the fields a stream looks for again once the
        /// checks pass, so that a request without them is not searched for them.
        var hasPriority = false, hasExpect = false, isConnect = false
    }

    /// Checks a header list of `String`s (through `FieldChecker`, on their octets).
    public static func check(_ fields: [HeaderField], kind: HeaderBlockKind) -> Check {
        var checker = FieldChecker(kind: kind)
        for field in fields where checker.isFine {
            field.withOctets { checker.add(name: $0, value: $1) }
        }
        return checker.finish()
    }

    /// The rules of §8 applied one field at a time, to octets: a receiver that knows what kind of
    /// block it decodes (a server: a request, or trailers) checks each field as the HPACK decoder
    /// hands it out, before any `String` is made. Names are told apart by their length and
    /// octets; the pseudo-headers are noted in locals, not a dictionary.
    public struct FieldChecker {
        public let kind: HeaderBlockKind
        private let requestLike: Bool
        /// The first problem, in field order; the fields after it are not looked at.
        private var problem: String?
        private var contentLength: Result<Int?, ProtocolError.Message> = .success(nil)
        private var seenRegular = false
        private var seen = PseudoHeaders()
        private var hasPriority = false, hasExpect = false

        public init(kind: HeaderBlockKind) {
            self.kind = kind
            requestLike = kind == .request || kind == .pushPromise
        }

        /// No problem found so far.
        public var isFine: Bool { problem == nil }

        mutating func add(name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>) {
            _ = add(name: name, value: value, origin: .literal)
        }

        /// `add(name:value:)` for a field the HPACK decoder hands out with its origin: the scan of
        /// a static entry is looked up, a dynamic entry's is read back from the note this returned
        /// for it before (0: none yet). Returns the note to keep with the entry: a scan is a
        /// function of the octets alone, and an entry's octets never change while it lives.
        mutating func add(name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>, origin: HPACKDecoder.FieldOrigin) -> UInt16 {
            let scan: FieldScan
            switch origin {
            case .staticEntry(let index): scan = FieldScan(bits: FieldScan.staticEntries[index], value: value)
            case .dynamicEntry(let note) where note != 0: scan = FieldScan(bits: note, value: value)
            default: scan = FieldScan(name, value)
            }
            guard problem == nil else { return scan.bits }
            // The usual field: a regular one that no rule looks at further.
            if scan.bits & (FieldScan.refused | FieldScan.pseudo | FieldScan.kindBits) == 0 {
                seenRegular = true
                return scan.bits
            }
            problem = fieldProblem(scan, name, value)
            return scan.bits
        }

        /// The first problem in the fields, else what the whole list lacks (§8.3.1, §8.3.2).
        public func finish() -> Check {
            Check(problem: problem ?? requiredPseudoHeaders(), contentLength: contentLength, hasPriority: hasPriority,
                  hasExpect: hasExpect, isConnect: seen.method == .connect)
        }

        private mutating func fieldProblem(
            _ scan: FieldScan, _ nameOctets: UnsafeBufferPointer<UInt8>, _ valueOctets: UnsafeBufferPointer<UInt8>
        ) -> String? {
            func text(_ octets: UnsafeBufferPointer<UInt8>) -> String { String(decoding: octets, as: UTF8.self) }
            // §8.2.1: names must be lowercase and free of separators and controls.
            if scan.has(FieldScan.emptyName) { return "empty field name" }
            if scan.has(FieldScan.uppercase) { return "field name \"\(text(nameOctets))\" has uppercase characters (§8.2.1)" }
            if scan.has(FieldScan.forbidden) { return "field name \"\(text(nameOctets))\" has a character not allowed in a name (§8.2.1)" }
            if scan.has(FieldScan.controls) { return "value of \"\(text(nameOctets))\" contains NUL, CR or LF (§8.2.1)" }
            if scan.has(FieldScan.edgeWhitespace) { return "value of \"\(text(nameOctets))\" starts or ends with whitespace (§8.2.1)" }
            guard scan.has(FieldScan.pseudo) else {
                seenRegular = true
                switch scan.kind {
                case .connectionSpecific: return "connection-specific field \"\(text(nameOctets))\" (§8.2.2)"
                case .te where !scan.has(FieldScan.trailers): return "te may only be \"trailers\" (§8.2.2)"
                case .priority: hasPriority = true
                case .expect: hasExpect = true
                case .contentLength:
                    guard case .success(let previous) = contentLength else { break }
                    if let n = scan.number {
                        contentLength = previous.map { $0 != n } == true
                            ? .failure(.init(text: "two different content-length values (§8.1.1)")) : .success(n)
                    } else {
                        contentLength = .failure(.init(text: "content-length \"\(text(valueOctets))\" is not a number (§8.1.1)"))
                    }
                default: break
                }
                return nil
            }
            if seenRegular { return "pseudo-header \(text(nameOctets)) after a regular field (§8.3)" }
            if kind == .trailers { return "pseudo-header \(text(nameOctets)) in trailers (§8.1)" }
            // Each pseudo-header once, and only those of its kind of message.
            let allowed: Bool
            switch scan.kind {
            case .method, .scheme, .path, .authority, .protocol: allowed = requestLike
            case .status: allowed = !requestLike
            default: allowed = false
            }
            guard allowed else { return "pseudo-header \(text(nameOctets)) is not allowed in a \(kind.rawValue) (§8.3)" }
            guard seen.note(scan.kind, value: valueOctets) else { return "pseudo-header \(text(nameOctets)) appears twice (§8.3)" }
            return nil
        }

        /// §8.3.1, §8.3.2, §8.4, §8.5: the pseudo-headers a message of this kind must carry.
        private func requiredPseudoHeaders() -> String? {
            switch kind {
            case .request, .pushPromise:
                guard let method = seen.method else { return "request without :method (§8.3.1)" }
                if method == .connect && !seen.has(.protocol) {
                    if seen.has(.scheme) || seen.has(.path) { return "CONNECT with :scheme or :path (§8.5)" }
                    if !seen.has(.authority) { return "CONNECT without :authority (§8.5)" }
                } else {
                    if !seen.has(.scheme) { return "request without :scheme (§8.3.1)" }
                    if !seen.has(.path) { return "request without :path (§8.3.1)" }
                    if seen.emptyPath { return "empty :path (§8.3.1)" }
                }
                if kind == .pushPromise, case .other(let text) = method {
                    return "pushed request must be safe and cacheable, not \(text) (§8.4)"
                }
            case .response, .informational:
                guard let status = seen.status else { return "response without :status (§8.3.2)" }
                guard status.utf8.count == 3, let code = Int(status), code >= 100 else { return "invalid :status \"\(status)\"" }
            case .trailers:
                break
            }
            return nil
        }
    }

    /// The pseudo-headers of one block (§8.3) as `FieldChecker` notes them: which were seen, the
    /// values the rules look at again (:method and :status, as text), and whether :path was empty.
    private struct PseudoHeaders {
        private var present: UInt8 = 0
        var method: Method?
        var status: String?
        var emptyPath = false

        func has(_ kind: NameKind) -> Bool { present & Self.bit(kind) != 0 }

        /// Notes one; false if it was seen before.
        mutating func note(_ kind: NameKind, value: UnsafeBufferPointer<UInt8>) -> Bool {
            if has(kind) { return false }
            present |= Self.bit(kind)
            switch kind {
            case .method: method = Method(value)
            case .status: status = String(decoding: value, as: UTF8.self)
            case .path: emptyPath = value.isEmpty
            default: break
            }
            return true
        }

        /// :method as the rules look at it: GET and HEAD (safe, may be pushed, §8.4), CONNECT
        /// (§8.5), or another, kept as text for the message (no `String` made for GET).
        enum Method: Equatable {
            case safe, connect
            case other(String)

            init(_ octets: UnsafeBufferPointer<UInt8>) {
                switch octets.count {
                case 3 where same(octets, "GET"), 4 where same(octets, "HEAD"): self = .safe
                case 7 where same(octets, "CONNECT"): self = .connect
                default: self = .other(String(decoding: octets, as: UTF8.self))
                }
            }
        }

        private static func bit(_ kind: NameKind) -> UInt8 {
            switch kind {
            case .method: return 1
            case .scheme: return 2
            case .path: return 4
            case .authority: return 8
            case .protocol: return 16
            case .status: return 32
            default: return 0
            }
        }
    }

    /// The names `check` treats apart from the rest.
    enum NameKind: UInt16 {
        case regular, method, scheme, path, authority, `protocol`, status, otherPseudo
        case connectionSpecific, te, contentLength
        /// Names no rule of §8 refuses, which a stream looks for once the checks pass.
        case priority, expect
    }

    /// What §8 looks at in one field's octets alone, before the rules that depend on the fields
    /// around it. A function of the octets, so it can be kept with an HPACK table entry, which
    /// never changes: `bits`, 16 of them (content-length's number is not kept, but read again).
    struct FieldScan {
        /// Bits 0-3 the name's kind; then, one bit each: a pseudo-header's name, uppercase in the
        /// name, an octet not allowed in a name, an empty name, NUL/CR/LF in the value, whitespace
        /// at its ends, a value of "trailers"; bit 15 always set, so that no scan is 0 (the note
        /// of an entry not yet scanned).
        let bits: UInt16
        /// content-length's value as a number, when the field is one and its value is one.
        var number: Int?

        static let kindBits: UInt16 = 0xf
        static let pseudo: UInt16 = 0x10, uppercase: UInt16 = 0x20, forbidden: UInt16 = 0x40, emptyName: UInt16 = 0x80
        static let controls: UInt16 = 0x100, edgeWhitespace: UInt16 = 0x200, trailers: UInt16 = 0x400, scanned: UInt16 = 0x8000
        /// The bits of a field some rule of §8.2.1 refuses whatever surrounds it.
        static let refused: UInt16 = uppercase | forbidden | emptyName | controls | edgeWhitespace

        init(_ name: UnsafeBufferPointer<UInt8>, _ value: UnsafeBufferPointer<UInt8>) {
            let nameScan = NameScan(name)
            let valueScan = ValueScan(value, parsesNumber: nameScan.kind == .contentLength)
            var bits = nameScan.kind.rawValue | Self.scanned
            if nameScan.isPseudo { bits |= Self.pseudo }
            if nameScan.uppercase { bits |= Self.uppercase }
            if nameScan.forbidden { bits |= Self.forbidden }
            if nameScan.isEmpty { bits |= Self.emptyName }
            switch valueScan.problem {
            case .fine: break
            case .controls: bits |= Self.controls
            case .edgeWhitespace: bits |= Self.edgeWhitespace
            }
            if valueScan.isTrailers { bits |= Self.trailers }
            self.bits = bits
            number = valueScan.number
        }

        /// A scan kept as `bits`; `value` is the field's value octets, read again only for a
        /// content-length's number.
        @inline(__always)
        init(bits: UInt16, value: UnsafeBufferPointer<UInt8>) {
            self.bits = bits
            if bits & Self.kindBits == NameKind.contentLength.rawValue { number = ValueScan(value, parsesNumber: true).number }
        }

        var kind: NameKind { NameKind(rawValue: bits & Self.kindBits) ?? .regular }
        func has(_ bit: UInt16) -> Bool { bits & bit != 0 }

        /// The scans of the HPACK static table's entries, by index (1...61; 0 unused).
        static let staticEntries: [UInt16] = [0] + (1...StaticTable.count).map { index in
            let statics = StaticOctets.shared
            return FieldScan(statics.name(index), statics.value(index)).bits
        }
    }

    /// One pass over a name's octets: whether it has an uppercase letter, whether it has an octet
    /// §8.2.1 forbids in a name (controls, space, DEL and above, or a colon anywhere but a
    /// pseudo-header's first octet), and which of the names `check` looks for it is.
    struct NameScan {
        var isEmpty = true, isPseudo = false, uppercase = false, forbidden = false
        var kind = NameKind.regular

        init(_ octets: UnsafeBufferPointer<UInt8>) {
            guard let first = octets.first else { return }
            isEmpty = false
            isPseudo = first == 0x3a
            // A pseudo-header's leading colon is not looked at.
            let classes = octetClasses(of: UnsafeBufferPointer(rebasing: octets[(isPseudo ? 1 : 0)...]))
            uppercase = classes & OctetClass.uppercase != 0
            forbidden = classes & OctetClass.forbiddenInName != 0
            kind = Self.kind(of: octets, pseudo: isPseudo)
        }

        /// Told apart by length first: at most one comparison of octets per name.
        static func kind(of o: UnsafeBufferPointer<UInt8>, pseudo: Bool) -> NameKind {
            if pseudo {
                switch o.count {
                case 5: return same(o, ":path") ? .path : .otherPseudo
                case 7:
                    if same(o, ":method") { return .method }
                    if same(o, ":scheme") { return .scheme }
                    return same(o, ":status") ? .status : .otherPseudo
                case 9: return same(o, ":protocol") ? .protocol : .otherPseudo
                case 10: return same(o, ":authority") ? .authority : .otherPseudo
                default: return .otherPseudo
                }
            }
            switch o.count {
            case 2: return same(o, "te") ? .te : .regular
            case 6: return same(o, "expect") ? .expect : .regular
            case 8: return same(o, "priority") ? .priority : .regular
            case 7: return same(o, "upgrade") ? .connectionSpecific : .regular
            case 10: return same(o, "connection") || same(o, "keep-alive") ? .connectionSpecific : .regular
            case 14: return same(o, "content-length") ? .contentLength : .regular
            case 16: return same(o, "proxy-connection") ? .connectionSpecific : .regular
            case 17: return same(o, "transfer-encoding") ? .connectionSpecific : .regular
            default: return .regular
            }
        }
    }

    /// Whether `octets` are the octets of `text` (of the same length: callers switch on it).
    @inline(__always)
    static func same(_ octets: UnsafeBufferPointer<UInt8>, _ text: StaticString) -> Bool {
        guard octets.count == text.utf8CodeUnitCount else { return false }
        let expected = text.utf8Start
        for i in 0..<octets.count where octets[i] != expected[i] { return false }
        return true
    }

    enum ValueProblem { case fine, controls, edgeWhitespace }

    /// One pass over a value's octets: §8.2.1 (no NUL, CR or LF, no space or tab at either end);
    /// whether it is "trailers" in any case (for te, §8.2.2); with `parsesNumber`, its decimal
    /// value (content-length is 1*DIGIT, RFC 9110 §8.6), nil if it is not one.
    struct ValueScan {
        var problem = ValueProblem.fine
        var isTrailers = false
        var number: Int?

        init(_ octets: UnsafeBufferPointer<UInt8>, parsesNumber: Bool) {
            let classes = octetClasses(of: octets)
            if classes & OctetClass.forbiddenInValue != 0 {
                problem = .controls
                return
            }
            guard let first = octets.first, let last = octets.last else { return }
            if first == 0x20 || first == 0x09 || last == 0x20 || last == 0x09 { problem = .edgeWhitespace }
            if octets.count == 8 {
                // "trailers", ASCII letters compared without case (0x20 is the case bit).
                isTrailers = zip(octets, "trailers".utf8).allSatisfy { $0 | 0x20 == $1 }
            }
            if parsesNumber && octets.count <= 19 && classes & OctetClass.nonDigit == 0 {
                // 1 to 19 digits cannot overflow a UInt64; the value must also fit in an Int.
                let value = octets.reduce(UInt64(0)) { $0 &* 10 &+ UInt64($1 &- 0x30) }
                if value <= UInt64(Int.max) { number = Int(value) }
            }
        }
    }

    /// What §8.2.1 says of an octet, as bits (`octetClassTable`).
    enum OctetClass {
        static let uppercase: UInt8 = 1
        /// Controls, space, a colon, DEL and above.
        static let forbiddenInName: UInt8 = 2
        /// NUL, LF, CR.
        static let forbiddenInValue: UInt8 = 4
        /// Anything but 0-9.
        static let nonDigit: UInt8 = 8
    }

    /// The classes of all `octets` ORed together: a table lookup per octet, no branch.
    static func octetClasses(of octets: UnsafeBufferPointer<UInt8>) -> UInt8 {
        octetClassTable.withUnsafeBufferPointer { table in octets.reduce(0) { $0 | table[Int($1)] } }
    }

    /// The class bits of each of the 256 octets.
    static let octetClassTable: [UInt8] = (0...255).map { (octet: Int) -> UInt8 in
        var bits: UInt8 = 0
        if octet >= 0x41 && octet <= 0x5a { bits |= OctetClass.uppercase }
        if octet <= 0x20 || octet >= 0x7f || octet == 0x3a { bits |= OctetClass.forbiddenInName }
        if octet == 0 || octet == 0x0a || octet == 0x0d { bits |= OctetClass.forbiddenInValue }
        if octet < 0x30 || octet > 0x39 { bits |= OctetClass.nonDigit }
        return bits
    }
}

extension ProtocolError {
    /// A bare problem text, for results that become errors once the stream is known.
    struct Message: Error { var text: String }
}
