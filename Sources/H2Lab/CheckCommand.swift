import ArgumentParser
import Conformance
import Foundation

/// `h2lab check URL`: the conformance suite against a server, every failure explained.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a server against RFC 9113 and RFC 7541, explaining every failure.",
        discussion: """
        Each test opens its own connection (h2c with prior knowledge for http://, TLS with ALPN h2 for https://; \
        certificates are not verified), sends what its RFC section forbids or requires, and compares the answer. \
        A failure shows what was sent, what the RFC requires, what was expected and what came back. A verdict is \
        passed, failed or inconclusive (the server closed the stream itself before the violation arrived, so its answer \
        cannot be told apart; the reason is shown). Exit status 1 if any test fails.
        """)

    @Argument(help: "The server, http://HOST:PORT/ or https://HOST:PORT/.") var url: String?
    @Option(help: "Run one part only: a section such as 6.9 (with its subsections), hpack, or one test such as 5.1.1/2.")
    var section: String?
    @Flag(help: "Machine-readable results.") var json = false
    @Option(help: "Seconds to wait for each answer.", transform: Numbers.seconds.parse) var timeout: Double = 2
    @Flag(help: "List the tests without running them.") var list = false

    func run() throws {
        if list {
            for check in Cases.all { print("\(check.id)\t\(check.title)") }
            return
        }
        guard let url else { throw ValidationError("give the server's URL, such as http://127.0.0.1:8080/") }
        let target = try Target(url)
        let probeTarget = Conformance.Probe.Target(host: target.host, port: target.port, tls: target.scheme == "https")
        signal(SIGPIPE, SIG_IGN)
        let results = Runner.run(probeTarget, section: section, timeout: timeout)
        guard !results.isEmpty else {
            warn("error: no test in section \(section ?? "")  (h2lab check --list shows them)")
            throw ExitCode(2)
        }
        print(json ? Runner.json(results, target: url) : Runner.report(results, target: url), terminator: "")
        // Inconclusive is not failed (Outcome): only a failure makes the exit status 1.
        if Runner.tally(results).failed > 0 { throw ExitCode(1) }
    }
}
