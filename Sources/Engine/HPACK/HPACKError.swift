/// Why a header block could not be decoded. Every HPACK decoding error is a connection error of type
/// COMPRESSION_ERROR (RFC 9113 §4.3): the two tables are out of step and cannot be repaired.
public enum HPACKError: Error, Hashable, Sendable, CustomStringConvertible {
    case truncated(offset: Int)
    case integerOverflow(offset: Int)
    case zeroIndex(offset: Int)
    case indexOutOfRange(index: Int, tableEntries: Int, offset: Int)
    case invalidHuffmanPadding(offset: Int)
    case huffmanEOS(offset: Int)
    case sizeUpdateTooLarge(requested: Int, limit: Int, offset: Int)
    case sizeUpdateNotAtStart(offset: Int)
    case missingSizeUpdate(limit: Int)
    case stringTooLong(length: Int, limit: Int, offset: Int)
    case headerListTooLarge(size: Int, limit: Int)

    /// The section of RFC 7541 (or 9113) that the rule comes from.
    public var section: String {
        switch self {
        case .truncated: return "RFC 7541 §5"
        case .integerOverflow: return "RFC 7541 §5.1"
        case .zeroIndex, .indexOutOfRange: return "RFC 7541 §2.3.3"
        case .invalidHuffmanPadding, .huffmanEOS: return "RFC 7541 §5.2"
        case .sizeUpdateTooLarge: return "RFC 7541 §6.3"
        case .sizeUpdateNotAtStart: return "RFC 7541 §4.2"
        case .missingSizeUpdate: return "RFC 7541 §4.2"
        case .stringTooLong: return "RFC 7541 §7.3"
        case .headerListTooLarge: return "RFC 9113 §6.5.2"
        }
    }

    public var description: String {
        switch self {
        case .truncated(let offset):
            return "header block ends inside a representation at offset \(offset)"
        case .integerOverflow(let offset):
            return "integer at offset \(offset) is too large"
        case .zeroIndex(let offset):
            return "index 0 at offset \(offset) (indices start at 1)"
        case .indexOutOfRange(let index, let entries, let offset):
            return "index \(index) at offset \(offset) is beyond the tables (61 static + \(entries) dynamic)"
        case .invalidHuffmanPadding(let offset):
            return "Huffman string at offset \(offset) has invalid padding (more than 7 bits, or not all 1s)"
        case .huffmanEOS(let offset):
            return "Huffman string at offset \(offset) contains the EOS symbol"
        case .sizeUpdateTooLarge(let requested, let limit, let offset):
            return "size update to \(requested) at offset \(offset) exceeds the limit \(limit) from SETTINGS_HEADER_TABLE_SIZE"
        case .sizeUpdateNotAtStart(let offset):
            return "dynamic table size update at offset \(offset) after a header field"
        case .missingSizeUpdate(let limit):
            return "header block must start with a table size update (limit lowered to \(limit))"
        case .stringTooLong(let length, let limit, let offset):
            return "string of \(length) octets at offset \(offset) exceeds the limit \(limit)"
        case .headerListTooLarge(let size, let limit):
            return "header list of \(size) octets exceeds SETTINGS_MAX_HEADER_LIST_SIZE \(limit)"
        }
    }
}
