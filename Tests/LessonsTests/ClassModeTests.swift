import Foundation
import Testing
@testable import Engine
@testable import Lessons

/// A small lesson with two sections, a prediction and an exercise.
let classLesson = """
    # Class mode test (RFC 9113 §3.4)
    # The first section delivers the server's SETTINGS.
    step
    expect wire 3
    #
    # The second asks, then sets a task.
    step 2
    predict What does the server queue after the client's SETTINGS?
      option a SETTINGS ACK => expect server sent SETTINGS ACK
      option nothing => expect wire 1
      answer a
      reveal show wire
      explain Every SETTINGS is acknowledged.
    end
    exercise Make every setting take effect.
      goal expect client settings-pending 0
      goal expect server settings-pending 0
      hint Two ACKs wait.
      hint `step 2`.
      solution step 2
    end
    show settings
    """

func classRun(_ text: String = classLesson) throws -> ClassRun {
    ClassRun(script: try LessonScript.parse(name: "t", path: "t.h2lab", text: text), session: Session())
}

/// A class run of `text` that has passed section 1 and answered the prediction with `answer`.
func classRunAtExercise(_ text: String = classLesson, answer: String) throws -> ClassRun {
    var run = try classRun(text)
    _ = run.start()
    _ = run.input("")
    _ = run.input(answer)
    return run
}

@Suite("Class mode: a section at a time, exploring, exercises, predictions, a score")
struct ClassModeTests {
    @Test("sections wait for Enter, and exploring never changes the lesson")
    func pacing() throws {
        var run = try classRun()
        let first = run.start().joined(separator: "\n")
        #expect(first.contains("Class mode test (RFC 9113 §3.4)"))
        #expect(first.contains("── section 1 of 2"))
        #expect(first.contains("lab> step") && first.contains("✓ the wire holds 3 frames"))
        #expect(first.contains("end of section 1 of 2: Enter goes on"))
        #expect(run.mode == .pause && run.prompt == "lesson 1/2> ")
        #expect(run.session.lab.log.count == 1)

        // Exploring: two more deliveries and a look around.
        #expect(run.input("step 2").joined().contains("#3 client→server SETTINGS"))
        #expect(run.input("show streams").joined().contains("no streams yet"))
        #expect(run.session.lab.log.count == 3)
        // Enter: the lab goes back to where the lesson left it, and the lesson goes on from there.
        let second = run.input("").joined(separator: "\n")
        #expect(second.contains("the lab is back where the lesson left it"))
        #expect(second.contains("── section 2 of 2"))
        #expect(second.contains("#2 client→server preface") && second.contains("#3 client→server SETTINGS"))
        #expect(run.mode == .prediction && run.prompt == "answer (a-b)> ")
    }

    @Test("a prediction waits for an answer, shows what the engine did, and scores it")
    func prediction() throws {
        var run = try classRun()
        _ = run.start()
        _ = run.input("")
        #expect(run.input("").joined().contains("answer with a or b"))
        // Looking around first is allowed; a wrong answer is marked, with the right one beside it.
        _ = run.input("show settings")
        let answer = run.input("b").joined(separator: "\n")
        #expect(answer.contains("✗ you said b) nothing; the answer is a) a SETTINGS ACK"))
        #expect(answer.contains("the engine: server sent SETTINGS ACK"))
        #expect(answer.contains("Every SETTINGS is acknowledged."))
        #expect(run.predictionsDone == 1 && run.predictionsRight == 0)
        #expect(run.mode == .exercise)
    }

    @Test("an exercise: goal, hints in order, solved by typing, then the score")
    func exercise() throws {
        var run = try classRunAtExercise(answer: "a")
        #expect(run.predictionsRight == 1)
        #expect(run.input("goal").joined(separator: "\n").contains("✗ expected client settings-pending to be 0, it is 1"))
        #expect(run.input("hint") == ["  hint 1 of 2: Two ACKs wait."])
        #expect(run.input("hint") == ["  hint 2 of 2: `step 2`."])
        #expect(run.input("hint").joined().contains("no more hints"))
        #expect(run.input("").joined().contains("the goal does not hold yet"))
        _ = run.input("step")
        #expect(run.mode == .exercise)
        let solved = run.input("step").joined(separator: "\n")
        #expect(solved.contains("✓ solved: client settings-pending is 0; server settings-pending is 0"))
        #expect(solved.contains("lab> show settings"))
        #expect(solved.contains("lesson complete"))
        #expect(solved.contains("score 100%  (exercises solved on your own: 1 of 1, predictions right: 1 of 1)"))
        #expect(run.mode == .finished)
        #expect(run.session.lab.state.client.unacknowledgedSettings.isEmpty)
    }

    @Test("solution shows the commands and costs the point; skip runs them")
    func solutionAndSkip() throws {
        var run = try classRunAtExercise(answer: "b")
        #expect(run.input("solution") == ["  the solution:", "    step 2", "  type them, or `skip` to have them run"])
        let skipped = run.input("skip").joined(separator: "\n")
        #expect(skipped.contains("running the solution from where the exercise began"))
        #expect(skipped.contains("the goal holds now"))
        #expect(skipped.contains("score 0%  (exercises solved on your own: 0 of 1, predictions right: 0 of 1)"))
    }

    @Test("a student's own solution counts, and the lesson goes on from its reference solution")
    func ownSolution() throws {
        // A different path to the goal: four single steps from a different order still solve it.
        var other = try classRunAtExercise(classLesson + "\nexpect wire empty\n", answer: "a")
        let out = other.input("step server").joined(separator: "\n") + other.input("step client").joined(separator: "\n")
        #expect(out.contains("✓ solved"))
        #expect(out.contains("the lesson goes on from its own solution"))
        #expect(out.contains("✓ the wire is empty"))
        #expect(other.exercisesSolved == 1)
    }

    @Test("Ctrl-C leaves with the lab as it is")
    func leaving() throws {
        var run = try classRun()
        _ = run.start()
        #expect(run.leaving.joined().contains("left the lesson at section 1 of 2; the lab stays as it is"))
        #expect(run.input("lesson other").joined().contains("a lesson is running"))
    }

    @Test("the curriculum's lessons each run in class mode to the end with their own solutions")
    func curriculumInClass() throws {
        for name in LessonRunner.lessons(in: packageRoot.appendingPathComponent("lessons").path) {
            let path = packageRoot.appendingPathComponent("lessons/\(name).h2lab").path
            var run = ClassRun(script: try LessonScript.load(path: path), session: Session(directory: packageRoot.appendingPathComponent("lessons").path))
            var out = run.start()
            var guardCount = 0
            while run.mode != .finished && guardCount < 200 {
                guardCount += 1
                switch run.mode {
                case .pause: out += run.input("")
                case .exercise: out += run.input("skip")
                case .prediction: out += run.input("a")
                case .finished: break
                }
            }
            #expect(run.mode == .finished, "\(name)")
            #expect(!out.joined(separator: "\n").contains("error: \(path)"), "\(name)")
            #expect(out.joined().contains("lesson complete"))
        }
    }
}
