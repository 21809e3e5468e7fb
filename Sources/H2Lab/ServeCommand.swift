import ArgumentParser
import Engine
import Foundation
import Lessons
import Synchronization
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

    @Option(help: "Port (default 8080 with --plain, 8443 with TLS; 0 picks a free port).", transform: Numbers.port.parse) var port: Int?
    @Option(help: "Address to bind.") var host = "127.0.0.1"
    @Flag(help: "Plain TCP (h2c with prior knowledge) instead of TLS.") var plain = false
    @Option(help: "Serve static files from DIR as well as the demo pages.") var root: String?
    @Option(help: "Trace level: off, frames, all.") var trace: TraceLevel = .off
    @Flag(help: "Write the trace as one JSON object per line.") var json = false
    @Flag(help: "Do not answer /.well-known/h2/state with the connection's state (draft-benfield-http2-debug-state).")
    var noDebugState = false
    @Flag(help: "Send 103 (Early Hints) with link: </styles.css>; rel=preload before /html (RFC 8297).")
    var earlyHints = false
    @Option(help: "Write the bound port to FILE once listening (for scripts and tests).") var portFile: String?
    @Flag(help: "Serve from event loops on epoll, one per core (the default; see --loops).")
    var eventLoop = false
    @Flag(help: "Serve each connection from a thread of its own instead of event loops.")
    var threads = false
    @Option(help: "How many event loops, each a thread on a listener of its own sharing the port (default: one per core).",
            transform: Numbers.loops.parse)
    var loops: Int?
    @Option(help: "Write every connection to FILE as a pcapng capture that Wireshark decodes as HTTP/2 (TLS secrets included).")
    var pcap: String?
    @Option(help: "Seconds a connection may take to send its preface, sit idle with no stream open, leave a header block incomplete, or not read what it is sent.",
            transform: Numbers.seconds.parse)
    var idleTimeout: Double = ServerLimits.standard.idleTimeout
    @Option(help: "Seconds an HTTP/1.1 connection stays open after an answer, waiting for the next request (RFC 9112 §9.3).",
            transform: Numbers.seconds.parse)
    var keepAliveTimeout: Double = ServerLimits.standard.keepAliveTimeout
    @Option(help: "Requests answered on one HTTP/1.1 connection; the last gets connection: close (RFC 9112 §9.6).",
            transform: Numbers.requests.parse)
    var keepAliveRequests: Int = ServerLimits.standard.keepAliveRequests
    @Option(help: """
        Connections served at once; at the limit the idlest is closed (GOAWAY NO_ERROR) to serve a new one \
        (default: the file-descriptor limit, raised to its hard limit, less \(ConnectionBudget.reserve)).
        """, transform: Numbers.connections.parse)
    var maxConnections: Int?
    @Option(help: "Streams a client may reset before their response, per connection, before GOAWAY ENHANCE_YOUR_CALM (CVE-2023-44487).",
            transform: Numbers.perConnection.parse)
    var maxRapidResets: Int = ServerLimits.standard.rapidResets
    @Option(help: "Empty frames (no octets, ending nothing) a client may send per connection before GOAWAY ENHANCE_YOUR_CALM (CVE-2019-9518).",
            transform: Numbers.perConnection.parse)
    var maxEmptyFrames: Int = ServerLimits.standard.emptyFrames
    @Option(help: ArgumentHelp("Streams a client may have open at once (SETTINGS_MAX_CONCURRENT_STREAMS, 1 to 2147483647), enforced from the moment it is sent: more are refused with REFUSED_STREAM.", valueName: "count"))
    var maxConcurrentStreams = Limit(ServerLimits.standard.maxConcurrentStreams)
    @Option(help: ArgumentHelp("The largest header list a client may send, in octets (SETTINGS_MAX_HEADER_LIST_SIZE, 1 to 2147483647).", valueName: "octets"))
    var maxHeaderListSize = Limit(ServerLimits.standard.maxHeaderListSize)
    @Option(help: ArgumentHelp("Octets of request bodies one connection may hold at once (1 to 2147483647); DATA past it is refused on its stream with ENHANCE_YOUR_CALM.", valueName: "octets"))
    var maxBufferedBody = Limit(ServerLimits.standard.maxBufferedBody)
    @Option(help: "TLS certificate (PEM). Without --cert/--key a self-signed one for localhost is made and kept.") var cert: String?
    @Option(help: "TLS private key (PEM).") var key: String?

    enum TraceLevel: String, ExpressibleByArgument, CaseIterable { case off, frames, all }

    /// Options that contradict each other are a usage error (exit status 64), found before anything is bound.
    func validate() throws {
        if threads && (eventLoop || loops != nil) { throw ValidationError("--threads excludes --event-loop and --loops") }
        if (cert == nil) != (key == nil) { throw ValidationError("--cert and --key go together") }
    }

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
        let site = try demoSite()
        let capture = try OutputFiles.capture(pcap)
        let listener: TCPSocket
        do {
            listener = try TCPSocket.listen(host: host, port: UInt16(port ?? (plain ? 8080 : 8443)), reusePort: !threads)
        } catch {
            warn("error: \(error)")
            throw ExitCode(1)
        }
        installStopSignals()
        try OutputFiles.writePort(listener.localPort, to: portFile)
        let scheme = plain ? "h2c on http" : "h2 (TLS, ALPN h2 and http/1.1) on https"
        warn("h2lab serving \(scheme)://\(host):\(listener.localPort)/  (Ctrl-C stops gracefully)")
        let printer = trace == .off ? nil : TracePrinter(level: trace, json: json)
        defer { printer?.flush() }
        let tracer = printer?.tracer
        ConnectionBudget.raiseDescriptorLimit()
        let limits = serverLimits()
        if !threads {
            let count = loops ?? min(256, ProcessInfo.processInfo.activeProcessorCount)
            try EventLoopServer.serve(loops: count, listener: listener, responder: site, limits: limits, tracer: tracer, tls: tls,
                                      capture: capture) { stopRequested != 0 }
            listener.close()
            capture?.close()
            warn("h2lab: all connections finished")
            return
        }
        acceptConnections(on: listener, maxConnections: limits.maxConnections, tracer: tracer) { [site, tls, limits, capture] client, ticket in
            ServerConnection.serve(client, id: ticket.id, tls: tls, responder: site, tracer: tracer, limits: limits,
                                   capture: capture, ticket: ticket) { stopRequested != 0 }
        }
        capture?.close()
        warn("h2lab: all connections finished")
    }
}

extension Serve {
    /// The demo site, with --root's files, the clock for `date`, and --early-hints.
    func demoSite() throws -> DemoSite {
        var site = DemoSite()
        if let root { site.files = try StaticFiles.load(root) }
        site.date = ServeClock.shared.date
        site.debugState = !noDebugState
        site.earlyHints = earlyHints
        return site
    }

    /// --pcap's file, opened before the first connection; exit status 1 if it cannot be written.
    /// The limits the options set (each with its default, issue 23 §3's bounds among them).
    func serverLimits() -> ServerLimits {
        var limits = ServerLimits()
        limits.idleTimeout = idleTimeout
        limits.keepAliveTimeout = keepAliveTimeout
        limits.keepAliveRequests = keepAliveRequests
        limits.maxConnections = maxConnections ?? ConnectionBudget.defaultMaxConnections()
        limits.rapidResets = maxRapidResets
        limits.emptyFrames = maxEmptyFrames
        limits.maxConcurrentStreams = maxConcurrentStreams.value
        limits.maxHeaderListSize = maxHeaderListSize.value
        limits.maxBufferedBody = maxBufferedBody.value
        limits.reportsHeaderBlocks = trace == .all  // only a trace of events prints the reports
        limits.reportsProgress = trace != .off  // frames received reach a trace as events
        return limits
    }

    /// The TLS context: --cert/--key, or a self-signed certificate kept under the cache directory.
    func tlsContext() throws -> TLSContext { try makeTLSContext(cert: cert, key: key) }
}

/// A server's TLS context from --cert/--key, or the self-signed certificate kept under the cache
/// directory; prints the certificate's fingerprint. Shared by `serve` and `panel`.
func makeTLSContext(cert: String?, key: String?) throws -> TLSContext {
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

    /// Every regular file under `root`, read now, with its modification time: never later than
    /// now, as RFC 9110 §8.8.2.1 requires of Last-Modified beside Date.
    static func load(_ root: String) throws -> [String: StaticFile] {
        let base = URL(fileURLWithPath: root).standardizedFileURL
        // The enumerator below walks a missing folder as an empty one: say so instead of serving nothing.
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: base.path, isDirectory: &isFolder), isFolder.boolValue else {
            throw ValidationError("--root \(root) is not a folder")
        }
        let keys: Set<URLResourceKey> = [.isRegularFileKey, .contentModificationDateKey]
        guard let walker = FileManager.default.enumerator(at: base, includingPropertiesForKeys: Array(keys)) else {
            throw ValidationError("cannot read --root \(root)")
        }
        let now = Int(Date().timeIntervalSince1970)
        var files: [String: StaticFile] = [:]
        for case let url as URL in walker {
            guard let values = try? url.resourceValues(forKeys: keys), values.isRegularFile == true,
                  let data = FileManager.default.contents(atPath: url.path) else { continue }
            let path = "/" + url.standardizedFileURL.path.dropFirst(base.path.count).drop { $0 == "/" }
            let modified = values.contentModificationDate.map { min(now, Int($0.timeIntervalSince1970)) }
            files[path] = StaticFile(contentType: types[url.pathExtension.lowercased()] ?? "application/octet-stream",
                                     body: Array(data), lastModified: modified)
        }
        return files
    }
}

/// The time for `serve`'s Date fields (RFC 9110 §6.6.1), as IMF-fixdate, made at most once a
/// second and shared by the event loops (the site itself has no clock: the lab's has none).
final class ServeClock: Sendable {
    static let shared = ServeClock()
    /// The second last formatted, and its text: formatted once a second, shared by the threads
    /// (a `Mutex`, an atomic exchange each way when nobody waits).
    private let latest = Mutex<(second: Int, text: String)>((-1, ""))

    var date: @Sendable () -> String { { [self] in now() } }

    func now() -> String {
        let now = time(nil)
        return latest.withLock { latest in
            if latest.second != now {
                latest = (now, HTTPDate.format(secondsSince1970: now))
            }
            return latest.text
        }
    }
}

/// SIGINT and SIGTERM set `stopRequested` (finish gracefully); SIGPIPE is ignored. A parent may
/// have started us with them blocked (a blocked mask is inherited): they are unblocked.
func installStopSignals() {
    signal(SIGINT) { _ in stopRequested = 1 }
    signal(SIGTERM) { _ in stopRequested = 1 }
    signal(SIGPIPE, SIG_IGN)
    var signals = sigset_t()
    sigemptyset(&signals)
    sigaddset(&signals, SIGINT)
    sigaddset(&signals, SIGTERM)
    pthread_sigmask(SIG_UNBLOCK, &signals, nil)
}

/// Trace lines to standard output from any thread: gathered and written 64 KiB at a time, and at
/// least every 100 ms (a write per line cost the server more than half its speed under load);
/// `flush()` writes the rest at exit.
final class TraceOutput: @unchecked Sendable {
    private let lock = NSLock()
    private var pending: [UInt8] = []

    init() {
        pending.reserveCapacity(1 << 16)
        Thread.detachNewThread { [weak self] in
            while let output = self {
                output.flush()
                usleep(100_000)
            }
        }
    }

    func write(_ line: String) {
        lock.withLock {
            pending += line.utf8
            pending.append(0x0a)
            if pending.count >= 1 << 16 { writePending() }
        }
    }

    /// Writes whatever is gathered.
    func flush() { lock.withLock { writePending() } }

    private func writePending() {
        guard !pending.isEmpty else { return }
        FileHandle.standardOutput.write(Data(pending))
        pending.removeAll(keepingCapacity: true)
    }
}

/// Formats trace items as text or JSON lines onto a `TraceOutput`.
final class TracePrinter: Sendable {
    let formatter: TraceFormatter
    let output = TraceOutput()

    init(level: Serve.TraceLevel, json: Bool) {
        formatter = TraceFormatter(events: level == .all, json: json)
    }

    var tracer: Tracer { { [self] id, item in self.print(id, item) } }

    func print(_ id: Int, _ item: TraceItem) {
        guard let line = formatter.line(id, item) else { return }
        output.write(line)
    }

    func flush() { output.flush() }
}

/// A count or size given to an option: a whole number from 1 to 2^31−1 (what a SETTINGS value or a
/// window may hold). Anything else is refused while the arguments are parsed: a message naming the
/// option, and exit status 64.
struct Limit: ExpressibleByArgument, CustomStringConvertible {
    let value: Int

    init(_ value: Int) { self.value = value }

    init?(argument: String) {
        guard let n = Int(argument), (1...0x7fff_ffff).contains(n) else { return nil }
        value = n
    }

    var description: String { "\(value)" }
    var defaultValueDescription: String { "\(value)" }
}
