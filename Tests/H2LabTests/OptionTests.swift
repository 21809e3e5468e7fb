import Foundation
import Testing

/// Every numeric option of every subcommand, against the built binary: a value that is not a number
/// of its kind (out of range, inf, nan, an overflow, hexadecimal) is a usage error with a message,
/// exit status 64, never a trap (issue 23 §5: `serve --threads --idle-timeout inf` died with
/// "Illegal instruction").
@Suite("numeric options: exit 64 with a message, never a trap")
struct OptionTests {
    /// A subcommand's words before the option, the option, and values it must refuse.
    struct Case: CustomStringConvertible, Sendable {
        var command: [String]
        var option: String
        var bad: [String]
        var description: String { (command + [option]).joined(separator: " ") }
    }

    static let notNumbers = ["inf", "-inf", "nan", "1e30", "abc", "0x10", "99999999999999999999999"]

    static let cases: [Case] = [
        Case(command: ["serve", "--plain"], option: "--idle-timeout", bad: notNumbers + ["0", "1e-9", "86401"]),
        Case(command: ["serve", "--threads", "--plain"], option: "--idle-timeout", bad: ["inf", "nan", "1e30"]),
        Case(command: ["serve", "--plain"], option: "--max-connections", bad: notNumbers + ["0", "1.5", "1048577"]),
        Case(command: ["serve", "--plain"], option: "--max-rapid-resets", bad: notNumbers + ["0", "2.5"]),
        Case(command: ["serve", "--plain"], option: "--max-empty-frames", bad: notNumbers + ["0"]),
        Case(command: ["serve", "--plain"], option: "--loops", bad: notNumbers + ["0", "257"]),
        Case(command: ["serve", "--plain"], option: "--port", bad: notNumbers + ["65536", "70000", "1.5"]),
        Case(command: ["check", "http://127.0.0.1:1/"], option: "--timeout", bad: notNumbers + ["0", "86401"]),
        Case(command: ["convert", "/dev/null"], option: "--stream", bad: notNumbers + ["0", "2147483648", "4294967297"]),
        Case(command: ["convert", "/dev/null"], option: "--max-frame-size", bad: notNumbers + ["16383", "16777216"]),
        Case(command: ["panel", "serve"], option: "--port", bad: notNumbers + ["65536"]),
        Case(command: ["panel", "serve"], option: "--session-minutes", bad: notNumbers + ["0", "10081"]),
        Case(command: ["panel", "serve"], option: "--idle-timeout", bad: notNumbers + ["0"]),
        Case(command: ["proxy", "--to", "http://127.0.0.1:1"], option: "--port", bad: notNumbers + ["65536"]),
        Case(command: ["bench", "hpack"], option: "--seconds", bad: notNumbers + ["0"]),
        Case(command: ["bench", "frames"], option: "--seconds", bad: notNumbers + ["0"]),
        Case(command: ["bench", "lab"], option: "--deliveries", bad: notNumbers + ["0", "-5"]),
    ]

    @Test("each numeric option refuses what is not a number of its kind", arguments: cases)
    func refuses(_ option: Case) throws {
        for value in option.bad {
            let result = try run(h2lab, option.command + [option.option, value], timeout: 20)
            #expect(result.status == 64, "\(option) \(value): status \(result.status), \(result.stderr.prefix(300))")
            #expect(result.stderr.contains(option.option), "\(option) \(value): \(result.stderr.prefix(300))")
            // The message names the range when the value was read (a sign is taken for an option name).
            if !value.hasPrefix("-") {
                #expect(result.stderr.contains("expected "), "\(option) \(value): \(result.stderr.prefix(300))")
            }
        }
    }

    /// A URL's port is digits of any length to RFC 3986 (§3.2.3): `get`, `check`, `proxy --to`
    /// and `lesson --join` read it through one parser, which once trapped on 99999.
    @Test("a URL whose port is not 1-65535 is a usage error (64) naming the port, never a trap", arguments: [
        ["get", "http://127.0.0.1:99999/"], ["get", "https://127.0.0.1:0/"], ["check", "http://127.0.0.1:65536/"],
        ["proxy", "--to", "http://127.0.0.1:4294967296"],
        ["lesson", "01-handshake", "--join", "https://127.0.0.1:99999", "--code", "abcdef", "--name", "x"],
    ])
    func urlPorts(_ arguments: [String]) throws {
        let result = try run(h2lab, arguments, input: "", timeout: 20)
        #expect(result.status == 64 && result.stderr.contains("is not 1-65535"), "\(arguments): \(result.status) \(result.stderr.prefix(300))")
    }

    @Test("contradictory serve options, or a --root that is no folder, are a usage error before anything is bound")
    func contradictions() throws {
        for arguments in [["serve", "--threads", "--loops", "2"], ["serve", "--threads", "--event-loop"], ["serve", "--cert", "/nonexistent"],
                          ["serve", "--plain", "--root", "/nonexistent-folder"], ["serve", "--plain", "--root", "/etc/hostname"]] {
            let result = try run(h2lab, arguments, timeout: 20)
            #expect(result.status == 64, "\(arguments): \(result.status) \(result.stderr.prefix(300))")
        }
        let missing = try run(h2lab, ["serve", "--plain", "--root", "/nonexistent-folder"], timeout: 20)
        #expect(missing.stderr.contains("--root /nonexistent-folder is not a folder"), "\(missing.stderr)")
    }

    @Test("a file an option names that cannot be written (--pcap, --port-file) is a usage error naming the option, the path and why, before serving")
    func unwritableFiles() throws {
        let users = FileManager.default.temporaryDirectory.appendingPathComponent("option-users-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: users) }
        let cases: [([String], String)] = [
            (["serve", "--plain", "--port", "0", "--pcap", "/nonexistent-dir/x.pcap"], "--pcap: cannot write /nonexistent-dir/x.pcap: No such file or directory"),
            (["proxy", "--to", "http://127.0.0.1:9", "--port", "0", "--pcap", "/nonexistent-dir/x.pcap"], "--pcap: cannot write"),
            (["get", "--pcap", "/nonexistent-dir/x.pcap", "http://127.0.0.1:9/"], "--pcap: cannot write"),
            (["serve", "--plain", "--port", "0", "--port-file", "/nonexistent-dir/p"], "--port-file: cannot write /nonexistent-dir/p: No such file or directory"),
            (["proxy", "--to", "http://127.0.0.1:9", "--port", "0", "--port-file", "/nonexistent-dir/p"], "--port-file: cannot write"),
            (["panel", "--port", "0", "--users", users, "--port-file", "/nonexistent-dir/p"], "--port-file: cannot write"),
            (["class", "--port", "0", "--users", users, "--port-file", "/nonexistent-dir/p"], "--port-file: cannot write"),
        ]
        for (arguments, message) in cases {
            let result = try run(h2lab, arguments, input: "", timeout: 20)
            #expect(result.status == 64 && result.stderr.contains(message), "\(arguments): \(result.status) \(result.stderr.prefix(300))")
            #expect(!result.stderr.contains("serving") && !result.stderr.contains("NSCocoaErrorDomain"), "\(result.stderr.prefix(300))")
        }
    }

    @Test("values at the edges of each range are taken")
    func edges() throws {
        let request = FileManager.default.temporaryDirectory.appendingPathComponent("options-\(getpid()).http")
        try Data("GET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8).write(to: request)
        for arguments in [["--stream", "2147483647", "--max-frame-size", "16777215"], ["--stream", "1", "--max-frame-size", "16384"]] {
            let result = try run(h2lab, ["convert", request.path] + arguments, timeout: 20)
            #expect(result.status == 0, "\(arguments): \(result.stderr.prefix(300))")
        }
        let bench = try run(h2lab, ["bench", "frames", "--seconds", "0.001"], timeout: 20)
        #expect(bench.status == 0, "\(bench.stderr.prefix(300))")
    }

    /// SplitMix64: the fuzz below is the same list of argument lists on every run.
    struct SeededRandom: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test("fuzzed argument lists (fixed seed, 120 lists): no run dies of a signal it raised itself")
    func fuzz() throws {
        var random = SeededRandom(state: 23)
        let commands: [[String]] = [["serve", "--plain"], ["serve", "--threads", "--plain"], ["check", "http://127.0.0.1:1/"],
                                    ["convert", "/dev/null"], ["panel", "serve"], ["proxy", "--to", "http://127.0.0.1:1"],
                                    ["bench", "frames"], ["bench", "lab"], ["decode"], ["hpack"], []]
        let options = ["--idle-timeout", "--max-connections", "--max-rapid-resets", "--max-empty-frames", "--loops", "--port",
                       "--timeout", "--stream", "--max-frame-size", "--session-minutes", "--seconds", "--deliveries", "--section",
                       "--trace", "--threads", "--json", "--list", "-H", "--", "--help"]
        let values = ["0", "1", "-1", "65535", "65536", "2147483647", "2147483648", "9223372036854775807", "9223372036854775808",
                      "1e308", "1e309", "inf", "nan", "-0", "0.0001", "", " ", "1_000", "０", "٣", "\u{0}", "%s%n", "frames", "all",
                      String(repeating: "9", count: 400), "0x7fffffff", "+3", "1e-320", "4.9e-324"]
        // Signals a run raises itself when it traps or corrupts memory; our time-out kill (SIGKILL) is not one of them.
        let crashes: Set<Int32> = [SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGSEGV].map { 128 + $0 }.reduce(into: []) { $0.insert($1) }
        var statuses: [Int32: Int] = [:]
        for _ in 0..<120 {
            var arguments = commands.randomElement(using: &random) ?? []
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                arguments.append(options.randomElement(using: &random) ?? "--help")
                if Bool.random(using: &random) { arguments.append(values.randomElement(using: &random) ?? "") }
            }
            // Anything that starts serving is stopped after a moment: only a crash fails the test.
            let result = try run(h2lab, arguments, timeout: 1.5)
            statuses[result.status, default: 0] += 1
            #expect(!crashes.contains(result.status), "\(arguments) died of signal \(result.status - 128): \(result.stderr.suffix(500))")
        }
        print("fuzzed argument lists, by exit status: \(statuses.sorted { $0.key < $1.key })")
        #expect((statuses[64] ?? 0) > 40, "most fuzzed lists are usage errors: \(statuses)")
    }
}
