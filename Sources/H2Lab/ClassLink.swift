import Classroom
import Engine
import Foundation
import Lessons
import Transport

/// A terminal student's link to a running `h2lab class` (`h2lab lesson NAME --join URL --code CODE
/// --name NAME`): joins as a student over HTTP/2 and TLS, then sends the lesson's progress
/// (POST /api/report, with the session's cookie and CSRF token) after every line the student types.
/// A failure to reach the class is said once and never stops the lesson.
final class ClassLink {
    let target: Target
    let verify: Bool
    var cookie = ""
    var csrf = ""
    var client: ClientConnection?
    var complained = false

    init(url: String, verify: Bool) throws {
        target = try Target(url)
        guard target.scheme == "https" else { throw LinkError(message: "the classroom's address starts with https://") }
        self.verify = verify
    }

    struct LinkError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    /// One JSON request; the status and the body's JSON object.
    func send(_ method: String, _ path: String, _ object: Any) throws -> (status: Int, object: [String: Any], headers: [HeaderField]) {
        if client == nil || client?.isUsable != true {
            client?.close()
            let (stream, _) = try Self.open(target, verify: verify)
            client = ClientConnection(stream: stream, tracer: nil)
        }
        guard let client else { throw LinkError(message: "no connection") }
        var headers = [HeaderField(":method", method), HeaderField(":scheme", "https"), HeaderField(":path", path),
                       HeaderField(":authority", target.authority), HeaderField("content-type", "application/json"),
                       HeaderField("user-agent", "h2lab-lesson")]
        if !cookie.isEmpty { headers.append(HeaderField("cookie", cookie)) }
        if !csrf.isEmpty { headers.append(HeaderField("x-csrf-token", csrf)) }
        let body = Array(((try? JSONSerialization.data(withJSONObject: object)) ?? Data("{}".utf8)))
        guard let result = client.exchange([(url: path, headers: headers, body: body)], timeoutMilliseconds: 10_000).first,
              result.error == nil, let status = result.status.flatMap(Int.init) else {
            self.client = nil
            throw LinkError(message: "no answer from \(target.authority)")
        }
        let object = (try? JSONSerialization.jsonObject(with: Data(result.body))) as? [String: Any] ?? [:]
        return (status, object, result.headers)
    }

    static func open(_ target: Target, verify: Bool) throws -> (ByteStream, String?) {
        do {
            return try target.open(verify: verify)
        } catch {
            throw LinkError(message: error.message + (error.isCertificateProblem ? " (--insecure skips the certificate check; compare the fingerprint the teacher reads out)" : ""))
        }
    }

    /// POST /api/join as a terminal student.
    func join(code: String, name: String) throws {
        let (status, object, headers) = try send("POST", "/api/join", ["code": code, "name": name, "via": "terminal"])
        guard status == 200 else {
            throw LinkError(message: "the class refused to let you join (\(status)): \(object["error"] as? String ?? "")")
        }
        for field in headers where field.name == "set-cookie" && field.value.hasPrefix(ClassroomApp.sessionCookie + "=") {
            cookie = String(field.value.prefix { $0 != ";" })
        }
        csrf = object["csrf"] as? String ?? ""
    }

    /// Sends where the student is; says once if the class cannot be reached.
    func report(_ report: LessonReport) {
        guard let object = try? JSONSerialization.jsonObject(with: report.json) else { return }
        do {
            let (status, answer, _) = try send("POST", "/api/report", object)
            if status != 200 { throw LinkError(message: "the class answered \(status): \(answer["error"] as? String ?? "")") }
            complained = false
        } catch {
            if !complained { warn("(the class did not get your progress: \(error); the lesson goes on)") }
            complained = true
        }
    }
}
