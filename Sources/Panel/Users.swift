import Foundation

/// The panel's administrators: one `name:hash` line each (`PasswordHash.encoded`) in a file only
/// its owner may read (mode 0600). No password is ever stored or logged.
public struct UserStore: Sendable {
    public let path: String
    public private(set) var users: [String: PasswordHash] = [:]

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        public init(description: String) { self.description = description }
    }

    /// The default file: $XDG_CONFIG_HOME/h2lab/panel-users (or ~/.config/h2lab/panel-users).
    public static var defaultPath: String {
        let environment = ProcessInfo.processInfo.environment
        let config = environment["XDG_CONFIG_HOME"] ?? ((environment["HOME"] ?? ".") + "/.config")
        return config + "/h2lab/panel-users"
    }

    /// Reads the file; a missing file is an empty store. A malformed line is an error naming it.
    public init(path: String) throws(Failure) {
        self.path = path
        guard FileManager.default.fileExists(atPath: path) else { return }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw Failure(description: "cannot read \(path)")
        }
        for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":"), let hash = PasswordHash(encoded: String(line[line.index(after: colon)...]))
            else { throw Failure(description: "\(path):\(n + 1): not a user line (name:pbkdf2-sha256$…)") }
            users[String(line[..<colon])] = hash
        }
    }

    /// A user name: 1 to 64 letters, digits, '.', '_' or '-'.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64 && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }
    }

    /// Sets a user's password and writes the file (created mode 0600, replaced atomically).
    public mutating func setPassword(_ user: String, _ password: String, iterations: Int = PasswordHash.defaultIterations) throws(Failure) {
        guard Self.isValidName(user) else { throw Failure(description: "a user name is 1-64 letters, digits, '.', '_' or '-'") }
        guard password.count >= 8 else { throw Failure(description: "a password needs at least 8 characters") }
        guard let hash = PasswordHash.make(password, iterations: iterations) else { throw Failure(description: "OpenSSL could not hash the password") }
        users[user] = hash
        try save()
    }

    func save() throws(Failure) {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                     attributes: [.posixPermissions: 0o700])
        }
        let text = users.keys.sorted().map { "\($0):\(users[$0]?.encoded ?? "")\n" }.joined()
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw Failure(description: "cannot write \(path): \(String(cString: strerror(errno)))") }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        fchmod(fd, 0o600)
        close(fd)
        guard written == bytes.count, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw Failure(description: "cannot write \(path)")
        }
    }

    /// Checks a password; an unknown user costs the same hashing time as a known one.
    public func verify(_ user: String, _ password: String) -> Bool {
        guard let hash = users[user] else {
            _ = Self.dummy.matches(password)
            return false
        }
        return hash.matches(password)
    }

    static let dummy = PasswordHash(iterations: PasswordHash.defaultIterations, salt: Array(repeating: 7, count: 16),
                                    hash: Array(repeating: 0, count: 32))
}
