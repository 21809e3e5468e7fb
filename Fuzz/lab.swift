// libFuzzer target: the invariant fuzzer. The input is a sequence of lab steps (requests,
// responses, resets, settings, window updates, GOAWAY, pushes, deliveries, `back`, and crafted
// frames: field blocks from the sender's own encoder framed as no valid sender would, and frames of
// any type and payload), run on an in-memory lab between our client and our server. After every
// step LabInvariants must hold (both HPACK contexts in step once the wire is empty, windows that
// agree, mirrored stream states, errors that name their RFC section, `back` then the same step
// giving the same state); a violation is a crash, with the steps that led to it.
import Engine
#if canImport(Glibc)
import Glibc
#endif

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLab(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let violation = LabExplorer.run(bytes) {
        // To stderr, unbuffered: abort() would lose what stdout still holds.
        fputs("invariant violated\n\(violation)\n", stderr)
        abort()
    }
    return 0
}
