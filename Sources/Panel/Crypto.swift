import COpenSSL
import Foundation

/// The few cryptographic operations the panel needs, all from OpenSSL (libssl-dev): random octets,
/// PBKDF2-HMAC-SHA256, and a comparison whose time does not depend on where inputs differ.
public enum PanelCrypto {
    /// `count` octets from OpenSSL's CSPRNG; nil if it fails (the caller refuses the request).
    public static func random(_ count: Int) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: count)
        guard RAND_bytes(&bytes, Int32(count)) == 1 else { return nil }
        return bytes
    }

    /// A random token: 256 bits, URL-safe base64 without padding (43 characters).
    public static func token() -> String? { random(32).map(base64URL) }

    /// PBKDF2-HMAC-SHA256 (RFC 8018 §5.2), 32 octets; nil when OpenSSL fails or a count does not
    /// fit OpenSSL's `int` (never a trap, whatever a users file says).
    public static func pbkdf2(_ password: String, salt: [UInt8], iterations: Int) -> [UInt8]? {
        guard let rounds = Int32(exactly: iterations), rounds > 0, let saltLength = Int32(exactly: salt.count) else { return nil }
        var out = [UInt8](repeating: 0, count: 32)
        let ok = password.utf8CString.withUnsafeBufferPointer { chars in
            guard let length = Int32(exactly: chars.count - 1) else { return Int32(0) }
            return PKCS5_PBKDF2_HMAC(chars.baseAddress, length, salt, saltLength, rounds, EVP_sha256(), 32, &out)
        }
        return ok == 1 ? out : nil
    }

    /// Equal in constant time for equal lengths (CRYPTO_memcmp).
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        if a.isEmpty { return true }
        return CRYPTO_memcmp(a, b, a.count) == 0
    }

    public static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

/// A stored password: `pbkdf2-sha256$ITERATIONS$SALT$HASH` (salt and hash in base64).
public struct PasswordHash: Sendable, Equatable {
    /// OWASP's 2023 figure for PBKDF2-HMAC-SHA256.
    public static let defaultIterations = 600_000
    /// The most a users file may ask for: a hundred times the default, about a minute per login
    /// on a slow machine. A larger count is refused as a malformed line, not run (or trapped on).
    public static let maxIterations = 60_000_000

    public var iterations: Int
    public var salt: [UInt8]
    public var hash: [UInt8]

    /// Hashes a new password with a fresh 16-octet salt.
    public static func make(_ password: String, iterations: Int = defaultIterations) -> PasswordHash? {
        guard let salt = PanelCrypto.random(16), let hash = PanelCrypto.pbkdf2(password, salt: salt, iterations: iterations)
        else { return nil }
        return PasswordHash(iterations: iterations, salt: salt, hash: hash)
    }

    public init(iterations: Int, salt: [UInt8], hash: [UInt8]) {
        self.iterations = iterations
        self.salt = salt
        self.hash = hash
    }

    public init?(encoded: String) {
        let parts = encoded.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "pbkdf2-sha256", let iterations = Int(parts[1]),
              (1...Self.maxIterations).contains(iterations),
              let salt = Data(base64Encoded: String(parts[2])), let hash = Data(base64Encoded: String(parts[3])),
              hash.count == 32 else { return nil }
        self.init(iterations: iterations, salt: Array(salt), hash: Array(hash))
    }

    public var encoded: String {
        "pbkdf2-sha256$\(iterations)$\(Data(salt).base64EncodedString())$\(Data(hash).base64EncodedString())"
    }

    public func matches(_ password: String) -> Bool {
        guard let candidate = PanelCrypto.pbkdf2(password, salt: salt, iterations: iterations) else { return false }
        return PanelCrypto.constantTimeEqual(candidate, hash)
    }
}
