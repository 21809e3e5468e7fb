import Engine
import Foundation
import Lessons
import Transport

/// The REPL's `connect` and `listen`: a real server or client behind TCP or TLS, as a `RemotePeer`
/// for the lab.
final class SocketPeer: RemotePeer, @unchecked Sendable {
    let stream: ByteStream
    private(set) var isClosed = false

    init(_ stream: ByteStream) { self.stream = stream }

    static func connect(_ url: String) throws -> (peer: RemotePeer, authority: String) {
        let target: Target
        do {
            target = try Target(url)
        } catch {
            throw CommandError("\(error)", hint: "example: connect http://127.0.0.1:8080")
        }
        do {
            // A lab talks to test servers with self-signed certificates: no verification here.
            return (SocketPeer(try target.open(verify: false).stream), target.authority)
        } catch {
            throw CommandError(error.message)
        }
    }

    /// Listens on 127.0.0.1 for one client that speaks HTTP/2 (over TLS: one that chose ALPN h2),
    /// saying where to point it through `announce`. Connections that cannot be HTTP/2 (a failed
    /// handshake, ALPN http/1.1) are closed with a word and the wait goes on, so that a browser's
    /// certificate warning or a retry does not end it. Ctrl-C (`interrupted`) ends the wait.
    static func listen(_ request: Session.ListenRequest, announce: (String) -> Void,
                       interrupted: @Sendable () -> Bool) throws -> (peer: RemotePeer, name: String, more: RemoteAcceptor?) {
        var context: TLSContext?
        var fingerprint = ""
        if request.tls {
            do {
                if let cert = request.cert, let key = request.key {
                    context = try TLSContext.server(certificate: cert, key: key)
                    fingerprint = TLSContext.fingerprint(of: cert) ?? "(unknown)"
                } else {
                    let made = try labCertificate()
                    context = try TLSContext.server(certificate: made.certificate, key: made.key)
                    fingerprint = made.fingerprint
                }
            } catch {
                throw CommandError("cannot set up TLS: \(error)", hint: request.cert == nil ? nil : "--cert and --key name PEM files")
            }
        }
        let listener: TCPSocket
        do {
            listener = try TCPSocket.listen(host: "127.0.0.1", port: request.port, backlog: 4)
        } catch {
            throw CommandError("cannot listen on 127.0.0.1:\(request.port): \(error)", hint: "`listen --port 0` picks a free port")
        }
        var keep = false
        defer { if !keep { listener.close() } }
        let base = "\(context == nil ? "http" : "https")://127.0.0.1:\(listener.localPort)"
        if context != nil {
            announce("listening on \(base)/ (TLS, ALPN h2); " + (request.cert == nil ? "h2lab's self-signed certificate" : "the certificate in \(request.cert ?? "")") + ", SHA-256:")
            announce(fingerprint)
            announce("Open \(base)/html in a browser (accept the certificate warning),")
            announce("or run `curl -k \(base)/json`.")
        } else {
            announce("listening on \(base)/ (h2c with prior knowledge; a browser needs `listen --tls`).")
            announce("Try `curl --http2-prior-knowledge \(base)/json`")
            announce("or `nghttp -v \(base)/json`.")
        }
        announce("Waiting for one client" + (request.timeout.map { " for up to \(Self.seconds($0))" } ?? "") + "; Ctrl-C stops waiting.")
        let deadline = request.timeout.map { Date().addingTimeInterval($0) }
        while !interrupted() {
            if let deadline, Date() >= deadline {
                throw CommandError("stopped listening: no client came within \(Self.seconds(request.timeout ?? 0))")
            }
            let accepted: TCPSocket?
            do {
                accepted = try listener.accept(milliseconds: 200)
            } catch {
                throw CommandError("\(error)")
            }
            guard let socket = accepted else { continue }
            if let peer = SocketAcceptor.admit(socket, context: context, timeoutMilliseconds: 10_000, say: { text, admitted in
                announce(admitted ? text : text + "; still waiting.")
            }) {
                keep = true
                return (peer, socket.peerAddress, SocketAcceptor(listener: listener, context: context))
            }
        }
        throw CommandError("stopped listening: no client came")
    }

    static func seconds(_ value: Double) -> String { value == value.rounded() ? "\(Int(value)) s" : "\(value) s" }

    func send(_ bytes: [UInt8]) {
        guard !isClosed else { return }
        if (try? stream.write(bytes)) == nil { isClosed = true }
    }

    func receive(waitMilliseconds: Int32) -> [UInt8]? {
        guard !isClosed, stream.waitReadable(milliseconds: waitMilliseconds) else { return nil }
        guard let bytes = try? stream.read(maximum: 65_536), !bytes.isEmpty else {
            isClosed = true
            return nil
        }
        return bytes
    }

    func close() {
        isClosed = true
        stream.close()
    }
}

/// Goes on accepting clients on a `listen` or `proxy` socket after the first, without waiting.
final class SocketAcceptor: RemoteAcceptor, @unchecked Sendable {
    private let listener: TCPSocket
    private let context: TLSContext?
    private var closed = false

    init(listener: TCPSocket, context: TLSContext?) {
        self.listener = listener
        self.context = context
    }

    func next(say: (String) -> Void) -> (peer: RemotePeer, name: String)? {
        while !closed, let socket = (try? listener.accept(milliseconds: 0)) ?? nil {
            if let peer = Self.admit(socket, context: context, timeoutMilliseconds: 2_000, say: { text, _ in say(text) }) {
                return (peer, socket.peerAddress)
            }
        }
        return nil
    }

    /// A connected socket as a peer: as it is for h2c; over TLS, once the handshake is done and the
    /// client chose h2 (else closed). `say` hears how it went, and whether it was admitted.
    static func admit(_ socket: TCPSocket, context: TLSContext?, timeoutMilliseconds: Int32,
                      say: (String, Bool) -> Void) -> RemotePeer? {
        let name = socket.peerAddress
        guard let context else { return SocketPeer(socket) }
        do {
            let secure = try TLSStream.accept(socket, context: context, timeoutMilliseconds: timeoutMilliseconds)
            guard secure.alpn == "h2" else {
                let chose = secure.alpn.isEmpty ? "no ALPN protocol" : "ALPN \(secure.alpn)"
                say("a client from \(name) chose \(chose), not h2: closed it", false)
                secure.close()
                return nil
            }
            say("a client from \(name): \(secure.version) \(secure.cipher), ALPN h2"
                + (secure.meetsRFC9113 ? "" : " (short of RFC 9113 §9.2; the lab goes on anyway)"), true)
            return SocketPeer(secure)
        } catch {
            // A browser meeting an unknown certificate aborts the handshake until it is accepted.
            say("a TLS handshake from \(name) failed (\(error))", false)
            return nil
        }
    }

    func close() {
        guard !closed else { return }
        closed = true
        listener.close()
    }
}
