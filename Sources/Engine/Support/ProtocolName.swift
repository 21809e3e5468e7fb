/// How people type the RFC's names and numbers: `window-update`, `WINDOW_UPDATE`, `8`, `0x8`.
enum ProtocolName {
    /// Uppercase with `-` turned into `_`, to compare with the RFC's spelling.
    static func normalize(_ text: String) -> String {
        String(text.uppercased().map { $0 == "-" ? "_" : $0 })
    }

    /// A decimal or `0x` hexadecimal number that fits `T`.
    static func number<T: FixedWidthInteger>(_ text: String) -> T? {
        T(text) ?? (text.lowercased().hasPrefix("0x") ? T(text.dropFirst(2), radix: 16) : nil)
    }
}
