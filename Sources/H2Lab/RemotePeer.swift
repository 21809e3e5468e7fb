import Engine
import Foundation
import Lessons
import Transport

/// The REPL's `connect`: a real server behind TCP or TLS, as a `RemotePeer` for the lab.
final class SocketPeer: RemotePeer, @unchecked Sendable {
    let stream: ByteStream
    private(set) var closed = false

    init(_ stream: ByteStream) { self.stream = stream }

    static func connect(_ url: String) throws -> (peer: RemotePeer, authority: String) {
        let target: Target
        do {
            target = try Target(url)
        } catch {
            throw CommandError("not a URL: \(url)", hint: "example: connect http://127.0.0.1:8080")
        }
        let socket: TCPSocket
        do {
            socket = try TCPSocket.connect(host: target.host, port: target.port)
        } catch {
            throw CommandError("cannot connect to \(target.authority): \(error)")
        }
        guard target.scheme == "https" else { return (SocketPeer(socket), target.authority) }
        do {
            // A lab talks to test servers with self-signed certificates: no verification here.
            let tls = try TLSStream.connect(socket, context: try TLSContext.client(verify: false), host: target.host)
            guard tls.alpn == "h2" else { throw CommandError("\(target.authority) did not agree to h2 (ALPN: \(tls.alpn))") }
            return (SocketPeer(tls), target.authority)
        } catch let error as CommandError {
            throw error
        } catch {
            throw CommandError("TLS with \(target.authority) failed: \(error)")
        }
    }

    func send(_ bytes: [UInt8]) {
        guard !closed else { return }
        if (try? stream.write(bytes)) == nil { closed = true }
    }

    func receive(waitMilliseconds: Int32) -> [UInt8]? {
        guard !closed, stream.waitReadable(milliseconds: waitMilliseconds) else { return nil }
        guard let bytes = try? stream.read(maximum: 65_536), !bytes.isEmpty else {
            closed = true
            return nil
        }
        return bytes
    }

    func close() {
        closed = true
        stream.close()
    }
}
