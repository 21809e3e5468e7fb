import Engine
import Foundation

/// What a case concluded. A case is inconclusive when the server did something the RFC allows
/// that took away what the case needed to judge it: it closed the stream itself (answered the request
/// and ended it, or reset it) before the violating frame arrived, so its answer may be to a frame on
/// a closed stream (§5.1), not to the rule the case tests. Inconclusive is not failed: `check` exits
/// 0 if nothing failed, and the summary counts the three apart.
public enum Outcome: Sendable, Equatable {
    case passed
    case failed(expected: String, got: String)
    case inconclusive(why: String, got: String)

    /// The verdict's word, as the summary and the JSON give it.
    public var verdict: String {
        switch self {
        case .passed: "passed"
        case .failed: "failed"
        case .inconclusive: "inconclusive"
        }
    }
}

extension Probe {
    /// What came back after the case began (for a failure's "got").
    func got(since start: Int) -> String {
        let frames = received.dropFirst(start).filter { !($0.type == .settings && $0.flags & 1 != 0) && $0.type != .windowUpdate }
        var parts = frames.prefix(6).map(describe)
        if frames.count > 6 { parts.append("… \(frames.count - 6) more") }
        if closed { parts.append("the connection closed") }
        if flooded { parts.append("then \(Self.maxReceivedOctets >> 20) MiB had come, and the probe read no more") }
        return parts.isEmpty ? "nothing within \(Self.seconds(timeout))" : parts.joined(separator: "; ")
    }

    static func seconds(_ value: Double) -> String { value == value.rounded() ? "\(Int(value)) s" : "\(value) s" }

    func describe(_ frame: RawFrame) -> String {
        if frame.type == .headers, case .headers(let block, _)? = frame.frame?.payload {
            var scratch = HPACKDecoder(tableSize: 4096)
            if let fields = try? scratch.decode(block), let status = fields.first(where: { $0.name == ":status" }) {
                return "HEADERS stream \(frame.stream) (:status \(status.value))"
            }
        }
        return frame.summary
    }

    /// RFC 9113 §5.4.1: a connection error ends in GOAWAY with the code (a closed connection is
    /// accepted too, as h2spec does: the peer may not get to write the GOAWAY).
    public func expectConnectionError(_ codes: ErrorCode..., since start: Int) -> Outcome {
        expectError(codes, on: nil, since: start)
    }

    /// §5.4.2: a stream error is RST_STREAM with the code on that stream; treating it as a
    /// connection error (GOAWAY with the code, or closing) is allowed too (§5.4.1).
    public func expectStreamError(_ stream: UInt32, _ codes: ErrorCode..., since start: Int) -> Outcome {
        expectError(codes, on: stream, since: start)
    }

    private func expectError(_ codes: [ErrorCode], on stream: UInt32?, since start: Int) -> Outcome {
        // An error answer: GOAWAY, or RST_STREAM on the stream with a code other than NO_ERROR (which
        // a server sends after a complete response to stop the request's body, §8.1: not an answer).
        let answer = next(from: start) {
            $0.type == .goaway || ($0.type == .rstStream && $0.stream == stream && $0.errorCode != .noError)
        }
        if let stream, sendsByStream[stream, default: 0] > 1, let reset = serverReset(stream, since: start, before: answer) {
            if let code = answer?.errorCode, codes.contains(code), answer?.type == .rstStream { return .passed }
            return .inconclusive(why: "the server \(reset) before the violating frame arrived (it had answered the request); "
                                      + "§5.1 then has it ignore frames on that closed stream, so its answer cannot be told apart",
                                 got: got(since: start))
        }
        if let code = answer?.errorCode, codes.contains(code) { return .passed }
        if answer == nil && closed { return .passed }
        let names = codes.map(\.name).joined(separator: " or ")
        let expected = switch (stream, answer != nil) {
        case (nil, true): "GOAWAY \(names)"
        case (nil, false): "GOAWAY \(names), or the connection closed"
        case (let stream?, true): "RST_STREAM \(names) on stream \(stream) (or GOAWAY \(names))"
        case (let stream?, false): "RST_STREAM \(names) on stream \(stream), or GOAWAY \(names)"
        }
        return .failed(expected: expected, got: got(since: start))
    }

    /// A response (HEADERS on the stream) and no error.
    public func expectResponse(_ stream: UInt32, since start: Int) -> Outcome {
        let answer = next(from: start) { ($0.type == .headers && $0.stream == stream) || $0.type == .goaway || ($0.type == .rstStream && $0.stream == stream) }
        if answer?.type == .headers { return .passed }
        return .failed(expected: "a response (HEADERS) on stream \(stream)", got: got(since: start))
    }

    /// The frames before were ignored: a PING sent now comes back acknowledged, and nothing ended
    /// the connection meanwhile.
    public func expectIgnored(since start: Int, _ what: String = "the frame to be ignored") -> Outcome {
        let opaque: UInt64 = 0x6832_6c61_6221_0001
        send(.ping(opaque))
        let answer = next { ($0.type == .ping && $0.flags & 1 != 0) || $0.type == .goaway }
        if case .ping(let value)? = answer?.frame?.payload, value == opaque { return .passed }
        return .failed(expected: "\(what): the PING after it answered with PING ACK", got: got(since: start))
    }

    public var mark: Int { received.count }

    /// Whether the server closed `stream` itself with RST_STREAM (NO_ERROR after a complete response,
    /// say) after `start` and before `answer`: "reset stream N (CODE)", or nil. Only a reset counts:
    /// RFC 9113 §5.1 makes an endpoint that sent RST_STREAM ignore what arrives on the stream, and
    /// the stream no longer counts toward SETTINGS_MAX_CONCURRENT_STREAMS (§5.1.2); a stream the server
    /// only ended with END_STREAM is half-closed, and the rules still apply to it.
    func serverReset(_ stream: UInt32, since start: Int, before answer: RawFrame?) -> String? {
        for frame in received.dropFirst(start) where frame.stream == stream {
            if let answer, frame.type == answer.type, frame.stream == answer.stream, frame.payload == answer.payload { return nil }
            if frame.type == .rstStream { return "reset stream \(stream) (\(frame.errorCode?.name ?? "?"))" }
        }
        return nil
    }
}
