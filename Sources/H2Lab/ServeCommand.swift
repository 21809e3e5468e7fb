import ArgumentParser
import Engine
import Foundation
import Lessons
import Transport

/// Set by SIGINT/SIGTERM in `serve`: finish gracefully.
nonisolated(unsafe) var stopRequested: sig_atomic_t = 0

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the demo site over HTTP/2 to real clients (curl, nghttp, h2load, browsers).",
        discussion: """
        Binds 127.0.0.1 unless --host says otherwise. --plain serves h2c with prior knowledge (port 8080 by default). \
        Ctrl-C sends GOAWAY to every client, lets open streams finish, then exits.
        """)

    @Option(help: "Port (default 8080 with --plain, 8443 with TLS; 0 picks a free port).") var port: UInt16?
    @Option(help: "Address to bind.") var host = "127.0.0.1"
    @Flag(help: "Plain TCP (h2c with prior knowledge) instead of TLS.") var plain = false
    @Option(help: "Serve static files from DIR as well as the demo pages.") var root: String?
    @Option(help: "Trace level: off, frames, all.") var trace: TraceLevel = .off
    @Flag(help: "Write the trace as one JSON object per line.") var json = false
    @Flag(help: "Do not answer /.well-known/h2/state with the connection's state (draft-benfield-http2-debug-state).")
    var noDebugState = false
    @Option(help: "Write the bound port to FILE once listening (for scripts and tests).") var portFile: String?
    @Option(help: "TLS certificate (PEM). Without --cert/--key a self-signed one for localhost is made and kept.") var cert: String?
    @Option(help: "TLS private key (PEM).") var key: String?

    enum TraceLevel: String, ExpressibleByArgument, CaseIterable { case off, frames, all }

    func run() throws {
        var tls: TLSContext?
        if !plain {
            do {
                tls = try tlsContext()
            } catch {
                warn("error: \(error)")
                throw ExitCode(1)
            }
        }
        var site = DemoSite()
        if let root { site.files = try StaticFiles.load(root) }
        site.debugState = !noDebugState
        let listener: TCPSocket
        do {
            listener = try TCPSocket.listen(host: host, port: port ?? (plain ? 8080 : 8443))
        } catch {
            warn("error: \(error)")
            throw ExitCode(1)
        }
        signal(SIGINT) { _ in stopRequested = 1 }
        signal(SIGTERM) { _ in stopRequested = 1 }
        signal(SIGPIPE, SIG_IGN)
        // A parent may have started us with these blocked (a blocked mask is inherited): unblock them.
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &signals, nil)
        if let portFile { try Data("\(listener.localPort)\n".utf8).write(to: URL(fileURLWithPath: portFile)) }
        let scheme = plain ? "h2c on http" : "h2 (TLS, ALPN h2 and http/1.1) on https"
        warn("h2lab serving \(scheme)://\(host):\(listener.localPort)/  (Ctrl-C stops gracefully)")
        let tracer = trace == .off ? nil : TracePrinter(level: trace, json: json).tracer
        let group = DispatchGroup()
        var next = 0
        while stopRequested == 0 {
            guard let client = try listener.accept(milliseconds: 200) else { continue }
            next += 1
            let id = next
            tracer?(id, .note("connection opened"))
            group.enter()
            Thread.detachNewThread { [site, tls] in
                defer { group.leave() }
                guard let tls else {
                    ServerConnection(stream: client, id: id, site: site, tracer: tracer) { stopRequested != 0 }.run()
                    tracer?(id, .note("connection closed"))
                    return
                }
                do {
                    let secure = try TLSStream.accept(client, context: tls)
                    tracer?(id, .note("TLS \(secure.version) \(secure.cipher), ALPN \(secure.alpn.isEmpty ? "(none)" : secure.alpn)"))
                    let connection = ServerConnection(stream: secure, id: id, site: site, tracer: tracer) { stopRequested != 0 }
                    if secure.alpn == "h2" && !secure.meetsRFC9113 {
                        connection.refuse(.inadequateSecurity, reason: "\(secure.version) \(secure.cipher) breaks RFC 9113 §9.2")
                    } else if secure.alpn == "h2" {
                        connection.runHTTP2()
                    } else {
                        connection.run()
                    }
                } catch {
                    tracer?(id, .note("TLS handshake failed: \(error)"))
                    client.close()
                }
                tracer?(id, .note("connection closed"))
            }
        }
        listener.close()
        group.wait()
        warn("h2lab: all connections finished")
    }
}

extension Serve {
    /// The TLS context: --cert/--key, or a self-signed certificate kept under the cache directory.
    func tlsContext() throws -> TLSContext {
        if let cert, let key {
            if let fingerprint = TLSContext.fingerprint(of: cert) { warn("certificate SHA-256 fingerprint: \(fingerprint)") }
            return try TLSContext.server(certificate: cert, key: key)
        }
        if cert != nil || key != nil { throw ValidationError("--cert and --key go together") }
        let made = try labCertificate()
        warn("self-signed certificate for localhost and 127.0.0.1: \(made.certificate)")
        warn("certificate SHA-256 fingerprint: \(made.fingerprint)")
        return try TLSContext.server(certificate: made.certificate, key: made.key)
    }
}

/// The self-signed certificate for localhost and 127.0.0.1 that `serve` and the REPL's `listen`
/// share, kept under $XDG_CACHE_HOME/h2lab (or ~/.cache/h2lab) so a browser's exception lasts.
func labCertificate() throws -> (certificate: String, key: String, fingerprint: String) {
    let environment = ProcessInfo.processInfo.environment
    let cache = environment["XDG_CACHE_HOME"] ?? ((environment["HOME"] ?? ".") + "/.cache")
    try? FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
    return try TLSContext.selfSigned(in: cache + "/h2lab")
}

/// Static files under --root, with content types by extension.
enum StaticFiles {
    static let types = ["html": "text/html; charset=utf-8", "htm": "text/html; charset=utf-8", "css": "text/css; charset=utf-8",
                        "js": "text/javascript; charset=utf-8", "json": "application/json", "txt": "text/plain; charset=utf-8",
                        "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif", "svg": "image/svg+xml",
                        "ico": "image/x-icon", "wasm": "application/wasm", "pdf": "application/pdf"]

    static func load(_ root: String) throws -> [String: (contentType: String, body: [UInt8])] {
        let base = URL(fileURLWithPath: root).standardizedFileURL
        guard let walker = FileManager.default.enumerator(at: base, includingPropertiesForKeys: [.isRegularFileKey]) else {
            throw ValidationError("cannot read --root \(root)")
        }
        var files: [String: (contentType: String, body: [UInt8])] = [:]
        for case let url as URL in walker {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true,
                  let data = FileManager.default.contents(atPath: url.path) else { continue }
            let path = "/" + url.standardizedFileURL.path.dropFirst(base.path.count).drop { $0 == "/" }
            files[path] = (types[url.pathExtension.lowercased()] ?? "application/octet-stream", Array(data))
        }
        return files
    }
}

/// Formats trace items as text or JSON lines, one writer at a time.
final class TracePrinter: @unchecked Sendable {
    let level: Serve.TraceLevel
    let json: Bool
    let lock = NSLock()

    init(level: Serve.TraceLevel, json: Bool) {
        self.level = level
        self.json = json
    }

    var tracer: Tracer { { [self] id, item in self.print(id, item) } }

    func print(_ id: Int, _ item: TraceItem) {
        var line: String?
        switch item {
        case .received(let frame, let bytes): line = frameLine(id, "←", frame, bytes)
        case .sent(.preface): line = json ? #"{"conn":\#(id),"dir":"out","frame":"preface"}"# : "c\(id) → preface"
        case .sent(.frame(let frame)): line = frameLine(id, "→", frame, 9 + frame.payloadLength)
        case .note(let text): line = json ? #"{"conn":\#(id),"note":\#(quote(text))}"# : "c\(id)   \(text)"
        case .event(let event):
            guard level == .all else { return }
            line = eventLine(id, event)
        }
        guard let line else { return }
        lock.lock()
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
        lock.unlock()
    }

    func frameLine(_ id: Int, _ arrow: String, _ frame: Frame, _ bytes: Int) -> String {
        let flags = frame.type.flagNames(frame.wireFlags)
        if json {
            return #"{"conn":\#(id),"dir":"\#(arrow == "←" ? "in" : "out")","frame":"\#(frame.type.name)","stream":\#(frame.streamID),"#
                + #""flags":[\#(flags.map(quote).joined(separator: ","))],"length":\#(bytes - 9)\#(details(frame, json: true))}"#
        }
        return "c\(id) \(arrow) \(frame.type.name)" + (frame.streamID == 0 ? "" : " stream \(frame.streamID)")
            + (flags.isEmpty ? "" : " [" + flags.joined(separator: " ") + "]") + " \(bytes) bytes" + details(frame, json: false)
    }

    func details(_ frame: Frame, json: Bool) -> String {
        switch frame.payload {
        case .settings(let list) where !list.isEmpty:
            return json ? #","settings":{\#(list.map { "\(quote($0.id.name)):\($0.value)" }.joined(separator: ","))}"#
                : "  " + list.map(\.description).joined(separator: " ")
        case .windowUpdate(let increment): return json ? #","increment":\#(increment)"# : "  increment \(increment)"
        case .rstStream(let code): return json ? #","error":"\#(code.name)""# : "  \(code.name)"
        case .goaway(let last, let code, let debug):
            let text = String(decoding: debug, as: UTF8.self)
            return json ? #","last_stream":\#(last),"error":"\#(code.name)","debug":\#(quote(text))"# : "  last \(last) \(code.name) \(text)"
        case .ping(let opaque): return json ? #","opaque":\#(opaque)"# : "  opaque \(opaque)"
        default: return ""
        }
    }

    func eventLine(_ id: Int, _ event: Event) -> String? {
        switch event {
        case .streamStateChanged(let stream, let from, let to, _):
            return json ? #"{"conn":\#(id),"stream":\#(stream),"from":"\#(from)","to":"\#(to)"}"# : "c\(id)   stream \(stream): \(from) → \(to)"
        case .headersReceived(let stream, let kind, let block):
            if json {
                return #"{"conn":\#(id),"stream":\#(stream),"headers":"\#(kind.rawValue)","fields":[\#(block.fields.map { "[\(quote($0.field.name)),\(quote($0.field.value)),\(quote($0.representation.description))]" }.joined(separator: ","))],"table":\#(block.tableSizeAfter)}"#
            }
            return (["c\(id)   \(kind.rawValue) on stream \(stream), decoder table \(block.tableSizeBefore) → \(block.tableSizeAfter) bytes"]
                + block.fields.map { "c\(id)     \($0.field.name): \($0.field.value)   (\($0.representation))" }).joined(separator: "\n")
        case .windowChanged(let stream, let side, let from, let to):
            return json ? #"{"conn":\#(id),"stream":\#(stream),"window":"\#(side.rawValue)","from":\#(from),"to":\#(to)}"#
                : "c\(id)   \(stream == 0 ? "connection" : "stream \(stream)") \(side.rawValue) window \(from) → \(to)"
        case .remoteSettingsApplied(let list):
            return json ? #"{"conn":\#(id),"settings_applied":[\#(list.map { quote($0.description) }.joined(separator: ","))]}"#
                : "c\(id)   peer settings applied: " + list.map(\.description).joined(separator: " ")
        case .protocolError(let error):
            return json ? #"{"conn":\#(id),"error":"\#(error.code.name)","scope":"\#(error.isConnectionError ? "connection" : "stream")","section":"\#(error.section)","message":\#(quote(error.message))}"#
                : "c\(id)   ✗ \(error)"
        default:
            return nil
        }
    }

    func quote(_ text: String) -> String { JSONView.q(text) }

}
