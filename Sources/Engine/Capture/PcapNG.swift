/// A pcapng file (the capture format Wireshark and tshark read, draft-ietf-opsawg-pcapng) of
/// synthetic TCP conversations over IPv4: what the lab's endpoints or a server's connections sent
/// each other, as TCP segments with correct sequence numbers and checksums, so that Wireshark
/// reassembles the stream and decodes HTTP/2 with no setup. Pure: it builds bytes; the caller
/// writes them.
public struct PcapNG: Sendable {
    public private(set) var bytes: [UInt8] = []
    private var ipID: UInt16 = 0

    /// One TCP connection's addresses and sequence numbers.
    public struct Conversation: Sendable {
        public var clientPort: UInt16
        public var serverPort: UInt16
        public var clientAddress: [UInt8]
        public var serverAddress: [UInt8]
        var clientNext: UInt32
        var serverNext: UInt32

        public init(clientPort: UInt16, serverPort: UInt16, clientAddress: [UInt8] = [127, 0, 0, 1],
                    serverAddress: [UInt8] = [127, 0, 0, 1]) {
            self.clientPort = clientPort
            self.serverPort = serverPort
            self.clientAddress = clientAddress
            self.serverAddress = serverAddress
            // Fixed initial sequence numbers: the same session gives the same file.
            clientNext = 1_000
            serverNext = 5_000
        }
    }

    static let linkTypeRaw: UInt16 = 101  // LINKTYPE_RAW: packets begin with an IPv4 header

    /// A section header and one interface (raw IP, microsecond timestamps).
    public init() {
        var shb: [UInt8] = []
        Self.put32(0x1A2B_3C4D, &shb)  // byte-order magic
        Self.put16(1, &shb)
        Self.put16(0, &shb)  // version 1.0
        shb += [UInt8](repeating: 0xFF, count: 8)  // section length: unknown
        block(0x0A0D_0D0A, shb)
        var idb: [UInt8] = []
        Self.put16(Self.linkTypeRaw, &idb)
        Self.put16(0, &idb)
        Self.put32(0, &idb)  // no snapshot limit
        block(1, idb)
    }

    /// Forgets the bytes built so far (the caller has written them out); later blocks follow on.
    public mutating func dropWritten() { bytes = [] }

    /// TLS key log lines (NSS format) in a Decryption Secrets Block, so Wireshark decrypts TLS.
    public mutating func addTLSSecrets(_ keyLog: String) {
        var dsb: [UInt8] = []
        let secrets = Array(keyLog.utf8)
        Self.put32(0x544C_534B, &dsb)  // "TLSK"
        Self.put32(UInt32(secrets.count), &dsb)
        dsb += secrets
        while dsb.count % 4 != 0 { dsb.append(0) }
        block(0x0000_000A, dsb)
    }

    /// The three-way handshake.
    public mutating func open(_ c: inout Conversation, microseconds: UInt64) {
        segment(c, fromClient: true, flags: 0x02, seq: c.clientNext, ack: 0, payload: [], microseconds)
        segment(c, fromClient: false, flags: 0x12, seq: c.serverNext, ack: c.clientNext + 1, payload: [], microseconds)
        c.clientNext += 1
        c.serverNext += 1
        segment(c, fromClient: true, flags: 0x10, seq: c.clientNext, ack: c.serverNext, payload: [], microseconds)
    }

    /// Data from one side, in segments of at most 16 KiB (PSH, ACK).
    public mutating func send(_ c: inout Conversation, fromClient: Bool, _ payload: [UInt8], microseconds: UInt64) {
        var offset = 0
        while offset < payload.count {
            let chunk = Array(payload[offset..<min(payload.count, offset + 16_384)])
            if fromClient {
                segment(c, fromClient: true, flags: 0x18, seq: c.clientNext, ack: c.serverNext, payload: chunk, microseconds)
                c.clientNext &+= UInt32(chunk.count)
            } else {
                segment(c, fromClient: false, flags: 0x18, seq: c.serverNext, ack: c.clientNext, payload: chunk, microseconds)
                c.serverNext &+= UInt32(chunk.count)
            }
            offset += chunk.count
        }
    }

    /// FIN from both sides.
    public mutating func close(_ c: inout Conversation, microseconds: UInt64) {
        segment(c, fromClient: true, flags: 0x11, seq: c.clientNext, ack: c.serverNext, payload: [], microseconds)
        c.clientNext &+= 1
        segment(c, fromClient: false, flags: 0x11, seq: c.serverNext, ack: c.clientNext, payload: [], microseconds)
        c.serverNext &+= 1
        segment(c, fromClient: true, flags: 0x10, seq: c.clientNext, ack: c.serverNext, payload: [], microseconds)
    }

    // MARK: Packets

    private mutating func segment(_ c: Conversation, fromClient: Bool, flags: UInt8, seq: UInt32, ack: UInt32,
                                  payload: [UInt8], _ microseconds: UInt64) {
        let (source, destination) = fromClient ? (c.clientAddress, c.serverAddress) : (c.serverAddress, c.clientAddress)
        let (sourcePort, destinationPort) = fromClient ? (c.clientPort, c.serverPort) : (c.serverPort, c.clientPort)
        var tcp: [UInt8] = []
        Self.net16(sourcePort, &tcp)
        Self.net16(destinationPort, &tcp)
        Self.net32(seq, &tcp)
        Self.net32(ack, &tcp)
        tcp += [0x50, flags]  // data offset 5 words
        Self.net16(65_535, &tcp)  // window
        Self.net16(0, &tcp)  // checksum, below
        Self.net16(0, &tcp)  // urgent pointer
        tcp += payload
        var pseudo = source + destination + [0, 6]
        Self.net16(UInt16(tcp.count), &pseudo)
        let tcpSum = Self.checksum(pseudo + tcp)
        tcp[16] = UInt8(tcpSum >> 8)
        tcp[17] = UInt8(tcpSum & 0xFF)
        ipID &+= 1
        var ip: [UInt8] = [0x45, 0]
        Self.net16(UInt16(20 + tcp.count), &ip)
        Self.net16(ipID, &ip)
        Self.net16(0x4000, &ip)  // don't fragment
        ip += [64, 6, 0, 0]  // TTL, TCP, checksum below
        ip += source + destination
        let ipSum = Self.checksum(ip)
        ip[10] = UInt8(ipSum >> 8)
        ip[11] = UInt8(ipSum & 0xFF)
        packet(ip + tcp, microseconds)
    }

    private mutating func packet(_ data: [UInt8], _ microseconds: UInt64) {
        var epb: [UInt8] = []
        Self.put32(0, &epb)  // interface 0
        Self.put32(UInt32(microseconds >> 32), &epb)
        Self.put32(UInt32(microseconds & 0xFFFF_FFFF), &epb)
        Self.put32(UInt32(data.count), &epb)
        Self.put32(UInt32(data.count), &epb)
        epb += data
        while epb.count % 4 != 0 { epb.append(0) }
        block(6, epb)
    }

    private mutating func block(_ type: UInt32, _ body: [UInt8]) {
        let length = UInt32(12 + body.count)
        Self.put32(type, &bytes)
        Self.put32(length, &bytes)
        bytes += body
        Self.put32(length, &bytes)
    }

    /// The Internet checksum (RFC 1071).
    static func checksum(_ data: [UInt8]) -> UInt16 {
        var sum: UInt32 = 0
        var i = 0
        while i + 1 < data.count {
            sum += UInt32(data[i]) << 8 | UInt32(data[i + 1])
            i += 2
        }
        if i < data.count { sum += UInt32(data[i]) << 8 }
        while sum >> 16 != 0 { sum = (sum & 0xFFFF) + (sum >> 16) }
        return ~UInt16(sum)
    }

    /// Packet headers are in network byte order (big-endian).
    static func net16(_ value: UInt16, _ out: inout [UInt8]) {
        out += [UInt8(value >> 8), UInt8(value & 0xFF)]
    }

    static func net32(_ value: UInt32, _ out: inout [UInt8]) {
        out += [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }

    // pcapng is written in the writer's byte order, declared by the magic; little-endian here.
    static func put16(_ value: UInt16, _ out: inout [UInt8]) {
        out += [UInt8(value & 0xFF), UInt8(value >> 8)]
    }

    static func put32(_ value: UInt32, _ out: inout [UInt8]) {
        out += [UInt8(value & 0xFF), UInt8((value >> 8) & 0xFF), UInt8((value >> 16) & 0xFF), UInt8(value >> 24)]
    }
}
