// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "H2Lab",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "h2lab", targets: ["H2Lab"]),
        .library(name: "Engine", targets: ["Engine"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // RFC 8941 Structured Field Values: RFC 9218's priority field is a Dictionary.
        .package(url: "https://github.com/apple/swift-http-structured-headers", from: "1.7.0"),
    ],
    targets: [
        // The protocol and the in-memory world that exercises it, all without I/O (sans-IO: bytes in,
        // frames, events and bytes out). Its folders say which is which: the protocol as the RFCs
        // divide it (Frames and Connection: RFC 9113; HPACK: RFC 7541; Priority: RFC 9218; WebSocket:
        // RFC 6455 framing over RFC 8441; HTTP1: RFC 9112's mapping), then what runs it without a
        // socket: Lab (two endpoints and the wire between them), Site (the demo site every server and
        // the lab answer from), Capture (pcapng encoding; Transport writes the file) and Support
        // (hex, JSON text). Cryptography comes from OpenSSL, as everywhere in H2Lab; RFC 8941 field
        // values (RFC 9218's priority) from swift-http-structured-headers.
        .target(name: "Engine", dependencies: [
            "COpenSSL", .product(name: "RawStructuredFieldValues", package: "swift-http-structured-headers"),
        ]),
        // Adapters that move bytes between sockets and the engine: TCP and TLS, event loops and
        // threads, the connection policy (idle time, how many connections, which to close first).
        // Protocol rules stay in the engine: the GOAWAY a server ends with is chosen there.
        .target(name: "Transport", dependencies: ["Engine", "COpenSSL", "CSystem"]),
        .systemLibrary(name: "CSystem", pkgConfig: nil),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        // The command language shared by the REPL and lesson scripts, the runner, transcripts.
        .target(name: "Lessons", dependencies: ["Engine"]),
        // The control panel: a login-protected web page and JSON API over HTTP/2 to run demo servers.
        // Its page files are resources, not strings in Swift.
        .target(name: "Panel", dependencies: ["Engine", "Transport", "COpenSSL"], resources: [.copy("Resources")]),
        // `h2lab class`: a classroom of students' labs in their browsers and the teacher's dashboard,
        // on the panel's web stack. Its pages are resources.
        .target(name: "Classroom", dependencies: ["Engine", "Lessons", "Panel", "Transport"], resources: [.copy("Resources")]),
        // `h2lab check URL`: a conformance suite run against a real server, every failure explained.
        .target(name: "Conformance", dependencies: ["Engine", "Transport"]),
        .systemLibrary(name: "CReadline", pkgConfig: nil, providers: [.apt(["libreadline-dev"])]),
        .executableTarget(
            name: "H2Lab",
            dependencies: [
                "Engine", "Lessons", "Transport", "Panel", "Classroom", "Conformance", "CReadline", "CSystem",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "EngineTests", dependencies: ["Engine"]),
        .testTarget(name: "LessonsTests", dependencies: ["Lessons", "Engine"]),
        // Runs the built `h2lab` as a person or a script would: subcommands, exit codes, a terminal.
        .testTarget(name: "H2LabTests", dependencies: ["H2Lab", "Engine", "Transport", "Panel", "Classroom", "Lessons"]),
    ],
    swiftLanguageModes: [.v6]
)
