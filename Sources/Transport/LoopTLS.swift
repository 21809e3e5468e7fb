import COpenSSL
import Engine

/// A server-side TLS session on a non-blocking socket, stepped by the event loop.
final class LoopTLS {
    enum Step { case done, wantRead, wantWrite, failed }

    let ssl: OpaquePointer
    private(set) var alpn = ""
    private(set) var version = ""
    private(set) var cipher = ""
    /// The capture's hook on the session's records and secrets, if one is kept.
    private let wire: UnsafeMutablePointer<h2lab_wire>?
    /// The capture itself, kept alive as long as the session: the hook holds it unretained, and
    /// OpenSSL may call it until SSL_free (a shutdown's close_notify, say).
    private let tap: WireTap?

    init?(fd: Int32, context: TLSContext, tap: WireTap? = nil) {
        guard let ssl = SSL_new(context.context) else { return nil }
        self.ssl = ssl
        self.tap = tap
        SSL_set_fd(ssl, fd)
        wire = tap.map { watchWire(ssl, $0) }
        SSL_set_accept_state(ssl)
        // Writes may complete in part, and may resume from a buffer that has moved.
        _ = SSL_ctrl(ssl, SSL_CTRL_MODE, Int(SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER), nil)
    }

    deinit {
        SSL_free(ssl)
        wire?.deallocate()
    }

    func handshake() -> Step {
        let result = SSL_do_handshake(ssl)
        if result == 1 {
            var buffer = [CChar](repeating: 0, count: 64)
            let n = h2lab_alpn(ssl, &buffer, Int32(buffer.count))
            alpn = String(decoding: buffer.prefix(Int(n)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            version = String(cString: SSL_get_version(ssl))
            if let name = SSL_CIPHER_get_name(SSL_get_current_cipher(ssl)) { cipher = String(cString: name) }
            return .done
        }
        switch SSL_get_error(ssl, result) {
        case SSL_ERROR_WANT_READ: return .wantRead
        case SSL_ERROR_WANT_WRITE: return .wantWrite
        default: return .failed
        }
    }

    /// Whether OpenSSL holds decrypted octets that epoll cannot see (the rest of a record read).
    var hasPending: Bool { SSL_pending(ssl) > 0 }

    /// Decrypted octets into `buffer`: the count, 0 at the end, -1 for "not now".
    func read(_ buffer: UnsafeMutableRawBufferPointer) -> Int {
        let n = SSL_read(ssl, buffer.baseAddress, Int32(buffer.count))
        if n > 0 { return Int(n) }
        switch SSL_get_error(ssl, n) {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE: return -1
        default: return 0
        }
    }

    /// Octets of `bytes` taken: the count, 0 when the connection failed, -1 for "not now".
    func write(_ bytes: UnsafeRawBufferPointer) -> Int {
        guard !bytes.isEmpty else { return -1 }
        let n = SSL_write(ssl, bytes.baseAddress, Int32(min(bytes.count, Int(Int32.max))))
        if n > 0 { return Int(n) }
        switch SSL_get_error(ssl, n) {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE: return -1
        default: return 0
        }
    }

    func shutdown() { SSL_shutdown(ssl) }
}
