import Foundation
import Testing
@testable import Engine
@testable import Lessons

/// What the classroom needs of the interpreter and class mode: capabilities the interpreter checks,
/// each item's outcome, the live goals and options, bounded history.
@Suite("Classroom support: capabilities, outcomes, bounded history")
struct ClassroomSupportTests {
    @Test("the classroom's capabilities: connect, listen, proxy, save, lesson FILE refused by the interpreter itself; nothing written")
    func capabilities() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("h2lab-caps-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data("inside".utf8).write(to: folder.appendingPathComponent("body.txt"))
        var session = Session(directory: folder.path)
        session.capabilities = .classroom
        // A connector that would connect: the capability stops the command before it is asked.
        let asked = Flag()
        session.connector = { _ in asked.set(); throw CommandError("not reached") }
        for line in ["connect http://127.0.0.1:1/", "proxy http://127.0.0.1:1/", "listen --port 0"] {
            let refused = session.execute(line).error?.message ?? ""
            #expect(refused.contains("no connections to the network"), "\(line)")
        }
        #expect(!asked.value)
        for line in ["save transcript out.txt", "save pcap out.pcap", "repeat 2 save json out.json"] {
            let refused = session.execute(line).error?.message ?? ""
            #expect(refused.contains("writes no files"), "\(line)")
        }
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("out.txt").path))
        let lesson = session.execute("lesson /tmp/x.h2lab").error?.message ?? ""
        #expect(lesson.contains("only the lessons of its own folder"))
        for line in ["request POST /upload body @/etc/hostname", "request POST /upload body @../../etc/hostname", "request @/etc/hostname"] {
            let refused = session.execute(line).error?.message ?? ""
            #expect(refused.contains("outside the lesson's folder"), "\(line)")
        }
        let inside = session.execute("request POST /upload body @body.txt").error
        #expect(inside == nil, "the folder's own files may be read")
        // The terminal keeps everything.
        var terminal = Session(directory: folder.path)
        let saved = terminal.execute("save transcript out.txt").error
        #expect(saved == nil)
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("out.txt").path))
    }

    @Test("each exercise and prediction's outcome: own, hint, solution, skipped; right or wrong with the answer and the key")
    func outcomes() throws {
        var run = try classRunAtExercise(answer: "b")
        #expect(run.outcomes == [ClassRun.Outcome(line: 8, isExercise: false, result: .wrong, answer: "b", key: "a")])
        #expect(run.goals?.map(\.holds) == [false, false] && run.options == nil)
        _ = run.input("hint")
        _ = run.input("step")
        #expect(run.goals?.map(\.holds) == [false, true], "one ACK delivered: one goal holds")
        _ = run.input("step")
        #expect(run.outcomes.last == ClassRun.Outcome(line: 15, isExercise: true, result: .hint))
        #expect(run.mode == .finished && run.sectionNumber == 2 && run.sectionCount == 2)

        var skipped = try classRunAtExercise(answer: "a")
        _ = skipped.input("skip")
        #expect(skipped.outcomes.map(\.result) == [.right, .skipped])
        var shown = try classRunAtExercise(answer: "a")
        _ = shown.input("solution")
        _ = shown.input("step 2")
        #expect(shown.outcomes.map(\.result) == [.right, .solution])
        var own = try classRunAtExercise(answer: "a")
        _ = own.input("step 2")
        #expect(own.outcomes.map(\.result) == [.right, .own])

        var asking = try classRun()
        _ = asking.start()
        #expect(asking.atSectionEnd && asking.sectionNumber == 1 && asking.options == nil)
        _ = asking.input("")
        #expect(asking.options == ["a SETTINGS ACK", "nothing"] && !asking.atSectionEnd)
    }

    @Test("bounded history: the oldest snapshots and transcript lines are forgotten; back reaches as far as kept")
    func bounded() throws {
        var session = Session()
        for _ in 0..<3 { _ = session.execute("step") }
        _ = session.execute("request GET /html")
        for _ in 0..<3 { _ = session.execute("step") }
        #expect(session.lab.canGoBack == 6)
        let log = session.lab.log
        let forgot = session.bound(snapshots: 2, transcriptLines: 5)
        #expect(forgot)
        #expect(session.lab.canGoBack == 2 && session.transcript.count == 5 && session.lab.log == log)
        let again = session.bound(snapshots: 2, transcriptLines: 5)
        #expect(!again, "nothing more to forget")
        _ = session.execute("back 2")
        #expect(session.lab.log.count == log.count - 2 && session.lab.canGoBack == 0)
    }
}

final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var raised = false
    func set() { lock.withLock { raised = true } }
    var value: Bool { lock.withLock { raised } }
}
