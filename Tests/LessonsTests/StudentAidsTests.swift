import Foundation
import Testing
@testable import Engine
@testable import Lessons

private func wireCount(_ lab: Lab) -> Int { lab.state.toServer.count + lab.state.toClient.count }

@Suite("undo: the last command that changed the lab, whatever it was")
struct UndoTests {
    @Test("a queued request, a delivery, a setting and a breakpoint are each taken back; looking is not a command to undo")
    func takesBack() {
        var session = Session()
        while session.lab.deliver() != nil {}
        let before = wireCount(session.lab)
        _ = session.execute("request GET /json")
        #expect(wireCount(session.lab) == before + 1)
        _ = session.execute("show wire")
        _ = session.execute("expect wire 1")
        let undone = session.execute("undo")
        #expect(undone.error == nil && undone.lines.first == "  undone: request GET /json", "\(undone.lines)")
        #expect(wireCount(session.lab) == before && session.lab.state.client.streams[1] == nil)
        // A delivery, then the setting queued before it: two undos, newest first.
        _ = session.execute("settings INITIAL_WINDOW_SIZE=16")
        _ = session.execute("step")
        let delivered = session.lab.log.count
        #expect(session.execute("undo").lines.first == "  undone: step")
        #expect(session.lab.log.count == delivered - 1 && wireCount(session.lab) == 1)
        #expect(session.execute("undo").lines.first == "  undone: settings INITIAL_WINDOW_SIZE=16")
        #expect(session.lab.wireIsEmpty)
        _ = session.execute("break error")
        #expect(session.breakpoints.count == 1)
        _ = session.execute("undo")
        #expect(session.breakpoints.isEmpty)
        #expect(session.execute("undo").lines == ["  nothing to undo"])
    }

    @Test("a refused command leaves nothing to undo; undo with arguments is a usage error")
    func refused() {
        var session = Session()
        _ = session.execute("request GET /json")
        #expect(session.execute("window 99 oops").error != nil)
        #expect(session.execute("reset 7 CANCEL").error != nil)
        #expect(session.execute("undo").lines.first == "  undone: request GET /json")
        #expect(session.execute("undo 2").error != nil)
        #expect(session.execute("server undo").error != nil)
    }

    @Test("at most undoDepth commands are kept")
    func bounded() {
        var session = Session()
        for _ in 0..<(Session.undoDepth + 10) { _ = session.execute("ping 1") }
        #expect(session.undoPoints.count == Session.undoDepth)
    }
}

@Suite("class mode keeps a section to a screen")
struct ScreenFitTests {
    @Test("lesson 05's second section: 60-odd deliveries become a summary by frame type and stream; the narration stays above it")
    func summary() throws {
        let folder = packageRoot.appendingPathComponent("lessons").path
        var run = ClassRun(script: try LessonScript.load(path: folder + "/05-multiplexing.h2lab"), session: Session(directory: folder))
        _ = run.start()
        let section = run.input("")
        let text = section.map(Palette.plainText)
        #expect(text.contains { $0.hasPrefix("── section 2 of") }, "\(text)")
        #expect(text.contains { $0.contains("Two uploads of 30 000 octets each") })
        let summary = try #require(text.firstIndex { $0.hasPrefix("  … ") && $0.contains("deliveries in all") }, "\(text)")
        #expect(text[summary + 1].contains("DATA (streams 1, 3)"), "\(text[summary...])")
        #expect(text.count <= 40, "\(text.count) lines: \(text)")
        #expect(text.allSatisfy { $0.count <= 100 })
        // The full detail is still there for whoever asks: every delivery is in the history.
        #expect(run.session.lab.log.count > 30)
    }

    @Test("a short output is left as it is")
    func short() {
        let lines = ["a", "b"]
        #expect(ClassRun.fitted(lines, deliveries: []) == lines)
    }
}
