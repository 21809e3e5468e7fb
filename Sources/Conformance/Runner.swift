import Engine
import Foundation

/// One case's result, with what the report needs to explain a failure.
public struct CaseResult: Sendable {
    public var check: CheckCase
    public var outcome: Outcome
    public var sent: [String]
}

/// Runs the suite against a server, a fresh connection per case.
public enum Runner {
    public static func run(_ target: Probe.Target, section: String? = nil, timeout: Double = 2,
                           progress: (CaseResult) -> Void = { _ in }) -> [CaseResult] {
        let cases = Cases.all.filter { check in section.map { selects(check, section: $0) } ?? true }
        var results: [CaseResult] = []
        for check in cases {
            let result = runOne(check, target, timeout: timeout)
            progress(result)
            results.append(result)
        }
        return results
    }

    /// Whether `--section` picks `check`: its section, a subsection ("6.9" picks 6.9.1), an RFC's
    /// prefix ("hpack", "rfc9218", "hpack/5" for RFC 7541 §5's), or the case itself ("5.1.1/2").
    public static func selects(_ check: CheckCase, section: String) -> Bool {
        check.section == section || check.section.hasPrefix(section + ".") || check.section.hasPrefix(section + "/")
            || check.id == section
    }

    static func runOne(_ check: CheckCase, _ target: Probe.Target, timeout: Double) -> CaseResult {
        let probe: Probe
        do {
            probe = try Probe(target, timeout: timeout)
        } catch {
            return CaseResult(check: check, outcome: .failed(expected: "a connection", got: "\(error)"), sent: [])
        }
        if check.handshake {
            do {
                try probe.handshake(settings: check.settings)
            } catch {
                return CaseResult(check: check, outcome: .failed(expected: "the server's SETTINGS", got: "\(error)"), sent: probe.sent)
            }
        }
        let sentBefore = check.handshake ? probe.sent.count : 0
        let outcome = check.test(probe, probe.mark)
        return CaseResult(check: check, outcome: outcome, sent: Array(probe.sent.dropFirst(sentBefore)))
    }

    /// The text report: a line per case, an explanation under each failure, a summary line.
    public static func report(_ results: [CaseResult], target: String) -> String {
        var lines = ["h2lab check \(target): \(count(results.count)) from RFC 9113, RFC 7541 and RFC 9218", ""]
        var section = ""
        for result in results {
            if result.check.section != section {
                section = result.check.section
                lines.append(title(of: section))
            }
            switch result.outcome {
            case .passed:
                lines.append("  ✓ \(result.check.id) \(result.check.title)")
            case .failed(let expected, let got):
                lines.append("  ✗ \(result.check.id) \(result.check.title)")
                lines.append("      sent:      " + (result.sent.isEmpty ? "(nothing)" : result.sent.joined(separator: "\n                 ")))
                lines.append("      required:  " + result.check.requirement)
                lines.append("      expected:  " + expected)
                lines.append("      got:       " + got)
            case .inconclusive(let why, let got):
                lines.append("  ? \(result.check.id) \(result.check.title)  (inconclusive)")
                lines.append("      sent:      " + (result.sent.isEmpty ? "(nothing)" : result.sent.joined(separator: "\n                 ")))
                lines.append("      required:  " + result.check.requirement)
                lines.append("      why:       " + why)
                lines.append("      got:       " + got)
            }
        }
        lines.append("")
        lines.append(summary(results))
        return lines.joined(separator: "\n") + "\n"
    }

    /// "N tests, P passed, F failed", and ", I inconclusive" when there are any.
    public static func summary(_ results: [CaseResult]) -> String {
        let (passed, failed, inconclusive) = tally(results)
        return "\(count(results.count)), \(passed) passed, \(failed) failed" + (inconclusive > 0 ? ", \(inconclusive) inconclusive" : "")
    }

    /// Passed, failed and inconclusive, counted apart.
    public static func tally(_ results: [CaseResult]) -> (passed: Int, failed: Int, inconclusive: Int) {
        results.reduce(into: (0, 0, 0)) { counts, result in
            switch result.outcome {
            case .passed: counts.0 += 1
            case .failed: counts.1 += 1
            case .inconclusive: counts.2 += 1
            }
        }
    }

    static func count(_ n: Int) -> String { n == 1 ? "1 test" : "\(n) tests" }

    public static func json(_ results: [CaseResult], target: String) -> String {
        let (passed, failed, inconclusive) = tally(results)
        let items = results.map { result -> String in
            var fields = [
                "\"id\": \(JSONText.quote(result.check.id))", "\"section\": \(JSONText.quote(result.check.section))",
                "\"title\": \(JSONText.quote(result.check.title))", "\"requirement\": \(JSONText.quote(result.check.requirement))",
                "\"passed\": \(result.outcome == .passed)", "\"verdict\": \(JSONText.quote(result.outcome.verdict))",
                "\"sent\": [\(result.sent.map(JSONText.quote).joined(separator: ", "))]",
            ]
            switch result.outcome {
            case .passed: break
            case .failed(let expected, let got): fields += ["\"expected\": \(JSONText.quote(expected))", "\"got\": \(JSONText.quote(got))"]
            case .inconclusive(let why, let got): fields += ["\"why\": \(JSONText.quote(why))", "\"got\": \(JSONText.quote(got))"]
            }
            return "    {" + fields.joined(separator: ", ") + "}"
        }
        return "{\n  \"target\": \(JSONText.quote(target)),\n  \"tests\": \(results.count), \"passed\": \(passed), "
            + "\"failed\": \(failed), \"inconclusive\": \(inconclusive),\n  \"results\": [\n" + items.joined(separator: ",\n") + "\n  ]\n}\n"
    }

    static let titles = [
        "3.4": "HTTP/2 connection preface", "4.1": "Frame format", "4.2": "Frame size", "4.3": "Field section compression",
        "5.1": "Stream states", "5.1.1": "Stream identifiers", "5.1.2": "Stream concurrency", "5.3.1": "Stream dependencies",
        "5.4.1": "Connection error handling", "5.5": "Extending HTTP/2", "6.1": "DATA", "6.2": "HEADERS", "6.3": "PRIORITY",
        "6.4": "RST_STREAM", "6.5": "SETTINGS", "6.5.2": "Defined settings", "6.5.3": "Settings synchronization", "6.7": "PING",
        "6.8": "GOAWAY", "6.9": "WINDOW_UPDATE", "6.9.1": "The flow-control window", "6.9.2": "Initial flow-control window size",
        "6.10": "CONTINUATION", "8.1": "HTTP message framing", "8.1.1": "Malformed messages", "8.2": "HTTP fields",
        "8.2.1": "Field validity", "8.2.2": "Connection-specific fields", "8.3": "Pseudo-header fields",
        "8.3.1": "Request pseudo-header fields", "8.5": "The CONNECT method", "generic": "Generic requests",
    ]

    static func title(of section: String) -> String {
        if section.hasPrefix("hpack/") { return "RFC 7541 §\(section.dropFirst(6)) (HPACK)" }
        if section.hasPrefix("rfc9218/") { return "RFC 9218 §\(section.dropFirst(8)) (Extensible Prioritization: PRIORITY_UPDATE)" }
        if section == "generic" { return "Generic: requests that must simply work" }
        return "RFC 9113 §\(section) \(titles[section] ?? "")"
    }
}
