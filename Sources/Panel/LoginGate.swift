import Engine
import Foundation

/// The login every H2Lab web server shares (the panel, the classroom): the users file, sessions,
/// the login form with its double-submitted CSRF token, and the per-address throttle of failed
/// logins. One definition, so that both servers keep the same promises:
/// - a fresh random 256-bit session id at each login, in a `__Host-` cookie (HttpOnly, Secure,
///   SameSite=Strict), ended after the idle time or at logout;
/// - failed logins throttled per address (`LoginThrottle`), an unknown user costing the same time;
/// - no password or session id ever logged.
public final class LoginGate: @unchecked Sendable {
    public let sessionCookie: String
    public let loginCookie: String
    let lock = NSLock()
    var users: UserStore
    var sessions: SessionStore
    var throttle = LoginThrottle()
    /// The login page, with `{{csrf}}` and `{{message}}` to fill in.
    let template: [UInt8]?
    let now: @Sendable () -> Double
    let log: @Sendable (String) -> Void

    public init(users: UserStore, template: [UInt8]?, sessionCookie: String, loginCookie: String, idleTimeout: Double,
                now: @escaping @Sendable () -> Double, log: @escaping @Sendable (String) -> Void) {
        self.users = users
        self.sessions = SessionStore(idleTimeout: idleTimeout)
        self.template = template
        self.sessionCookie = sessionCookie
        self.loginCookie = loginCookie
        self.now = now
        self.log = log
    }

    public var idleTimeout: Double { lock.withLock { sessions.idleTimeout } }

    /// The logged-in session the request's cookie names, touched; nil if none (or expired).
    public func session(_ request: PanelRequest) -> (id: String, session: SessionStore.Session)? {
        guard let id = request.cookie(sessionCookie) else { return nil }
        let now = self.now()
        return lock.withLock { sessions.session(id, now: now) }.map { (id, $0) }
    }

    /// Ends a session (logout).
    public func end(_ id: String) { lock.withLock { sessions.end(id) } }

    /// The cookie that forgets the session in the browser.
    public var clearedSessionCookie: HeaderField {
        HeaderField("set-cookie", PanelApp.cookie(sessionCookie, "", maxAge: 0))
    }

    /// The login form with a fresh CSRF token (also set in a cookie: double submit).
    public func page(status: Int, message: String, extraHeaders: [HeaderField] = []) -> SiteResponse {
        guard let token = PanelCrypto.token(), let template else {
            return PanelApp.json(500, ["error": "the login page is unavailable"])
        }
        let html = String(decoding: template, as: UTF8.self)
            .replacingOccurrences(of: "{{csrf}}", with: token)
            .replacingOccurrences(of: "{{message}}", with: PanelApp.escapeHTML(message))
        return SiteResponse(status: status, headers: [
            HeaderField("content-type", "text/html; charset=utf-8"),
            HeaderField("set-cookie", PanelApp.cookie(loginCookie, token, maxAge: 3600)),
        ] + extraHeaders, body: Array(html.utf8))
    }

    /// POST /login: the form's fields `csrf`, `username`, `password`. A 303 to `/` with the new
    /// session's cookie, or the form again with a message (401, 403; 429 when throttled).
    public func login(_ request: PanelRequest) -> SiteResponse {
        let address = request.peer.address
        let now = self.now()
        if let wait = lock.withLock({ throttle.retryAfter(address, now: now) }) {
            log("login refused for \(address): too many failures (retry after \(wait) s)")
            var page = page(status: 429, message: "Too many failed logins: wait \(wait) seconds.")
            page.headers.append(HeaderField("retry-after", "\(wait)"))
            return page
        }
        let form = request.form
        let token = request.cookie(loginCookie) ?? ""
        guard !token.isEmpty, PanelCrypto.constantTimeEqual(Array(token.utf8), Array((form["csrf"] ?? "").utf8)) else {
            return page(status: 403, message: "The form expired: please try again.")
        }
        let user = form["username"] ?? "", password = form["password"] ?? ""
        let store = lock.withLock { users }
        guard UserStore.isValidName(user), store.verify(user, password) else {
            lock.withLock { throttle.fail(address, now: now) }
            log("failed login for \(UserStore.isValidName(user) ? user : "(invalid name)") from \(address)")
            return page(status: 401, message: "Wrong user name or password.")
        }
        guard let (id, _) = lock.withLock({ () -> (String, SessionStore.Session)? in
            throttle.succeed(address)
            return sessions.create(user: user, now: now)
        }) else { return PanelApp.json(500, ["error": "no random numbers: cannot make a session"]) }
        log("\(user) logged in from \(address)")
        return SiteResponse(status: 303, headers: [
            HeaderField("location", "/"),
            HeaderField("set-cookie", PanelApp.cookie(sessionCookie, id, maxAge: nil)),
            HeaderField("set-cookie", PanelApp.cookie(loginCookie, "", maxAge: 0)),
        ], body: [])
    }

    /// POST /api/password `{"current": "…", "new": "…"}` for the logged-in user.
    public func changePassword(_ request: PanelRequest, user: String) -> SiteResponse {
        guard let object = request.jsonObject, let current = object["current"] as? String, let new = object["new"] as? String else {
            return PanelApp.json(400, ["error": "expected {\"current\": \"…\", \"new\": \"…\"}"])
        }
        var store = lock.withLock { users }
        guard store.verify(user, current) else { return PanelApp.json(403, ["error": "the current password is wrong"]) }
        do {
            try store.setPassword(user, new)
        } catch {
            return PanelApp.json(400, ["error": error.description])
        }
        lock.withLock { users = store }
        log("\(user) changed their password")
        return PanelApp.json(200, ["changed": "true"])
    }

    /// Whether a state-changing request carries the session's CSRF token (`X-CSRF-Token`).
    public static func csrfHolds(_ request: PanelRequest, _ expected: String) -> Bool {
        let token = request.header("x-csrf-token") ?? ""
        return PanelCrypto.constantTimeEqual(Array(token.utf8), Array(expected.utf8))
    }
}
