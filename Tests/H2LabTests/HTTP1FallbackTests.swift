import Foundation
import Testing

/// `serve`'s HTTP/1.1 fallback held to RFC 9112, case by case (Tests/HTTP1/rfc9112.py: raw requests
/// on fresh connections, then Python's http.client and curl `-T -` as peers), on the event loops and
/// on `--threads`, over h2c and over TLS (ALPN http/1.1): every case answered alike.
@Suite("HTTP/1.1 fallback against RFC 9112 (loopback)", .serialized)
struct HTTP1FallbackTests {
    /// The status each case must get; every refusal also closes the connection (§6.3, §9.6), every
    /// HTTP/1.1 request answered leaves it open (§9.3: persistent by default), HTTP/1.0 closes.
    static let expected: [String: Int] = [
        "cl_ok": 200, "cl_two_same": 200,                            // RFC 9110 §8.6: identical values count as one
        "cl_two_different": 400, "cl_list_different": 400,           // §6.3 (5): invalid framing
        "cl_negative": 400, "cl_plus": 400, "cl_huge": 400,          // §6.3 (5), RFC 9110 §8.6: 1*DIGIT
        "cl_over_limit": 413,                                        // RFC 9110 §15.5.14, our limit (1 MiB)
        "te_gzip": 400, "te_chunked_gzip": 400,                      // §6.3 (4): chunked not last
        "te_gzip_chunked": 501,                                      // §6.1: a coding not understood
        "te_chunked_twice": 400,                                     // §6.1: chunked at most once
        "te_and_cl": 400,                                            // §6.3 (3): smuggling; we refuse
        "te_http10": 400,                                            // §6.1: faulty framing in HTTP/1.0
        "chunked_ok": 200, "chunked_ext_trailers": 200, "chunked_upper_hex": 200,  // §7.1, §7.1.1, §7.1.2
        "chunked_bad_size": 400, "chunked_data_too_long": 400, "trailer_bad": 400,  // §7.1
        "chunked_size_overflow": 413, "chunked_over_limit": 413,     // our body limit
        "chunk_ext_too_long": 400,                                   // §7.1.1: a server may limit extensions
        "no_host": 400, "two_hosts": 400, "bad_host": 400,           // §3.2
        "http10_no_host": 200,                                       // §3.2 asks Host of HTTP/1.1 only
        "obs_fold": 400,                                             // §5.2
        "space_before_colon": 400,                                   // §5.1
        "no_colon": 400, "bare_cr": 400, "nul_in_value": 400,        // §5, §2.2, RFC 9110 §5.5
        "lf_only": 200, "leading_crlf": 200,                         // §2.2: a recipient may take LF; ignores empty lines first
        "bad_version": 400, "two_spaces": 400,                       // §2.3, §3
        "http2_version": 505,                                        // RFC 9110 §15.6.6
        "long_target": 414,                                          // §3
        "long_header_section": 431, "endless_header_line": 431,      // RFC 6585 §5
    ]

    @Test("each RFC 9112 case gets the RFC's answer, a refusal closes and an answer persists; curl and http.client POST chunked and sized bodies",
          arguments: [[], ["--threads"]], [false, true])
    func cases(mode: [String], tls: Bool) throws {
        let server = try Server(mode, tls: tls)
        defer { server.stop() }
        let script = packageRoot.appendingPathComponent("Tests/HTTP1/rfc9112.py").path
        let run = try run("python3", [script, "\(server.port)"] + (tls ? ["--tls"] : []), timeout: 180)
        let line = run.stdout.split(separator: "\n").last.map(String.init) ?? ""
        let results = try #require((try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: [String: Any]],
                                   "\(run.stdout)\(run.stderr.suffix(1_500))")
        for (name, status) in Self.expected {
            let result = results[name]
            #expect(result?["status"] as? Int == status, "\(name): \(String(describing: result))")
            let closes = status >= 400 || name == "http10_no_host"
            #expect(result?["closed"] as? Bool == closes, "\(name): \(closes ? "left the connection open" : "closed a persistent connection")")
            if status >= 400 {
                // A refusal says why, with the RFC section.
                #expect((result?["body"] as? String)?.contains("RFC") == true, "\(name): \(String(describing: result))")
            }
        }
        #expect((results["chunked_ext_trailers"]?["body"] as? String)?.hasSuffix("body: 11 octets\n\nhello world") == true)
        for peer in ["http_client_chunked", "http_client_length", "curl_chunked"] {
            #expect(results[peer]?["status"] as? Int == 200, "\(peer): \(String(describing: results[peer]))")
        }
        #expect((results["http_client_chunked"]?["body"] as? String)?.contains("body: 22 octets") == true, "\(String(describing: results["http_client_chunked"]))")
        #expect((results["curl_chunked"]?["body"] as? String)?.contains("body: 24 octets") == true, "\(String(describing: results["curl_chunked"]))")
        #expect(server.process.isRunning)
    }

    @Test("a request head or body dribbled and never finished is closed within --idle-timeout, on both servers", arguments: [[], ["--threads"]])
    func unfinishedRequest(mode: [String]) throws {
        let server = try Server(mode + ["--idle-timeout", "2"])
        defer { server.stop() }
        let result = try run("python3", ["-c", """
            import socket, sys, time
            port = int(sys.argv[1])
            out = []
            for raw in (b"GET /json HTTP/1.1\\r\\nHost: t\\r\\nX-Slow: ", b"POST /echo HTTP/1.1\\r\\nHost: t\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n5\\r\\nhel"):
                s = socket.create_connection(("127.0.0.1", port), timeout=10)
                start = time.monotonic()
                s.sendall(raw)
                while True:
                    try:
                        if not s.recv(1000): break
                    except OSError: break
                    if time.monotonic() - start > 9: break
                out.append(round(time.monotonic() - start, 1))
            print(out)
            """, "\(server.port)"], timeout: 40)
        let times = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines).dropFirst().dropLast().split(separator: ",")
            .compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
        #expect(times.count == 2 && times.allSatisfy { $0 < 4.5 }, "\(result.stdout)\(result.stderr)")
    }

    /// Runs Tests/HTTP1/keepalive.py's `cases` against `server`; its JSON, case by case.
    func keepAlive(_ server: Server, _ cases: [String]) throws -> [String: [String: Any]] {
        let script = packageRoot.appendingPathComponent("Tests/HTTP1/keepalive.py").path
        let run = try run("python3", [script, "\(server.port)"] + (server.tls ? ["--tls"] : []) + cases, timeout: 120)
        let line = run.stdout.split(separator: "\n").last.map(String.init) ?? ""
        return try #require((try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: [String: Any]],
                            "\(run.stdout)\(run.stderr.suffix(1_500))")
    }

    @Test("persistent connections (RFC 9112 §9.3): curl re-uses one, pipelining, close, HTTP/1.0, --keep-alive-requests, a lingering close after 8 MB", arguments: [[], ["--threads"]], [false, true])
    func persistence(mode: [String], tls: Bool) throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("h2lab-keepalive-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let big = [UInt8]((0..<8_000_000).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) })
        try Data(big).write(to: root.appendingPathComponent("big"))
        let server = try Server(mode + ["--root", root.path, "--keep-alive-requests", "3", "--trace", "frames"], tls: tls)
        defer { server.stop() }
        let results = try keepAlive(server, ["curl", "pipelined", "close", "http10", "limit", "big_close"])
        let curl = results["curl"]
        #expect(curl?["codes"] as? [String] == ["200", "200"] && curl?["reused"] as? Bool == true && curl?["connects"] as? Int == 1,
                "\(String(describing: curl))")
        let pipelined = results["pipelined"]
        #expect(pipelined?["statuses"] as? [Int] == [200, 200], "\(String(describing: pipelined))")
        #expect(pipelined?["types"] as? [String] == ["application/json", "text/html; charset=utf-8"], "answers out of order")
        #expect(pipelined?["closed"] as? Bool == false, "a persistent connection was closed")
        for name in ["close", "http10"] {
            let result = results[name]
            #expect(result?["status"] as? Int == 200 && result?["connection"] as? String == "close" && result?["closed"] as? Bool == true,
                    "\(name): \(String(describing: result))")
        }
        let limit = results["limit"]
        #expect(limit?["answered"] as? Int == 3 && limit?["said_close"] as? [Int] == [3] && limit?["closed"] as? Bool == true,
                "\(String(describing: limit))")
        let bigClose = results["big_close"]
        #expect(bigClose?["status"] as? Int == 200 && bigClose?["length"] as? Int == big.count && bigClose?["closed"] as? Bool == true,
                "\(String(describing: bigClose))")
        #expect(server.process.isRunning)
    }

    @Test("an HTTP/1.1 connection idle after an answer is closed after --keep-alive-timeout, on both servers", arguments: [[], ["--threads"]])
    func keepAliveTimeout(mode: [String]) throws {
        let server = try Server(mode + ["--keep-alive-timeout", "1", "--trace", "frames"])
        defer { server.stop() }
        let idle = try keepAlive(server, ["idle"])["idle"]
        let after = idle?["closed_after"] as? Double ?? 99
        #expect(idle?["status"] as? Int == 200 && idle?["closed"] as? Bool == true && after >= 0.9 && after < 3, "\(String(describing: idle))")
        server.stop()  // the trace is written out on exit
        #expect(server.trace.contains("no new HTTP/1.1 request within 1 s of the last answer: closed (keep-alive timeout)"))
    }
}
