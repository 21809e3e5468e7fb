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
        do {
            // A lab talks to test servers with self-signed certificates: no verification here.
            return (SocketPeer(try target.open(verify: false).stream), target.authority)
        } catch {
            throw CommandError(error.message)
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
