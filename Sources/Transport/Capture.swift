import Engine
import Foundation

/// A pcapng file that several connections write into at once: each connection is a synthetic TCP
/// conversation with the real ports, timestamps in microseconds since the capture began.
public final class CaptureFile: @unchecked Sendable {
    let lock = NSLock()
    let handle: FileHandle
    var capture = PcapNG()
    var written = 0
    let start = Date()

    /// Creates (or empties) the file; throws if it cannot be written.
    public init(path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw SocketError(operation: "create \(path)", code: errno)
        }
        handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        flushLocked()
    }

    public var microseconds: UInt64 { UInt64(max(0, Date().timeIntervalSince(start)) * 1_000_000) }

    /// Runs `body` on the capture under the lock, then appends what it added to the file.
    func record(_ body: (inout PcapNG, UInt64) -> Void) {
        lock.lock()
        defer { lock.unlock() }
        body(&capture, microseconds)
        flushLocked()
    }

    private func flushLocked() {
        let bytes = capture.bytes
        guard bytes.count > written else { return }
        try? handle.write(contentsOf: bytes[written...])
        written = bytes.count
        // Keep memory bounded: what is on disk need not stay in the builder.
        if written > 1 << 20 {
            capture.dropWritten()
            written = 0
        }
    }

    public func close() {
        lock.lock()
        try? handle.close()
        lock.unlock()
    }
}

/// A byte stream that records what passes through it, in both directions, into a capture.
public final class CapturingStream: ByteStream, @unchecked Sendable {
    let inner: ByteStream
    let file: CaptureFile
    var conversation: PcapNG.Conversation
    /// Whether this end is the client (what it writes, the client sent).
    let isClient: Bool

    public init(_ inner: ByteStream, file: CaptureFile, clientPort: UInt16, serverPort: UInt16, isClient: Bool = false) {
        self.inner = inner
        self.file = file
        self.isClient = isClient
        conversation = PcapNG.Conversation(clientPort: clientPort, serverPort: serverPort)
        file.record { capture, time in capture.open(&conversation, microseconds: time) }
    }

    public func read(maximum: Int) throws -> [UInt8]? {
        let bytes = try inner.read(maximum: maximum)
        if let bytes, !bytes.isEmpty {
            file.record { capture, time in capture.send(&conversation, fromClient: !isClient, bytes, microseconds: time) }
        }
        return bytes
    }

    public func write(_ bytes: [UInt8]) throws {
        try inner.write(bytes)
        file.record { capture, time in capture.send(&conversation, fromClient: isClient, bytes, microseconds: time) }
    }

    public func waitReadable(milliseconds: Int32) -> Bool { inner.waitReadable(milliseconds: milliseconds) }

    public func finishWriting() -> TCPSocket { inner.finishWriting() }

    public func close() {
        file.record { capture, time in capture.close(&conversation, microseconds: time) }
        inner.close()
    }
}

/// A TLS connection's records and secrets, watched below TLS (OpenSSL's socket BIO callback and
/// key log), into a capture: the records as a TCP conversation, the secrets in a Decryption
/// Secrets Block, so Wireshark decrypts and decodes the HTTP/2 inside with no setup.
public final class WireTap: @unchecked Sendable {
    let file: CaptureFile
    var conversation: PcapNG.Conversation
    let isClient: Bool
    var closed = false
    /// Until the handshake is done, records and secrets wait here, so that the file gives the
    /// secrets (in one Decryption Secrets Block) before the records they decrypt.
    var held: [(fromClient: Bool, data: [UInt8], time: UInt64)]? = []
    var secrets = ""
    let opened: UInt64

    public init(file: CaptureFile, clientPort: UInt16, serverPort: UInt16, isClient: Bool) {
        self.file = file
        self.isClient = isClient
        conversation = PcapNG.Conversation(clientPort: clientPort, serverPort: serverPort)
        opened = file.microseconds
    }

    func bytes(sent: Bool, _ data: [UInt8]) {
        guard !data.isEmpty else { return }
        if held != nil {
            held?.append((sent == isClient, data, file.microseconds))
            return
        }
        file.record { capture, time in capture.send(&conversation, fromClient: sent == isClient, data, microseconds: time) }
    }

    func secret(_ line: String) {
        if held != nil {
            secrets += line + "\n"
        } else {
            file.record { capture, _ in capture.addTLSSecrets(line + "\n") }
        }
    }

    /// The handshake is over: the secrets, then the records so far, go into the file.
    func handshakeDone() {
        guard let records = held else { return }
        held = nil
        file.record { capture, _ in
            if !secrets.isEmpty { capture.addTLSSecrets(secrets) }
            capture.open(&conversation, microseconds: opened)
            for record in records { capture.send(&conversation, fromClient: record.fromClient, record.data, microseconds: record.time) }
        }
    }

    func close() {
        guard !closed else { return }
        handshakeDone()
        closed = true
        file.record { capture, time in capture.close(&conversation, microseconds: time) }
    }
}
