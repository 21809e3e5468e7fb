import ArgumentParser
import Engine
import Foundation
import Transport

/// `h2lab proxy --to URL`: a proxy between HTTP/2 clients and one server, printing both legs' frames.
struct Proxy: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Sit between HTTP/2 clients and a server, and print the frames of both legs.",
        discussion: """
        Clients connect to 127.0.0.1 (h2c with prior knowledge, or TLS with ALPN h2 with --tls); each request goes to \
        the server at --to over a connection of the proxy's own (h2c for http://, TLS with ALPN h2 for https://, \
        certificates not verified), and the response comes back. The trace shows, for every connection, \
        client → proxy and proxy → server frames. Ctrl-C stops.
        """)

    @Option(help: "The server: http://HOST:PORT or https://HOST:PORT.") var to: String
    @Option(name: [.long, .customLong("listen-port")], help: "Port to listen on (0 picks a free one).", transform: Numbers.port.parse) var port = 8081
    @Option(help: "Address to bind.") var host = "127.0.0.1"
    @Flag(help: "Accept clients over TLS with ALPN h2 (browsers need this).") var tls = false
    @Option(help: "TLS certificate (PEM); without --cert/--key a self-signed one for localhost.") var cert: String?
    @Option(help: "TLS private key (PEM).") var key: String?
    @Option(help: "Trace level: off, frames, all.") var trace: Serve.TraceLevel = .frames
    @Flag(help: "Write the trace as one JSON object per line.") var json = false
    @Option(help: "Write the bound port to FILE once listening (for scripts and tests).") var portFile: String?
    @Option(help: "Write both legs of every connection to FILE as a pcapng capture that Wireshark decodes as HTTP/2 (TLS secrets included).")
    var pcap: String?

    func run() throws {
        let target = try Target(to.hasSuffix("/") ? to : to + "/")
        var context: TLSContext?
        if tls || cert != nil {
            do { context = try makeTLSContext(cert: cert, key: key) } catch {
                warn("error: \(error)")
                throw ExitCode(1)
            }
        }
        let listener: TCPSocket
        do { listener = try TCPSocket.listen(host: host, port: UInt16(port)) } catch {
            warn("error: \(error)")
            throw ExitCode(1)
        }
        let capture = try OutputFiles.capture(pcap)
        defer { capture?.close() }
        installStopSignals()
        let printer = trace == .off ? nil : LegPrinter(formatter: TraceFormatter(events: trace == .all, json: json))
        let upstream = printer.map { printer in { (id: Int, item: TraceItem) in printer.print(id, item, leg: .server) } as Tracer }
        let downstream = printer.map { printer in { (id: Int, item: TraceItem) in printer.print(id, item, leg: .client) } as Tracer }
        let responder = ProxyResponder(upstreamScheme: target.scheme, tracer: upstream) { [capture] in
            do {
                return try target.open(verify: false, capture: capture).stream
            } catch {
                throw SocketError(operation: (error as? Target.ConnectFailure)?.message ?? "\(error)", code: 0)
            }
        }
        try OutputFiles.writePort(listener.localPort, to: portFile)
        warn("h2lab proxy on \(context == nil ? "http" : "https")://\(host):\(listener.localPort)/ → \(target.scheme)://\(target.authority)/  (Ctrl-C stops)")
        defer { printer?.output.flush() }
        ConnectionBudget.raiseDescriptorLimit()
        // Each client may open an upstream leg too: half the descriptors each.
        acceptConnections(on: listener, maxConnections: max(1, ConnectionBudget.defaultMaxConnections() / 2), tracer: downstream) {
            [context, capture] client, ticket in
            ServerConnection.serve(client, id: ticket.id, tls: context, responder: responder, tracer: downstream, capture: capture,
                                   ticket: ticket) { stopRequested != 0 }
        }
    }
}

/// Prints both legs' trace lines, each marked with its leg: client → proxy, proxy → server.
final class LegPrinter: Sendable {
    enum Leg: String { case client, server }
    let formatter: TraceFormatter
    let output = TraceOutput()

    init(formatter: TraceFormatter) { self.formatter = formatter }

    func print(_ id: Int, _ item: TraceItem, leg: Leg) {
        guard let line = formatter.line(id, item) else { return }
        let marked: String
        if formatter.json {
            marked = "{\"leg\":\"\(leg.rawValue)\"," + line.dropFirst()
        } else {
            // "c1 ← HEADERS …": the arrow becomes the leg's direction.
            let inbound = line.contains(" ← "), outbound = line.contains(" → ")
            let direction: String
            switch (leg, inbound, outbound) {
            case (.client, true, _): direction = "client → proxy "
            case (.client, _, true): direction = "client ← proxy "
            case (.server, _, true): direction = "proxy → server "
            case (.server, true, _): direction = "proxy ← server "
            default: direction = leg == .client ? "client leg: " : "server leg: "
            }
            let rest = line.replacingOccurrences(of: " ← ", with: " ", options: [], range: line.range(of: " ← "))
                .replacingOccurrences(of: " → ", with: " ", options: [], range: line.range(of: " → "))
            let prefix = "c\(id) "
            marked = prefix + direction + String(rest.dropFirst(prefix.count))
        }
        output.write(marked)
    }
}
