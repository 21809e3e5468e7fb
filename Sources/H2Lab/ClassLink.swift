import Classroom
import Engine
import Foundation
import Lessons
import Transport

/// A terminal student's link to a running `h2lab class` (`h2lab lesson NAME --join URL --code CODE
/// --name NAME`): joins as a student over HTTP/2 and TLS, then sends the lesson's progress
/// (POST /api/report, with the session's cookie and CSRF token) after every line the student types.
/// Between lines it asks the class every few seconds which lesson it is in (GET /api/session), so
/// that the student follows when the teacher starts another, as a browser's lab does (and the
/// session stays alive while the terminal is open). A failure to reach the class is said once and
/// never stops the lesson.
///
/// The classroom's certificate is checked as any TLS client checks one, unless the student pins
/// the SHA-256 fingerprint the teacher reads out (`--fingerprint`: the connection is refused before
/// anything is sent if the certificate is another) or skips the check (`--insecure`).
final class ClassLink: @unchecked Sendable {
    let target: Target
    let verify: Bool
    /// The certificate's SHA-256 digest the student expects (32 octets), if pinned.
    let pin: [UInt8]?
    /// One request at a time: the lesson's reports and the poll share the connection.
    let lock = NSLock()
    var cookie = ""
    var csrf = ""
    var client: ClientConnection?
    var complained = false
    /// How many times the teacher had chosen a lesson when we last looked, and a lesson chosen
    /// since that the student has not started yet.
    var serial = 0
    var pending: String?
    var polling = false
    /// Seconds between two polls of the class's lesson.
    static let pollInterval = 3.0

    init(url: String, verify: Bool, fingerprint: String? = nil) throws {
        target = try Target(url)
        guard target.scheme == "https" else { throw LinkError(message: "the classroom's address starts with https://") }
        self.verify = verify
        if let fingerprint {
            guard let digest = Self.digest(fingerprint) else { throw LinkError(message: Self.fingerprintForm) }
            pin = digest
        } else {
            pin = nil
        }
    }

    struct LinkError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    static let fingerprintForm = "--fingerprint is the certificate's SHA-256 fingerprint as `h2lab class` prints it "
        + "(SHA256:33:A1:…:CF, 32 hexadecimal pairs, colons optional) or in base64 (SHA256:M6H0…)"

    /// The 32 octets of a SHA-256 fingerprint written as `h2lab class` prints it (`33:A1:…`, with
    /// or without colons or spaces, either case), or in base64 (as OpenSSH writes digests), with
    /// an optional `SHA256:` in front. Nil for anything else.
    static func digest(_ text: String) -> [UInt8]? {
        var rest = text.trimmingCharacters(in: .whitespaces)
        for prefix in ["sha256:", "sha-256:", "sha256/", "sha-256/"] where rest.lowercased().hasPrefix(prefix) {
            rest = String(rest.dropFirst(prefix.count))
            break
        }
        let hex = rest.filter { $0 != ":" && $0 != " " }
        if hex.count == 64, hex.allSatisfy(\.isHexDigit) {
            var octets: [UInt8] = []
            var index = hex.startIndex
            while index < hex.endIndex {
                let next = hex.index(index, offsetBy: 2)
                guard let octet = UInt8(hex[index..<next], radix: 16) else { return nil }
                octets.append(octet)
                index = next
            }
            return octets
        }
        var base64 = rest.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64), data.count == 32 else { return nil }
        return Array(data)
    }

    /// One JSON request (GET without a body when `object` is nil); the status and the body's
    /// JSON object.
    func send(_ method: String, _ path: String, _ object: Any?) throws -> (status: Int, object: [String: Any], headers: [HeaderField]) {
        try lock.withLock {
            if client == nil || client?.isUsable != true {
                client?.close()
                let (stream, _) = try Self.open(target, verify: verify, pin: pin)
                client = ClientConnection(stream: stream, tracer: nil)
            }
            guard let client else { throw LinkError(message: "no connection") }
            var headers = [HeaderField(":method", method), HeaderField(":scheme", "https"), HeaderField(":path", path),
                           HeaderField(":authority", target.authority), HeaderField("user-agent", "h2lab-lesson")]
            if object != nil { headers.append(HeaderField("content-type", "application/json")) }
            if !cookie.isEmpty { headers.append(HeaderField("cookie", cookie)) }
            if !csrf.isEmpty { headers.append(HeaderField("x-csrf-token", csrf)) }
            let body = object.map { Array(((try? JSONSerialization.data(withJSONObject: $0)) ?? Data("{}".utf8))) } ?? []
            guard let result = client.exchange([(url: path, headers: headers, body: body)], timeoutMilliseconds: 10_000).first,
                  result.error == nil, let status = result.status.flatMap(Int.init) else {
                self.client = nil
                throw LinkError(message: "no answer from \(target.authority)")
            }
            let object = (try? JSONSerialization.jsonObject(with: Data(result.body))) as? [String: Any] ?? [:]
            return (status, object, result.headers)
        }
    }

    static func open(_ target: Target, verify: Bool, pin: [UInt8]?) throws -> (ByteStream, String?) {
        let opened: (stream: ByteStream, tls: String?)
        do {
            // A pinned certificate is checked by its digest instead of by a certificate authority.
            opened = try target.open(verify: verify && pin == nil)
        } catch {
            throw LinkError(message: error.message + (error.isCertificateProblem
                ? " (compare the fingerprint the teacher reads out: --fingerprint SHA256:… checks it; --insecure skips the check)" : ""))
        }
        if let pin {
            let seen = (opened.stream as? TLSStream)?.peerCertificateDigest
            guard seen == pin else {
                opened.stream.close()
                let shown = seen.map { "SHA256:" + Hex.encode($0, separator: ":").uppercased() } ?? "none"
                throw LinkError(message: "the classroom's certificate is not the one you pinned: its SHA-256 fingerprint is \(shown), "
                    + "you gave SHA256:\(Hex.encode(pin, separator: ":").uppercased()). This may not be your teacher's machine: "
                    + "nothing was sent (check the fingerprint with your teacher)")
            }
        }
        return opened
    }

    /// POST /api/join as a terminal student.
    func join(code: String, name: String) throws {
        let (status, object, headers) = try send("POST", "/api/join", ["code": code, "name": name, "via": "terminal"])
        guard status == 200 else {
            throw LinkError(message: "the class refused to let you join (\(status)): \(object["error"] as? String ?? "")")
        }
        lock.withLock {
            for field in headers where field.name == "set-cookie" && field.value.hasPrefix(ClassroomApp.sessionCookie + "=") {
                cookie = String(field.value.prefix { $0 != ";" })
            }
            csrf = object["csrf"] as? String ?? ""
            serial = object["lessonSerial"] as? Int ?? 0
        }
    }

    /// Notes the class's lesson from an answer: a lesson the teacher chose since we last looked
    /// waits in `pending` (said once on the terminal) until the student's next line starts it.
    func noteLesson(_ answer: [String: Any]) {
        guard let now = answer["lessonSerial"] as? Int else { return }
        let chosen: String? = lock.withLock {
            guard now > serial else { return nil }
            serial = now
            pending = answer["classLesson"] as? String
            return pending
        }
        if let chosen { warn("\n(the teacher started the lesson \(chosen): press Enter to follow)") }
    }

    /// The lesson the class moved to, once (nil if it has not).
    func takePending() -> String? {
        lock.withLock {
            defer { pending = nil }
            return pending
        }
    }

    /// Sends where the student is; says once if the class cannot be reached.
    func report(_ report: LessonReport) {
        guard let object = try? JSONSerialization.jsonObject(with: report.json) else { return }
        do {
            let (status, answer, _) = try send("POST", "/api/report", object)
            if status != 200 { throw LinkError(message: "the class answered \(status): \(answer["error"] as? String ?? "")") }
            noteLesson(answer)
            lock.withLock { complained = false }
        } catch {
            complain(error)
        }
    }

    func complain(_ error: Error) {
        let first: Bool = lock.withLock {
            defer { complained = true }
            return !complained
        }
        if first { warn("(the class did not get your progress: \(error); the lesson goes on)") }
    }

    /// Asks the class which lesson it is in, every `pollInterval` seconds until `stop`.
    func startPolling() {
        lock.withLock { polling = true }
        Thread.detachNewThread { [self] in
            while lock.withLock({ polling }) {
                Thread.sleep(forTimeInterval: Self.pollInterval)
                guard lock.withLock({ polling }) else { break }
                if let (status, answer, _) = try? send("GET", "/api/session", nil), status == 200 { noteLesson(answer) }
            }
        }
    }

    func stop() {
        lock.withLock {
            polling = false
            client?.close()
            client = nil
        }
    }
}
