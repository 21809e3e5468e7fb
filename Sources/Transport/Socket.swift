#if canImport(Glibc)
import CSystem
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// A failure of the operating system's socket calls, with what was being done.
public struct SocketError: Error, CustomStringConvertible, Sendable {
    public var operation: String
    public var code: Int32
    public init(operation: String, code: Int32) {
        self.operation = operation
        self.code = code
    }
    public var description: String { "\(operation): \(String(cString: strerror(code)))" }
}

/// `seconds` as a poll(2) timeout in milliseconds, whatever the value: negative or not a number is 0,
/// anything past Int32's range is its maximum (about 24 days). No conversion that can trap.
public func pollMilliseconds(_ seconds: Double) -> Int32 {
    guard seconds > 0 else { return 0 }
    return seconds * 1_000 >= Double(Int32.max) ? Int32.max : Int32((seconds * 1_000).rounded(.up))
}

/// Something that moves bytes: a TCP socket, or TLS over one. No protocol logic.
public protocol ByteStream: AnyObject, Sendable {
    /// Reads what is available (blocking until something is); nil at end of stream.
    func read(maximum: Int) throws -> [UInt8]?
    func write(_ bytes: [UInt8]) throws
    /// Waits up to `milliseconds` for input; true if a read would not block.
    func waitReadable(milliseconds: Int32) -> Bool
    func close()
    /// Ends our sending side, the peer still able to send: over TLS a close_notify first (RFC 8446
    /// §6.1), then a FIN. Returns the TCP socket underneath, whose input a lingering close reads and
    /// drops (ServerConnection.lingeringClose).
    func finishWriting() -> TCPSocket
}

/// A connected or listening TCP socket (IPv4). Blocking I/O; one owner at a time.
public final class TCPSocket: ByteStream, @unchecked Sendable {
    public let fd: Int32
    /// Whether `fd` is closed; its lock also keeps `shutdownReading()` (another thread's eviction)
    /// from touching a descriptor that was closed and reused.
    private let closed = Mutex(false)

    init(fd: Int32) { self.fd = fd }
    deinit { close() }

    /// Listens on host:port (host is an IPv4 address; 127.0.0.1 by default). Port 0 picks a free port.
    /// With `reusePort`, other sockets made the same way may listen on the same port, and the
    /// kernel spreads new connections over them (SO_REUSEPORT): one per event loop.
    public static func listen(host: String = "127.0.0.1", port: UInt16, backlog: Int32 = 128, reusePort: Bool = false) throws -> TCPSocket {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SocketError(operation: "socket", code: errno) }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        if reusePort { setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &yes, socklen_t(MemoryLayout<Int32>.size)) }
        var address = try Self.address(host, port)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else {
            let code = errno
            Glibc.close(fd)
            throw SocketError(operation: "bind \(host):\(port)", code: code)
        }
        guard Glibc.listen(fd, backlog) == 0 else {
            let code = errno
            Glibc.close(fd)
            throw SocketError(operation: "listen", code: code)
        }
        return TCPSocket(fd: fd)
    }

    /// Connects to host:port (an IPv4 address or "localhost").
    public static func connect(host: String, port: UInt16) throws -> TCPSocket {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SocketError(operation: "socket", code: errno) }
        var address = try Self.address(host, port)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            let code = errno
            Glibc.close(fd)
            throw SocketError(operation: "connect to \(host):\(port)", code: code)
        }
        let socket = TCPSocket(fd: fd)
        socket.setNoDelay()
        return socket
    }

    static func address(_ host: String, _ port: UInt16) throws -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        let name = host == "localhost" ? "127.0.0.1" : host
        guard inet_pton(AF_INET, name, &address.sin_addr) == 1 else {
            throw SocketError(operation: "address \(host) (use an IPv4 address)", code: EINVAL)
        }
        return address
    }

    /// This end's address (`peer` false) or the other end's (IPv4).
    func address(peer: Bool) -> sockaddr_in {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { peer ? getpeername(fd, $0, &length) : getsockname(fd, $0, &length) }
        }
        return address
    }

    /// The port actually bound (useful with port 0).
    public var localPort: UInt16 { UInt16(bigEndian: address(peer: false).sin_port) }

    /// The connected peer's IPv4 address ("127.0.0.1"), without its port.
    public var peerAddress: String { Self.dotted(address(peer: true)) }

    /// The local and peer ports of a connected socket descriptor.
    public static func ports(of fd: Int32) -> (local: UInt16, peer: UInt16) {
        func port(_ peer: Bool) -> UInt16 {
            var address = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { peer ? getpeername(fd, $0, &length) : getsockname(fd, $0, &length) }
            }
            return UInt16(bigEndian: address.sin_port)
        }
        return (port(false), port(true))
    }

    /// The address this end is bound to ("127.0.0.1").
    public var localAddress: String { Self.dotted(address(peer: false)) }

    static func dotted(_ address: sockaddr_in) -> String {
        let octets = withUnsafeBytes(of: address.sin_addr.s_addr) { Array($0) }  // network order
        return octets.map(String.init).joined(separator: ".")
    }

    /// The peer's port (0 if unknown).
    public var peerPort: UInt16 { UInt16(bigEndian: address(peer: true).sin_port) }

    /// Waits up to `milliseconds` for a connection; nil on time-out.
    public func accept(milliseconds: Int32) throws -> TCPSocket? {
        guard waitReadable(milliseconds: milliseconds) else { return nil }
        let client = Glibc.accept(fd, nil, nil)
        guard client >= 0 else {
            if errno == EINTR || errno == EAGAIN || errno == ECONNABORTED { return nil }
            throw SocketError(operation: "accept", code: errno)
        }
        let socket = TCPSocket(fd: client)
        socket.setNoDelay()
        return socket
    }

    /// A send that cannot make progress for this long fails (EAGAIN), so a peer that never reads
    /// cannot block a writer forever.
    /// Any `seconds` is taken: not a number or less than a millisecond is a millisecond, more than a
    /// year is a year (no conversion can trap).
    public func setSendTimeout(seconds: Double) {
        let bounded = seconds.isNaN ? 0.001 : min(max(seconds, 0.001), 366 * 86_400)
        var value = timeval(tv_sec: Int(bounded), tv_usec: Int((bounded - bounded.rounded(.down)) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
    }

    func setNoDelay() {
        var yes: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &yes, socklen_t(MemoryLayout<Int32>.size))
    }

    public func read(maximum: Int = 65_536) throws -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: maximum)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, maximum) }
            if n > 0 { return Array(buffer[0..<n]) }
            if n == 0 { return nil }
            if errno == EINTR { continue }
            if errno == ECONNRESET { return nil }
            throw SocketError(operation: "read", code: errno)
        }
    }

    public func write(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                return send(fd, base + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw SocketError(operation: "write", code: errno)
            }
            offset += n
        }
    }

    /// Waits until the socket is readable (or writable) or `deadline` (ServerConnection.now()'s
    /// clock) passes; false at the deadline.
    public func wait(writable: Bool, until deadline: Double) -> Bool {
        while true {
            let left = deadline - ServerConnection.now()
            guard left > 0 else { return false }
            var descriptor = pollfd(fd: fd, events: Int16(writable ? POLLOUT : POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, pollMilliseconds(left))
            if ready > 0 { return true }
            if ready < 0 && errno != EINTR { return false }
        }
    }

    public func waitReadable(milliseconds: Int32) -> Bool {
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, milliseconds) > 0
    }

    /// Half-closes the sending side, so the peer reads end of stream after what was sent.
    public func shutdownWrite() { shutdown(fd, Int32(SHUT_WR)) }

    public func finishWriting() -> TCPSocket {
        shutdownWrite()
        return self
    }

    public func close() {
        closed.withLock { closed in
            guard !closed else { return }
            closed = true
            Glibc.close(fd)
        }
    }

    /// Ends the reading side from any thread: a thread waiting on the socket wakes and reads end of
    /// stream, while writing still works (a GOAWAY can go out). Nothing happens once it is closed.
    public func shutdownReading() {
        closed.withLock { closed in
            if !closed { shutdown(fd, Int32(SHUT_RD)) }
        }
    }
}
