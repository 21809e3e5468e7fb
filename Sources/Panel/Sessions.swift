import Foundation

/// Logged-in sessions: a fresh random 256-bit id at each login (so no session fixation), a CSRF
/// token per session, expiry after an idle time and at logout. Ids are never logged.
public struct SessionStore: Sendable {
    public struct Session: Sendable {
        public var user: String
        public var csrf: String
        public var lastSeen: Double
    }

    public var idleTimeout: Double
    private var sessions: [String: Session] = [:]

    public init(idleTimeout: Double = 30 * 60) {
        self.idleTimeout = idleTimeout
    }

    /// A new session for `user`; other sessions of the same user end (one login at a time).
    public mutating func create(user: String, now: Double) -> (id: String, session: Session)? {
        guard let id = PanelCrypto.token(), let csrf = PanelCrypto.token() else { return nil }
        sessions = sessions.filter { $0.value.user != user }
        let session = Session(user: user, csrf: csrf, lastSeen: now)
        sessions[id] = session
        return (id, session)
    }

    /// The live session with this id, touched; nil (and forgotten) once idle too long.
    public mutating func session(_ id: String, now: Double) -> Session? {
        guard let session = sessions[id] else { return nil }
        guard now - session.lastSeen <= idleTimeout else {
            sessions[id] = nil
            return nil
        }
        sessions[id]?.lastSeen = now
        return sessions[id]
    }

    public mutating func end(_ id: String) { sessions[id] = nil }

    public var count: Int { sessions.count }
}

/// Failed logins per address: after `limit` failures within `window` seconds, refuse until the
/// oldest of them leaves the window.
public struct LoginThrottle: Sendable {
    public var limit = 5
    public var window: Double = 60
    private var failures: [String: [Double]] = [:]

    public init() {}

    /// Seconds to wait before another attempt from `address`, or nil if it may try now.
    public mutating func retryAfter(_ address: String, now: Double) -> Int? {
        let recent = (failures[address] ?? []).filter { now - $0 < window }
        failures[address] = recent.isEmpty ? nil : recent
        guard recent.count >= limit, let oldest = recent.first else { return nil }
        return max(1, Int((oldest + window - now).rounded(.up)))
    }

    public mutating func fail(_ address: String, now: Double) {
        failures[address, default: []].append(now)
        // Bound memory: an address keeps only what the window can still count.
        if let list = failures[address], list.count > limit * 4 { failures[address] = Array(list.suffix(limit * 2)) }
    }

    public mutating func succeed(_ address: String) { failures[address] = nil }
}
