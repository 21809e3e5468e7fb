import Foundation
import Testing
import Transport

/// `h2lab check` against other servers from Debian (nginx, h2o, Apache httpd with mod_http2), each
/// over h2c with prior knowledge on loopback, serving a one-page folder: the verdicts are passed,
/// failed or inconclusive, and the cases the issue found falsely failed (nginx answered and closed
/// the stream before the violation arrived) are no longer failures.
@Suite("h2lab check against nginx, h2o and Apache (loopback)", .serialized)
struct RealServerCheckTests {
    /// A server process from a config written into a fresh folder; stopped at the end.
    final class Other: @unchecked Sendable {
        let process = Process()
        let port: UInt16
        let directory: URL

        init(_ name: String) throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("h2lab-\(name)-\(UUID().uuidString)")
            let www = directory.appendingPathComponent("www")
            try FileManager.default.createDirectory(at: www, withIntermediateDirectories: true)
            try Data("<html>hello</html>\n".utf8).write(to: www.appendingPathComponent("index.html"))
            // Others (Apache's and h2o's workers drop to www-data or nobody) must read the page.
            chmod(directory.path, 0o777)
            chmod(www.path, 0o755)
            let probe = try TCPSocket.listen(port: 0)
            port = probe.localPort
            probe.close()
            let d = directory.path, root = www.path
            let (program, arguments, config): (String, [String], String)
            switch name {
            case "nginx":
                config = """
                    daemon off; master_process off; worker_processes 1; pid \(d)/pid; error_log \(d)/error.log;
                    events { worker_connections 256; }
                    http { access_log off; client_body_temp_path \(d)/body; proxy_temp_path \(d)/proxy;
                           fastcgi_temp_path \(d)/fastcgi; uwsgi_temp_path \(d)/uwsgi; scgi_temp_path \(d)/scgi;
                           server { listen 127.0.0.1:\(port) http2; root \(root); } }
                    """
                (program, arguments) = ("/usr/sbin/nginx", ["-c", d + "/server.conf"])
            case "h2o":
                config = "listen:\n  host: 127.0.0.1\n  port: \(port)\nhosts:\n  default:\n    paths:\n      /:\n        file.dir: \(root)\n"
                (program, arguments) = ("/usr/bin/h2o", ["-c", d + "/server.conf"])
            default:
                let modules = "/usr/lib/apache2/modules"
                config = """
                    ServerName localhost
                    ServerRoot \(d)
                    Listen 127.0.0.1:\(port)
                    PidFile \(d)/pid
                    DefaultRuntimeDir \(d)
                    ErrorLog \(d)/error.log
                    LoadModule mpm_event_module \(modules)/mod_mpm_event.so
                    LoadModule authz_core_module \(modules)/mod_authz_core.so
                    LoadModule dir_module \(modules)/mod_dir.so
                    LoadModule mime_module \(modules)/mod_mime.so
                    TypesConfig /etc/mime.types
                    LoadModule http2_module \(modules)/mod_http2.so
                    User www-data
                    Group www-data
                    Protocols h2c http/1.1
                    H2Direct on
                    DocumentRoot \(root)
                    <Directory \(root)>
                        Require all granted
                    </Directory>
                    DirectoryIndex index.html
                    """
                (program, arguments) = ("/usr/sbin/apache2", ["-f", d + "/server.conf", "-DFOREGROUND"])
            }
            try Data(config.utf8).write(to: directory.appendingPathComponent("server.conf"))
            process.executableURL = URL(fileURLWithPath: program)
            process.arguments = arguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            let url = "http://127.0.0.1:\(port)/"
            let up = waitUntil(15, every: 0.1) {
                (try? run("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--http2-prior-knowledge", "--max-time", "2", url]).stdout) == "200"
            }
            guard up else { throw SocketError(operation: "\(name) did not start", code: 0) }
        }

        private var stopped = false

        /// SIGKILL to the server's process group (Apache's workers too): nginx with `master_process
        /// off` does not stop on SIGTERM, and nothing here needs a graceful end. Reaped here with
        /// waitpid: Foundation's waitUntilExit was seen to hang on Apache's killed parent.
        func stop() {
            guard !stopped else { return }
            stopped = true
            let pid = process.processIdentifier
            kill(pid, SIGKILL)
            var status: Int32 = 0
            _ = waitpid(pid, &status, 0)
            // Apache's workers (www-data) outlive a killed parent: each process whose command line
            // names this server's own config file (a fresh folder) is killed by its id.
            let config = directory.path + "/server.conf"
            for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
                // Read to the end: /proc files report a size of 0, which FileManager.contents trusts.
                guard let other = Int32(entry), let line = FileHandle(forReadingAtPath: "/proc/\(entry)/cmdline")?.readDataToEndOfFile(),
                      String(decoding: line, as: UTF8.self).contains(config) else { continue }
                kill(other, SIGKILL)
            }
        }

        deinit { stop() }
    }

    @Test("check against a server that answers every connection with DATA without end: each probe stops at 16 MiB, memory stays flat")
    func floodingServer() throws {
        // Raw frames: SETTINGS, a 200 on stream 1, then DATA on it for up to 60 s, on every connection.
        let (port, server) = try startPythonServer("""
        import socket, struct, threading, time
        def frame(t, flags, sid, payload):
            return struct.pack(">I", len(payload))[1:] + bytes([t, flags]) + struct.pack(">I", sid) + payload
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        print(listener.getsockname()[1], flush=True)
        end = time.time() + 60
        def serve(c):
            threading.Thread(target=lambda: [None for _ in iter(lambda: c.recv(65536), b"")], daemon=True).start()
            try:
                c.sendall(frame(4, 0, 0, b"") + frame(1, 4, 1, b"\\x88"))
                blob = frame(0, 0, 1, b"x" * 16384) * 16
                while time.time() < end: c.sendall(blob)
            except OSError:
                pass
            c.close()
        listener.settimeout(1)
        while time.time() < end:
            try:
                c, _ = listener.accept()
            except socket.timeout:
                continue
            threading.Thread(target=serve, args=(c,), daemon=True).start()
        """)
        // SIGKILL: a Python process started by a test may not see SIGTERM.
        defer { kill(server.processIdentifier, SIGKILL); server.waitUntilExit() }
        let result = try run("/usr/bin/time", ["-f", "max RSS %M KiB", h2lab, "check", "http://127.0.0.1:\(port)/", "--section", "6.5",
                                               "--timeout", "2"], timeout: 120)
        #expect(result.status == 1)
        #expect(result.stdout.contains("then 16 MiB had come, and the probe read no more"), "\(result.stdout.suffix(600))")
        let rss = Int(result.stderr.split(separator: "\n").last { $0.hasPrefix("max RSS") }?.split(separator: " ")[2] ?? "") ?? .max
        #expect(rss < 300_000, "max RSS \(rss) KiB")
    }

    @Test("verdicts against each: the four false failures on nginx are gone; every inconclusive verdict says why; exit 1 only for failures",
          arguments: ["nginx", "h2o", "apache2"])
    func verdicts(server name: String) throws {
        let server = try Other(name)
        defer { server.stop() }
        let result = try run(h2lab, ["check", "--json", "http://127.0.0.1:\(server.port)/"], timeout: 600)
        let object = try #require((try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8))) as? [String: Any], "\(result.stderr)")
        let results = try #require(object["results"] as? [[String: Any]])
        let verdicts = Dictionary(uniqueKeysWithValues: results.compactMap { item in (item["id"] as? String).map { ($0, item) } })
        let counts = ["passed", "failed", "inconclusive"].map { verdict in results.filter { $0["verdict"] as? String == verdict }.count }
        print("h2lab check \(name): \(results.count) tests, \(counts[0]) passed, \(counts[1]) failed, \(counts[2]) inconclusive")
        #expect(object["passed"] as? Int == counts[0] && object["failed"] as? Int == counts[1] && object["inconclusive"] as? Int == counts[2])
        #expect(result.status == (counts[1] > 0 ? 1 : 0))
        // The four cases that falsely failed against nginx (it answered, then closed). Other
        // servers may fail them for real: Apache once answered one with INTERNAL_ERROR.
        for id in ["5.1.2/1", "6.9/2", "8.1/1", "8.3/4"] where name == "nginx" {
            #expect(verdicts[id]?["verdict"] as? String != "failed", "\(name) \(id): \(String(describing: verdicts[id]))")
        }
        for item in results where item["verdict"] as? String == "inconclusive" {
            #expect((item["why"] as? String)?.contains("server") == true, "\(item)")
        }
        // Requests that must simply work do.
        for item in results where (item["section"] as? String) == "generic" {
            #expect(item["verdict"] as? String == "passed", "\(name): \(item)")
        }
    }
}
