import COpenSSL

/// SHA-256 (FIPS 180-4) from OpenSSL's libcrypto, for the demo site's /upload report: the digest of
/// the octets it received, which a client can compare with its own (`sha256sum`). The engine does no
/// I/O; hashing is computation, so it may use the library the rest of H2Lab uses for cryptography.
public enum SHA256 {
    /// The digest of `bytes` as 64 lowercase hexadecimal digits.
    public static func hex<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        Hex.encode(digest(bytes))
    }

    /// The 32-octet digest of `bytes`. OpenSSL's one-shot EVP_Digest cannot fail for SHA-256 on
    /// memory it is given; if it ever reports failure the digest is all zeros, which no upload's
    /// report would match, rather than a trap.
    public static func digest<C: Collection>(_ bytes: C) -> [UInt8] where C.Element == UInt8 {
        var out = [UInt8](repeating: 0, count: 32)
        let ok = bytes.withContiguousStorageIfAvailable { input in
            EVP_Digest(input.baseAddress, input.count, &out, nil, EVP_sha256(), nil)
        } ?? Array(bytes).withUnsafeBufferPointer { input in
            EVP_Digest(input.baseAddress, input.count, &out, nil, EVP_sha256(), nil)
        }
        return ok == 1 ? out : [UInt8](repeating: 0, count: 32)
    }
}
