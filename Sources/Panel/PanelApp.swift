import Engine
import Foundation
import Transport

/// The control panel of seed 000, done properly: a login-protected web page and JSON API over
/// HTTP/2 (served by H2Lab's own engine and TLS) to start and stop demo servers, follow their logs
/// live (server-sent events on the same connection), and look inside their connections.
///
/// Security: sessions are random 256-bit ids in a `__Host-` cookie (HttpOnly, Secure,
/// SameSite=Strict), renewed at each login, ended after `idleTimeout` or at logout; every
/// state-changing request needs the session's CSRF token in `X-CSRF-Token` (the login form carries
/// its own, double-submitted in a cookie); failed logins are throttled per address; passwords are
/// PBKDF2 hashes compared in constant time; no password or session id is ever logged.
public final class PanelApp: Responder, @unchecked Sendable {
    public static let sessionCookie = "__Host-h2lab-session"
    public static let loginCookie = "__Host-h2lab-login"
    /// Request bodies the panel reads (form and JSON) are small.
    public static let bodyLimit = 64 * 1024

    let lock = NSLock()
    /// Users, sessions, the login form and its throttle (shared with the classroom).
    public let gate: LoginGate
    let assets: PanelAssets
    public let servers: DemoServers
    let now: @Sendable () -> Double
    let log: @Sendable (String) -> Void
    /// Live log streams: connection → stream → (server, next log line to send).
    var feeds: [Int: [UInt32: (server: Int, next: Int, sent: Double)]] = [:]
    /// Seconds between comment lines on a quiet log stream, so that neither the browser nor the
    /// server's idle timeout ends it.
    public static let heartbeat = 15.0

    public init(users: UserStore, assets: PanelAssets, servers: DemoServers, idleTimeout: Double = 30 * 60,
                now: @escaping @Sendable () -> Double, log: @escaping @Sendable (String) -> Void) {
        self.gate = LoginGate(users: users, template: assets["login.html"], sessionCookie: Self.sessionCookie,
                              loginCookie: Self.loginCookie, idleTimeout: idleTimeout, now: now, log: log)
        self.assets = assets
        self.servers = servers
        self.now = now
        self.log = log
    }

    // MARK: Responder

    public func answer(_ events: [Event], on connection: inout Connection, peer: PeerInfo) -> [Event] {
        var sent: [Event] = []
        for case .messageComplete(let id, .request) in events {
            guard let stream = connection.streams[id], let headers = stream.requestHeaders else { continue }
            let request = PanelRequest(headers: headers, body: stream.receivedBody, peer: peer)
            switch handle(request) {
            case .full(let response):
                sent += (try? connection.sendResponse(id, Self.secured(response).headerList, body: response.body)) ?? []
            case .feed(let server):
                let head = Self.secured(SiteResponse(status: 200, headers: [
                    HeaderField("content-type", "text/event-stream"),
                ], body: []))
                sent += (try? connection.sendResponseHead(id, head.headerList)) ?? []
                let now = self.now()
                lock.withLock { feeds[peer.connection, default: [:]][id] = (server, 0, now) }
            }
        }
        return sent + tick(on: &connection, peer: peer)
    }

    /// Sends new log lines to every live log stream on this connection, as server-sent events.
    public func tick(on connection: inout Connection, peer: PeerInfo) -> [Event] {
        guard let streams = lock.withLock({ feeds[peer.connection] }) else { return [] }
        var sent: [Event] = []
        for (id, feed) in streams {
            let state = connection.state(of: id)
            guard state == .open || state == .halfClosedRemote else {
                lock.withLock { feeds[peer.connection]?[id] = nil }
                continue
            }
            // Do not queue more while the client is not reading (flow control holds it back).
            if (connection.streams[id]?.pendingSendCount ?? 0) > 256 * 1024 { continue }
            guard let (lines, next) = servers.log(feed.server, from: feed.next) else {
                sent += (try? connection.sendData(id, Array("event: end\ndata: the server was stopped\n\n".utf8), endStream: true)) ?? []
                lock.withLock { feeds[peer.connection]?[id] = nil }
                continue
            }
            let now = self.now()
            if lines.isEmpty {
                guard now - feed.sent >= Self.heartbeat else { continue }
                sent += (try? connection.sendData(id, Array(": still here\n\n".utf8), endStream: false)) ?? []
                lock.withLock { feeds[peer.connection]?[id]?.sent = now }
                continue
            }
            let text = lines.map { "data: " + $0.replacingOccurrences(of: "\n", with: "\ndata: ") + "\n\n" }.joined()
            sent += (try? connection.sendData(id, Array(text.utf8), endStream: false)) ?? []
            lock.withLock {
                feeds[peer.connection]?[id]?.next = next
                feeds[peer.connection]?[id]?.sent = now
            }
        }
        return sent
    }

    public func closed(peer: PeerInfo) {
        lock.withLock { feeds[peer.connection] = nil }
    }

    // MARK: Routing

    enum Reply {
        case full(SiteResponse)
        case feed(server: Int)
    }

    /// The routes anyone may reach (the login page, the assets), then the session and, for a
    /// change, its CSRF token; then `signedIn`.
    func handle(_ request: PanelRequest) -> Reply {
        let path = request.path
        let method = request.method
        if request.body.count > Self.bodyLimit { return .full(Self.json(413, ["error": "request body too large"])) }
        switch (method, path) {
        case ("GET", "/login"), ("HEAD", "/login"): return .full(gate.page(status: 200, message: ""))
        case ("POST", "/login"): return .full(gate.login(request))
        case ("GET", "/panel.css"), ("GET", "/panel.js"), ("GET", "/favicon.svg"):
            return .full(asset(String(path.dropFirst())))
        default: break
        }
        guard let (sessionID, session) = gate.session(request) else {
            if path.hasPrefix("/api/") || method != "GET" { return .full(Self.json(401, ["error": "log in first (POST /login)"])) }
            return .full(SiteResponse(status: 303, headers: [HeaderField("location", "/login")], body: []))
        }
        let changes = !(method == "GET" || method == "HEAD")
        if changes {
            guard LoginGate.csrfHolds(request, session.csrf) else {
                return .full(Self.json(403, ["error": "missing or wrong X-CSRF-Token (GET /api/session gives it)"]))
            }
        }
        return signedIn(request, sessionID: sessionID, session: session)
    }

    /// The routes behind the login: the page, the session, logout, the password, and the servers.
    func signedIn(_ request: PanelRequest, sessionID: String, session: SessionStore.Session) -> Reply {
        let path = request.path
        let method = request.method
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        // /api/servers/ID[/log|/connections]: the server's number, if the path names one.
        let serverID = parts.count >= 3 && parts[0] == "api" && parts[1] == "servers" ? Int(parts[2]) : nil
        let route = parts.count >= 3 && serverID != nil ? "/api/servers/ID" + (parts.count > 3 ? "/" + parts[3...].joined(separator: "/") : "")
            : path
        switch (method, route) {
        case ("GET", "/"): return .full(asset("panel.html"))
        case ("GET", "/api/session"):
            return .full(Self.jsonText(200, "{\"user\": \(JSONText.quote(session.user)), \"csrf\": \(JSONText.quote(session.csrf)), "
                + "\"idleTimeout\": \(Int(gate.idleTimeout))}"))
        case ("POST", "/logout"):
            gate.end(sessionID)
            log("\(session.user) logged out")
            var response = Self.json(200, ["loggedOut": "true"])
            response.headers.append(gate.clearedSessionCookie)
            return .full(response)
        case ("POST", "/api/password"):
            return .full(gate.changePassword(request, user: session.user))
        case ("GET", "/api/servers"):
            return .full(Self.jsonText(200, servers.listJSON()))
        case ("POST", "/api/servers"):
            return .full(startServer(request, user: session.user))
        case ("DELETE", "/api/servers/ID"), ("GET", "/api/servers/ID/log"), ("GET", "/api/servers/ID/connections"):
            guard let number = serverID else { return .full(Self.json(404, ["error": "no server \(parts[2])"])) }
            return server(number, route: route, request, user: session.user)
        case (_, "/api/servers"), (_, "/api/servers/ID"), (_, "/api/servers/ID/log"), (_, "/api/servers/ID/connections"),
             (_, "/api/session"), (_, "/api/password"), (_, "/logout"):
            return .full(Self.json(405, ["error": "\(method) is not allowed on \(path)"]))
        default:
            return .full(Self.json(404, ["error": "no such page: \(path)"]))
        }
    }

    /// One running server's routes: stop it, its log (a file, or live as server-sent events), its
    /// connections; 404 when there is no server with that number.
    func server(_ number: Int, route: String, _ request: PanelRequest, user: String) -> Reply {
        let missing = Reply.full(Self.json(404, ["error": "no server \(number)"]))
        switch route {
        case "/api/servers/ID":
            guard servers.stop(number) else { return missing }
            log("\(user) stopped server \(number)")
            return .full(Self.jsonText(200, "{\"stopped\": \(number)}"))
        case "/api/servers/ID/log":
            guard let (lines, _) = servers.log(number, from: 0) else { return missing }
            if request.header("accept")?.contains("text/event-stream") == true { return .feed(server: number) }
            return .full(SiteResponse(status: 200, headers: [
                HeaderField("content-type", "text/plain; charset=utf-8"),
                HeaderField("content-disposition", "attachment; filename=\"h2lab-server-\(number).log\""),
            ], body: Array(lines.map { $0 + "\n" }.joined().utf8)))
        default:
            guard let text = servers.connectionsJSON(number) else { return missing }
            return .full(Self.jsonText(200, text))
        }
    }

    func startServer(_ request: PanelRequest, user: String) -> SiteResponse {
        guard let object = request.jsonObject else { return Self.json(400, ["error": "the body must be a JSON object, such as {\"port\": 8080, \"tls\": false}"]) }
        guard let port = object["port"] as? Int else { return Self.json(400, ["error": "\"port\" must be a whole number (1024-65535)"]) }
        let tls = object["tls"] as? Bool ?? false, trace = object["trace"] as? Bool ?? false
        do {
            let id = try servers.start(port: port, tls: tls, trace: trace)
            log("\(user) started server \(id) on 127.0.0.1:\(port) (\(tls ? "TLS" : "h2c"))")
            return Self.jsonText(201, servers.serverJSON(id) ?? "{\"id\": \(id)}")
        } catch {
            return Self.json(400, ["error": error.description])
        }
    }

    func asset(_ name: String) -> SiteResponse { assets.response(name) }

    // MARK: Responses

    /// Every panel response: the security headers, no caching, and its length.
    public static func secured(_ response: SiteResponse) -> SiteResponse {
        var response = response
        response.headers += [
            HeaderField("content-security-policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                + "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
            HeaderField("x-frame-options", "DENY"),
            HeaderField("x-content-type-options", "nosniff"),
            HeaderField("referrer-policy", "no-referrer"),
            HeaderField("cache-control", "no-store"),
            HeaderField("server", "h2lab-panel"),
        ]
        if response.headers.first(where: { $0.name == "content-type" })?.value != "text/event-stream" {
            response.headers.append(HeaderField("content-length", "\(response.body.count)"))
        }
        return response
    }

    public static func cookie(_ name: String, _ value: String, maxAge: Int?) -> String {
        "\(name)=\(value); Path=/; Secure; HttpOnly; SameSite=Strict" + (maxAge.map { "; Max-Age=\($0)" } ?? "")
    }

    public static func json(_ status: Int, _ fields: [String: String]) -> SiteResponse {
        let body = "{" + fields.keys.sorted().map { key in
            let value = fields[key] ?? ""
            return JSONText.quote(key) + ": " + (value == "true" ? "true" : JSONText.quote(value))
        }.joined(separator: ", ") + "}"
        return jsonText(status, body)
    }

    public static func jsonText(_ status: Int, _ text: String) -> SiteResponse {
        SiteResponse(status: status, headers: [HeaderField("content-type", "application/json")], body: Array((text + "\n").utf8))
    }

    public static func escapeHTML(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
