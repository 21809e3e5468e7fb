import COpenSSL
import Engine
#if canImport(Glibc)
import Glibc
#endif

/// A TLS failure, with OpenSSL's words.
public struct TLSError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }

    static func last(_ what: String) -> TLSError {
        var buffer = [CChar](repeating: 0, count: 256)
        h2lab_error(&buffer, Int32(buffer.count))
        return TLSError(message: "\(what): " + String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }
}

/// An OpenSSL context: the server's certificate, or a client's verification choice. Offers ALPN
/// `h2` and `http/1.1`; TLS 1.2+ with the cipher rules of RFC 9113 §9.2; honours SSLKEYLOGFILE.
public final class TLSContext: @unchecked Sendable {
    let context: OpaquePointer

    public static func server(certificate: String, key: String) throws -> TLSContext {
        _ = h2lab_wire_index()  // made once, before any connection's thread asks for it
        guard let context = h2lab_server_context(certificate, key) else { throw TLSError.last("loading \(certificate) and \(key)") }
        return TLSContext(context)
    }

    public static func client(verify: Bool) throws -> TLSContext {
        guard let context = h2lab_client_context(verify ? 1 : 0) else { throw TLSError.last("creating a TLS client context") }
        return TLSContext(context)
    }

    init(_ context: OpaquePointer) { self.context = context }
    deinit { SSL_CTX_free(context) }

    /// A self-signed certificate for localhost and 127.0.0.1, kept in `directory` so a browser's
    /// exception survives restarts; created (in process) if missing. Returns the paths and the
    /// certificate's SHA-256 fingerprint.
    public static func selfSigned(in directory: String) throws -> (certificate: String, key: String, fingerprint: String) {
        let certificate = directory + "/localhost-cert.pem", key = directory + "/localhost-key.pem"
        var digest = [UInt8](repeating: 0, count: 32)
        if access(certificate, R_OK) != 0 || access(key, R_OK) != 0 || h2lab_fingerprint(certificate, &digest) != 1 {
            _ = mkdir(directory, 0o700)
            guard h2lab_make_self_signed(certificate, key, &digest) == 1 else { throw TLSError.last("making a self-signed certificate in \(directory)") }
            chmod(key, 0o600)
        }
        return (certificate, key, Hex.encode(digest, separator: ":").uppercased())
    }

    public static func fingerprint(of certificate: String) -> String? {
        var digest = [UInt8](repeating: 0, count: 32)
        guard h2lab_fingerprint(certificate, &digest) == 1 else { return nil }
        return Hex.encode(digest, separator: ":").uppercased()
    }
}

/// TLS over a TCP socket: the handshake, then bytes. No protocol logic.
public final class TLSStream: ByteStream, @unchecked Sendable {
    let socket: TCPSocket
    let ssl: OpaquePointer
    let context: TLSContext
    public private(set) var alpn = ""
    public private(set) var version = ""
    public private(set) var cipher = ""
    /// The capture this connection's records and secrets go to, if any.
    let tap: WireTap?
    let wire: UnsafeMutablePointer<h2lab_wire>?
    /// Seconds a read may wait for the rest of a record, or a write for the peer to take octets,
    /// before it fails: a peer that sends half a record, or stops reading, cannot hold the
    /// connection's thread for longer (a server sets its idle timeout here).
    public var timeout: Double = 60

    /// Completes the server side of a handshake on an accepted socket.
    public static func accept(_ socket: TCPSocket, context: TLSContext, timeoutMilliseconds: Int32 = 10_000,
                              tap: WireTap? = nil) throws -> TLSStream {
        let stream = try TLSStream(socket, context, tap: tap)
        try stream.handshake(server: true, timeout: timeoutMilliseconds)
        return stream
    }

    /// Completes the client side of a handshake (SNI and, when verifying, the host name check).
    public static func connect(_ socket: TCPSocket, context: TLSContext, host: String, timeoutMilliseconds: Int32 = 10_000,
                               tap: WireTap? = nil) throws -> TLSStream {
        let stream = try TLSStream(socket, context, tap: tap)
        h2lab_set_sni(stream.ssl, host)
        try stream.handshake(server: false, timeout: timeoutMilliseconds)
        return stream
    }

    init(_ socket: TCPSocket, _ context: TLSContext, tap: WireTap? = nil) throws {
        guard let ssl = SSL_new(context.context) else { throw TLSError.last("SSL_new") }
        self.socket = socket
        self.ssl = ssl
        self.context = context
        self.tap = tap
        SSL_set_fd(ssl, socket.fd)
        wire = tap.map { watchWire(ssl, $0) }
        // Non-blocking underneath: OpenSSL then says WANT_READ/WANT_WRITE instead of blocking in
        // read(2) or send(2), and every wait below has a deadline (on a blocking socket a handshake
        // or a half record held the thread for as long as the peer liked). Writes may complete in
        // part and resume from a buffer that has moved.
        _ = fcntl(socket.fd, F_SETFL, fcntl(socket.fd, F_GETFL) | O_NONBLOCK)
        _ = SSL_ctrl(ssl, SSL_CTRL_MODE, Int(SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER), nil)
    }

    deinit {
        SSL_free(ssl)
        wire?.deallocate()
        tap?.close()
    }

    /// The whole handshake must finish within `timeout` milliseconds, however the peer dribbles it.
    func handshake(server: Bool, timeout: Int32) throws {
        let deadline = ServerConnection.now() + Double(timeout) / 1_000
        while true {
            let result = server ? SSL_accept(ssl) : SSL_connect(ssl)
            if result == 1 { break }
            let error = SSL_get_error(ssl, result)
            if error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE {
                guard socket.wait(writable: error == SSL_ERROR_WANT_WRITE, until: deadline) else {
                    throw TLSError(message: "TLS handshake timed out")
                }
                continue
            }
            throw TLSError.last("TLS handshake")
        }
        var buffer = [CChar](repeating: 0, count: 64)
        let n = h2lab_alpn(ssl, &buffer, Int32(buffer.count))
        alpn = String(decoding: buffer.prefix(Int(n)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        version = String(cString: SSL_get_version(ssl))
        tap?.handshakeDone()
        if let name = SSL_CIPHER_get_name(SSL_get_current_cipher(ssl)) { cipher = String(cString: name) }
    }

    /// The SHA-256 digest of the peer's certificate (what `h2lab class` prints as its
    /// fingerprint), after the handshake; nil if the peer sent none.
    public var peerCertificateDigest: [UInt8]? {
        guard let certificate = SSL_get1_peer_certificate(ssl) else { return nil }
        defer { X509_free(certificate) }
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        guard X509_digest(certificate, EVP_sha256(), &digest, &length) == 1, length == 32 else { return nil }
        return digest
    }

    /// RFC 9113 §9.2: TLS 1.2 or later; for TLS 1.2, an ephemeral key exchange and an AEAD cipher
    /// (§9.2.2 forbids the rest). Anything else gets GOAWAY INADEQUATE_SECURITY.
    public static func isAcceptable(version: String, cipher: String) -> Bool {
        switch version {
        case "TLSv1.3": return true
        case "TLSv1.2":
            let ephemeral = cipher.hasPrefix("ECDHE-") || cipher.hasPrefix("DHE-")
            let aead = cipher.contains("GCM") || cipher.contains("CHACHA20") || cipher.contains("CCM")
            return ephemeral && aead
        default: return false
        }
    }

    public var meetsRFC9113: Bool { Self.isAcceptable(version: version, cipher: cipher) }

    /// Reads what is available, waiting at most `timeout` for a record to complete (half a record
    /// and then silence is a read that times out, not a thread held forever).
    public func read(maximum: Int = 65_536) throws -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: max(1, min(maximum, Int(Int32.max))))
        let deadline = ServerConnection.now() + timeout
        while true {
            let n = buffer.withUnsafeMutableBytes { SSL_read(ssl, $0.baseAddress, Int32($0.count)) }
            if n > 0 { return Array(buffer[0..<Int(n)]) }
            let error = SSL_get_error(ssl, n)
            switch error {
            case SSL_ERROR_ZERO_RETURN: return nil
            case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
                guard socket.wait(writable: error == SSL_ERROR_WANT_WRITE, until: deadline) else {
                    throw TLSError(message: "TLS read timed out: no complete record within \(timeout) s")
                }
                continue
            case SSL_ERROR_SYSCALL: return nil
            default: throw TLSError.last("TLS read")
            }
        }
    }

    /// Writes all of `bytes`; fails once the peer has taken nothing for `timeout` (a peer that stops
    /// reading: the socket's send timeout makes OpenSSL say WANT_WRITE, which was retried forever).
    public func write(_ bytes: [UInt8]) throws {
        var offset = 0
        var deadline = ServerConnection.now() + timeout
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { raw -> Int32 in
                guard let base = raw.baseAddress else { return 0 }
                return SSL_write(ssl, base + offset, Int32(min(bytes.count - offset, Int(Int32.max))))
            }
            if n > 0 {
                offset += Int(n)
                deadline = ServerConnection.now() + timeout
                continue
            }
            let error = SSL_get_error(ssl, n)
            if error == SSL_ERROR_WANT_WRITE || error == SSL_ERROR_WANT_READ {
                guard socket.wait(writable: error == SSL_ERROR_WANT_WRITE, until: deadline) else {
                    throw TLSError(message: "TLS write timed out: the peer took nothing for \(timeout) s")
                }
                continue
            }
            throw TLSError.last("TLS write")
        }
    }

    public func waitReadable(milliseconds: Int32) -> Bool {
        SSL_pending(ssl) > 0 || socket.waitReadable(milliseconds: milliseconds)
    }

    public func close() {
        SSL_shutdown(ssl)
        socket.close()
        tap?.close()
    }
}

/// Hands `ssl`'s socket records (OpenSSL's BIO callback) and its secrets (key log) to `tap`. The
/// returned hook must outlive the session; the caller deallocates it after SSL_free.
func watchWire(_ ssl: OpaquePointer, _ tap: WireTap) -> UnsafeMutablePointer<h2lab_wire> {
    let wire = UnsafeMutablePointer<h2lab_wire>.allocate(capacity: 1)
    wire.initialize(to: h2lab_wire(
        bytes: { context, sent, data, length in
            guard let context, let data else { return }
            Unmanaged<WireTap>.fromOpaque(context).takeUnretainedValue()
                .bytes(sent: sent != 0, Array(UnsafeBufferPointer(start: data, count: length)))
        },
        secret: { context, line in
            guard let context, let line else { return }
            Unmanaged<WireTap>.fromOpaque(context).takeUnretainedValue().secret(String(cString: line))
        },
        context: Unmanaged.passUnretained(tap).toOpaque()))
    h2lab_watch_wire(ssl, wire)
    return wire
}
