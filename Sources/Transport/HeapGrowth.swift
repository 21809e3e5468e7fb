import CSystem

/// How the C heap grows under a server with a thread per connection.
///
/// glibc gives busy threads arenas of their own, each in a heap it reserves at 64 MiB and makes
/// usable a little at a time: one `mprotect` for every 128 KiB of growth by default. Each
/// `mprotect` rewrites the process's memory map, and while it does, the other threads' page faults
/// wait. In `h2lab class` two hundred students' labs grow at once: `scripts/bench class` counted
/// about 27,700 `mprotect` calls in one lesson, and steps that needed 2 ms of CPU waited up to
/// 180 ms (the server's p99 70-100 ms). Growing 16 MiB at a time: about 2,000 calls, p99 10-16 ms;
/// 64 MiB at a time: 215 calls and no better p99. `mmap` and `munmap` stayed at 215 and 206
/// either way, and the resident memory did not change (pages are touched only when used).
///
/// The cost, and why 16 MiB and not more: setting the pad fixes glibc's mmap threshold at its
/// default (128 KiB) instead of letting it grow; a trimmed arena keeps the pad; and each arena
/// commits up to a step of address space at once (16 arenas on two cores: 256 MiB), which matters
/// only where the kernel refuses to overcommit.
public enum HeapGrowth {
    /// The step the classroom's server asks for.
    public static let serverStep = 16 << 20

    /// Asks the C heap to grow by at least `octets` past each request (glibc's `M_TOP_PAD`).
    /// Returns false if the C library refused.
    @discardableResult
    public static func grow(inStepsOf octets: Int) -> Bool {
        guard octets >= 0, octets <= Int(Int32.max) else { return false }
        return h2lab_heap_top_pad(Int32(octets)) == 1
    }
}
