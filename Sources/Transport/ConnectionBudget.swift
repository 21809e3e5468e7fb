#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// How many connections a server holds, and which one goes when it is full: one rule for the event
/// loops and for `--threads` (and the panel and proxy, which share the threaded acceptor).
///
/// A connection costs a file descriptor, so the default limit follows the descriptor limit
/// (RLIMIT_NOFILE) rather than a fixed number: a fixed 1,024 let 1,024 idle connections (one
/// attacker's) lock every new client out. At the limit the server does what nginx does with idle
/// keep-alive connections: it closes the idlest connection (GOAWAY NO_ERROR, RFC 9113 §6.8, which
/// tells its client that no stream was lost and that it may open a new connection) and serves the
/// new one. Evicting rather than refusing is our choice, not an RFC rule; it keeps the newest client
/// served whatever the others do.
public enum ConnectionBudget {
    /// Descriptors kept back for what is not a client connection: listeners, epoll instances, the
    /// capture file, TLS and certificate files, the panel's users file, an upstream leg per proxied
    /// connection's first moments.
    public static let reserve = 64

    /// Raises the soft RLIMIT_NOFILE to the hard limit (an unprivileged process may), capped at
    /// 1,048,576, and returns the soft limit in force afterwards.
    @discardableResult
    public static func raiseDescriptorLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1_024 }
        let ceiling: rlim_t = 1 << 20
        let wanted = min(limit.rlim_max, ceiling)
        if limit.rlim_cur < wanted {
            var raised = limit
            raised.rlim_cur = wanted
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return Int(min(limit.rlim_cur, ceiling))
    }

    /// The soft RLIMIT_NOFILE in force now.
    public static func descriptorLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1_024 }
        return Int(min(limit.rlim_cur, 1 << 20))
    }

    /// The default `--max-connections`: the descriptor limit in force less the reserve (a server
    /// calls `raiseDescriptorLimit()` before it reads this).
    public static func defaultMaxConnections() -> Int {
        max(1, descriptorLimit() - reserve)
    }

    /// How a connection ranks for eviction: busy ones (a stream open, or octets still to write)
    /// after idle ones, then the longest idle first.
    public struct Rank: Comparable, Sendable {
        public var busy: Bool
        public var lastActive: Double

        public init(busy: Bool, lastActive: Double) {
            self.busy = busy
            self.lastActive = lastActive
        }

        public static func < (a: Rank, b: Rank) -> Bool {
            a.busy != b.busy ? !a.busy : a.lastActive < b.lastActive
        }
    }

    /// The connection to close first among `candidates` (nil when there is none).
    public static func idlest<C: Sequence>(_ candidates: C, rank: (C.Element) -> Rank) -> C.Element? {
        var best: (element: C.Element, rank: Rank)?
        for candidate in candidates {
            let r = rank(candidate)
            if let current = best, !(r < current.rank) { continue }
            best = (candidate, r)
        }
        return best?.element
    }
}

/// The connections a thread-per-connection server holds (`--threads`, the panel, the proxy): the
/// acceptor admits each new one, evicting the idlest at the limit; each connection's thread reports
/// its activity and learns whether it was evicted. Eviction shuts the socket's reading side down,
/// which wakes the connection's thread at once in whatever it waits for; an HTTP/2 connection then
/// sends GOAWAY NO_ERROR before closing, the rest simply close.
public final class OpenConnections: Sendable {
    struct Entry {
        var socket: TCPSocket
        var rank: ConnectionBudget.Rank
        var evicted = false
    }

    public let limit: Int
    /// Evictions whose threads have not yet finished: new connections beyond the limit are admitted
    /// while their places empty, up to this many.
    static let inFlight = 64
    private let entries = Mutex<[Int: Entry]>([:])

    public init(limit: Int) { self.limit = max(1, limit) }

    /// Connections held now.
    public var count: Int { entries.withLock { $0.count } }

    /// Admits connection `id`; at the limit the idlest other connection is evicted first. Returns
    /// the evicted connection's number, or nil; throws nothing, refuses (false) only when evictions
    /// already in flight fill the slack.
    public func admit(_ id: Int, socket: TCPSocket, now: Double) -> (admitted: Bool, evicted: Int?) {
        entries.withLock { entries in
            var evicted: Int?
            let live = entries.lazy.filter { !$0.value.evicted }
            if live.count >= limit {
                if let (victim, _) = ConnectionBudget.idlest(live, rank: { $0.value.rank }) {
                    entries[victim]?.evicted = true
                    entries[victim]?.socket.shutdownReading()
                    evicted = victim
                }
            }
            guard entries.count < limit + Self.inFlight else { return (false, evicted) }
            entries[id] = Entry(socket: socket, rank: ConnectionBudget.Rank(busy: false, lastActive: now))
            return (true, evicted)
        }
    }

    /// Connection `id` did something: octets moved; `busy` while it has streams open.
    public func touch(_ id: Int, busy: Bool, now: Double) {
        entries.withLock { $0[id]?.rank = ConnectionBudget.Rank(busy: busy, lastActive: now) }
    }

    /// Whether connection `id` was chosen to make room.
    public func isEvicted(_ id: Int) -> Bool { entries.withLock { $0[id]?.evicted ?? false } }

    /// Connection `id` has ended (before its socket is closed, so an eviction never touches a
    /// descriptor that was reused).
    public func leave(_ id: Int) { entries.withLock { _ = $0.removeValue(forKey: id) } }
}

/// What a connection's thread tells the server's `OpenConnections` (nil when nobody counts).
public struct ConnectionTicket: Sendable {
    public let id: Int
    public let table: OpenConnections

    public init(id: Int, table: OpenConnections) {
        self.id = id
        self.table = table
    }

    func touch(busy: Bool) { table.touch(id, busy: busy, now: ServerConnection.now()) }
    var isEvicted: Bool { table.isEvicted(id) }
}
