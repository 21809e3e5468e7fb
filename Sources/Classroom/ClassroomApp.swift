import Engine
import Foundation
import Lessons
import Panel
import Transport

/// `h2lab class`: a classroom over HTTP/2 and TLS. Students join with a code and a name and get a
/// lab of their own (a lesson in class mode, the terminal's interpreter); the teacher logs in as to
/// the panel (`LoginGate`) and sees the roster live, chooses the lesson, paces it, looks at any
/// student's lab, shows one on the projector, and exports the scores.
///
/// Security (the server listens to people who did not log in):
/// - student sessions are random 256-bit ids in the `__Host-` cookie (HttpOnly, Secure,
///   SameSite=Strict), each with its own CSRF token required on every state change; a student
///   reaches only the desk its cookie names (no id in a URL reaches a lab) and every teacher route
///   answers 403 to a student;
/// - a wrong join code is refused (403) and throttled per address (429), with a limit high enough
///   that a class behind one NAT survives its typos (`joinFailures`);
/// - `maxStudents` desks at most (503 beyond), request bodies capped (413), each desk's output,
///   history and command rate bounded (`Desk.Limits`);
/// - the labs have the classroom's capabilities: nothing connects, nothing is written;
/// - names are text: the pages set them with textContent, the CSV defuses formulas.
public final class ClassroomApp: Responder, @unchecked Sendable {
    public static let sessionCookie = "__Host-h2lab-class"
    public static let loginCookie = "__Host-h2lab-class-login"
    /// Request bodies the classroom reads are small JSON objects or the login form.
    public static let bodyLimit = 16 * 1024
    /// Failed join codes an address may send per minute: a room of 30 behind one NAT address can
    /// mistype the code once or twice each; guessing a 6-character code at this rate takes years.
    public static let joinFailures = 60
    public static let nameLimit = 40
    /// Seconds between roster events when nothing changes, and the fewest between two.
    public static let heartbeat = 15.0
    public static let eventInterval = 0.4

    /// Minutes a student's session lives without a request (`h2lab class --student-minutes`).
    public static let defaultStudentMinutes = 30.0

    public struct Configuration: Sendable {
        public var code: String
        public var maxStudents: Int
        public var lessons: String
        /// Seconds the teacher's session may sit idle.
        public var idleTimeout: Double
        /// Seconds a student's desk lives without a request from its session: then the student has
        /// left (their lab is freed, their results stay). An open page polls every 2 s and a
        /// terminal student's `--join` every few seconds, so only a student who went away reaches it.
        public var studentTimeout: Double
        public init(code: String, maxStudents: Int, lessons: String, idleTimeout: Double,
                    studentTimeout: Double = ClassroomApp.defaultStudentMinutes * 60) {
            self.code = code
            self.maxStudents = maxStudents
            self.lessons = lessons
            self.idleTimeout = idleTimeout
            self.studentTimeout = studentTimeout
        }
    }

    let configuration: Configuration
    public let gate: LoginGate
    let assets: PanelAssets
    let results: ResultBook
    let now: @Sendable () -> Double
    let log: @Sendable (String) -> Void

    let lock = NSLock()
    /// Students' desks by session id; the teachers' by user name.
    var desks: [String: Desk] = [:]
    var teacherDesks: [String: Desk] = [:]
    var joinThrottle: LoginThrottle
    var lesson: LessonScript?
    /// How many times the teacher has chosen a lesson: a terminal student follows when it grows.
    var lessonSerial = 0
    /// Students whose session expired (idle past `studentTimeout`), by roster id: the roster shows
    /// them as left.
    var departed: [String: (name: String, via: String)] = [:]
    /// The last section students may reach; nil: free.
    var openThrough: Int?
    var ended = false
    /// Grows at every change the roster shows; the events stream sends when it moved.
    var version = 0
    var feeds: [Int: [UInt32: (version: Int, sent: Double)]] = [:]

    public init(configuration: Configuration, users: UserStore, assets: PanelAssets, results: ResultBook,
                now: @escaping @Sendable () -> Double, log: @escaping @Sendable (String) -> Void) {
        self.configuration = configuration
        self.gate = LoginGate(users: users, template: assets["login.html"], sessionCookie: Self.sessionCookie,
                              loginCookie: Self.loginCookie, idleTimeout: configuration.idleTimeout, now: now, log: log)
        self.assets = assets
        self.results = results
        self.now = now
        self.log = log
        var throttle = LoginThrottle()
        throttle.limit = Self.joinFailures
        self.joinThrottle = throttle
    }

    public static let assetNames = ["login.html", "student.html", "dashboard.html", "projector.html", "classroom.css",
                                    "student.js", "dashboard.js", "projector.js", "labview.js", "favicon.svg"]
    public static let place = PanelAssets.Place(variable: "H2LAB_CLASSROOM_ASSETS", bundle: "H2Lab_Classroom.resources",
                                                share: "classroom", source: "Sources/Classroom/Resources", names: assetNames)

    /// A random join code: `length` letters and digits that cannot be mistaken for one another.
    public static func makeCode(length: Int = 6) -> String? {
        let alphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZ23456789")  // no I, O, 0, 1
        guard let bytes = PanelCrypto.random(length * 2) else { return nil }
        var code = ""
        for byte in bytes where code.count < length && Int(byte) < 256 - 256 % alphabet.count {
            code.append(alphabet[Int(byte) % alphabet.count])
        }
        return code.count == length ? code : makeCode(length: length)
    }

    // MARK: Responder

    public func answer(_ events: [Event], on connection: inout Connection, peer: PeerInfo) -> [Event] {
        var sent: [Event] = []
        for case .messageComplete(let id, .request) in events {
            guard let stream = connection.streams[id], let headers = stream.requestHeaders else { continue }
            let request = PanelRequest(headers: headers, body: stream.receivedBody, peer: peer)
            let began = DispatchTime.now().uptimeNanoseconds, cpuBegan = Self.threadCPUNanoseconds()
            switch handle(request) {
            case .full(var response):
                // How long the server worked on it (W3C Server Timing), for `scripts/bench class`:
                // `app` the time between request and response (it grows when the machine is busy),
                // `cpu` this thread's CPU time for it (what the step costs, whatever the load).
                let micros = (DispatchTime.now().uptimeNanoseconds - began) / 1_000
                let cpu = (Self.threadCPUNanoseconds() &- cpuBegan) / 1_000
                response.headers.append(HeaderField("server-timing", "app;dur=\(Self.milliseconds(micros)), cpu;dur=\(Self.milliseconds(cpu))"))
                sent += (try? connection.sendResponse(id, PanelApp.secured(Self.named(response)).headerList, body: response.body)) ?? []
            case .events:
                let head = PanelApp.secured(Self.named(SiteResponse(status: 200, headers: [HeaderField("content-type", "text/event-stream")], body: [])))
                sent += (try? connection.sendResponseHead(id, head.headerList)) ?? []
                lock.withLock { feeds[peer.connection, default: [:]][id] = (-1, 0) }
            }
        }
        return sent + tick(on: &connection, peer: peer)
    }

    /// The calling thread's CPU time (CLOCK_THREAD_CPUTIME_ID), in nanoseconds.
    static func threadCPUNanoseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }

    /// Microseconds as milliseconds with three decimals ("12.345"), as Server-Timing writes them.
    static func milliseconds(_ micros: UInt64) -> String { "\(micros / 1_000).\(String(format: "%03d", Int(micros % 1_000)))" }

    static func named(_ response: SiteResponse) -> SiteResponse {
        var response = response
        response.headers.append(HeaderField("x-h2lab", "classroom"))
        return response
    }

    /// Sends the roster to every live events stream on this connection when it changed (at most
    /// every `eventInterval`), and a comment line when quiet for `heartbeat`.
    public func tick(on connection: inout Connection, peer: PeerInfo) -> [Event] {
        guard let streams = lock.withLock({ feeds[peer.connection] }) else { return [] }
        var sent: [Event] = []
        let now = self.now()
        let current = lock.withLock { version }
        for (id, feed) in streams {
            let state = connection.state(of: id)
            guard state == .open || state == .halfClosedRemote else {
                lock.withLock { feeds[peer.connection]?[id] = nil }
                continue
            }
            if (connection.streams[id]?.pendingSendCount ?? 0) > 256 * 1024 { continue }
            if feed.version != current && now - feed.sent >= Self.eventInterval {
                let text = "event: roster\ndata: " + rosterJSON() + "\n\n"
                sent += (try? connection.sendData(id, Array(text.utf8), endStream: false)) ?? []
                lock.withLock { feeds[peer.connection]?[id] = (current, now) }
            } else if now - feed.sent >= Self.heartbeat {
                sent += (try? connection.sendData(id, Array(": still here\n\n".utf8), endStream: false)) ?? []
                lock.withLock { feeds[peer.connection]?[id]?.sent = now }
            }
        }
        return sent
    }

    public func closed(peer: PeerInfo) {
        lock.withLock { feeds[peer.connection] = nil }
    }

    // MARK: Who is asking

    enum Reply {
        case full(SiteResponse)
        case events
    }

    enum Who {
        case teacher(user: String, sessionID: String, csrf: String)
        case student(Desk, sessionID: String)

        var csrf: String {
            switch self {
            case .teacher(_, _, let csrf): return csrf
            case .student(let desk, _): return desk.csrf
            }
        }
    }

    func who(_ request: PanelRequest) -> Who? {
        if let (id, session) = gate.session(request) { return .teacher(user: session.user, sessionID: id, csrf: session.csrf) }
        guard let id = request.cookie(Self.sessionCookie), let desk = lock.withLock({ desks[id] }) else { return nil }
        // A request keeps the desk (a student back within the time finds their lab as it was);
        // one after the time finds it gone, as the sweep would have left it.
        let now = self.now()
        let fresh: Bool = desk.lock.withLock {
            guard now - desk.lastContact <= configuration.studentTimeout else { return false }
            desk.lastContact = now
            return true
        }
        guard fresh else {
            expire([id: desk])
            return nil
        }
        return .student(desk, sessionID: id)
    }

    /// Ends the sessions of students who sent nothing for `studentTimeout` (called every second
    /// by `h2lab class`): their labs are freed, their rows stay in the results, and the roster
    /// shows them as left.
    public func sweep() {
        let now = self.now()
        let all = lock.withLock { desks }
        let idle = all.filter { _, desk in desk.lock.withLock { now - desk.lastContact > configuration.studentTimeout } }
        if !idle.isEmpty { expire(idle) }
    }

    func expire(_ idle: [String: Desk]) {
        let gone: [Desk] = lock.withLock {
            var gone: [Desk] = []
            for (id, desk) in idle where desks[id] === desk {
                desks[id] = nil
                departed[desk.id] = (desk.name, desk.role == .terminal ? "terminal" : "browser")
                gone.append(desk)
            }
            if !gone.isEmpty { version += 1 }
            return gone
        }
        for _ in gone {
            log("a student left: no request for \(Int(configuration.studentTimeout / 60)) min (their lab is freed, their results kept)")
        }
    }

    /// The teacher's own desk (their lab for the projector), made at first use.
    func teacherDesk(_ user: String, csrf: String) -> Desk {
        let (desk, made, script): (Desk, Bool, LessonScript?) = lock.withLock {
            if let desk = teacherDesks[user] { return (desk, false, nil) }
            let desk = Desk(id: "teacher-" + user, name: user, role: .teacher, csrf: csrf, folder: configuration.lessons, now: now())
            teacherDesks[user] = desk
            return (desk, true, lesson)
        }
        if made, let script { _ = desk.begin(script, now: now()) }
        return desk
    }

    // MARK: Routing

    /// The routes anyone may reach (login, join, the assets), then who is asking, the CSRF token of a
    /// change, and the teacher's routes kept from students; then `signedIn`.
    func handle(_ request: PanelRequest) -> Reply {
        let path = request.path, method = request.method
        if request.body.count > Self.bodyLimit {
            return .full(PanelApp.json(413, ["error": "request body too large (at most \(Self.bodyLimit) bytes)"]))
        }
        switch (method, path) {
        case ("GET", "/login"), ("HEAD", "/login"): return .full(gate.page(status: 200, message: ""))
        case ("POST", "/login"): return .full(gate.login(request))
        case ("POST", "/api/join"): return .full(join(request))
        default: break
        }
        if method == "GET", path.count > 1, Self.assetNames.contains(String(path.dropFirst())), !path.hasSuffix(".html") {
            return .full(asset(String(path.dropFirst())))
        }
        guard let who = who(request) else {
            if method == "GET" && path == "/" { return .full(asset("student.html")) }
            if path.hasPrefix("/api/") || method != "GET" {
                return .full(PanelApp.json(401, ["error": "join the class first (POST /api/join), or log in as the teacher (POST /login)"]))
            }
            return .full(SiteResponse(status: 303, headers: [HeaderField("location", "/")], body: []))
        }
        if !(method == "GET" || method == "HEAD") && !LoginGate.csrfHolds(request, who.csrf) {
            return .full(PanelApp.json(403, ["error": "missing or wrong X-CSRF-Token (GET /api/session gives it)"]))
        }
        if case .student = who, path.hasPrefix("/api/class/") || path == "/projector" || path == "/api/lessons" || path == "/logout" {
            return .full(PanelApp.json(403, ["error": "only the teacher may do that"]))
        }
        return signedIn(request, who)
    }

    /// The routes of someone who joined or logged in, their role already checked.
    func signedIn(_ request: PanelRequest, _ who: Who) -> Reply {
        let path = request.path, method = request.method
        switch (method, path) {
        case ("GET", "/"):
            if case .teacher = who { return .full(asset("dashboard.html")) }
            return .full(asset("student.html"))
        case ("GET", "/projector"): return .full(asset("projector.html"))
        case ("GET", "/api/session"): return .full(session(who))
        case ("POST", "/logout"):
            if case .teacher(let user, let id, _) = who {
                gate.end(id)
                log("\(user) logged out")
            }
            var response = PanelApp.json(200, ["loggedOut": "true"])
            response.headers.append(gate.clearedSessionCookie)
            return .full(response)
        case ("POST", "/api/lab/command"): return .full(command(request, who))
        case ("POST", "/api/lab/complete"): return .full(complete(request))
        case ("GET", "/api/lab/state"): return .full(PanelApp.jsonText(200, LabView.text(desk(of: who).lab)))
        case ("GET", "/api/lab/output"): return .full(output(desk(of: who), since: Self.since(request)))
        case ("POST", "/api/report"): return .full(report(request, who))
        case ("GET", "/api/lessons"): return .full(lessons())
        case ("POST", "/api/class/lesson"): return .full(chooseLesson(request))
        case ("POST", "/api/class/pace"): return .full(pace(request))
        case ("POST", "/api/class/end"): return .full(endClass(who))
        case ("GET", "/api/class/roster"): return .full(PanelApp.jsonText(200, rosterJSON()))
        case ("GET", "/api/class/events"): return .events
        case ("GET", "/api/class/scores.csv"):
            return .full(download("h2lab-scores.csv", type: "text/csv; charset=utf-8", results.csv))
        case ("GET", "/api/class/scores.json"):
            return .full(download("h2lab-scores.json", type: "application/json", results.json + "\n"))
        default:
            return student(request) ?? .full(unknownRoute(request))
        }
    }

    /// A file the browser saves (the scores).
    func download(_ name: String, type: String, _ text: String) -> SiteResponse {
        SiteResponse(status: 200, headers: [
            HeaderField("content-type", type),
            HeaderField("content-disposition", "attachment; filename=\"\(name)\""),
        ], body: Array(text.utf8))
    }

    /// /api/class/students/ID[/state|/output] (the teacher's): one student's lab, read only, or
    /// their removal; nil for any other path.
    func student(_ request: PanelRequest) -> Reply? {
        let path = request.path, method = request.method
        // Read exactly as `handle` checked it (the teacher-only prefix): `//api/class/…` or empty
        // segments must not reach a teacher's route by another spelling.
        let prefix = "/api/class/students/"
        guard path.hasPrefix(prefix) else { return nil }
        let parts = ["api", "class", "students"] + path.dropFirst(prefix.count).split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 4 || parts.count == 5, !parts[3].isEmpty else { return nil }
        guard let desk = lock.withLock({ desks.values.first { $0.id == parts[3] } }) else {
            return .full(PanelApp.json(404, ["error": "no student \(parts[3]) in the class"]))
        }
        switch (method, parts.count == 5 ? parts[4] : "") {
        case ("GET", "state"): return .full(PanelApp.jsonText(200, LabView.text(desk.lab)))
        case ("GET", "output"): return .full(output(desk))
        case ("DELETE", ""): return .full(remove(desk))
        default: return .full(PanelApp.json(405, ["error": "\(method) is not allowed on \(path)"]))
        }
    }

    /// 405 for a known path asked with another method, 404 for any other.
    func unknownRoute(_ request: PanelRequest) -> SiteResponse {
        let path = request.path, method = request.method
        let known = ["/", "/projector", "/api/session", "/logout", "/api/lab/command", "/api/lab/complete", "/api/lab/state",
                     "/api/lab/output", "/api/report", "/api/lessons", "/api/class/lesson", "/api/class/pace", "/api/class/end",
                     "/api/class/roster", "/api/class/events", "/api/class/scores.csv", "/api/class/scores.json"]
        if known.contains(path) { return PanelApp.json(405, ["error": "\(method) is not allowed on \(path)"]) }
        return PanelApp.json(404, ["error": "no such page: \(path)"])
    }

    func desk(of who: Who) -> Desk {
        switch who {
        case .teacher(let user, _, let csrf): return teacherDesk(user, csrf: csrf)
        case .student(let desk, _): return desk
        }
    }

    func asset(_ name: String) -> SiteResponse { assets.response(name) }

    static func jsonObject(_ status: Int, _ object: [String: Any], headers: [HeaderField] = []) -> SiteResponse {
        var response = PanelApp.jsonText(status, JSONText.encode(object))
        response.headers += headers
        return response
    }

    // MARK: Joining

    /// A display name: trimmed, 1-40 characters, no control characters. Kept as text (escaped where shown).
    static func validName(_ raw: String) -> String? {
        let name = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty, name.count <= nameLimit,
              !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0.properties.generalCategory == .format })
        else { return nil }
        return name
    }

    func join(_ request: PanelRequest) -> SiteResponse {
        // A cross-site page cannot send a JSON body without a CORS preflight, which is never granted.
        guard request.header("content-type")?.lowercased().hasPrefix("application/json") == true else {
            return PanelApp.json(415, ["error": "send {\"code\": \"…\", \"name\": \"…\"} as application/json"])
        }
        let address = request.peer.address, now = self.now()
        if let wait = lock.withLock({ joinThrottle.retryAfter(address, now: now) }) {
            log("join refused for \(address): too many wrong codes (retry after \(wait) s)")
            var response = PanelApp.json(429, ["error": "too many wrong codes from your network: wait \(wait) seconds"])
            response.headers.append(HeaderField("retry-after", "\(wait)"))
            return response
        }
        guard let object = request.jsonObject, let code = object["code"] as? String, let rawName = object["name"] as? String else {
            return PanelApp.json(400, ["error": "expected {\"code\": \"…\", \"name\": \"…\"}"])
        }
        let typed = code.trimmingCharacters(in: .whitespaces).uppercased()
        guard PanelCrypto.constantTimeEqual(Array(typed.utf8), Array(configuration.code.uppercased().utf8)) else {
            lock.withLock { joinThrottle.fail(address, now: now) }
            log("wrong join code from \(address)")
            return PanelApp.json(403, ["error": "that is not the class's code: check it with your teacher"])
        }
        guard let name = Self.validName(rawName) else {
            return PanelApp.json(400, ["error": "a name is 1-\(Self.nameLimit) characters, without control characters"])
        }
        let terminal = (object["via"] as? String) == "terminal"
        guard let sessionID = PanelCrypto.token(), let csrf = PanelCrypto.token(), let rosterID = PanelCrypto.random(9).map(PanelCrypto.base64URL) else {
            return PanelApp.json(500, ["error": "no random numbers: cannot make a session"])
        }
        let desk = Desk(id: rosterID, name: name, role: terminal ? .terminal : .student, csrf: csrf,
                        folder: configuration.lessons, now: now)
        let outcome: Result<LessonScript?, RefusalError> = lock.withLock {
            if ended { return .failure(RefusalError(status: 410, message: "the class has ended")) }
            guard desks.count < configuration.maxStudents else {
                return .failure(RefusalError(status: 503, message: "the class is full (\(configuration.maxStudents) students)"))
            }
            desks[sessionID] = desk
            version += 1
            return .success(lesson)
        }
        let serial = lock.withLock { lessonSerial }
        switch outcome {
        case .failure(let refusal):
            var response = PanelApp.json(refusal.status, ["error": refusal.message])
            if refusal.status == 503 { response.headers.append(HeaderField("retry-after", "60")) }
            return response
        case .success(let script):
            if let script, !terminal {
                _ = desk.begin(script, now: now)
                record(desk)
            }
            log("\(terminal ? "a terminal" : "a student") joined from \(address) (\(lock.withLock { desks.count }) in the class)")
            return Self.jsonObject(200, ["role": "student", "name": name, "csrf": csrf, "lesson": script?.name ?? NSNull(),
                                         "classLesson": script?.name ?? NSNull(), "lessonSerial": serial],
                                   headers: [HeaderField("set-cookie", PanelApp.cookie(Self.sessionCookie, sessionID, maxAge: nil))])
        }
    }

    struct RefusalError: Error {
        var status: Int
        var message: String
    }

    func session(_ who: Who) -> SiteResponse {
        switch who {
        case .teacher(let user, _, let csrf):
            let code = configuration.code
            return Self.jsonObject(200, ["role": "teacher", "name": user, "csrf": csrf, "code": code])
        case .student(let desk, _):
            var reply: [String: Any] = ["role": "student", "name": desk.name, "csrf": desk.csrf]
            reply.merge(classLesson()) { _, new in new }
            return Self.jsonObject(200, reply)
        }
    }

    /// The class's lesson and how many times the teacher has chosen one: a terminal student
    /// (`h2lab lesson --join`) reads them to follow the teacher as a browser's lab does.
    func classLesson() -> [String: Any] {
        lock.withLock { ["classLesson": lesson?.name ?? NSNull(), "lessonSerial": lessonSerial] }
    }

    // MARK: The lab

    func command(_ request: PanelRequest, _ who: Who) -> SiteResponse {
        guard let object = request.jsonObject, let line = object["line"] as? String else {
            return PanelApp.json(400, ["error": "expected {\"line\": \"…\"} (an empty line goes on)"])
        }
        let desk = desk(of: who)
        guard line.count <= desk.limits.lineLength, !line.contains("\n") else {
            return PanelApp.json(400, ["error": "a command is one line of at most \(desk.limits.lineLength) characters"])
        }
        guard desk.admit(now: now()) else {
            var response = PanelApp.json(429, ["error": "slow down: at most \(Int(desk.limits.perSecond)) commands a second"])
            response.headers.append(HeaderField("retry-after", "1"))
            return response
        }
        let open = lock.withLock { openThrough }
        let lines = desk.command(line, openThrough: open)
        record(desk)
        var reply = status(desk)
        reply["output"] = lines.joined(separator: "\n")
        return Self.jsonObject(200, reply)
    }

    /// Where a desk is: the fields the command answer and the output share.
    func status(_ desk: Desk) -> [String: Any] {
        desk.lock.withLock {
            var reply: [String: Any] = ["prompt": desk.prompt, "lesson": NSNull(), "section": NSNull(), "sections": NSNull(),
                                        "complete": false, "score": NSNull(), "mode": "lab"]
            if let run = desk.run {
                reply["lesson"] = run.script.name
                reply["title"] = run.script.title
                reply["section"] = run.sectionNumber
                reply["sections"] = run.sectionCount
                reply["complete"] = run.mode == .finished
                reply["score"] = run.score ?? NSNull()
                reply["mode"] = "\(run.mode)"
                reply["exercisesDone"] = run.exercisesDone
                reply["predictionsDone"] = run.predictionsDone
                reply["predictionsRight"] = run.predictionsRight
                if let goals = run.goals { reply["goals"] = goals.map { ["text": $0.text, "holds": $0.holds] as [String: Any] } }
                if let options = run.options { reply["options"] = options }
                if let last = run.outcomes.last, !last.isExercise {
                    reply["lastPrediction"] = ["answer": last.answer ?? "", "key": last.key ?? "", "right": last.result == .right] as [String: Any]
                }
            }
            reply["open"] = lock.withLock { openThrough } ?? NSNull()
            return reply
        }
    }

    /// The kept output (`lines`, after the `dropped` oldest), or with `since` (a count of lines
    /// the page already has, dropped ones included) only the newer ones: a page polls cheaply.
    func output(_ desk: Desk, since: Int? = nil) -> SiteResponse {
        var reply = status(desk)
        desk.lock.withLock {
            let total = desk.droppedLines + desk.output.count
            let from = since.map { max(0, min(desk.output.count, $0 - desk.droppedLines)) } ?? 0
            reply["lines"] = Array(desk.output[from...])
            reply["from"] = desk.droppedLines + from
            reply["total"] = total
            reply["dropped"] = desk.droppedLines
            reply["name"] = desk.name
        }
        return Self.jsonObject(200, reply)
    }

    /// `?since=N` on the request's path.
    static func since(_ request: PanelRequest) -> Int? {
        guard let query = request.header(":path")?.split(separator: "?", maxSplits: 1).dropFirst().first else { return nil }
        for pair in query.split(separator: "&") where pair.hasPrefix("since=") { return Int(pair.dropFirst(6)).map { max(0, $0) } }
        return nil
    }

    /// Tab: the words that may come next (the terminal's completion).
    func complete(_ request: PanelRequest) -> SiteResponse {
        guard let object = request.jsonObject, let before = object["before"] as? String, before.count <= 2_000 else {
            return PanelApp.json(400, ["error": "expected {\"before\": \"the line up to the word\"}"])
        }
        return Self.jsonObject(200, ["candidates": Completion.candidates(before: before, lessons: [], capabilities: .classroom)])
    }

    /// Keeps a desk's progress in the lesson it is in.
    func record(_ desk: Desk) {
        guard let run = desk.lock.withLock({ desk.run }) else { return }
        let now = self.now()
        results.update(student: desk.id, lesson: run.script.name, { $0.take(run, now: now) },
                       make: { LessonResult(student: desk.id, name: desk.name, lesson: run.script.name, via: "browser", started: now) })
        lock.withLock { version += 1 }
    }

    /// POST /api/report from a terminal student (`h2lab lesson NAME --join`): their progress.
    func report(_ request: PanelRequest, _ who: Who) -> SiteResponse {
        guard case .student(let desk, _) = who else { return PanelApp.json(403, ["error": "reports come from students"]) }
        guard let object = request.jsonObject, let lesson = object["lesson"] as? String, !lesson.isEmpty, lesson.count <= 100,
              let section = object["section"] as? Int, let sections = object["sections"] as? Int else {
            return PanelApp.json(400, ["error": "expected {\"lesson\", \"section\", \"sections\", …} (h2lab lesson --report's fields)"])
        }
        guard desk.admit(now: now()) else { return PanelApp.json(429, ["error": "slow down"]) }
        let now = self.now()
        func int(_ key: String) -> Int { max(0, min(10_000, object[key] as? Int ?? 0)) }
        let items = ((object["items"] as? [String]) ?? []).prefix(200).map { String($0.prefix(100)) }
        let recorded = results.update(student: desk.id, lesson: lesson, { row in
            row.section = max(1, min(section, 10_000))
            row.sections = max(0, min(sections, 10_000))
            row.complete = object["complete"] as? Bool ?? false
            row.exercisesOwn = int("exercisesOwn")
            row.exercisesHelped = int("exercisesHelped")
            row.predictionsRight = int("predictionsRight")
            row.predictions = int("predictions")
            row.score = (object["score"] as? Int).map { max(0, min(100, $0)) }
            row.items = Array(items)
            row.updated = now
            if row.complete && row.finished == nil { row.finished = now }
        }, make: { LessonResult(student: desk.id, name: desk.name, lesson: lesson, via: "terminal", started: now) })
        guard recorded else {
            return PanelApp.json(409, ["error": "results for \(ResultBook.lessonsPerStudent) lessons are recorded for you already: no more lessons"])
        }
        desk.lock.withLock { desk.lastSeen = now }
        lock.withLock { version += 1 }
        return Self.jsonObject(200, ["recorded": true].merging(classLesson()) { _, new in new })
    }

    // MARK: The teacher

    func lessons() -> SiteResponse {
        let list: [[String: Any]] = LessonRunner.lessons(in: configuration.lessons).compactMap { name in
            guard let script = try? LessonScript.load(path: configuration.lessons + "/" + name + ".h2lab") else { return nil }
            return ["name": name, "title": script.title, "sections": script.sections.count]
        }
        let current = lock.withLock { lesson?.name }
        return Self.jsonObject(200, ["lessons": list, "current": current ?? NSNull()])
    }

    func chooseLesson(_ request: PanelRequest) -> SiteResponse {
        guard let object = request.jsonObject, let name = object["name"] as? String else {
            return PanelApp.json(400, ["error": "expected {\"name\": \"05-multiplexing\"}"])
        }
        // A lesson of the folder, by name: never a path.
        guard LessonRunner.lessons(in: configuration.lessons).contains(name) else {
            return PanelApp.json(404, ["error": "no lesson '\(name)' in the classroom's folder (GET /api/lessons lists them)"])
        }
        let script: LessonScript
        do {
            script = try LessonScript.load(path: configuration.lessons + "/" + name + ".h2lab")
        } catch {
            return PanelApp.json(500, ["error": error.description])
        }
        let everyone: [Desk] = lock.withLock {
            lesson = script
            lessonSerial += 1
            version += 1
            return desks.values.filter { $0.role == .student } + teacherDesks.values
        }
        for desk in everyone {
            _ = desk.begin(script, now: now())
            if desk.role == .student { record(desk) }
        }
        log("the class is now in \(name) (\(everyone.count) labs)")
        return Self.jsonObject(200, ["lesson": name, "title": script.title, "sections": script.sections.count, "students": everyone.count])
    }

    func pace(_ request: PanelRequest) -> SiteResponse {
        guard let object = request.jsonObject, object.keys.contains("open") else {
            return PanelApp.json(400, ["error": "expected {\"open\": N} (students may reach section N) or {\"open\": null} (free)"])
        }
        if object["open"] is NSNull {
            lock.withLock { openThrough = nil; version += 1 }
            return Self.jsonObject(200, ["open": NSNull()])
        }
        guard let n = object["open"] as? Int, n >= 1, n <= 1_000 else {
            return PanelApp.json(400, ["error": "\"open\" is a section number (1 or more) or null"])
        }
        lock.withLock { openThrough = n; version += 1 }
        return Self.jsonObject(200, ["open": n])
    }

    func remove(_ desk: Desk) -> SiteResponse {
        lock.withLock {
            desks = desks.filter { $0.value !== desk }
            version += 1
        }
        log("a student was removed from the class")
        return Self.jsonObject(200, ["removed": desk.id])
    }

    func endClass(_ who: Who) -> SiteResponse {
        let count: Int = lock.withLock {
            let count = desks.count
            desks = [:]
            ended = true
            version += 1
            return count
        }
        try? results.save()
        log("the class ended (\(count) students)")
        return Self.jsonObject(200, ["ended": true, "students": count])
    }

    /// The roster's text for a version and a second of the clock: every events stream and GET of
    /// the same moment shares one.
    var rosterCache: (version: Int, second: Int, text: String)?

    /// The roster: every student with a desk, and those the results file remembers.
    func rosterJSON() -> String {
        let now = self.now()
        let key = lock.withLock { (version, Int(now)) }
        if let cached = lock.withLock({ rosterCache }), cached.version == key.0, cached.second == key.1 { return cached.text }
        let text = makeRosterJSON(now: now)
        lock.withLock { rosterCache = (key.0, key.1, text) }
        return text
    }

    func makeRosterJSON(now: Double) -> String {
        let (present, current, open, isEnded, gone) = lock.withLock { (Array(desks.values), lesson?.name, openThrough, ended, departed) }
        let latest = results.latest
        var seen: Set<String> = []
        var students: [[String: Any]] = []
        func row(_ id: String, _ name: String, _ result: LessonResult?, idle: Double?, online: Bool, via: String) -> [String: Any] {
            var row: [String: Any] = [
                "id": id, "name": name, "lesson": result?.lesson ?? NSNull(), "section": result?.section ?? NSNull(),
                "sections": result?.sections ?? NSNull(), "exercisesOwn": result?.exercisesOwn ?? 0,
                "exercisesHelped": result?.exercisesHelped ?? 0, "predictionsRight": result?.predictionsRight ?? 0,
                "predictions": result?.predictions ?? 0, "score": result?.score ?? NSNull(), "complete": result?.complete ?? false,
                "idleSeconds": idle.map { Int($0) } ?? NSNull(), "online": online, "via": via,
            ]
            row["left"] = !online && gone[id] != nil
            return row
        }
        for desk in present.sorted(by: { $0.name.localizedCaseInsensitiveCompare($1.name) == .orderedAscending }) {
            seen.insert(desk.id)
            let lastSeen = desk.lock.withLock { desk.lastSeen }
            students.append(row(desk.id, desk.name, latest[desk.id], idle: max(0, now - lastSeen), online: true,
                                via: desk.role == .terminal ? "terminal" : "browser"))
        }
        for result in latest.values.sorted(by: { $0.name < $1.name }) where !seen.contains(result.student) {
            seen.insert(result.student)
            students.append(row(result.student, result.name, result, idle: nil, online: false, via: result.via))
        }
        // Who left before a lesson gave them a row in the results.
        for (id, student) in gone.sorted(by: { $0.value.name < $1.value.name }) where !seen.contains(id) {
            students.append(row(id, student.name, nil, idle: nil, online: false, via: student.via))
        }
        let object: [String: Any] = ["students": students, "lesson": current ?? NSNull(), "open": open ?? NSNull(),
                                     "ended": isEnded, "max": configuration.maxStudents]
        return JSONText.encode(object)
    }

    /// Writes the results file if anything changed (called every second, and at the end).
    public func flush() {
        do { try results.save() } catch { log("error: \(error)") }
    }
}
