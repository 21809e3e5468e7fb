import Foundation
import Transport

/// The accept loop `serve`, `panel` and `proxy` share: each accepted client gets a number and a
/// thread of its own, at most `maxConnections` at once: at the limit the idlest is evicted to serve
/// the new one (ConnectionBudget, OpenConnections); an accept that fails (out of descriptors, say)
/// waits a moment and goes on. Runs until SIGINT/SIGTERM (`stopRequested`), then runs `stopping`
/// (what must end for the connections to end) and waits for the connections to finish.
func acceptConnections(on listener: TCPSocket, maxConnections: Int, tracer: Tracer?, stopping: () -> Void = {},
                       serve: @escaping @Sendable (TCPSocket, ConnectionTicket) -> Void) {
    let group = DispatchGroup()
    let open = OpenConnections(limit: maxConnections)
    var next = 0
    while stopRequested == 0 {
        guard let client = try? listener.accept(milliseconds: 200) else {
            usleep(10_000)
            continue
        }
        next += 1
        let id = next
        let (admitted, evicted) = open.admit(id, socket: client, now: ServerConnection.now())
        if let evicted {
            tracer?(evicted, .note("the idlest of \(maxConnections) connections (--max-connections): evicted to serve c\(id)"))
        }
        guard admitted else {
            tracer?(id, .note("refused: \(maxConnections) connections open and their evictions still in progress"))
            client.close()
            continue
        }
        tracer?(id, .note("connection opened"))
        group.enter()
        let ticket = ConnectionTicket(id: id, table: open)
        Thread.detachNewThread {
            defer { group.leave() }
            serve(client, ticket)
            open.leave(id)
        }
    }
    listener.close()
    stopping()
    group.wait()
}
