import Testing
@testable import Engine

@Suite("History: the lab's append-only list whose copies share their past")
struct HistoryTests {
    /// A small deterministic generator (the tests repeat exactly).
    struct Steps {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
    }

    @Test("appends, removals at both ends and copies behave as an Array's, across chunk boundaries")
    func behavesAsArray() {
        var steps = Steps(state: 7)
        var history = History<Int>()
        var model: [Int] = []
        var copies: [(History<Int>, [Int])] = []
        for i in 0..<5_000 {
            switch steps.next(10) {
            case 0...5:
                history.append(i)
                model.append(i)
            case 6, 7:
                let n = steps.next(40)
                history.removeLast(n)
                model.removeLast(min(n, model.count))
            case 8:
                let n = steps.next(40)
                history.removeFirst(n)
                model.removeFirst(min(n, model.count))
            default:
                copies.append((history, model))  // a copy kept, as an undo point keeps a lab
            }
            #expect(history.count == model.count)
            #expect(history.last == model.last && history.first == model.first)
        }
        #expect(Array(history) == model)
        #expect(history.indices.allSatisfy { history[$0] == model[$0] })
        for (copy, expected) in copies {
            #expect(Array(copy) == expected, "a copy kept its elements while the original changed")
        }
        #expect(History(model) == history)
    }

    @Test("removing everything, then appending again, starts from an empty list")
    func emptiesAndRefills() {
        var history: History<Int> = [1, 2, 3]
        history.removeFirst(2)
        history.removeLast(5)
        #expect(history.isEmpty)
        history.append(4)
        #expect(Array(history) == [4])
        for i in 5..<200 { history.append(i) }
        history.removeFirst(100)
        #expect(history.first == 104 && history.count == 96)
        history.removeLast(95)
        #expect(Array(history) == [104])
    }

    @Test("a lab copy (an undo point) keeps its past while the lab goes on, and back reaches it")
    func labCopies() throws {
        var lab = Lab()
        _ = try lab.act(.client) { (c) throws(UsageError) in try c.sendRequest(request("GET", "/html")) }
        var kept: [Lab] = []
        while lab.deliver() != nil { kept.append(lab) }
        for (i, copy) in kept.enumerated() {
            #expect(copy.log.count == i + 1 && copy.canGoBack == i + 1)
            #expect(copy.log.map(\.sequence) == Array(1...(i + 1)))
        }
        var rewound = try #require(kept.last)
        rewound.back(kept.count - 1)
        #expect(rewound.log.count == 1 && rewound.state.deliveries == kept[0].state.deliveries)
        #expect(LabInvariants.sameState(rewound.state, kept[0].state).isEmpty)
    }
}
