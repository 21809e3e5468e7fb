import ArgumentParser
import Engine
import Foundation
import Transport

/// A URL split into what an HTTP/2 request needs.
struct Target {
    var scheme: String
    var host: String
    var port: UInt16
    var path: String

    init(_ text: String) throws {
        guard let url = URLComponents(string: text), let scheme = url.scheme?.lowercased(), let host = url.host, !host.isEmpty else {
            throw ValidationError("not a URL: \(text) (expected http://HOST:PORT/PATH)")
        }
        guard scheme == "http" || scheme == "https" else { throw ValidationError("unsupported scheme \(scheme) in \(text)") }
        self.scheme = scheme
        self.host = host
        // RFC 3986 §3.2.3 allows any digits; a TCP port is 1-65535 (the port, not a trap).
        guard let port = UInt16(exactly: url.port ?? (scheme == "https" ? 443 : 80)), port > 0 else {
            throw ValidationError("the port in \(text) is not 1-65535")
        }
        self.port = port
        let query = url.percentEncodedQuery.map { "?" + $0 } ?? ""
        self.path = (url.percentEncodedPath.isEmpty ? "/" : url.percentEncodedPath) + query
    }

    var authority: String { "\(host):\(port)" }

    /// Why a connection to the target could not be opened, as one line for the user.
    struct ConnectFailure: Error {
        var message: String
        var isCertificateProblem = false
    }

    /// Opens TCP to the target and, for https, TLS that must agree on h2 (ALPN). Used by `get` and
    /// the REPL's `connect`. Returns the stream and a line describing the TLS session, if any.
    func open(verify: Bool, capture: CaptureFile? = nil) throws(ConnectFailure) -> (stream: ByteStream, tls: String?) {
        let socket: TCPSocket
        do {
            socket = try TCPSocket.connect(host: host, port: port)
        } catch {
            throw ConnectFailure(message: "cannot connect to \(authority): \(error)")
        }
        guard scheme == "https" else {
            guard let capture else { return (socket, nil) }
            return (CapturingStream(socket, file: capture, clientPort: socket.localPort, serverPort: socket.peerPort, isClient: true), nil)
        }
        let tls: TLSStream
        do {
            let tap = capture.map { WireTap(file: $0, clientPort: socket.localPort, serverPort: socket.peerPort, isClient: true) }
            tls = try TLSStream.connect(socket, context: try TLSContext.client(verify: verify), host: host, tap: tap)
        } catch {
            throw ConnectFailure(message: "\(authority): \(error)", isCertificateProblem: verify)
        }
        guard tls.alpn == "h2" else {
            throw ConnectFailure(message: "\(authority) does not speak h2 over TLS (ALPN: \(tls.alpn.isEmpty ? "none" : tls.alpn))")
        }
        return (tls, "TLS \(tls.version) \(tls.cipher), ALPN h2")
    }
}

struct Get: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fetch URLs over HTTP/2 (like `nghttp -v`); several URLs share one connection.",
        discussion: "http:// uses h2c with prior knowledge. The response body goes to standard output.")

    @Argument(help: "URLs on one server.") var urls: [String]
    @Option(name: .shortAndLong, help: "POST the contents of FILE (- for standard input).") var data: String?
    @Option(name: .customShort("H"), help: "An extra header, \"name: value\".") var header: [String] = []
    @Option(help: "The most octets of response bodies (pushed ones too) held for one connection; they are printed when the responses end, and DATA past it resets its stream.")
    var maxBody: Int = ClientConnection.defaultMaxBodyOctets
    @Option(help: "Trace level: off, frames, all (to standard error's neighbour, standard output).") var trace: Serve.TraceLevel = .off
    @Flag(help: "Write the trace as JSON lines.") var json = false
    @Flag(help: "h2c Upgrade: send the first request as HTTP/1.1 with Upgrade: h2c (http:// only).") var upgrade = false
    @Flag(name: [.customShort("k"), .long], help: "Do not verify the server's certificate (for self-signed test servers).") var insecure = false
    @Flag(help: "Accept server push (SETTINGS_ENABLE_PUSH 1): pushed responses are listed on standard error.") var push = false
    @Option(help: "Write the connection to FILE as a pcapng capture for Wireshark and tshark (TLS secrets included).") var pcap: String?

    func run() throws {
        let targets = try urls.map(Target.init)
        guard let first = targets.first else { throw ValidationError("give at least one URL") }
        guard targets.allSatisfy({ $0.authority == first.authority && $0.scheme == first.scheme }) else {
            throw ValidationError("all URLs must be on one server (one connection)")
        }
        if upgrade && first.scheme != "http" { throw ValidationError("--upgrade is for http:// (h2c); https uses ALPN") }
        guard maxBody >= 1 else { throw ValidationError("--max-body must be at least 1 octet") }
        let requests = try requests(for: targets)
        signal(SIGPIPE, SIG_IGN)
        let printer = trace == .off ? nil : TracePrinter(level: trace, json: json)
        defer { printer?.flush() }
        let capture = try OutputFiles.capture(pcap)
        defer { capture?.close() }
        let finished = try fetch(requests, from: first, tracer: printer?.tracer, capture: capture)
        printer?.flush()  // the trace before the bodies
        if !report(finished) { throw ExitCode(1) }
    }

    /// One request per URL: GET, or POST with `--data`, and the `-H` fields after the ones of §8.3.1.
    func requests(for targets: [Target]) throws -> [ClientRequest] {
        let body = try data.map { Array(try readInput($0)) } ?? []
        var extra: [HeaderField] = []
        for text in header {
            guard let colon = text.firstIndex(of: ":") else { throw ValidationError("-H takes \"name: value\", not \(text)") }
            extra.append(HeaderField(text[..<colon].lowercased().trimmingCharacters(in: .whitespaces),
                                     text[text.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        return targets.map { target -> ClientRequest in
            var fields = [HeaderField(":method", body.isEmpty ? "GET" : "POST"), HeaderField(":scheme", target.scheme),
                          HeaderField(":authority", target.authority), HeaderField(":path", target.path),
                          HeaderField("user-agent", "h2lab")]
            if !body.isEmpty { fields.append(HeaderField("content-length", "\(body.count)")) }
            return ("\(target.scheme)://\(target.authority)\(target.path)", fields + extra, body)
        }
    }

    /// Runs the requests on one connection; those the server did not process (GOAWAY, §8.7) go
    /// again on a new connection, a few times. The results in the requests' order.
    func fetch(_ requests: [ClientRequest], from first: Target, tracer: Tracer?, capture: CaptureFile?) throws -> [ClientResult] {
        var results = [ClientResult?](repeating: nil, count: requests.count)
        var remaining = Array(requests.indices)
        for attempt in 0..<4 where !remaining.isEmpty {
            let byteStream: ByteStream
            do {
                let (stream, tls) = try first.open(verify: !insecure, capture: capture)
                if attempt > 0 { tracer?(0, .note("a new connection for \(remaining.count) unprocessed request(s)")) }
                if let tls { tracer?(0, .note(tls)) }
                byteStream = stream
            } catch {
                warn("error: \(error.message)" + (error.isCertificateProblem ? " (-k skips certificate checks)" : ""))
                throw ExitCode(1)
            }
            let client = ClientConnection(stream: byteStream, tracer: tracer, push: push, maxBodyOctets: maxBody)
            let round = client.run(remaining.map { requests[$0] }, upgrade: upgrade && attempt == 0)
            for pushed in client.pushed {
                let outcome = pushed.error.map { "\(pushed.status ?? "no response"), cut short: \($0)" }
                    ?? "\(pushed.status ?? "no response") (\(pushed.body.count) octets)"
                warn("pushed \(first.scheme)://\(first.authority)\(pushed.url): \(outcome)")
            }
            var again: [Int] = []
            for (offset, result) in round.enumerated() {
                if result.unprocessed && attempt < 3 { again.append(remaining[offset]) } else { results[remaining[offset]] = result }
            }
            remaining = again
        }
        return results.compactMap { $0 }
    }

    /// Each body to standard output, statuses and errors to standard error; false if any failed.
    func report(_ finished: [ClientResult]) -> Bool {
        var failed = false
        for result in finished {
            if let error = result.error {
                // The one bound a plain download can reach: say how to raise it.
                let hint = error.contains("octets of bodies this endpoint holds") ? " (--max-body raises the bound)" : ""
                warn("error: \(result.url): \(error)\(hint)")
                failed = true
                continue
            }
            // Interim responses (1xx, RFC 9113 §8.1) are listed with their fields before the final status.
            for interim in result.interim {
                let status = interim.first { $0.name == ":status" }?.value ?? "1xx"
                let fields = interim.filter { !$0.isPseudo }.map { "\($0.name): \($0.value)" }
                warn("\(result.url): interim \(status)" + (fields.isEmpty ? "" : " (" + fields.joined(separator: ", ") + ")"))
            }
            if finished.count > 1 || trace != .off || !result.interim.isEmpty { warn("\(result.url): \(result.status ?? "?")") }
            FileHandle.standardOutput.write(Data(result.body))
        }
        return !failed
    }
}
