import Engine

/// `check`'s cases for RFC 9113 §8 (Expressing HTTP Semantics in HTTP/2): message framing, fields, pseudo-header fields,
/// CONNECT.
extension Cases {
    static func httpSemantics(_ list: inout CaseList) {
        messageFraming(&list)
        fields(&list)
        requestPseudoHeaders(&list)
    }

    /// §8.1 HTTP message framing
    static func messageFraming(_ list: inout CaseList) {
        list.add("8.1/1", "sends a second HEADERS (trailers) without END_STREAM",
            "§8.1: trailers must carry END_STREAM; a second field block without it makes the request malformed: stream error PROTOCOL_ERROR",
            settings: holdOpen) { p, s in
            p.send(p.request(1, flags: endHeaders, method: "POST"))
            p.send(rawFrame(HEADERS, flags: endHeaders, stream: 1, p.headerBlock([HeaderField("x-trailer", "1")])))
            return p.expectStreamError(1, .protocolError, since: s)
        }
        list.add("8.1.1/1", "sends content-length 5 with 4 octets of DATA",
            "§8.1.1: a content-length that differs from the DATA received makes the request malformed: stream error PROTOCOL_ERROR") { p, s in
            p.send(p.request(1, flags: endHeaders, method: "POST", extra: [HeaderField("content-length", "5")]))
            p.send(rawFrame(DATA, flags: endStream, stream: 1, Array("test".utf8)))
            return p.expectStreamError(1, .protocolError, since: s)
        }
        list.add("8.1.1/2", "sends content-length 1 with 4 octets of DATA in two frames",
            "§8.1.1: DATA beyond the content-length makes the request malformed: stream error PROTOCOL_ERROR") { p, s in
            p.send(p.request(1, flags: endHeaders, method: "POST", extra: [HeaderField("content-length", "1")]))
            p.send(rawFrame(DATA, stream: 1, Array("te".utf8)) + rawFrame(DATA, flags: endStream, stream: 1, Array("st".utf8)))
            return p.expectStreamError(1, .protocolError, since: s)
        }
    }

    /// §8.2 HTTP fields
    static func fields(_ list: inout CaseList) {
        list.add("8.2/1", "sends a field name with uppercase letters",
            "§8.2: field names must be lowercase in HTTP/2; an uppercase one \(malformed)") { p, s in
            p.send(p.request(1, extra: [HeaderField("X-Upper", "1")]))
            return p.expectStreamError(1, .protocolError, since: s)
        }
        list.add("8.2.1/1", "sends a field value containing NUL",
            "§8.2.1: a field value with NUL, CR or LF \(malformed)") { p, s in
            p.send(p.request(1, extra: [HeaderField("x-nul", "a\u{0}b")]))
            return p.expectStreamError(1, .protocolError, since: s)
        }
        list.add("8.2.1/2", "sends an empty field name",
            "§8.2.1: a field name must be a non-empty token; an empty one \(malformed)") { p, s in
            p.send(p.request(1, extra: [HeaderField("", "empty name")]))
            return p.expectStreamError(1, .protocolError, since: s)
        }
        list.add("8.2.1/3", "sends a field name with a space",
            "§8.2.1: a field name with characters outside a token (a space) \(malformed)") { p, s in
            p.send(p.request(1, extra: [HeaderField("x name", "1")]))
            return p.expectStreamError(1, .protocolError, since: s)
        }
        list.add("8.2.2/1", "sends the connection-specific field connection: keep-alive",
            "§8.2.2: connection-specific fields must not appear in HTTP/2; one \(malformed)") { p, s in
            p.send(p.request(1, extra: [HeaderField("connection", "keep-alive")]))
            return p.expectStreamError(1, .protocolError, since: s)
        }
        list.add("8.2.2/2", "sends te: gzip",
            "§8.2.2: te may only be \"trailers\"; any other value \(malformed)") { p, s in
            p.send(p.request(1, extra: [HeaderField("te", "gzip")]))
            return p.expectStreamError(1, .protocolError, since: s)
        }
        list.add("8.2.2/3", "sends te: trailers",
            "§8.2.2: te: trailers is allowed; the request is answered") { p, s in
            p.send(p.request(1, extra: [HeaderField("te", "trailers")]))
            return p.expectResponse(1, since: s)
        }
    }

    /// §8.3.1 Request pseudo-header fields
    static func requestPseudoHeaders(_ list: inout CaseList) {
        list.add("8.3/1", "sends an unknown pseudo-header field",
            "§8.3: pseudo-header fields other than those defined \(malformed)") { p, s in
            p.send(p.request(1, fields: p.requestFields() + [HeaderField(":foo", "bar")]))
            return p.expectStreamError(1, .protocolError, since: s)
        }
        list.add("8.3/2", "sends the response pseudo-header :status in a request",
            "§8.3: response pseudo-headers in a request \(malformed)") { p, s in
            p.send(p.request(1, fields: p.requestFields() + [HeaderField(":status", "200")]))
            return p.expectStreamError(1, .protocolError, since: s)
        }
        list.add("8.3/3", "sends a pseudo-header field after a regular field",
            "§8.3: all pseudo-headers come before regular fields; one after \(malformed)") { p, s in
            let fields = p.requestFields()
            p.send(p.request(1, fields: Array(fields.prefix(3)) + [HeaderField("x-regular", "1"), fields[3]]))
            return p.expectStreamError(1, .protocolError, since: s)
        }
        list.add("8.3/4", "sends a pseudo-header field in trailers",
            "§8.3: pseudo-headers may not appear in trailers; one there \(malformed)", settings: holdOpen) { p, s in
            p.send(p.request(1, flags: endHeaders, method: "POST"))
            p.send(rawFrame(DATA, stream: 1, Array("test".utf8)))
            p.send(rawFrame(HEADERS, flags: endStream | endHeaders, stream: 1, p.headerBlock([HeaderField(":method", "POST")])))
            return p.expectStreamError(1, .protocolError, since: s)
        }
        for (name, withoutID, twiceID) in [(":method", "8.3.1/1", "8.3.1/2"), (":scheme", "8.3.1/3", "8.3.1/4"),
                                           (":path", "8.3.1/5", "8.3.1/6")] {
            list.add(withoutID, "sends a request without \(name)",
                "§8.3.1: every request carries exactly one :method, :scheme and :path; a missing \(name) \(malformed)") { p, s in
                p.send(p.request(1, fields: p.requestFields().filter { $0.name != name }))
                return p.expectStreamError(1, .protocolError, since: s)
            }
            list.add(twiceID, "sends a request with \(name) twice",
                "§8.3.1: a pseudo-header appears at most once; a second \(name) \(malformed)") { p, s in
                let fields = p.requestFields()
                let twice = fields + fields.filter { $0.name == name }
                p.send(p.request(1, fields: twice.sorted { ($0.name.hasPrefix(":") ? 0 : 1) < ($1.name.hasPrefix(":") ? 0 : 1) }))
                return p.expectStreamError(1, .protocolError, since: s)
            }
        }
        list.add("8.3.1/7", "sends an empty :path",
            "§8.3.1: :path must not be empty for http or https URIs; an empty one \(malformed)") { p, s in
            p.send(p.request(1, fields: p.requestFields().map { $0.name == ":path" ? HeaderField(":path", "") : $0 }))
            return p.expectStreamError(1, .protocolError, since: s)
        }
    }

    static func httpSemanticsSecondPass(_ list: inout CaseList) {
        // The second pass (cases written after the first, kept after it so that no id or line of `check`'s
        // output moves): what must be accepted, and the remaining malformed forms.
        acceptedMessages(&list)
        malformedMessages(&list)
    }

    /// §8.1: bodies in several DATA frames, trailers, HEAD: each answered.
    static func acceptedMessages(_ list: inout CaseList) {
        list.add("8.1/2", "sends a request body in several DATA frames",
            "§8.1: a message body is carried by any number of DATA frames; the request is answered") { p, s in
            p.send(p.request(1, flags: endHeaders, method: "POST", extra: [HeaderField("content-length", "12")]))
            p.send(rawFrame(DATA, stream: 1, Array("abcd".utf8)) + rawFrame(DATA, stream: 1, Array("efgh".utf8))
                   + rawFrame(DATA, flags: endStream, stream: 1, Array("ijkl".utf8)))
            return p.expectResponse(1, since: s)
        }
        list.add("8.1/3", "sends a request with trailers",
            "§8.1: trailers follow the body in a HEADERS frame with END_STREAM; the request is answered") { p, s in
            p.send(p.request(1, flags: endHeaders, method: "POST"))
            p.send(rawFrame(DATA, stream: 1, Array("test".utf8)))
            p.send(rawFrame(HEADERS, flags: endStream | endHeaders, stream: 1, p.headerBlock([HeaderField("x-trailer", "1")])))
            return p.expectResponse(1, since: s)
        }
        list.add("8.1/4", "sends HEAD",
            "§8.1: a HEAD request is answered with the header section (and no body)") { p, s in
            p.send(p.request(1, method: "HEAD"))
            return p.expectResponse(1, since: s)
        }
    }

    /// §8.1.1, §8.2.1, §8.2.2, §8.3.1, §8.5: the second pass's malformed requests, each a stream
    /// error PROTOCOL_ERROR.
    static func malformedMessages(_ list: inout CaseList) {
        list.add("8.1.1/3", "sends content-length 0 with a 1-octet body",
            "§8.1.1: a body longer than content-length makes the request malformed: stream error PROTOCOL_ERROR") { p, s in
            p.send(p.request(1, flags: endHeaders, method: "POST", extra: [HeaderField("content-length", "0")]))
            p.send(rawFrame(DATA, flags: endStream, stream: 1, Array("x".utf8)))
            return p.expectStreamError(1, .protocolError, since: s)
        }
        for (id, what, field) in [("8.2.1/4", "a colon inside its name", HeaderField("x:y", "1")),
                                  ("8.2.1/5", "a value starting with a space", HeaderField("x-space", " leading")),
                                  ("8.2.1/6", "a value ending with a tab", HeaderField("x-tab", "trailing\t")),
                                  ("8.2.1/7", "a value containing LF", HeaderField("x-lf", "a\nb")),
                                  ("8.2.1/8", "a value containing CR", HeaderField("x-cr", "a\rb"))] {
            list.add(id, "sends a field with \(what)",
                "§8.2.1: a field with \(what) \(malformed)") { p, s in
                p.send(p.request(1, extra: [field]))
                return p.expectStreamError(1, .protocolError, since: s)
            }
        }
        for (id, name) in [("8.2.2/4", "keep-alive"), ("8.2.2/5", "proxy-connection"), ("8.2.2/6", "transfer-encoding"),
                           ("8.2.2/7", "upgrade")] {
            list.add(id, "sends the connection-specific field \(name)",
                "§8.2.2: \(name) is connection-specific and must not appear in HTTP/2; it \(malformed)") { p, s in
                p.send(p.request(1, extra: [HeaderField(name, name == "transfer-encoding" ? "chunked" : "1")]))
                return p.expectStreamError(1, .protocolError, since: s)
            }
        }
        list.add("8.3.1/8", "sends a request with :authority twice",
            "§8.3: a pseudo-header field appears at most once; a second :authority \(malformed)") { p, s in
            let fields = p.requestFields()
            p.send(p.request(1, fields: fields + fields.filter { $0.name == ":authority" }))
            return p.expectStreamError(1, .protocolError, since: s)
        }
        list.add("8.5/1", "sends CONNECT with :scheme and :path",
            "§8.5: a CONNECT request carries only :method and :authority; :scheme or :path \(malformed)") { p, s in
            p.send(p.request(1, fields: [HeaderField(":method", "CONNECT"), HeaderField(":scheme", "http"),
                                         HeaderField(":path", "/"), HeaderField(":authority", "example.com:443")]))
            return p.expectStreamError(1, .protocolError, since: s)
        }
        list.add("8.5/2", "sends CONNECT without :authority",
            "§8.5: a CONNECT request must carry :authority; without it \(malformed)") { p, s in
            p.send(p.request(1, fields: [HeaderField(":method", "CONNECT")]))
            return p.expectStreamError(1, .protocolError, since: s)
        }
    }
}
