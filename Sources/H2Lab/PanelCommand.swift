import ArgumentParser
import Engine
import Foundation
import Panel
import Transport

/// `h2lab panel`: the login-protected control panel over HTTP/2 and TLS; `h2lab panel passwd USER`
/// sets an administrator's password.
struct PanelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "panel",
        abstract: "A login-protected web panel (HTTP/2 over TLS) to start and stop demo servers, follow their logs, and look inside their connections.",
        subcommands: [PanelServe.self, PanelPasswd.self],
        defaultSubcommand: PanelServe.self)
}

struct UsersOption: ParsableArguments {
    @Option(help: "The users file (default ~/.config/h2lab/panel-users, created mode 0600).") var users: String?
    var path: String { users ?? UserStore.defaultPath }
}

struct PanelServe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the panel (the default).",
        discussion: """
        Binds 127.0.0.1:9443 unless told otherwise. If the users file has no user, creates `admin` with a random \
        password and prints it once. The demo servers it starts listen on 127.0.0.1 only, on ports 1024 and up.
        """)

    @Option(help: "Port (0 picks a free one).", transform: Numbers.port.parse) var port = 9443
    @Option(help: "Address to bind (loopback unless you mean it).") var host = "127.0.0.1"
    @OptionGroup var usersFile: UsersOption
    @Option(help: "TLS certificate (PEM). Without --cert/--key a self-signed one for localhost is made and kept.") var cert: String?
    @Option(help: "TLS private key (PEM).") var key: String?
    @Option(help: "Minutes a session may sit idle before it must log in again.", transform: Numbers.minutes.parse) var sessionMinutes: Double = 30
    @Option(help: "Seconds a connection may take to finish its TLS handshake and preface, sit idle, leave a header block or a TLS record incomplete, or not read what it is sent.",
            transform: Numbers.seconds.parse)
    var idleTimeout: Double = ServerLimits.standard.idleTimeout
    @Option(help: "Write the bound port to FILE once listening (for scripts and tests).") var portFile: String?

    func run() throws {
        signal(SIGPIPE, SIG_IGN)
        let store = try loadUsers(usersFile.path)
        guard let (assets, _) = PanelAssets.load(executable: URL(fileURLWithPath: CommandLine.arguments[0])) else {
            warn("error: the panel's page files are missing (looked in: "
                 + PanelAssets.candidates(executable: URL(fileURLWithPath: CommandLine.arguments[0])).joined(separator: ", ")
                 + "); set H2LAB_PANEL_ASSETS to their folder")
            throw ExitCode(1)
        }
        let tls: TLSContext
        do {
            tls = try makeTLSContext(cert: cert, key: key)
        } catch {
            warn("error: \(error)")
            throw ExitCode(1)
        }
        let listener: TCPSocket
        do {
            listener = try TCPSocket.listen(host: host, port: UInt16(port))
        } catch {
            warn("error: \(error)")
            throw ExitCode(1)
        }
        if !["127.0.0.1", "::1", "localhost"].contains(host) {
            warn("warning: the panel listens on \(host), not only on loopback: anyone who can reach it can try to log in")
        }
        installStopSignals()
        let clock: @Sendable () -> Double = { Date().timeIntervalSince1970 }
        let servers = DemoServers(tls: tls, now: clock)
        let app = PanelApp(users: store, assets: assets, servers: servers, idleTimeout: sessionMinutes * 60, now: clock) { line in
            warn("panel: " + line)
        }
        try OutputFiles.writePort(listener.localPort, to: portFile)
        warn("h2lab panel on https://\(host == "127.0.0.1" ? "localhost" : host):\(listener.localPort)/  (Ctrl-C stops it and its servers)")
        // The demo servers stop first: their live logs end, so the panel's connections can finish.
        ConnectionBudget.raiseDescriptorLimit()
        var limits = ServerLimits()
        limits.idleTimeout = idleTimeout
        acceptConnections(on: listener, maxConnections: limits.maxConnections, tracer: nil,
                          stopping: servers.stopAll) { [limits] client, ticket in
            ServerConnection.serve(client, id: ticket.id, tls: tls, responder: app, tracer: nil, limits: limits, ticket: ticket) {
                stopRequested != 0
            }
        }
        warn("h2lab panel: stopped")
    }
}

/// The users file of `panel` and `class`; if it has no user, `admin` is made with a random password,
/// printed once.
func loadUsers(_ path: String) throws -> UserStore {
    do {
        var store = try UserStore(path: path)
        if store.users.isEmpty {
            guard let password = PanelCrypto.random(15).map(PanelCrypto.base64URL) else {
                throw UserStore.Failure(description: "no random numbers from OpenSSL")
            }
            try store.setPassword("admin", password)
            warn("no panel user yet: created admin in \(path)")
            warn("  user: admin   password: \(password)   (shown once; change it with `h2lab panel passwd admin`)")
        }
        return store
    } catch {
        warn("error: \(error)")
        throw ExitCode(1)
    }
}

struct PanelPasswd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "passwd",
        abstract: "Set a panel user's password (asks twice on a terminal; reads one line when piped).",
        discussion: "Only a salted PBKDF2-HMAC-SHA256 hash (600 000 iterations) is stored.")

    @Argument(help: "The user name.") var user: String
    @OptionGroup var usersFile: UsersOption

    func run() throws {
        let password: String
        if isatty(0) == 1 {
            guard let first = readSecret("new password for \(user): "), let second = readSecret("again: ") else { throw ExitCode(1) }
            guard first == second else {
                warn("error: the two passwords differ; nothing changed")
                throw ExitCode(1)
            }
            password = first
        } else {
            guard let line = readLine(strippingNewline: true) else {
                warn("error: no password on standard input")
                throw ExitCode(1)
            }
            password = line
        }
        do {
            var store = try UserStore(path: usersFile.path)
            try store.setPassword(user, password)
            warn("password set for \(user) in \(usersFile.path)")
        } catch {
            warn("error: \(error.description)")
            throw ExitCode(1)
        }
    }

    /// Reads a line from the terminal with echo off.
    func readSecret(_ prompt: String) -> String? {
        FileHandle.standardError.write(Data(prompt.utf8))
        var saved = termios()
        tcgetattr(0, &saved)
        var quiet = saved
        quiet.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(0, TCSANOW, &quiet)
        defer {
            tcsetattr(0, TCSANOW, &saved)
            FileHandle.standardError.write(Data("\n".utf8))
        }
        return readLine(strippingNewline: true)
    }
}
