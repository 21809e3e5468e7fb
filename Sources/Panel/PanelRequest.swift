import Engine
import Foundation
import Transport

/// A request to the panel, with the helpers routing needs.
public struct PanelRequest: Sendable {
    public var headers: [HeaderField]
    public var body: [UInt8]
    public var peer: PeerInfo

    public init(headers: [HeaderField], body: [UInt8], peer: PeerInfo) {
        self.headers = headers
        self.body = body
        self.peer = peer
    }

    public func header(_ name: String) -> String? { headers.first { $0.name == name }?.value }
    public var method: String { header(":method") ?? "" }
    public var path: String { String((header(":path") ?? "/").prefix { $0 != "?" }) }

    /// A cookie's value; HTTP/2 may split cookies over several fields (RFC 9113 §8.2.3).
    public func cookie(_ name: String) -> String? {
        for field in headers where field.name == "cookie" {
            for pair in field.value.split(separator: ";") {
                let trimmed = pair.drop { $0 == " " }
                if trimmed.hasPrefix(name + "=") { return String(trimmed.dropFirst(name.count + 1)) }
            }
        }
        return nil
    }

    /// An application/x-www-form-urlencoded body.
    public var form: [String: String] {
        var fields: [String: String] = [:]
        for pair in String(decoding: body, as: UTF8.self).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            if let key = parts.first { fields[decode(key)] = parts.count > 1 ? decode(parts[1]) : "" }
        }
        return fields
    }

    public var jsonObject: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
    }
}
