@testable import Engine
import Testing

@Suite("The stream table (records by stream id)")
struct StreamTableTests {
    func record(_ id: UInt32, window: Int = 0) -> StreamRecord {
        StreamRecord(id: id, sendWindow: window, receiveWindow: 0)
    }

    @Test("inserts, replacements, updates and removals agree with a Dictionary, through growth and wrap-around")
    func againstDictionary() {
        var generator = SplitMix(seed: 7)
        var table = StreamTable()
        var model: [UInt32: Int] = [:]
        for step in 0..<20_000 {
            // Ids from a small range collide and wrap often; some from the whole 31-bit range.
            let id = step % 10 == 0 ? UInt32.random(in: 1...0x7fff_ffff, using: &generator) : UInt32.random(in: 1...600, using: &generator)
            switch Int.random(in: 0..<4, using: &generator) {
            case 0, 1:
                table[id] = record(id, window: step)
                model[id] = step
            case 2:
                #expect(table.removeValue(forKey: id)?.sendWindow.value == model.removeValue(forKey: id))
            default:
                let changed = table.update(id) { $0.sendWindow = FlowWindow(-step); return true }
                #expect((changed ?? false) == (model[id] != nil))
                if model[id] != nil { model[id] = -step }
            }
            if step % 1000 == 0 || step == 19_999 {
                #expect(table.count == model.count)
                #expect(Set(table.keys) == Set(model.keys))
                for (id, window) in model { #expect(table[id]?.sendWindow.value == window) }
                #expect(zip(table.keys, table.values).allSatisfy { $0 == $1.id })
            }
        }
        #expect(table[0] == nil)
        table[0] = record(0)
        #expect(table.count == model.count, "stream 0 is never stored")
    }

    @Test("removing every entry, in any order, leaves an empty table that still finds nothing")
    func removeAll() {
        var table = StreamTable()
        let ids = (1...300).map { UInt32($0 * 2 - 1) }
        for id in ids { table[id] = record(id) }
        var generator = SplitMix(seed: 11)
        for id in ids.shuffled(using: &generator) {
            #expect(table[id]?.id == id)
            table[id] = nil
            #expect(table[id] == nil)
        }
        #expect(table.isEmpty && table.keys.isEmpty && table.values.isEmpty)
    }
}
