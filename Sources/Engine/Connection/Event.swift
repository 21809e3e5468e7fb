/// Which side of a flow-control window changed.
public enum WindowSide: String, Hashable, Sendable {
    /// What this endpoint may send.
    case send
    /// What this endpoint has offered to receive.
    case receive
}

/// What a header block was, in HTTP terms.
public enum HeaderBlockKind: String, Hashable, Sendable {
    case request, response, informational, trailers, pushPromise = "push promise"
}

/// Everything the engine reports. Views render these; tests assert them. Nothing is printed inside
/// the engine.
public enum Event: Hashable, Sendable {
    case prefaceReceived
    case frameReceived(Frame)
    case frameIgnored(Frame, reason: String)
    case streamStateChanged(stream: UInt32, from: StreamState, to: StreamState, cause: StreamInput)
    case headersReceived(stream: UInt32, kind: HeaderBlockKind, block: DecodedHeaderBlock)
    case headersSent(stream: UInt32, kind: HeaderBlockKind, block: EncodedHeaderBlock)
    case dataReceived(stream: UInt32, length: Int, endStream: Bool)
    case dataSent(stream: UInt32, length: Int, endStream: Bool)
    /// Sending on a stream paused because a window is exhausted; `pending` octets wait.
    case sendBlocked(stream: UInt32, pending: Int, connectionWindow: Int, streamWindow: Int)
    case windowChanged(stream: UInt32, side: WindowSide, from: Int, to: Int)
    /// The peer's settings, applied on receipt (and acknowledged).
    case remoteSettingsApplied([Setting])
    /// The peer acknowledged our settings: they are now in force.
    case localSettingsAcknowledged([Setting])
    case pingReceived(UInt64)
    case pingAcknowledged(UInt64)
    case goawayReceived(lastStreamID: UInt32, code: ErrorCode, debug: String)
    case goawaySent(lastStreamID: UInt32, code: ErrorCode, debug: String)
    case streamReset(stream: UInt32, code: ErrorCode, direction: Direction)
    case priorityReceived(stream: UInt32, PriorityFields)
    /// A PRIORITY_UPDATE (RFC 9218 §7.1) for `stream`: applied (`applied` false: the stream can
    /// no longer be sent on, and the frame is discarded).
    case priorityUpdated(stream: UInt32, Priority, applied: Bool)
    case pushPromised(stream: UInt32, promised: UInt32, direction: Direction)
    /// A client holds a request's content (`pending` octets) until the server answers its
    /// `expect: 100-continue` (RFC 9110 §10.1.1).
    case continueAwaited(stream: UInt32, pending: Int)
    /// A server received a request header section with `expect: 100-continue` whose content is
    /// still to come: the client waits for 100 (Continue) (RFC 9110 §10.1.1). Reported always (a
    /// responder acts on it).
    case continueRequested(stream: UInt32)
    /// A server received an extended CONNECT (RFC 8441 §4) asking for a tunnel of `protocol` on
    /// the stream (reported always: a responder answers it before the request ends).
    case tunnelRequested(stream: UInt32, protocol: String)
    /// DATA arrived on a tunnel stream (reported always): its bytes wait in the stream's
    /// `receivedBody` until the responder consumes them (`consumeTunnel`).
    case tunnelData(stream: UInt32)
    /// A request or response has fully arrived (END_STREAM received).
    case messageComplete(stream: UInt32, kind: HeaderBlockKind)
    /// A protocol error this endpoint detected in what it received; it answered with GOAWAY or
    /// RST_STREAM as the scope says.
    case protocolError(ProtocolError)
    /// The peer's GOAWAY named an error, or the connection ended.
    case connectionClosed(reason: String)
}
