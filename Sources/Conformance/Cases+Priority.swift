import Engine

/// `check`'s cases for RFC 9218 (Extensible Prioritization Scheme for HTTP), §7.1: the PRIORITY_UPDATE
/// frame (type 0x10), which a client sends on stream 0 to (re)prioritize a stream.
///
/// A server that does not implement RFC 9218 must ignore PRIORITY_UPDATE as a frame of an unknown
/// type (RFC 9113 §5.5). So where such a server ignored the frame and did not announce the scheme
/// (SETTINGS_NO_RFC7540_PRIORITIES = 1, RFC 9218 §2.1), the verdict is inconclusive, not failed.
extension Cases {
    static func priority(_ list: inout CaseList) {
        list.add("rfc9218/7.1/1", "sends PRIORITY_UPDATE on stream 1 instead of stream 0",
            "RFC 9218 §7.1: \"The PRIORITY_UPDATE frame MUST be sent on stream 0\"; one received on another stream is a connection error "
                + "PROTOCOL_ERROR") { p, s in
            p.send(p.request(1, flags: endHeaders, method: "POST"))
            p.send(rawFrame(PRIORITY_UPDATE, stream: 1, be32(1) + Array("u=2".utf8)))
            return p.unlessUnannounced(p.expectConnectionError(.protocolError, since: s), since: s)
        }
        list.add("rfc9218/7.1/2", "sends PRIORITY_UPDATE whose prioritized stream is 0",
            "RFC 9218 §7.1: a PRIORITY_UPDATE with a Prioritized Stream ID of 0 is a connection error PROTOCOL_ERROR") { p, s in
            p.send(rawFrame(PRIORITY_UPDATE, stream: 0, be32(0) + Array("u=2".utf8)))
            return p.unlessUnannounced(p.expectConnectionError(.protocolError, since: s), since: s)
        }
        list.add("rfc9218/7.1/3", "sends PRIORITY_UPDATE for an idle stream, then a request on it",
            "RFC 9218 §7.1: a PRIORITY_UPDATE may name an idle stream (its priority applies once the stream opens); "
                + "it is no error, and the request that follows is answered") { p, s in
            p.send(rawFrame(PRIORITY_UPDATE, stream: 0, be32(1) + Array("u=0".utf8)))
            p.send(p.request(1))
            return p.expectResponse(1, since: s)
        }
    }
}

extension Probe {
    /// `outcome`, or inconclusive when it failed because the server ignored an RFC 9218 frame it
    /// never said it understands: a server that has not announced SETTINGS_NO_RFC7540_PRIORITIES = 1
    /// (RFC 9218 §2.1) may take PRIORITY_UPDATE for a frame of an unknown type and ignore it, as
    /// RFC 9113 §5.5 requires.
    func unlessUnannounced(_ outcome: Outcome, since start: Int) -> Outcome {
        guard case .failed = outcome, !serverSettings.noRFC7540Priorities, !closed,
              next(within: 0, from: start, where: { $0.type == .goaway }) == nil else { return outcome }
        return .inconclusive(why: "the server ignored the frame and never announced RFC 9218 (SETTINGS_NO_RFC7540_PRIORITIES = 1, "
                                  + "§2.1): to it PRIORITY_UPDATE is a frame of an unknown type, which RFC 9113 §5.5 has it ignore",
                             got: got(since: start))
    }
}
