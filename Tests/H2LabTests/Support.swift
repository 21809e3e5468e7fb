import Foundation

let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let corpus = packageRoot.appendingPathComponent("Tests/Corpus/hpack-test-case").path

/// The `h2lab` built beside this test bundle.
let h2lab: String = {
    let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("h2lab").path
    if FileManager.default.isExecutableFile(atPath: beside) { return beside }
    return packageRoot.appendingPathComponent(".build/debug/h2lab").path
}()

struct Run {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs a program with arguments and standard input, with a time limit. Spawned with posix_spawn
/// and close-on-exec pipes, so that concurrently running tests never leak each other's pipes into
/// children (a daemon such as tmux's server would otherwise hold them open), and reaped with
/// waitpid here rather than by Foundation's SIGCHLD machinery.
func run(_ program: String, _ arguments: [String], input: String = "", environment: [String: String] = [:],
         directory: String? = nil, timeout: TimeInterval = 60, capture: Bool = true) throws -> Run {
    // A child that exits before reading its input (a peer that is not installed) must not take the
    // whole test process down with SIGPIPE: the write fails with EPIPE instead.
    signal(SIGPIPE, SIG_IGN)
    var env = ProcessInfo.processInfo.environment
    env.merge(environment) { $1 }
    var argv = [program.hasPrefix("/") ? program : "/usr/bin/env"] + (program.hasPrefix("/") ? arguments : [program] + arguments)
    if let directory { argv = ["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", directory] + argv }
    func pipeFDs() throws -> (Int32, Int32) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw CocoaError(.fileWriteUnknown) }
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        return (fds[0], fds[1])
    }
    let stdin = try pipeFDs(), stdout = try pipeFDs(), stderr = try pipeFDs()
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, stdin.0, 0)
    if capture {
        posix_spawn_file_actions_adddup2(&actions, stdout.1, 1)
        posix_spawn_file_actions_adddup2(&actions, stderr.1, 2)
    } else {
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    }
    // A child starts with no signal blocked, whatever this thread has blocked.
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var empty = sigset_t()
    sigemptyset(&empty)
    posix_spawnattr_setsigmask(&attributes, &empty)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
    let cArgs = argv.map { strdup($0) } + [nil]
    let cEnv = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { (cArgs + cEnv).forEach { free($0) } }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, argv[0], &actions, &attributes, cArgs, cEnv)
    close(stdin.0); close(stdout.1); close(stderr.1)
    guard spawned == 0 else {
        close(stdin.1); close(stdout.0); close(stderr.0)
        throw CocoaError(.executableLoad)
    }
    let inputBytes = Array(input.utf8)
    let writer = Thread {
        var offset = 0
        while offset < inputBytes.count {
            let n = inputBytes.withUnsafeBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                return write(stdin.1, base + offset, inputBytes.count - offset)
            }
            if n <= 0 { break }
            offset += n
        }
        close(stdin.1)
    }
    writer.start()
    let out = Box(), err = Box()
    let group = DispatchGroup()
    for (fd, box) in [(stdout.0, out), (stderr.0, err)] {
        group.enter()
        Thread {
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, 65_536) }
                if n <= 0 { break }
                box.append(buffer[0..<n])
            }
            close(fd)
            group.leave()
        }.start()
    }
    let deadline = Date().addingTimeInterval(timeout)
    var status: Int32 = 0
    while waitpid(pid, &status, WNOHANG) == 0 {
        if Date() >= deadline {
            kill(pid, SIGKILL)
            waitpid(pid, &status, 0)
            break
        }
        usleep(5_000)
    }
    _ = group.wait(timeout: .now() + 10)
    let exitStatus: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    return Run(status: exitStatus, stdout: String(decoding: out.data, as: UTF8.self), stderr: String(decoding: err.data, as: UTF8.self))
}

/// Checks `condition` every `interval` seconds until it holds or `seconds` pass; whether it held.
@discardableResult
func waitUntil(_ seconds: TimeInterval, every interval: TimeInterval = 0.05, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while true {
        if try condition() { return true }
        if Date() >= deadline { return false }
        usleep(useconds_t(interval * 1_000_000))
    }
}

/// Bytes collected by a reader thread.
final class Box: @unchecked Sendable {
    private let lock = NSLock()
    private var bytes = Data()
    var data: Data { lock.lock(); defer { lock.unlock() }; return bytes }
    func append(_ chunk: ArraySlice<UInt8>) { lock.lock(); bytes.append(contentsOf: chunk); lock.unlock() }
}
