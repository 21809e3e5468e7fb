import Foundation
import Transport

/// The accept loop `serve`, `panel` and `proxy` share: each accepted client gets a number and a
/// thread of its own, at most `maxConnections` at once (more are closed at once); an accept that
/// fails (out of descriptors, say) waits a moment and goes on. Runs until SIGINT/SIGTERM
/// (`stopRequested`), then runs `stopping` (what must end for the connections to end) and waits for
/// the connections to finish.
func acceptConnections(on listener: TCPSocket, maxConnections: Int, tracer: Tracer?, stopping: () -> Void = {},
                       serve: @escaping @Sendable (TCPSocket, Int) -> Void) {
    let group = DispatchGroup()
    let open = Counter()
    var next = 0
    while stopRequested == 0 {
        guard let client = try? listener.accept(milliseconds: 200) else {
            usleep(10_000)
            continue
        }
        next += 1
        let id = next
        guard open.increment(limit: maxConnections) else {
            tracer?(id, .note("refused: \(maxConnections) connections already open (--max-connections)"))
            client.close()
            continue
        }
        tracer?(id, .note("connection opened"))
        group.enter()
        Thread.detachNewThread {
            defer {
                open.decrement()
                group.leave()
            }
            serve(client, id)
        }
    }
    listener.close()
    stopping()
    group.wait()
}

/// A count shared by threads: connections open now.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0

    /// Adds one unless that would pass `limit`; false if it would.
    func increment(limit: Int) -> Bool {
        lock.withLock {
            guard value < limit else { return false }
            value += 1
            return true
        }
    }

    func decrement() { lock.withLock { value -= 1 } }
}
