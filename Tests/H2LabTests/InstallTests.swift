import Foundation
import Testing

/// The version as the source sets it, in its one place.
func sourceVersion() throws -> String {
    let text = try String(contentsOf: packageRoot.appendingPathComponent("Sources/H2Lab/Version.swift"), encoding: .utf8)
    return try #require(text.firstMatch(of: /h2labVersion = "([^"]+)"/).map { String($0.1) })
}

/// Installing as a teacher or a student would: from a Debian package, or with scripts/install.
/// Both build in release with the Swift runtime linked in (a few minutes the first time).
@Suite("Installing h2lab", .serialized)
struct InstallTests {
    func scratch(_ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("h2lab-\(name)-\(getpid())")
        try? FileManager.default.removeItem(at: url)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// What an installed h2lab must do from a folder that has no lessons of its own.
    func checkInstalled(_ binary: String, share: URL) throws {
        let elsewhere = try scratch("cwd")
        let version = try run(binary, ["--version"], directory: elsewhere.path)
        let expected = try sourceVersion()
        #expect(version.status == 0 && version.stdout == expected + "\n")
        #expect(try run(binary, ["--help"]).stdout.contains("--version"))
        let list = try run(binary, ["lesson", "list"], directory: elsewhere.path)
        #expect(list.status == 0 && list.stdout.hasPrefix("01-handshake"), "\(list.stdout)\(list.stderr)")
        let lesson = try run(binary, ["lesson", "run", "10-flow-control"], directory: elsewhere.path)
        let golden = try String(contentsOf: packageRoot.appendingPathComponent("transcripts/10-flow-control.txt"), encoding: .utf8)
        #expect(lesson.status == 0 && lesson.stdout == golden, "\(lesson.stderr)")
        let check = try run(binary, ["lesson", "check"], directory: elsewhere.path)
        #expect(check.status == 0 && check.stdout.hasSuffix(" passed, 0 failed\n"), "\(check.stdout)")
        // The REPL in a pipe, as a quick sign of life.
        #expect(try run(binary, [], input: "request GET /json\ncontinue\n").stdout.contains("client has the whole response on stream 1"))
        // The man page and the completions, generated from the same command definitions.
        let man = share.appendingPathComponent("man/man1/h2lab.1.gz")
        let page = try run("/bin/sh", ["-c", "gzip -dc \"$0\"", man.path]).stdout
        #expect(page.contains(".Nm h2lab") && page.contains("lesson"))
        let bash = try String(contentsOf: share.appendingPathComponent("bash-completion/completions/h2lab"), encoding: .utf8)
        #expect(bash.contains("lesson") && bash.contains("serve"))
        #expect(FileManager.default.fileExists(atPath: share.appendingPathComponent("zsh/site-functions/_h2lab").path))
        #expect(FileManager.default.fileExists(atPath: share.appendingPathComponent("fish/vendor_completions.d/h2lab.fish").path))
        // The classroom's page files are installed beside the panel's (ClassroomApp.place looks there).
        for name in ["student.html", "dashboard.html", "projector.html", "classroom.css", "labview.js"] {
            #expect(FileManager.default.fileExists(atPath: share.appendingPathComponent("h2lab/classroom/" + name).path), "\(name)")
        }
        // The panel finds its installed page files and serves its login page.
        let panelHome = try scratch("panel-home")
        let portFile = panelHome.appendingPathComponent("port").path
        let panel = Process()
        panel.executableURL = URL(fileURLWithPath: binary)
        panel.arguments = ["panel", "--port", "0", "--port-file", portFile, "--users", panelHome.appendingPathComponent("users").path]
        panel.currentDirectoryURL = elsewhere
        panel.environment = ["HOME": panelHome.path, "XDG_CACHE_HOME": panelHome.path, "PATH": "/usr/bin:/bin"]
        panel.standardOutput = FileHandle.nullDevice
        panel.standardError = FileHandle.nullDevice
        try panel.run()
        defer { panel.terminate(); panel.waitUntilExit() }
        var port = ""
        _ = waitUntil(15) {
            port = ((try? String(contentsOfFile: portFile, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            return !port.isEmpty
        }
        let login = try run("curl", ["-sk", "--http2", "https://127.0.0.1:\(port)/login"])
        #expect(login.stdout.contains("H2Lab control panel") && login.stdout.contains("name=\"password\""), "\(login.stdout.prefix(300))")
    }

    @Test("scripts/package-deb: a .deb that needs no Swift, unpacked with dpkg -x and run from there")
    func debianPackage() throws {
        let out = try scratch("deb")
        let build = try run(packageRoot.appendingPathComponent("scripts/package-deb").path, [out.path], timeout: 1_800)
        #expect(build.status == 0, "\(build.stderr.suffix(2_000))")
        let deb = try #require(build.stdout.split(separator: "\n").last.map(String.init))
        let arch = try run("dpkg", ["--print-architecture"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let expectedName = "_\(try sourceVersion())_\(arch).deb"
        #expect(deb.hasSuffix(expectedName))
        let info = try run("dpkg-deb", ["-I", deb]).stdout
        let version = try sourceVersion()
        #expect(info.contains("Package: h2lab") && info.contains("Version: \(version)"))
        let depends = try #require(info.split(separator: "\n").first { $0.contains("Depends:") })
        #expect(depends.contains("libssl3") && depends.contains("libreadline8"), "\(depends)")
        #expect(!depends.contains("swift"))
        let root = try scratch("deb-root")
        #expect(try run("dpkg", ["-x", deb, root.path]).status == 0)
        let binary = root.appendingPathComponent("usr/bin/h2lab").path
        // No Swift runtime library is needed from outside: only system libraries are linked.
        let linked = try run("ldd", [binary]).stdout
        #expect(!linked.contains("libswift") && !linked.contains("libFoundation") && !linked.contains("not found"), "\(linked)")
        try checkInstalled(binary, share: root.appendingPathComponent("usr/share"))
    }

    @Test("scripts/install PREFIX: the program, lessons found from anywhere, man page, completions")
    func installScript() throws {
        let prefix = try scratch("prefix")
        let install = try run(packageRoot.appendingPathComponent("scripts/install").path, [prefix.path], timeout: 1_800)
        #expect(install.status == 0, "\(install.stderr.suffix(2_000))")
        let version = try sourceVersion()
        #expect(install.stdout.contains("installed h2lab \(version) in \(prefix.path)"))
        try checkInstalled(prefix.appendingPathComponent("bin/h2lab").path, share: prefix.appendingPathComponent("share"))
    }
}
