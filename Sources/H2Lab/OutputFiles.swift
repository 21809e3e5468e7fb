import ArgumentParser
import Foundation
import Transport

/// Files an option names for the command to write (a capture, the port file): one that cannot be
/// written is a usage error (exit status 64) with the option, the path and why, before the command
/// says it is serving.
enum OutputFiles {
    /// `--pcap FILE`, opened now (nil without the option).
    static func capture(_ path: String?) throws -> CaptureFile? {
        guard let path else { return nil }
        do {
            return try CaptureFile(path: path)
        } catch {
            throw ValidationError("--pcap: cannot write \(path): \(reason(error))")
        }
    }

    /// `--port-file FILE`: the bound port and a newline, for the scripts and tests that wait on it.
    static func writePort(_ port: UInt16, to path: String?) throws {
        guard let path else { return }
        do {
            try Data("\(port)\n".utf8).write(to: URL(fileURLWithPath: path))
        } catch {
            throw ValidationError("--port-file: cannot write \(path): \(reason(error))")
        }
    }

    /// The system's words for why, without Foundation's error domains and dictionaries.
    static func reason(_ error: Error) -> String {
        if let underlying = ((error as NSError).userInfo[NSUnderlyingErrorKey] as? Error).map({ $0 as NSError }),
           underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if let socket = error as? SocketError { return String(cString: strerror(socket.code)) }
        return (error as NSError).localizedDescription
    }
}
