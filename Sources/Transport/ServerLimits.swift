import Engine

/// The limits a server keeps to every connection, each a named setting of `serve` with a default
/// (README, "Limits"): what a slow, idle or abusive client may hold, and for how long.
public struct ServerLimits: Sendable {
    /// Seconds a connection may take to send its preface, sit with no stream open and nothing
    /// received, leave a header block incomplete, or not read what the server writes (slowloris).
    public var idleTimeout: Double = 60
    /// Streams reset by the client before their response, per connection (CVE-2023-44487).
    public var rapidResets = Connection.Configuration.defaultRapidResetLimit
    /// Frames that carry nothing and end nothing, per connection (CVE-2019-9518).
    public var emptyFrames = Connection.Configuration.defaultEmptyFrameLimit
    /// Connections served at once; at the limit the idlest is closed to serve a new one
    /// (ConnectionBudget). By default the descriptor limit less a reserve.
    public var maxConnections = ConnectionBudget.defaultMaxConnections()
    /// Streams a client may have open at once: SETTINGS_MAX_CONCURRENT_STREAMS, enforced from the
    /// moment it is sent, acknowledged or not (RFC 9113 §5.1.2; more are refused with REFUSED_STREAM).
    public var maxConcurrentStreams = 128
    /// The largest header list a client may send: SETTINGS_MAX_HEADER_LIST_SIZE, enforced from the
    /// moment it is sent (§6.5.2, §10.5.1; CVE-2016-6581, CVE-2024-27316).
    public var maxHeaderListSize = 65_536
    /// Octets of request bodies one connection holds at once; DATA past it is refused on its stream
    /// with ENHANCE_YOUR_CALM (§10.5). Bodies are let go as their streams close.
    public var maxBufferedBody = 16 << 20
    /// Whether the engine reports header blocks field by field (for a trace of events; off, it
    /// decodes and encodes them without the report).
    public var reportsHeaderBlocks = true
    /// Whether the engine reports the play-by-play (frames received, state and window changes):
    /// every trace needs it; a server traced by nobody leaves it out.
    public var reportsProgress = true

    public init() {}
    public static let standard = ServerLimits()

    /// The SETTINGS a server connection sends first, under these limits.
    public var settings: [Setting] {
        [Setting(.maxConcurrentStreams, UInt32(clamping: maxConcurrentStreams)), Setting(.initialWindowSize, 1 << 20),
         Setting(.maxHeaderListSize, UInt32(clamping: maxHeaderListSize)),
         // RFC 9218 §2.1: this server ignores RFC 7540 priority signals (it schedules by the
         // `priority` field and PRIORITY_UPDATE instead); it must be in the first SETTINGS.
         Setting(.noRFC7540Priorities, 1),
         // RFC 8441 §3: extended CONNECT is offered (the WebSocket echo at /ws).
         Setting(.enableConnectProtocol, 1)]
    }

    /// A server connection's engine configuration under these limits.
    var configuration: Connection.Configuration {
        var configuration = Connection.Configuration(settings: settings, windowUpdatePolicy: .halfWindow)
        configuration.maxHeldBodyOctets = maxBufferedBody
        configuration.releasesClosedBodies = true
        configuration.rapidResetLimit = rapidResets
        configuration.emptyFrameLimit = emptyFrames
        configuration.reportsHeaderBlocks = reportsHeaderBlocks
        configuration.reportsProgress = reportsProgress
        configuration.encoderPolicy = .network
        return configuration
    }
}
