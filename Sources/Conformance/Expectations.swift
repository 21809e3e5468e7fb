import Engine
import Foundation

/// What a case concluded.
public enum Outcome: Sendable, Equatable {
    case passed
    case failed(expected: String, got: String)
}

extension Probe {
    /// What came back after the case began (for a failure's "got").
    func got(since start: Int) -> String {
        let frames = received.dropFirst(start).filter { !($0.type == .settings && $0.flags & 1 != 0) && $0.type != .windowUpdate }
        var parts = frames.prefix(6).map(describe)
        if frames.count > 6 { parts.append("… \(frames.count - 6) more") }
        if closed { parts.append("the connection closed") }
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
        let answer = next(from: start) { $0.type == .goaway || ($0.type == .rstStream && $0.stream == stream) }
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
}
