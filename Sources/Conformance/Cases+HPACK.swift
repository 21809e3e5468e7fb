import Engine

/// `check`'s cases for RFC 7541 (HPACK): integers and strings, the tables, the representations, size updates; and
/// h2spec's "generic" cases (plain requests a server must answer).
extension Cases {
    static func hpack(_ list: inout CaseList) {
        // RFC 7541: HPACK
        list.add("hpack/2.3.3/1", "refers to index 70 of an empty dynamic table",
            "RFC 7541 §2.3.3: an index beyond both tables is a decoding error: connection error COMPRESSION_ERROR (RFC 9113 §4.3)") { p, s in
            p.send(rawFrame(HEADERS, flags: endStream | endHeaders, stream: 1, [0x82, 0x86, 0x84, 0xc6]))
            return p.expectConnectionError(.compressionError, since: s)
        }
        list.add("hpack/4.2/1", "sends a dynamic table size update larger than SETTINGS_HEADER_TABLE_SIZE",
            "RFC 7541 §4.2, §6.3: a size update above the decoder's limit is a decoding error: COMPRESSION_ERROR") { p, s in
            // 0x3f 0xe1 0x1f: size update to 4 097 (5-bit prefix).
            p.send(rawFrame(HEADERS, flags: endStream | endHeaders, stream: 1, [0x3f, 0xe2, 0x1f, 0x82, 0x86, 0x84]))
            return p.expectConnectionError(.compressionError, since: s)
        }
        list.add("hpack/4.2/2", "sends a dynamic table size update after a field",
            "RFC 7541 §4.2: size updates must open the block; one after a field is a decoding error: COMPRESSION_ERROR") { p, s in
            p.send(rawFrame(HEADERS, flags: endStream | endHeaders, stream: 1, [0x82, 0x20, 0x86, 0x84]))
            return p.expectConnectionError(.compressionError, since: s)
        }
        list.add("hpack/5.2/1", "sends a Huffman string padded with more than 7 bits",
            "RFC 7541 §5.2: padding longer than 7 bits is a decoding error: COMPRESSION_ERROR") { p, s in
            // :path with a Huffman value "/" (0x63 → 6 bits) followed by a whole octet of 1s.
            p.send(rawFrame(HEADERS, flags: endStream | endHeaders, stream: 1, [0x82, 0x86, 0x44, 0x82, 0x63, 0xff]))
            return p.expectConnectionError(.compressionError, since: s)
        }
        list.add("hpack/5.2/2", "sends a Huffman string whose padding is not all 1s",
            "RFC 7541 §5.2: padding that is not the most significant bits of EOS is a decoding error: COMPRESSION_ERROR") { p, s in
            p.send(rawFrame(HEADERS, flags: endStream | endHeaders, stream: 1, [0x82, 0x86, 0x44, 0x81, 0x60]))
            return p.expectConnectionError(.compressionError, since: s)
        }
        list.add("hpack/6.1/1", "refers to index 0",
            "RFC 7541 §6.1: index 0 is not a valid index; it is a decoding error: COMPRESSION_ERROR") { p, s in
            p.send(rawFrame(HEADERS, flags: endStream | endHeaders, stream: 1, [0x80, 0x82, 0x86, 0x84]))
            return p.expectConnectionError(.compressionError, since: s)
        }
        list.add("hpack/5.1/1", "sends an integer that overflows",
            "RFC 7541 §5.1: an integer too large to represent is a decoding error: COMPRESSION_ERROR") { p, s in
            p.send(rawFrame(HEADERS, flags: endStream | endHeaders, stream: 1,
                            [0x82, 0x86, 0x84, 0xff] + Array(repeating: 0xff, count: 10) + [0x01]))
            return p.expectConnectionError(.compressionError, since: s)
        }
        list.add("hpack/6.2.1/1", "adds a field to the dynamic table, then refers to it in the next request",
            "RFC 7541 §6.2.1, §2.3.3: a literal with incremental indexing becomes index 62 for the next block; both requests are answered") { p, s in
            p.send(p.request(1, extra: [HeaderField("x-h2lab", "indexed")]))
            guard p.expectResponse(1, since: s) == .passed else { return .failed(expected: "a response on stream 1", got: p.got(since: s)) }
            p.send(p.request(3, extra: [HeaderField("x-h2lab", "indexed")]))
            return p.expectResponse(3, since: s)
        }
        list.add("hpack/6.3/1", "shrinks the dynamic table to 0 at the start of a block, then grows it back",
            "RFC 7541 §6.3, §4.2: size updates at the start of a block within the limit are accepted; the request is answered") { p, s in
            let block = p.headerBlock(p.requestFields(extra: [HeaderField("x-h2lab", "1")]))
            p.send(rawFrame(HEADERS, flags: endStream | endHeaders, stream: 1, [0x20, 0x3f, 0xe1, 0x1f] + block))
            return p.expectResponse(1, since: s)
        }
    }

    static func hpackSecondPass(_ list: inout CaseList) {
        // The second pass (cases written after the first, kept after it so that no id or line of `check`'s
        // output moves): what must be accepted, and the remaining malformed forms.
        list.add("hpack/6.2.2/1", "sends a literal field without indexing, new name",
            "RFC 7541 §6.2.2: a literal without indexing is decoded and leaves the table alone; the request is answered") { p, s in
            var policy = EncoderPolicy()
            policy.indexing = .withoutIndexing
            p.encoder.policy = policy
            p.send(p.request(1, extra: [HeaderField("x-literal", "plain")]))
            return p.expectResponse(1, since: s)
        }
        list.add("hpack/6.2.3/1", "sends a never-indexed literal field",
            "RFC 7541 §6.2.3: a never-indexed literal is decoded like any other; the request is answered") { p, s in
            var policy = EncoderPolicy()
            policy.indexing = .neverIndexed
            p.encoder.policy = policy
            p.send(p.request(1, extra: [HeaderField("authorization", "secret")]))
            return p.expectResponse(1, since: s)
        }
        list.add("hpack/5.2/3", "sends every string Huffman-coded",
            "RFC 7541 §5.2: Huffman-coded strings are decoded; the request is answered") { p, s in
            var policy = EncoderPolicy()
            policy.huffman = .always
            p.encoder.policy = policy
            p.send(p.request(1, extra: [HeaderField("x-huffman", "every string coded")]))
            return p.expectResponse(1, since: s)
        }
        list.add("hpack/5.2/4", "sends a Huffman string that contains EOS",
            "RFC 7541 §5.2: a Huffman string containing the EOS symbol is a decoding error: COMPRESSION_ERROR") { p, s in
            // :path with a 4-octet Huffman value of all 1s: the 30-bit EOS code, then padding.
            p.send(rawFrame(HEADERS, flags: endStream | endHeaders, stream: 1, [0x82, 0x86, 0x44, 0x84, 0xff, 0xff, 0xff, 0xff]))
            return p.expectConnectionError(.compressionError, since: s)
        }
        list.add("hpack/5.2/5", "sends a string longer than the header block",
            "RFC 7541 §5.2: a string whose length runs past the block is a decoding error: COMPRESSION_ERROR") { p, s in
            p.send(rawFrame(HEADERS, flags: endStream | endHeaders, stream: 1, [0x82, 0x86, 0x84, 0x40, 0x0a, 0x61]))
            return p.expectConnectionError(.compressionError, since: s)
        }
        list.add("hpack/2.3.3/2", "refers to the entry just past the dynamic table",
            "RFC 7541 §2.3.3: with one entry (62) in the table, index 63 is a decoding error: COMPRESSION_ERROR") { p, s in
            // A literal with incremental indexing adds x: y as 62; 0xbf is index 63.
            p.send(rawFrame(HEADERS, flags: endStream | endHeaders, stream: 1,
                            [0x82, 0x86, 0x84, 0x40, 0x01, 0x78, 0x01, 0x79, 0xbf]))
            return p.expectConnectionError(.compressionError, since: s)
        }
        list.add("hpack/4.2/3", "sends a size update to exactly SETTINGS_HEADER_TABLE_SIZE",
            "RFC 7541 §4.2: a size update up to the limit is valid; the request is answered") { p, s in
            let block = p.headerBlock(p.requestFields())
            p.send(rawFrame(HEADERS, flags: endStream | endHeaders, stream: 1, [0x3f, 0xe1, 0x1f] + block))
            return p.expectResponse(1, since: s)
        }
    }

    /// h2spec's "generic" cases: plain requests a server must simply answer.
    static func generic(_ list: inout CaseList) {
        list.add("generic/1", "sends a GET request",
            "§8.1: a request of HEADERS with END_STREAM gets a complete response") { p, s in
            p.send(p.request(1))
            let end = p.next { ($0.type == .data || $0.type == .headers) && $0.stream == 1 && $0.flags & endStream != 0 || $0.type == .goaway }
            return end != nil && end?.type != .goaway ? .passed : .failed(expected: "a complete response on stream 1", got: p.got(since: s))
        }
        list.add("generic/2", "sends many requests on one connection",
            "§5.1, §5.1.2: streams are independent; ten requests on streams 1 to 19 are all answered") { p, s in
            var bytes: [UInt8] = []
            for i in 0..<10 { bytes += p.request(UInt32(2 * i + 1)) }
            p.send(bytes, note: "HEADERS with END_STREAM on streams 1, 3, … 19")
            for i in 0..<10 where p.expectResponse(UInt32(2 * i + 1), since: s) != .passed {
                return .failed(expected: "responses on streams 1 to 19", got: p.got(since: s))
            }
            return .passed
        }
        list.add("generic/3", "sends a request with 100 fields",
            "§8.2: a request with many fields within the server's limits is answered") { p, s in
            p.send(p.request(1, extra: (0..<100).map { HeaderField("x-field-\($0)", "value \($0)") }))
            return p.expectResponse(1, since: s)
        }
    }
}
