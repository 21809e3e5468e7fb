import CSystem

/// How the C heap grows under a server with a thread per connection.
///
/// glibc gives busy threads arenas of their own, each in a heap it reserves at 64 MiB and makes
/// usable a little at a time: one `mprotect` for every 128 KiB of growth by default. Each
/// `mprotect` rewrites the process's memory map, and while it does, the other threads' page faults
/// wait. In `h2lab class` two hundred students' labs grow at once: `scripts/bench class` counted
/// 27,482 `mprotect` calls in one lesson, and a step that needed 2 ms of CPU waited up to 260 ms.
/// Growing in large steps made it 215 calls and the step's 99th percentile 19–33 ms. The resident
/// memory did not change: pages are touched only when used, whatever the address space allows.
public enum HeapGrowth {
    /// The step the threaded servers ask for: a whole arena heap at once.
    public static let serverStep = 64 << 20

    /// Asks the C heap to grow by at least `octets` past each request (glibc's `M_TOP_PAD`).
    /// Returns false if the C library refused.
    @discardableResult
    public static func grow(inStepsOf octets: Int) -> Bool {
        guard octets >= 0, octets <= Int(Int32.max) else { return false }
        return h2lab_heap_top_pad(Int32(octets)) == 1
    }
}
