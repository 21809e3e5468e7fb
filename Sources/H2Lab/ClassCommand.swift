import ArgumentParser
import Classroom
import Engine
import Foundation
import Lessons
import Panel
import Transport

/// `h2lab class`: a classroom over HTTP/2 and TLS (see docs/classroom.md).
struct ClassCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "class",
        abstract: "A classroom (HTTP/2 over TLS): students join with a code in their browsers, each with a lab of their own; the teacher sees the roster live, paces the lesson and exports scores.",
        discussion: """
        Binds 127.0.0.1:9444 unless --host says otherwise (`--host 0.0.0.0` for a room's network: every address \
        students can type is printed). The teacher logs in with the panel's users file (`h2lab panel passwd USER`). \
        Results are kept in classroom-results.json beside the users file, and survive a restart.
        """)

    @Option(help: "Port (0 picks a free one).") var port: UInt16 = 9444
    @Option(help: "Address to bind: loopback unless you mean it (0.0.0.0 for the room's network).") var host = "127.0.0.1"
    @Option(help: "The join code (6-32 letters or digits); a random one of 6 if not given.") var code: String?
    @OptionGroup var usersFile: UsersOption
    @Option(help: "TLS certificate (PEM). Without --cert/--key a self-signed one is made and kept.") var cert: String?
    @Option(help: "TLS private key (PEM).") var key: String?
    @Option(help: "The folder of lessons the teacher chooses from.") var lessons: String?
    @Option(help: "The most students at once (1-10000).") var maxStudents = 200
    @Option(help: "The results file (default: classroom-results.json beside the users file).") var results: String?
    @Option(help: "Minutes the teacher's session may sit idle.") var sessionMinutes: Double = 120
    @Option(help: "Minutes a student's session lives with nothing from them (an open page or a joined terminal keeps it): then their lab is freed and the roster shows them as left; their results stay.")
    var studentMinutes: Double = ClassroomApp.defaultStudentMinutes
    @Option(help: "Write the bound port to FILE once listening (for scripts and tests).") var portFile: String?

    func validate() throws {
        if let code {
            guard (6...32).contains(code.count), code.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
                throw ValidationError("--code must be 6 to 32 letters or digits (so it cannot be guessed, and reads aloud)")
            }
        }
        var v4 = in_addr(), v6 = in6_addr()
        guard host == "localhost" || inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1 else {
            throw ValidationError("--host must be an IP address of this machine (127.0.0.1, 0.0.0.0 for every one, or ::), not \(host)")
        }
        guard (1...10_000).contains(maxStudents) else { throw ValidationError("--max-students must be 1-10000, not \(maxStudents)") }
        guard sessionMinutes > 0, sessionMinutes <= 24 * 60 else { throw ValidationError("--session-minutes must be more than 0 and at most 1440") }
        guard studentMinutes > 0, studentMinutes <= 24 * 60 else { throw ValidationError("--student-minutes must be more than 0 and at most 1440") }
        if (cert == nil) != (key == nil) { throw ValidationError("--cert and --key go together") }
        if let lessons {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: lessons, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ValidationError("--lessons \(lessons) is not a folder")
            }
        }
    }

    func run() throws {
        signal(SIGPIPE, SIG_IGN)
        let folder = URL(fileURLWithPath: lessons ?? defaultLessonDirectory()).standardizedFileURL.path
        if LessonRunner.lessons(in: folder).isEmpty {
            warn("error: no lessons (*.h2lab) in \(folder); give the folder with --lessons")
            throw ExitCode(1)
        }
        let store = try loadUsers(usersFile.path)
        let executable = URL(fileURLWithPath: CommandLine.arguments[0])
        guard let (assets, _) = PanelAssets.load(executable: executable, place: ClassroomApp.place) else {
            warn("error: the classroom's page files are missing (looked in: "
                 + PanelAssets.candidates(executable: executable, place: ClassroomApp.place).joined(separator: ", ")
                 + "); set H2LAB_CLASSROOM_ASSETS to their folder")
            throw ExitCode(1)
        }
        let book: ResultBook
        do {
            book = try ResultBook(path: results ?? ResultBook.defaultPath(besideUsers: usersFile.path))
        } catch {
            warn("error: \(error)")
            throw ExitCode(1)
        }
        guard let joinCode = code ?? ClassroomApp.makeCode() else {
            warn("error: no random numbers from OpenSSL for the join code")
            throw ExitCode(1)
        }
        let tls: TLSContext
        let listener: TCPSocket
        do {
            tls = try makeTLSContext(cert: cert, key: key)
            listener = try TCPSocket.listen(host: host, port: port)
        } catch {
            warn("error: \(error)")
            throw ExitCode(1)
        }
        installStopSignals()
        // A lab per student, all growing at once on their own threads (HeapGrowth says why).
        HeapGrowth.grow(inStepsOf: HeapGrowth.serverStep)
        let clock: @Sendable () -> Double = { Date().timeIntervalSince1970 }
        let app = ClassroomApp(configuration: .init(code: joinCode, maxStudents: maxStudents, lessons: folder,
                                                    idleTimeout: sessionMinutes * 60, studentTimeout: studentMinutes * 60),
                               users: store, assets: assets, results: book, now: clock) { line in warn("class: " + line) }
        try OutputFiles.writePort(listener.localPort, to: portFile)
        announce(boundPort: listener.localPort, code: joinCode, results: book.path)
        Thread.detachNewThread {
            while stopRequested == 0 {
                sleep(1)
                app.sweep()
                app.flush()
            }
        }
        acceptConnections(on: listener, maxConnections: max(ConnectionBudget.defaultMaxConnections(), maxStudents * 2 + 16),
                          tracer: nil) { client, ticket in
            ServerConnection.serve(client, id: ticket.id, tls: tls, responder: app, tracer: nil, ticket: ticket) { stopRequested != 0 }
        }
        app.flush()
        warn("h2lab class: stopped; results in \(book.path)")
    }

    /// What the teacher reads out: the addresses, the join code, the terminal students' command
    /// with the certificate's fingerprint, where to log in, where the results go; and a warning
    /// when the classroom listens beyond loopback.
    func announce(boundPort: UInt16, code joinCode: String, results: String) {
        let addresses = Self.addresses(for: host)
        warn("h2lab class: students open " + addresses.map { "https://\($0):\(boundPort)/" }.joined(separator: "  or  "))
        warn("join code: \(joinCode)")
        if let fingerprint = cert.flatMap(TLSContext.fingerprint(of:)) ?? (try? labCertificate())?.fingerprint {
            warn("terminal students: h2lab lesson NAME --join https://\(addresses.first ?? "localhost"):\(boundPort) --code \(joinCode) "
                 + "--name NAME --fingerprint SHA256:\(fingerprint)")
        }
        warn("teacher: log in at https://\(addresses.first ?? "localhost"):\(boundPort)/login  (users file \(usersFile.path))")
        warn("results: \(results)   (Ctrl-C stops the class; results are kept)")
        if !["127.0.0.1", "::1", "localhost"].contains(host) {
            warn("warning: the classroom listens on \(host), not only on loopback: anyone on the network can reach it (they need the code to join)")
        }
    }

    /// The addresses students type: the bound one, or with a wildcard every non-loopback address
    /// of this machine (IPv4 first), and localhost for the teacher's own browser.
    static func addresses(for host: String) -> [String] {
        guard host == "0.0.0.0" || host == "::" else { return [host == "127.0.0.1" ? "localhost" : host] }
        var list: [String] = []
        var head: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&head) == 0, let first = head else { return ["localhost"] }
        defer { freeifaddrs(head) }
        var cursor: UnsafeMutablePointer<ifaddrs>? = first
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            guard let address = entry.pointee.ifa_addr else { continue }
            let family = Int32(address.pointee.sa_family)
            guard family == AF_INET || (family == AF_INET6 && host == "::") else { continue }
            var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            let length = socklen_t(family == AF_INET ? MemoryLayout<sockaddr_in>.size : MemoryLayout<sockaddr_in6>.size)
            guard getnameinfo(address, length, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0 else { continue }
            let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if text.hasPrefix("127.") || text == "::1" || text.hasPrefix("fe80") { continue }
            list.append(family == AF_INET6 ? "[\(text)]" : text)
        }
        return list.isEmpty ? ["localhost"] : list
    }
}
